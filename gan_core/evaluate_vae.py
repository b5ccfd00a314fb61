"""``python -m gan_core.evaluate_vae``: the VAE figures (the command lives in ``gan_core.vae.evaluate``)."""
import sys

from gan_core.vae.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
