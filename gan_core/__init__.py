"""gan_core: models, training and evaluation behind the GAN Demo Suite.

The public Python API (see README, "Python API"):

    generate(name, n, seed=0, **cond)   samples (n, 1, 28, 28) in [0, 1] from a Fashion-MNIST model
    latents(name, n, seed=0)            the latent codes generate() decodes
    decode(name, z)                     latent codes -> images (n, 1, 28, 28) in [0, 1]
"""
from .api import decode, generate, latents

__all__ = ["generate", "latents", "decode"]
