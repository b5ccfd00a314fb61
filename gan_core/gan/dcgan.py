"""DCGAN for 32x32 images (Radford, Metz & Chintala 2015, https://arxiv.org/abs/1511.06434).

Architecture guidelines from the paper (Section 3):
* strided convolutions instead of pooling (D) and fractional-strided ones (G);
* batch norm in both nets, except the G output layer and the D input layer;
* ReLU in G with Tanh on the output; LeakyReLU(0.2) in D;
* no fully connected hidden layers.

Fashion-MNIST's 28x28 items are zero-padded to 32x32 (see ``gan_core.data.to_unit``), so
four stride-2 stages map 1 -> 4 -> 8 -> 16 -> 32. Images live in [-1, 1] inside the nets.
"""
from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .. import distributed
from ..prior import standard_normal


def dcgan_init(module: nn.Module) -> None:
    """Paper: all weights from N(0, 0.02); batch-norm scale from N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z ``(B, nz)`` -> image ``(B, nc, 32, 32)`` in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 1):
        super().__init__()
        self.nz = nz
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. ngf x 16 x 16
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
            # state size. nc x 32 x 32
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(z.shape[0], self.nz, 1, 1))  # (B, nz) -> (B, nz, 1, 1) -> (B, nc, 32, 32)


class Discriminator(nn.Module):
    """image ``(B, nc, 32, 32)`` -> logit ``(B,)`` (D(x) = sigmoid(logit))."""

    def __init__(self, ndf: int = 64, nc: int = 1):
        super().__init__()
        self.features = nn.Sequential(
            # input is nc x 32 x 32
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. ndf x 16 x 16
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 8 x 8
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 4 x 4
        )
        self.head = nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False)  # (B, ndf*4, 4, 4) -> (B, 1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).flatten()


class DCGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
            tags=["gan", "dcgan", "fashion-mnist"]):
    """Generator and discriminator saved together, so a run can be resumed or inspected.

    Args:
        nz: length of the latent vector z.
        ngf: generator width (channels of the last hidden layer).
        ndf: discriminator width (channels of the first layer).
        nc: image channels.
    """

    def __init__(self, nz: int = 100, ngf: int = 64, ndf: int = 64, nc: int = 1):
        super().__init__()
        self.nz = nz
        self.generator = Generator(nz, ngf, nc)
        self.discriminator = Discriminator(ndf, nc)
        self.apply(dcgan_init)

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """z ~ N(0, I), the prior both training and the demos sample from (on the CPU)."""
        return standard_normal(n, self.nz, generator)

    # The two methods every Fashion-MNIST generator of the suite offers (see gan_core.api).
    prior = sample_z

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z ``(B, nz)`` -> images ``(B, nc, 28, 28)`` in [0, 1] (the 32x32 output, padding cropped)."""
        param = next(self.parameters())
        x = self.generator(z.to(param.device))           # (B, nz) -> (B, nc, 32, 32) in [-1, 1]
        return x.float().add(1).div(2).clamp(0, 1)[..., 2:30, 2:30]  # -> (B, nc, 28, 28) in [0, 1]


class DCGANTraining:
    """The alternating game of Goodfellow et al. 2014, Algorithm 1, one D step per G step.

    An *algorithm* for ``gan_core.trainer.Trainer``. Hyper-parameters follow DCGAN:
    Adam, lr 2e-4, beta1 0.5.

    Args:
        model: the DCGAN (generator + discriminator) to train.
        runtime: device and precision (``gan_core.device.get_runtime``).
        g_loss: "nonsaturating" (-log D(G(z)), the default) or "saturating" (log(1 - D(G(z)))).
        real_label: 1.0, or e.g. 0.9 for one-sided label smoothing.
        lr_d, lr_g: learning rates of D and G (unequal rates make the G/D imbalance demo).
    """

    def __init__(self, model: DCGAN, runtime, *, g_loss: str = "nonsaturating", real_label: float = 1.0,
                 lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999)):
        from ..losses import GENERATOR_LOSSES
        self.model = runtime.prepare(model)
        self.runtime = runtime
        self.g_loss = GENERATOR_LOSSES[g_loss]
        self.real_label = real_label
        self.optimizers = {
            "D": torch.optim.Adam(self.model.discriminator.parameters(), lr=lr_d, betas=betas),
            "G": torch.optim.Adam(self.model.generator.parameters(), lr=lr_g, betas=betas),
        }

    def train_step(self, batch, gen):
        from ..losses import discriminator_loss, minimax_value
        G, D, rt = self.model.generator, self.model.discriminator, self.runtime
        real = rt.tensor(batch[0].float().div(127.5).sub(1).unsqueeze(1))  # (B, 28, 28) u8 -> (B, 1, 28, 28) in [-1, 1]
        real = torch.nn.functional.pad(real, (2, 2, 2, 2), value=-1.0)     # -> (B, 1, 32, 32), background stays black
        z = rt.tensor(distributed.draw(lambda n: self.model.sample_z(n, gen), real.shape[0]))  # this rank's rows

        # (1) Fix G, update D: maximize log D(x) + log(1 - D(G(z)))
        #     (fake.detach(): no gradient reaches G in this step)
        with rt.autocast():
            fake = G(z)
            d_real, d_fake = D(real), D(fake.detach())
            loss_d = discriminator_loss(d_real, d_fake, self.real_label)
        self.optimizers["D"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["D"].step()

        # (2) Fix D, update G: make D(G(z)) large, i.e. fool the (just updated) discriminator
        D.requires_grad_(False)
        with rt.autocast():
            d_fake_for_g = D(fake)
            loss_g = self.g_loss(d_fake_for_g)
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["G"].step()
        D.requires_grad_(True)

        return {
            "loss_D": loss_d.item(),
            "loss_G": loss_g.item(),
            "V": minimax_value(d_real, d_fake).item(),
            "D(x)": torch.sigmoid(d_real.float()).mean().item(),
            "D(G(z))": torch.sigmoid(d_fake.float()).mean().item(),
        }
