"""gan_core: models, training and evaluation behind the GAN Demo Suite.

This module is the one door: ``app.py``, the tabs' wiring and outside scripts use these names
(see README, "Python API"); the families behind them may move, these stay.

    generate(name, n, seed=0, **cond)   samples (n, 1, 28, 28) in [0, 1] from a Fashion-MNIST model
    latents(name, n, seed=0)            the latent codes generate() decodes
    decode(name, z)                     latent codes -> images (n, 1, 28, 28) in [0, 1]
    denoising(name, n, seed, steps=50) a diffusion model's x_t, every few steps, as it samples
    encode(name, images)                a VAE's (mu, log sigma^2) for images (n, 1, 28, 28) in [0, 1]
    elbo_terms(name, images)            a VAE's reconstruction and KL terms per image (nats)
    classify(images)                    the judge classifier's class name for each image
    judge_item(item)                    the judge's class and probability for one (1, 1, 28, 28) item
    judge_pictures(*pictures)           the judge's (class, probability) for each item picture, in one pass
    super_resolve(image, method)        a PIL image upscaled x4 by "bicubic", "srresnet" or "srgan"
    compare_sr(image, mode)             every SR method on one image, scored (the SR tab's work)
    list_tasks()                        the image-to-image tasks ("edges2clothing", "colorize", ...)
    translate(task, image, variant)     a PIL image translated by pix2pix ("pix2pix") or its L1-only ablation ("l1")
    task_input(task, target_image)      a real target -> the task's input (edge map, grey photo, ...)
    class_grid(name, classes, seeds, truncation=1)  a conditional GAN's class x seed matrix (same z down each column)
    code_traversal(name, code, values, seeds)  InfoGAN items along one code, a row per seed
    classifier_probabilities(name, x)   AC-GAN's / SGAN's own class probabilities (also sgan_classify)
    infer_codes(name, images)           InfoGAN's Q: the codes it reads from items
    model_figures(name)                 a checkpoint's evaluation figures (its metrics.json)
    judge_probabilities(images)         the judge's class probabilities (n, 10)
    make_canvases, count_objects        the counting case: canvases with 1-3 shapes, and the exact counter
    make_boxes, fit_boxes               the perspective case: rendered boxes, and the box fit that checks a picture
    failure_live(case)                  a live 2-D failure ("strong_d", "weak_d", "cycling"): progress, then result
    failure_samples(name, n, seed)      pictures from a Failure gallery GAN (see gan_core.failures)
    nextframe_test_sequence(i)          moving Fashion-MNIST test sequence i: frames (1, 14, 64, 64), positions, labels
    nextframe_sequence(items, labels, start, velocity)  a sequence of one's own (two items bouncing in 64x64)
    nextframe_rollouts(context, horizon)  MSE / l2+GDL / adversarial predictions fed back, and copy-last
    nextframe_judge(frames, positions, labels)  the judge on each item's crop of each frame
    nextframe_curves()                  the test set's PSNR, SSIM, sharpness, judge accuracy per horizon

Pictures from users go through ``gan_core.pictures`` (one loader, one set of conversions);
checkpoints through ``gan_core.checkpoints``; names of models, tasks and methods are written
once in ``gan_core.registry``.
"""
from .diffusion.api import denoising
from .failures.api import IMPOSSIBLE as BOX_FIT_IMPOSSIBLE
from .failures.api import (box_fit_pictures, count_figures, count_objects, dirac_gan, failure_live, failure_record,
                           failure_samples, far_examples, far_measure, far_reference, fit_boxes, geometry_figures,
                           least_confident, make_boxes, make_canvases, nearest_training_items, real_structure,
                           structure_figures)
from .fmnist import FMNIST_CLASSES, MissingDataError, fashion_mnist_for_app
from .img2img.api import (available_tasks, edge_density, example_images as img2img_examples, list_tasks,
                          prepare_input, prepare_target, task_input, translate)
from .img2img.api import judge_item as judge_picture, judge_items as judge_pictures
from .gan.api import (class_grid, classifier_probabilities, code_traversal, infer_codes, judge_probabilities,
                      sgan_classify)
from .gan.api import figures as model_figures
from .img2img.metrics import color_scores
from .judge.api import classify, judge, judge_item
from .registry import ARCHITECTURES, DIFFUSION_MODELS, FAMILIES, GENERATORS, NEXT_FRAME, SR_METHODS, TASKS, VAES
from .registry import FAILURES
from .sampling import decode, generate, latents
from .sr.api import available_methods as sr_status, compare as compare_sr, example_images as sr_examples
from .sr.api import super_resolve
from .sr.metrics import error_map as sr_error_map
from .trainer import read_history
from .vae.api import elbo_terms, encode
from .video.api import curves as nextframe_curves, drawn_item as nextframe_drawn_item
from .video.api import judge_items as nextframe_judge, make_sequence as nextframe_sequence
from .video.api import rollouts as nextframe_rollouts, scores as nextframe_scores
from .video.api import test_item as nextframe_test_item, test_sequence as nextframe_test_sequence

__all__ = [
    "generate", "latents", "decode", "denoising", "encode", "elbo_terms", "classify", "judge", "judge_item",
    "judge_picture", "judge_pictures",
    "super_resolve", "compare_sr", "sr_status", "sr_error_map", "sr_examples",
    "list_tasks", "available_tasks", "translate", "task_input", "prepare_input", "prepare_target",
    "edge_density", "color_scores", "img2img_examples",
    "class_grid", "code_traversal", "classifier_probabilities", "sgan_classify", "infer_codes", "model_figures",
    "judge_probabilities",
    "make_canvases", "count_objects", "count_figures", "make_boxes", "fit_boxes", "box_fit_pictures", "geometry_figures",
    "failure_samples", "failure_live", "failure_record", "dirac_gan", "structure_figures", "least_confident",
    "far_examples", "far_measure", "far_reference", "nearest_training_items", "real_structure", "FAILURES",
    "BOX_FIT_IMPOSSIBLE",
    "nextframe_test_sequence", "nextframe_sequence", "nextframe_test_item", "nextframe_drawn_item",
    "nextframe_rollouts", "nextframe_judge", "nextframe_scores", "nextframe_curves", "NEXT_FRAME",
    "GENERATORS", "ARCHITECTURES", "FAMILIES", "DIFFUSION_MODELS", "SR_METHODS", "TASKS", "VAES", "FMNIST_CLASSES", "MissingDataError", "fashion_mnist_for_app", "read_history",
]
