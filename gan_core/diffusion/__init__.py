"""Denoising diffusion on Fashion-MNIST (DDPM / DDIM) with diffusers: ddpm.py, train.py, api.py."""
