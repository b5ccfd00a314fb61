"""Command-line builders of the VAEs (``python -m gan_core.train vae2d | ae2d | vae16``)."""
from __future__ import annotations

import functools

from .. import fmnist

def build_vae(args, runtime):
    from .vae import VAE, VAETraining
    model = VAE(latent_dim=args.latent_dim, beta=args.beta, width=args.width, hidden=args.hidden)
    algo = VAETraining(model, runtime, lr=args.lr)
    images, _ = fmnist.for_training(args)
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), 28x28 grey levels in [0, 1]"


def add_vae_args(p, *, latent_dim: int, beta: float):
    p.add_argument("--latent-dim", type=int, default=latent_dim)
    p.add_argument("--beta", type=float, default=beta, help="KL weight: 1 = VAE, 0 = plain autoencoder")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)


# the three checkpoints of the "VAE latent map" tab: one network, three presets of (d, β)
COMMANDS = {
    "vae2d": (functools.partial(add_vae_args, latent_dim=2, beta=1.0), build_vae, 5000, 128),
    "ae2d": (functools.partial(add_vae_args, latent_dim=2, beta=0.0), build_vae, 5000, 128),
    "vae16": (functools.partial(add_vae_args, latent_dim=16, beta=1.0), build_vae, 5000, 128),
}
