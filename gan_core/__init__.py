"""gan_core: models, training and evaluation behind the GAN Demo Suite.

The public Python API (see README, "Python API"):

    generate(name, n, seed=0, **cond)   samples (n, 1, 28, 28) in [0, 1] from a Fashion-MNIST model
    latents(name, n, seed=0)            the latent codes generate() decodes
    decode(name, z)                     latent codes -> images (n, 1, 28, 28) in [0, 1]
    encode(name, images)                a VAE's (mu, log sigma^2) for images (n, 1, 28, 28) in [0, 1]
    classify(images)                    the judge classifier's class name for each image
    super_resolve(image, method)        a PIL image upscaled x4 by "bicubic", "srresnet" or "srgan"
    list_tasks()                        the image-to-image tasks ("edges2clothing", "colorize", ...)
    translate(task, image, variant)     a PIL image translated by pix2pix ("pix2pix") or its L1-only ablation ("l1")
    task_input(task, target_image)      a real target -> the task's input (edge map, grey photo, ...)
"""
from .api import classify, decode, encode, generate, latents
from .sr_api import super_resolve
from .img2img import list_tasks, task_input, translate

__all__ = ["generate", "latents", "decode", "encode", "classify", "super_resolve",
           "list_tasks", "translate", "task_input"]
