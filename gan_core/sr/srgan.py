"""SRGAN for ×4 super-resolution (Ledig et al. 2017, https://arxiv.org/abs/1609.04802).

* ``Discriminator``: the paper's VGG-style critic, eight 3×3 convolutions (64 -> 512 channels,
  stride 2 every second one), dense 1024, dense 1.
* ``SRGANTraining``: the SRResNet generator (``gan_core.sr.srresnet``), started from a trained
  SRResNet and fine-tuned with content loss + 1e-3 × adversarial loss (the paper's equation 3).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..losses import discriminator_loss, generator_loss_nonsaturating
from .data import PatchSource
from .srresnet import SRResNet


class Discriminator(nn.Module):
    """HR image ``(B, 3, 96, 96)`` in [0, 1] -> logit ``(B,)`` (the paper's Figure 4, bottom).

    ``features(x)`` also returns the activations after each conv block, for feature matching.
    An adaptive average pool in front of the dense layer lets tests feed smaller crops; at the
    paper's 96×96 it is the identity (96 / 2^4 = 6).
    """

    def __init__(self, ndf: int = 64, in_channels: int = 3, dense: int = 1024):
        super().__init__()
        widths = [ndf, ndf, 2 * ndf, 2 * ndf, 4 * ndf, 4 * ndf, 8 * ndf, 8 * ndf]
        blocks, c_in = [], in_channels
        for i, c_out in enumerate(widths):
            layers = [nn.Conv2d(c_in, c_out, 3, 1 + i % 2, 1)]
            if i > 0:  # no BN on the first layer, as in DCGAN
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            blocks.append(nn.Sequential(*layers))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        # state size. (8*ndf) x 6 x 6 for a 96 x 96 input
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(6), nn.Flatten(), nn.Linear(8 * ndf * 36, dense),
                                  nn.LeakyReLU(0.2, inplace=True), nn.Linear(dense, 1))

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        feats = []
        x = x * 2 - 1  # [0, 1] -> [-1, 1], the paper's HR range
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return self.head(x).flatten(), feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)[0]


class SRGAN(nn.Module):
    """Generator and discriminator together: the run state of an SRGAN fine-tuning.

    Only the generator (an ``SRResNet``) is exported to ``checkpoints/srgan-x4``.
    """

    def __init__(self, generator: SRResNet, discriminator: Discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator


def feature_matching_loss(feats_fake: list[torch.Tensor], feats_real: list[torch.Tensor]) -> torch.Tensor:
    """Mean over D's conv blocks of L1(features(SR), features(HR)) (Salimans et al. 2016; pix2pixHD)."""
    return sum(F.l1_loss(f.float(), r.detach().float()) for f, r in zip(feats_fake, feats_real)) / len(feats_fake)


def grid_residual_loss(sr: torch.Tensor, hr: torch.Tensor, period: int = 4, window: int = 8) -> torch.Tensor:
    """How much the error ``sr - hr`` repeats every ``period`` pixels, locally: the checkerboard a x4 sub-pixel
    upsampler can leave (dots in flat regions, stripes along borders).

    The error is cut into windows of ``window x window`` periods (32 x 32 pixels by default); in each, the mean
    error of each of the ``period x period`` pixel phases (64 pixels each), less the window's mean error, is the
    periodic part of the error there. Returns its mean absolute value. An error without a period (noise, texture
    drawn with another phase than the original's, a colour shift) averages out over the window's periods; a grid
    does not, so the term leaves detail alone and pushes mostly on the grid. The error along one sharp edge also
    counts as partly periodic in its window (it lies on one pixel phase there); L1 already pushes on that.
    ``sr``, ``hr`` ``(B, C, H, W)``; H and W are cropped to multiples of ``period * window``.
    """
    r = (sr.float() - hr.float())
    b, c, h, w = r.shape
    k = period * window
    if h < k or w < k:
        raise ValueError(f"crops of {w}x{h} are smaller than one window of {k}x{k} pixels")
    r = r[:, :, : h - h % k, : w - w % k]
    # (B, C, H/k, window, period, W/k, window, period): window row, period in it, pixel phase
    r = r.reshape(b, c, h // k, window, period, w // k, window, period)
    phases = r.mean(dim=(3, 6))                                # (B, C, H/k, period, W/k, period)
    periodic = phases - phases.mean(dim=(3, 5), keepdim=True)  # each window's mean error removed
    return periodic.abs().mean()


class VGGFeatures(nn.Module):
    """phi_5,4 of ImageNet VGG19 (before the 5th pool, after the last ReLU), the paper's VGG54."""

    def __init__(self, weights=None):
        super().__init__()
        from torchvision.models import vgg19
        self.net = vgg19(weights=weights).features[:36].eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def imagenet_vgg19() -> VGGFeatures | None:
    """VGG19 with ImageNet weights if they are cached or can be downloaded, else None."""
    try:
        from torchvision.models import VGG19_Weights
        return VGGFeatures(VGG19_Weights.IMAGENET1K_V1)
    except Exception:  # offline and not cached: the caller falls back and says so
        return None


class SRGANTraining:
    """SRGAN: l_SR = l_content + 1e-3 * l_adv (the paper's eq. 3), D and G updated alternately.

    Content loss, in order of preference:
    * ``"vgg19"``: MSE of ImageNet VGG19 phi_5,4 features, rescaled by 1/12.75 as in the paper
      (needs the torchvision weights, cached or downloadable);
    * ``"l1+fm"``: the substitute when those weights are not available - L1 on pixels, which
      keeps colours and low frequencies in place, plus feature matching on the discriminator's
      conv activations, which asks for HR-like texture statistics as VGG features do.
    ``"auto"`` picks the first that works; ``content_loss_used`` says which, for the model card.

    Args:
        model: the SRGAN (generator, ideally initialised from SRResNet, and discriminator).
        runtime: device and precision.
        source: the training photos.
        crop: HR crop size (paper: 96).
        lr: Adam learning rate of both nets (paper: 1e-4).
        adv_weight: weight of the adversarial term (paper: 1e-3).
        content_loss: "auto", "vgg19" or "l1+fm".
        fm_weight: weight of the feature-matching term of "l1+fm". The default 0.1 with
            ``pixel_weight`` 1 makes the two terms about equal (L1 ~0.04, feature distance ~0.3);
            a 200-step pilot with ``pixel_weight`` 0.01 and ``fm_weight`` 1 (ESRGAN's balance)
            lost 4.5 dB on Set5 to grid-like artifacts, this one 1.2 dB (BENCHMARKS.md).
        pixel_weight: weight of the L1 term of "l1+fm".
        grid_weight: weight of ``grid_residual_loss`` added to G's loss (0: off, the paper's loss).
    """

    def __init__(self, model: SRGAN, runtime, source: PatchSource, *, crop: int = 96, lr: float = 1e-4,
                 adv_weight: float = 1e-3, content_loss: str = "auto", fm_weight: float = 0.1,
                 pixel_weight: float = 1.0, grid_weight: float = 0.0):
        self.model = runtime.prepare(model)
        self.grid_weight = grid_weight
        self.runtime, self.source, self.crop = runtime, source, crop
        self.adv_weight, self.fm_weight, self.pixel_weight = adv_weight, fm_weight, pixel_weight
        self.vgg = None
        if content_loss in ("auto", "vgg19"):
            self.vgg = imagenet_vgg19()
            if self.vgg is None and content_loss == "vgg19":
                raise RuntimeError("ImageNet VGG19 weights are neither cached nor downloadable; "
                                   "use --content-loss l1+fm (or auto)")
        if self.vgg is not None:
            self.vgg = runtime.prepare(self.vgg)
            self.content_loss_used = "vgg19 (ImageNet VGG19 phi_5,4 MSE / 12.75^2)"
        elif content_loss in ("auto", "l1+fm"):
            self.content_loss_used = (f"l1+fm ({pixel_weight:g} x L1 on pixels + {fm_weight:g} x discriminator "
                                      "feature matching; ImageNet VGG19 weights were not available)")
        else:
            raise ValueError(f"unknown content loss {content_loss!r}: auto, vgg19 or l1+fm")
        betas = (0.9, 0.999)
        self.optimizers = {
            "D": torch.optim.Adam(self.model.discriminator.parameters(), lr=lr, betas=betas),
            "G": torch.optim.Adam(self.model.generator.parameters(), lr=lr, betas=betas),
        }

    @property
    def export_model(self) -> SRResNet:
        return self.model.generator

    def train_step(self, batch, gen):
        G, D, rt = self.model.generator, self.model.discriminator, self.runtime
        lr_img, hr_img = self.source.crops(batch[0], self.crop, gen)
        lr_img, hr_img = rt.tensor(lr_img), rt.tensor(hr_img)

        # (1) Update D: maximise log D(I_HR) + log(1 - D(G(I_LR)))
        with rt.autocast():
            sr = G(lr_img)
            d_real, d_fake = D(hr_img), D(sr.detach())
            loss_d = discriminator_loss(d_real, d_fake)  # -[log D(I_HR) + log(1 - D(G(I_LR)))]
        self.optimizers["D"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["D"].step()

        # (2) Update G: first, G(I_LR) should look like I_HR to the content loss;
        #     second, G(I_LR) should fool the (just updated) discriminator.
        D.requires_grad_(False)
        with rt.autocast():
            d_fake_g, feats_fake = D.features(sr)
            if self.vgg is not None:
                content = F.mse_loss(self.vgg(sr).float(), self.vgg(hr_img).float()) / 12.75 ** 2
                logs = {"vgg": content.item()}
            else:
                with torch.no_grad():
                    _, feats_real = D.features(hr_img)  # with D's new weights, like feats_fake
                pixel = F.l1_loss(sr.float(), hr_img)
                fm = feature_matching_loss(feats_fake, feats_real)
                content = self.pixel_weight * pixel + self.fm_weight * fm
                logs = {"l1": pixel.item(), "fm": fm.item()}
            adv = generator_loss_nonsaturating(d_fake_g)  # the paper's l_Gen = -log D(G(I_LR))
            loss_g = content + self.adv_weight * adv
            if self.grid_weight:
                grid = grid_residual_loss(sr, hr_img)
                loss_g = loss_g + self.grid_weight * grid
                logs["grid"] = grid.item()
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["G"].step()
        D.requires_grad_(True)

        return {"loss_D": loss_d.item(), "loss_G": loss_g.item(), "adv": adv.item(), **logs,
                "D(HR)": torch.sigmoid(d_real.float()).mean().item(),
                "D(SR)": torch.sigmoid(d_fake.float()).mean().item()}
