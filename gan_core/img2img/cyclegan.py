"""CycleGAN: unpaired image-to-image translation with cycle consistency
(Zhu, Park, Isola & Efros 2017, https://arxiv.org/abs/1703.10593).

Two generators, G_AB: A -> B and G_BA: B -> A, and two discriminators, D_B (real B vs
G_AB(a)) and D_A (real A vs G_BA(b)). There are no pairs: what keeps G_AB(a) about *this* a
is the cycle-consistency loss (Eq. 2), G_BA(G_AB(a)) ~ a and G_AB(G_BA(b)) ~ b. The full
objective (Eq. 3) is

    L_GAN(G_AB, D_B) + L_GAN(G_BA, D_A) + lambda * L_cyc,   lambda = 10,

plus the identity loss of Section 5.2 (G_AB(b) ~ b, weight 0.5 * lambda), which keeps a
generator from changing what is already in its target domain. The adversarial terms use the
least-squares GAN loss (Mao et al. 2017), as the paper does; "bce" selects the original one.

The generators are the paper's ResNet generator (Johnson et al. 2016): c7s1-ngf, two stride-2
convolutions, ``n_blocks`` residual blocks, two fractional-strided convolutions, c7s1-out,
instance norm. The discriminators are PatchGANs (``gan_core.pix2pix.PatchDiscriminator``)
with instance norm.

One difference from the paper: its discriminators see a history of 50 generated images;
here they see the current batch, so that a training step is a pure function of the weights,
the batch and the step's random generator (runs resume exactly).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .. import distributed
from ..losses import discriminator_loss, generator_loss_nonsaturating
from .pix2pix import PatchDiscriminator, init_weights


class ResidualBlock(nn.Module):
    """x + conv3-IN-ReLU-conv3-IN(x), reflection padding: ``(B, C, H, W) -> (B, C, H, W)``."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """``(B, channels, H, W) -> (B, channels, H, W)`` in [-1, 1]; H and W multiples of 4."""

    def __init__(self, channels: int = 1, ngf: int = 64, n_blocks: int = 9):
        super().__init__()
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True),
            # state size. ngf x H x W
            nn.Conv2d(ngf, ngf * 2, 3, 2, 1), nn.InstanceNorm2d(ngf * 2), nn.ReLU(True),
            # state size. (ngf*2) x H/2 x W/2
            nn.Conv2d(ngf * 2, ngf * 4, 3, 2, 1), nn.InstanceNorm2d(ngf * 4), nn.ReLU(True),
            # state size. (ngf*4) x H/4 x W/4
            *[ResidualBlock(ngf * 4) for _ in range(n_blocks)],
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1), nn.InstanceNorm2d(ngf * 2), nn.ReLU(True),
            # state size. (ngf*2) x H/2 x W/2
            nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1), nn.InstanceNorm2d(ngf), nn.ReLU(True),
            # state size. ngf x H x W
            nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"input {tuple(x.shape[-2:])} is not a multiple of 4")
        return self.net(x)


class CycleGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
               tags=["gan", "cyclegan", "image-to-image", "fashion-mnist"]):
    """The two generators and two discriminators of one domain pair, saved together.

    Args:
        class_a, class_b: names of the two domains (Fashion-MNIST classes for the shipped model).
        channels: image channels (1 for Fashion-MNIST).
        ngf, ndf: generator and discriminator widths (paper: 64).
        n_blocks: residual blocks per generator (paper: 9 at 256 px, 6 at 128 px).
        n_layers_d: PatchGAN depth (3 = 70x70 patches, the paper's choice at 256 px).
    """

    def __init__(self, class_a: str = "A", class_b: str = "B", channels: int = 1, ngf: int = 64, ndf: int = 64,
                 n_blocks: int = 9, n_layers_d: int = 3):
        super().__init__()
        self.class_a, self.class_b = class_a, class_b
        self.g_ab = ResnetGenerator(channels, ngf, n_blocks)
        self.g_ba = ResnetGenerator(channels, ngf, n_blocks)
        self.d_a = PatchDiscriminator(channels, ndf, n_layers_d, norm="instance")  # real A vs G_BA(b)
        self.d_b = PatchDiscriminator(channels, ndf, n_layers_d, norm="instance")  # real B vs G_AB(a)
        self.apply(init_weights)

    def generator(self, direction: str) -> nn.Module:
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        return self.g_ab if direction == "AtoB" else self.g_ba

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        """``(B, C, H, W)`` in [0, 1] -> the other domain, same shape, in [0, 1]."""
        g = self.generator(direction)
        param = next(g.parameters())
        return g(x.to(param.device, param.dtype) * 2 - 1).float().add(1).div(2).clamp(0, 1)


# --- losses (pure functions) -------------------------------------------------------------------

def lsgan_d_loss(pred_real: torch.Tensor, pred_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares D loss, halved as in the paper: 0.5 [(D(x) - 1)^2 + D(G(z))^2]."""
    return 0.5 * ((pred_real.float() - 1).pow(2).mean() + pred_fake.float().pow(2).mean())


def lsgan_g_loss(pred_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares G loss: (D(G(z)) - 1)^2."""
    return (pred_fake.float() - 1).pow(2).mean()


def bce_d_loss(pred_real: torch.Tensor, pred_fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * discriminator_loss(pred_real, pred_fake)


GAN_LOSSES = {"lsgan": (lsgan_d_loss, lsgan_g_loss), "bce": (bce_d_loss, generator_loss_nonsaturating)}


def cycle_loss(reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """L_cyc term for one direction (Eq. 2): || G_BA(G_AB(a)) - a ||_1, mean over pixels."""
    return F.l1_loss(reconstructed.float(), original.float())


def identity_loss(same: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """L_identity for one generator (Section 5.2): || G_AB(b) - b ||_1, mean over pixels."""
    return F.l1_loss(same.float(), original.float())


# --- training ----------------------------------------------------------------------------------

class CycleGANTraining:
    """The official ``optimize_parameters``: one step of both generators, then of both discriminators.

    An *algorithm* for ``gan_core.trainer.Trainer``: a batch is ``(A, B)``, uint8
    ``(N, C, H, W)`` items of the two domains (unrelated to each other).

    Args:
        model: the CycleGAN nets.
        runtime: device and precision (``gan_core.device.get_runtime``).
        lambda_cycle: weight of each cycle term (paper: 10).
        lambda_identity: identity weight as a fraction of lambda_cycle (paper: 0.5; 0 switches it off).
        gan_mode: "lsgan" (paper) or "bce".
        lr, betas: Adam, as the paper (2e-4, (0.5, 0.999)).
    """

    def __init__(self, model: CycleGAN, runtime, *, lambda_cycle: float = 10.0, lambda_identity: float = 0.5,
                 gan_mode: str = "lsgan", lr: float = 2e-4, betas=(0.5, 0.999)):
        if gan_mode not in GAN_LOSSES:
            raise ValueError(f"gan_mode must be one of {', '.join(GAN_LOSSES)}, got {gan_mode!r}")
        self.model = runtime.prepare(model)
        self.runtime = runtime
        self.lambda_cycle, self.lambda_identity = lambda_cycle, lambda_identity
        self.d_loss, self.g_loss = GAN_LOSSES[gan_mode]
        m = self.model
        self.optimizers = {
            "G": torch.optim.Adam([*m.g_ab.parameters(), *m.g_ba.parameters()], lr=lr, betas=betas),
            "D": torch.optim.Adam([*m.d_a.parameters(), *m.d_b.parameters()], lr=lr, betas=betas),
        }

    def _domain(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        flip = (distributed.draw(lambda n: torch.rand(n, generator=gen), x.shape[0]) < 0.5).view(-1, 1, 1, 1)
        x = torch.where(flip, x.flip(-1), x)                       # random horizontal flips
        return self.runtime.tensor(x.float().div(127.5).sub(1))    # uint8 -> [-1, 1]

    def train_step(self, batch, gen):
        m, rt = self.model, self.runtime
        real_a, real_b = self._domain(batch[0], gen), self._domain(batch[1], gen)   # (B, C, H, W) each
        lam, lam_id = self.lambda_cycle, self.lambda_identity * self.lambda_cycle

        # (1) backward_G, both generators at once, discriminators fixed.
        m.d_a.requires_grad_(False)
        m.d_b.requires_grad_(False)
        with rt.autocast():
            fake_b, fake_a = m.g_ab(real_a), m.g_ba(real_b)        # translations
            rec_a, rec_b = m.g_ba(fake_b), m.g_ab(fake_a)          # and back again
            # First, G_AB(a) should fake D_B and G_BA(b) should fake D_A.
            loss_gan_ab = self.g_loss(m.d_b(fake_b))
            loss_gan_ba = self.g_loss(m.d_a(fake_a))
            # Second, the cycles should come home: G_BA(G_AB(a)) = a and G_AB(G_BA(b)) = b.
            loss_cyc_a, loss_cyc_b = cycle_loss(rec_a, real_a), cycle_loss(rec_b, real_b)
            loss_g = loss_gan_ab + loss_gan_ba + lam * (loss_cyc_a + loss_cyc_b)
            # Third, a generator fed its own target domain should leave it alone: G_AB(b) = b.
            loss_idt = torch.zeros((), device=real_a.device)
            if lam_id > 0:
                loss_idt = identity_loss(m.g_ab(real_b), real_b) + identity_loss(m.g_ba(real_a), real_a)
                loss_g = loss_g + lam_id * loss_idt
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["G"].step()
        m.d_a.requires_grad_(True)
        m.d_b.requires_grad_(True)

        # (2) backward_D: D_B tells real b from G_AB(a), D_A real a from G_BA(b); the fakes are
        #     detached, so this step does not move the generators.
        with rt.autocast():
            loss_d_b = self.d_loss(m.d_b(real_b), m.d_b(fake_b.detach()))
            loss_d_a = self.d_loss(m.d_a(real_a), m.d_a(fake_a.detach()))
        self.optimizers["D"].zero_grad(set_to_none=True)
        (loss_d_a + loss_d_b).backward()
        self.optimizers["D"].step()

        return {"loss_D_A": loss_d_a.item(), "loss_D_B": loss_d_b.item(),
                "loss_G_AB": loss_gan_ab.item(), "loss_G_BA": loss_gan_ba.item(),
                "cycle_A": loss_cyc_a.item(), "cycle_B": loss_cyc_b.item(), "identity": loss_idt.item()}
