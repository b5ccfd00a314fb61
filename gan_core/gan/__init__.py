"""The Fashion-MNIST GANs: one file per architecture (network and training algorithm), the
command-line builders in ``train.py``."""
