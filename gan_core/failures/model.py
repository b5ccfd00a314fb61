"""A DCGAN for 64x64 grey canvases (Radford et al. 2015, https://arxiv.org/abs/1511.06434): the GAN
of the counting and perspective cases.

The same guidelines as ``gan_core.gan.dcgan`` (strided convolutions, batch norm except at G's output
and D's input, ReLU / Tanh in G, LeakyReLU in D), with one more stage each way for 64x64:
1 -> 4 -> 8 -> 16 -> 32 -> 64. Pictures live in [-1, 1] inside the nets.
"""
from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..gan.dcgan import dcgan_init
from ..prior import standard_normal


class Generator(nn.Module):
    """z ``(B, nz)`` -> picture ``(B, 1, 64, 64)`` in [-1, 1]."""

    def __init__(self, nz: int = 64, ngf: int = 32):
        super().__init__()
        self.nz = nz

        def up(c_in, c_out):
            return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]

        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            *up(ngf * 8, ngf * 4),   # (ngf*4) x 8 x 8
            *up(ngf * 4, ngf * 2),   # (ngf*2) x 16 x 16
            *up(ngf * 2, ngf),       # ngf x 32 x 32
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh(),
            # state size. 1 x 64 x 64
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(z.shape[0], self.nz, 1, 1))  # (B, nz) -> (B, nz, 1, 1) -> (B, 1, 64, 64)


class Discriminator(nn.Module):
    """picture ``(B, 1, 64, 64)`` -> logit ``(B,)``.

    ``norm`` "batch": DCGAN's batch norm; "spectral": every convolution spectrally normalised and no
    batch norm (Miyato et al. 2018, https://arxiv.org/abs/1802.05957), which bounds how sharply D can
    separate real from generated pictures.
    """

    def __init__(self, ndf: int = 32, norm: str = "batch"):
        super().__init__()
        if norm not in ("batch", "spectral"):
            raise ValueError(f"norm must be 'batch' or 'spectral', got {norm!r}")
        sn = nn.utils.parametrizations.spectral_norm if norm == "spectral" else (lambda m: m)

        def down(c_in, c_out):
            bn = [nn.BatchNorm2d(c_out)] if norm == "batch" else []
            return [sn(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)), *bn, nn.LeakyReLU(0.2, True)]

        self.net = nn.Sequential(
            sn(nn.Conv2d(1, ndf, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, True),   # ndf x 32 x 32
            *down(ndf, ndf * 2),       # (ndf*2) x 16 x 16
            *down(ndf * 2, ndf * 4),   # (ndf*4) x 8 x 8
            *down(ndf * 4, ndf * 8),   # (ndf*8) x 4 x 4
            sn(nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False)),                        # 1 x 1 x 1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


class CanvasGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
                tags=["gan", "dcgan", "synthetic"]):
    """Generator and discriminator of a 64x64 DCGAN, saved together.

    Args:
        nz: length of the latent vector z.
        ngf: generator width (channels of the last hidden layer).
        ndf: discriminator width (channels of the first layer).
        d_norm: "batch" (DCGAN) or "spectral" (spectral norm, no batch norm in D).
    """

    def __init__(self, nz: int = 64, ngf: int = 32, ndf: int = 32, d_norm: str = "batch"):
        super().__init__()
        self.nz = nz
        self.generator = Generator(nz, ngf)
        self.discriminator = Discriminator(ndf, d_norm)
        self.apply(dcgan_init)

    def prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """z ~ N(0, I) ``(n, nz)`` on the CPU."""
        return standard_normal(n, self.nz, generator)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z ``(B, nz)`` -> pictures ``(B, 1, 64, 64)`` in [0, 1]."""
        param = next(self.parameters())
        x = self.generator(z.to(param.device, param.dtype))
        return x.float().add(1).div(2).clamp(0, 1).cpu()


class CanvasGANTraining:
    """Goodfellow et al. 2014, Algorithm 1, with the non-saturating G loss; Adam(2e-4, 0.5) as DCGAN.

    An *algorithm* for ``gan_core.trainer.Trainer``: the batch is uint8 canvases ``(B, 64, 64)``.

    ``instance_noise`` > 0 adds N(0, sigma^2) to every picture D sees, real or generated (Sonderby et al.
    2016, https://arxiv.org/abs/1610.04490; Arjovsky & Bottou 2017), an attempt against D winning
    outright on the counting canvases (D(G(z)) ~ 0 for 4,000 steps on a GPU); at sigma 0.1 and 0.3 it
    did not stop D winning in 300-step CPU probes (BENCHMARKS.md), so the default is off.

    ``r1`` > 0 adds γ/2 E‖∇ₓD(x)‖² on the real pictures to D's loss (R1, Mescheder et al. 2018,
    https://arxiv.org/abs/1801.04406): D cannot grow steep around the data, so it cannot win outright
    by a sharp edge or an exact black that G's tanh never quite reaches.
    """

    def __init__(self, model: CanvasGAN, runtime, *, lr_d: float = 2e-4, lr_g: float = 2e-4,
                 instance_noise: float = 0.0, r1: float = 0.0):
        from ..gan.common import adam_pair
        self.model = runtime.prepare(model)
        self.runtime = runtime
        self.instance_noise = instance_noise
        self.r1 = r1
        self.optimizers = adam_pair(self.model.discriminator.parameters(), self.model.generator.parameters(),
                                    lr_d, lr_g)

    def train_step(self, batch, gen):
        from ..gan.common import frozen, update
        from ..losses import discriminator_loss, generator_loss_nonsaturating
        G, D, rt = self.model.generator, self.model.discriminator, self.runtime
        real = rt.tensor(batch[0].float().div(127.5).sub(1).unsqueeze(1))  # (B, 64, 64) u8 -> (B, 1, 64, 64) in [-1, 1]
        z = rt.tensor(self.model.prior(real.shape[0], gen))
        noise = lambda x: x + self.instance_noise * rt.tensor(torch.randn(x.shape, generator=gen))  # noqa: E731

        # (1) Fix G, update D: maximize log D(x) + log(1 - D(G(z)))
        #     (+ gamma/2 E||grad_x D(x)||^2 on the real pictures when r1 > 0)
        seen = noise(real).requires_grad_(self.r1 > 0)
        with rt.autocast():
            fake = G(z)
            d_real, d_fake = D(seen), D(noise(fake.detach()))
            loss_d = discriminator_loss(d_real, d_fake)
        if self.r1 > 0:
            from ..lab.losses import r1_penalty
            loss_d = loss_d + self.r1 / 2 * r1_penalty(d_real, seen)
        update(self.optimizers["D"], loss_d)

        # (2) Fix D, update G: maximize log D(G(z)) (the non-saturating form)
        with frozen(D), rt.autocast():
            loss_g = generator_loss_nonsaturating(D(noise(fake)))
        update(self.optimizers["G"], loss_g)
        return {"loss_D": loss_d.item(), "loss_G": loss_g.item(),
                "D(x)": torch.sigmoid(d_real.float()).mean().item(),
                "D(G(z))": torch.sigmoid(d_fake.float()).mean().item()}
