"""The one registry: every checkpoint name, image-to-image task, super-resolution method and VAE
of the suite is written here once, and mapped to its class by a plain import.

    CHECKPOINTS   checkpoint name -> (class, one-line description for the model card)
    GENERATORS    key -> (checkpoint, label) of the Fashion-MNIST generators of the sampling tab
    ARCHITECTURES role -> (checkpoint, label) of the models of the 'GAN architectures' tab
    SR_METHODS    super-resolution method -> (checkpoint or None for bicubic, label)
    TASKS         image-to-image task -> which checkpoint serves each variant, and how
    VAES          key -> (checkpoint, label) of the "VAE latent map" tab
    FAMILIES      key -> (checkpoint, label): one GAN, one VAE, one diffusion model, compared
    NEXT_FRAME    key -> (checkpoint, label) of the "Next frame" tab's three predictors
    SKETCH        variant -> checkpoint of sketch -> photo (BSDS500 boundary maps -> photos)
    FAILURES      case -> (checkpoint, label) of the models trained for the "Failure gallery" tab
    TRAIN_COMMANDS  training command -> the checkpoint it writes by default

A new model family adds its rows here (and its training command to ``gan_core.train``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .diffusion.ddpm import DDPM
from .failures.model import CanvasGAN
from .gan.acgan import ACGAN
from .gan.cgan import CGAN
from .gan.dcgan import DCGAN
from .gan.infogan import InfoGAN
from .gan.sgan import SGAN
from .img2img.cyclegan import CycleGAN
from .img2img.pix2pix import Pix2Pix
from .judge.classifier import FashionClassifier
from .sr.srresnet import SRResNet
from .vae.vae import VAE
from .video.nextframe import NextFrame

JUDGE = "fmnist-classifier"

CHECKPOINTS: dict[str, tuple[type, str]] = {
    "dcgan-fmnist": (DCGAN, "DCGAN (Radford et al. 2015) trained on Fashion-MNIST, 32x32 (items padded from 28x28)."),
    JUDGE: (FashionClassifier, "CNN classifier for Fashion-MNIST: the judge behind every FID, coverage and "
                               "accuracy figure of the suite's Fashion-MNIST models."),
    "vae2d-fmnist": (VAE, "Variational autoencoder (Kingma & Welling 2013) with a 2-D latent, beta = 1, on "
                          "Fashion-MNIST 28x28: the latent map of the 'VAE latent map' tab."),
    "ae2d-fmnist": (VAE, "The same network as vae2d-fmnist trained with beta = 0, i.e. a plain autoencoder: "
                         "its 2-D latent space has holes that the prior N(0, I) cannot sample from."),
    "vae16-fmnist": (VAE, "Variational autoencoder (Kingma & Welling 2013) with a 16-D latent, beta = 1, on "
                          "Fashion-MNIST 28x28: the VAE for sample quality."),
    "srresnet-x4": (SRResNet, "SRResNet x4 (Ledig et al. 2017): 16 residual blocks, 1.55 M parameters, trained with "
                              "MSE on SunHays80 crops; the distortion-optimised panel of the 'Super-resolution' tab."),
    "srgan-x4": (SRResNet, "SRGAN x4 (Ledig et al. 2017): the SRResNet generator fine-tuned against a VGG-style "
                           "discriminator (content + 1e-3 x adversarial loss); the training section names the "
                           "content loss used."),
    "pix2pix-edges2clothing": (Pix2Pix, "pix2pix (Isola et al. 2017): U-Net + conditional PatchGAN, cGAN + 100 x L1, "
                                        "from Canny edge maps to Fashion-MNIST items, 32x32 (the analogue of "
                                        "edges2shoes)."),
    "l1-edges2clothing": (Pix2Pix, "The same U-Net as pix2pix-edges2clothing trained with L1 alone: the paper's "
                                   "ablation (blurry, the median of the plausible items)."),
    "pix2pix-colorize": (Pix2Pix, "pix2pix (Isola et al. 2017) colourisation: grey photo -> colour, cGAN + 400 x L1 "
                                  "(the paper's 100 over-saturates here, see BENCHMARKS.md), the mean of the weights "
                                  "at steps 500, 1000 and 1500; the U-Net predicts chroma and keeps the input's "
                                  "luminance. Trained on SunHays80 and BSDS500-train crops."),
    "l1-colorize": (Pix2Pix, "The same colourisation U-Net as pix2pix-colorize trained with L1 alone: the paper's "
                             "ablation (desaturated colours)."),
    "cgan-fmnist": (CGAN, "Conditional GAN (Mirza & Osindero 2014) on Fashion-MNIST 32x32: the class, one-hot, "
                          "concatenated to z in G. D takes the class as 10 constant planes beside the image (the "
                          "paper) or, where the configuration says `projection` (the shipped model), by projection "
                          "(Miyato & Koyama 2018: a learned class vector times D's pooled features); DCGAN's "
                          "networks."),
    "acgan-fmnist": (ACGAN, "AC-GAN (Odena et al. 2017) on Fashion-MNIST 32x32: cGAN's generator; D outputs "
                            "real/fake and the class (losses L_S and L_C)."),
    "infogan-fmnist": (InfoGAN, "InfoGAN (Chen et al. 2016) on Fashion-MNIST 32x32: a 10-valued categorical code and "
                                "two continuous codes in [-1, 1], recovered by Q on D's body; trained without labels."),
    "sgan-fmnist": (SGAN, "Semi-supervised GAN (Salimans et al. 2016, Odena 2016) on Fashion-MNIST: D is a 10-class "
                          "classifier with an implicit fake class, G trained by feature matching; 100 labels."),
    "supervised-fmnist": (SGAN, "The SGAN classifier network trained on the same 100 labels alone (no generator, "
                                "no unlabelled items): the baseline of the semi-supervised GAN."),
    "cyclegan-sneaker-boot": (CycleGAN, "CycleGAN (Zhu et al. 2017), unpaired Sneaker <-> Ankle boot on Fashion-MNIST "
                                        "32x32: LSGAN + 10 x cycle + 5 x identity loss."),
    "ddpm-fmnist": (DDPM, "Denoising diffusion (DDPM, Ho et al. 2020) on Fashion-MNIST 28x28: a diffusers "
                          "UNet2DModel (32/64/64 channels) with a 1000-step linear schedule, EMA weights; "
                          "sampled with DDPM or DDIM (Song et al. 2021). Saved in diffusers' layout."),
    "ddpm-fmnist-small": (DDPM, "A smaller diffusers UNet2DModel (16/32/64 channels) distilled from ddpm-fmnist: "
                                "trained to predict the larger model's noise estimate on the same schedule, "
                                "for DDIM sampling at about a third of the cost per step."),
    "ddpm-fmnist-cond": (DDPM, "Class-conditional denoising diffusion on Fashion-MNIST 28x28: ddpm-fmnist's "
                               "diffusers UNet2DModel with a class embedding, fine-tuned on the labels (10 % of "
                               "them dropped, so classifier-free guidance can be used). Told the class, as the "
                               "conditional GANs are."),
    "nextframe-mse": (NextFrame, "Next-frame predictor on moving Fashion-MNIST 64x64: a U-Net sees 4 frames and "
                                 "predicts the 5th, trained with L2 (MSE) alone (Mathieu et al. 2016's baseline)."),
    "nextframe-gdl": (NextFrame, "The same U-Net as nextframe-mse trained with L2 + the gradient difference loss "
                                 "(Mathieu et al. 2016, Eq. 5)."),
    "nextframe-adv": (NextFrame, "The same U-Net trained adversarially against a multi-scale discriminator on "
                                 "frame sequences, + L2 + GDL (Mathieu et al. 2016, Eq. 6)."),
    "counting-gan": (CanvasGAN, "64x64 DCGAN trained on canvases with 1, 2 or 3 shapes (gan_core.failures.counting): "
                                "the Failure gallery's counting case, measured with an exact counter."),
    "perspective-gan": (CanvasGAN, "64x64 DCGAN trained on shaded boxes seen through a pinhole camera "
                                   "(gan_core.failures.perspective): the Failure gallery's perspective case, "
                                   "measured by fitting a box to each sample."),
    "imbalance-fmnist": (DCGAN, "DCGAN on Fashion-MNIST with D too strong (3 D steps per G step, D's rate 5x G's) "
                                "and the saturating G loss; its history holds G's gradient norm under both losses."),
    "collapse-fmnist": (DCGAN, "DCGAN on Fashion-MNIST with G too fast (3 G steps per D step at 10x D's rate); its "
                               "history holds the judge's class histogram of 500 fixed samples over training."),
    "pix2pix-sketch": (Pix2Pix, "pix2pix (Isola et al. 2017) sketch -> photo: U-Net + 70x70 PatchGAN, cGAN + 100 x L1, "
                                "from BSDS500's human-drawn boundary maps to the photos (train split, 200 photos, "
                                "two 321 px end squares each), 256x256. What 200 photos can teach: a scene's layout "
                                "(sky over the horizon line, ground below, texture inside a closed outline, shading "
                                "along an edge), not what an outlined object is; the shipped model is a short CPU "
                                "run (see training.json), far from the paper's 200 epochs, and still shows its "
                                "decoder's checkerboard."),
    "l1-sketch": (Pix2Pix, "The same U-Net as pix2pix-sketch trained with L1 alone, for the same steps: the paper's "
                           "ablation. It predicts the average of every photo that fits the outlines: a smooth, "
                           "greyish layout."),
    # the pix2pix paper's data sets (AB format); not shipped: trained by whoever has the data
    "pix2pix-facades": (Pix2Pix, "pix2pix (Isola et al. 2017) labels -> facade on the CMP Facades AB set, the "
                                 "paper's settings: 256x256, U-Net 256 + 70x70 PatchGAN, cGAN + 100 x L1."),
    "pix2pix-cityscapes": (Pix2Pix, "pix2pix (Isola et al. 2017) semantic labels -> street scene on the Cityscapes "
                                    "AB set, the paper's settings: 256x256, U-Net 256 + 70x70 PatchGAN, cGAN + 100 x L1."),
    "pix2pix-maps": (Pix2Pix, "pix2pix (Isola et al. 2017) aerial photo -> map on the maps AB set (Google Maps, "
                              "New York), the paper's settings: 256x256, U-Net 256 + 70x70 PatchGAN, cGAN + 100 x L1."),
    "pix2pix-night": (Pix2Pix, "pix2pix (Isola et al. 2017) day -> night on the night2day AB set (webcams of Laffont "
                               "et al. 2014), the paper's settings: 256x256, batch 4, cGAN + 100 x L1."),
}

# training command (python -m gan_core.train COMMAND) -> the checkpoint it writes by default
TRAIN_COMMANDS: dict[str, str] = {
    "classifier": JUDGE,
    "dcgan": "dcgan-fmnist",
    "vae2d": "vae2d-fmnist",
    "ae2d": "ae2d-fmnist",
    "vae16": "vae16-fmnist",
    "srresnet": "srresnet-x4",
    "srgan": "srgan-x4",
    "pix2pix": "pix2pix-edges2clothing",  # pix2pix-<task> / l1-<task>, see gan_core.img2img.train
    "cyclegan": "cyclegan-sneaker-boot",  # cyclegan-<a>-<b>
    "cgan": "cgan-fmnist",
    "acgan": "acgan-fmnist",
    "infogan": "infogan-fmnist",
    "sgan": "sgan-fmnist",  # --supervised-only --name supervised-fmnist: the baseline
    "ddpm": "ddpm-fmnist",
    "counting": "counting-gan",
    "perspective": "perspective-gan",
    "imbalance": "imbalance-fmnist",
    "collapse": "collapse-fmnist",
    "nextframe-mse": "nextframe-mse",
    "nextframe-gdl": "nextframe-gdl",
    "nextframe-adv": "nextframe-adv",
    "pix2pix-sketch": "pix2pix-sketch",     # BSDS500 boundaries -> photos; l1-sketch: the ablation
    "l1-sketch": "l1-sketch",
    "pix2pix-facades": "pix2pix-facades",   # the paper's AB data sets: --data DIR, published settings
    "pix2pix-cityscapes": "pix2pix-cityscapes",
    "pix2pix-maps": "pix2pix-maps",
    "pix2pix-night": "pix2pix-night",
}

# key -> (checkpoint, label): the Fashion-MNIST generators the sampling tab draws from
GENERATORS: dict[str, tuple[str, str]] = {
    "dcgan": ("dcgan-fmnist", "DCGAN"),
    "cgan": ("cgan-fmnist", "Conditional GAN"),
    "acgan": ("acgan-fmnist", "AC-GAN"),
    "infogan": ("infogan-fmnist", "InfoGAN"),
}

# role -> (checkpoint, label): the models of the "GAN architectures" tab
ARCHITECTURES: dict[str, tuple[str, str]] = {
    **{key: GENERATORS[key] for key in ("cgan", "acgan", "infogan")},
    "sgan": ("sgan-fmnist", "Semi-supervised GAN"),
    "supervised": ("supervised-fmnist", "Supervised only"),
}

# method -> (checkpoint, label); bicubic needs no network
SR_METHODS: dict[str, tuple[str | None, str]] = {
    "bicubic": (None, "Bicubic"),
    "srresnet": ("srresnet-x4", "SRResNet (MSE)"),
    "srgan": ("srgan-x4", "SRGAN"),
}

# key -> (checkpoint, label): the three models of the "VAE latent map" tab
VAES: dict[str, tuple[str, str]] = {
    "vae": ("vae2d-fmnist", "VAE, 2-D, β = 1"),
    "ae": ("ae2d-fmnist", "AE, 2-D, β = 0"),
    "vae16": ("vae16-fmnist", "VAE, 16-D, β = 1"),
}


# key -> (checkpoint, label): one model of each family, side by side in the "GAN vs VAE vs diffusion" tab
FAMILIES: dict[str, tuple[str, str]] = {
    "gan": (GENERATORS["dcgan"][0], "GAN (DCGAN)"),
    "vae": (VAES["vae16"][0], "VAE (16-D latent)"),
    "diffusion": (TRAIN_COMMANDS["ddpm"], "Diffusion (DDIM on a DDPM)"),
}

# key -> (checkpoint, label): the diffusion U-Nets the "GAN vs VAE vs diffusion" tab offers, the family's first
DIFFUSION_MODELS: dict[str, tuple[str, str]] = {
    "large": (FAMILIES["diffusion"][0], "large (32/64/64 channels, 1.06 M parameters)"),
    "small": ("ddpm-fmnist-small", "small (16/32/64 channels, 0.64 M), distilled from the large"),
    "cond": ("ddpm-fmnist-cond", "class-conditional (the large one, fine-tuned on the labels)"),
}

# key -> (checkpoint, label): one next-frame U-Net, three objectives, side by side in the "Next frame" tab
NEXT_FRAME: dict[str, tuple[str, str]] = {
    "mse": ("nextframe-mse", "MSE"),
    "gdl": ("nextframe-gdl", "ℓ2 + GDL"),
    "adv": ("nextframe-adv", "adversarial"),
}

# case -> (checkpoint, label): the models the "Failure gallery" tab measures (trained by gan_core.failures.train)
FAILURES: dict[str, tuple[str, str]] = {
    "counting": (TRAIN_COMMANDS["counting"], "Counting (1-3 shapes)"),
    "perspective": (TRAIN_COMMANDS["perspective"], "Perspective (shaded boxes)"),
    "imbalance": (TRAIN_COMMANDS["imbalance"], "D too strong (Fashion-MNIST)"),
    "collapse": (TRAIN_COMMANDS["collapse"], "Mode collapse (Fashion-MNIST)"),
    "structure": (GENERATORS["dcgan"][0], "Global structure (DCGAN)"),
}

# variant -> checkpoint of sketch -> photo on BSDS500 (python -m gan_core.train pix2pix-sketch | l1-sketch)
SKETCH: dict[str, str] = {"pix2pix": "pix2pix-sketch", "l1": "l1-sketch"}


@dataclass(frozen=True)
class Task:
    """An image-to-image task: which model family serves it and from which checkpoints."""

    kind: str                    # "pix2pix", "cyclegan" or "pix2pix-paper" (a data set of the paper, trained
                                 # by the user: on offer once its checkpoint exists)
    checkpoints: dict            # variant -> checkpoint name
    description: str
    label: str                   # the tab's name for it
    direction: str = "AtoB"      # CycleGAN: which of its two generators; pix2pix-paper: which half of the
                                 # data set's AB files is the input
    classes: tuple = field(default_factory=tuple)  # CycleGAN: (source class, target class)


TASKS: dict[str, Task] = {
    "edges2clothing": Task("pix2pix", {"pix2pix": "pix2pix-edges2clothing", "l1": "l1-edges2clothing"},
                           "Canny edge map -> Fashion-MNIST item (like the paper's edges2shoes), 32x32",
                           "edges → clothing"),
    "colorize": Task("pix2pix", {"pix2pix": "pix2pix-colorize", "l1": "l1-colorize"},
                     "black-and-white photo -> colour photo (trained on SunHays80 + BSDS500-train crops)",
                     "black-and-white → colour"),
    "sneaker2boot": Task("cyclegan", {"cyclegan": "cyclegan-sneaker-boot"},
                         "CycleGAN, unpaired: Sneaker -> Ankle boot", "Sneaker → Ankle boot",
                         "AtoB", ("Sneaker", "Ankle boot")),
    "boot2sneaker": Task("cyclegan", {"cyclegan": "cyclegan-sneaker-boot"},
                         "CycleGAN, unpaired: Ankle boot -> Sneaker", "Ankle boot → Sneaker",
                         "BtoA", ("Ankle boot", "Sneaker")),
    # BSDS500's human-drawn boundary maps -> their photos, 256x256 (python -m gan_core.train pix2pix-sketch | l1-sketch)
    "sketch2photo": Task("pix2pix-drawing", dict(SKETCH),
                         "a drawing of a scene's outlines (BSDS500's human boundary maps) -> a photo, 256x256",
                         "drawing → photo (natural scenes)"),
    # the pix2pix paper's data sets, 256x256 (gan_core.img2img.train.PAPER_TASKS: the published settings)
    "labels2facade": Task("pix2pix-paper", {"pix2pix": "pix2pix-facades"},
                          "colour-coded facade labels (CMP Facades) -> facade photo", "labels → facade", "BtoA"),
    "labels2street": Task("pix2pix-paper", {"pix2pix": "pix2pix-cityscapes"},
                          "colour-coded Cityscapes labels -> street scene", "labels → street scene", "BtoA"),
    "aerial2map": Task("pix2pix-paper", {"pix2pix": "pix2pix-maps"},
                       "aerial photo -> Google map (New York)", "aerial photo → map", "AtoB"),
    "day2night": Task("pix2pix-paper", {"pix2pix": "pix2pix-night"},
                      "a webcam scene by day -> the same scene at night", "day → night", "BtoA"),
}


def model_class(name: str) -> type:
    """The class a checkpoint holds (KeyError naming the known checkpoints otherwise)."""
    if name not in CHECKPOINTS:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(CHECKPOINTS))}")
    return CHECKPOINTS[name][0]


def class_path(cls: type) -> str:
    """``module.Class`` of a model class, as the Hub manifest records it."""
    return f"{cls.__module__}.{cls.__qualname__}"
