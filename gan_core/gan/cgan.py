"""Conditional GAN (Mirza & Osindero 2014, https://arxiv.org/abs/1411.1784) on Fashion-MNIST 32x32.

Both players see the class y. As in the paper, y enters by *concatenation*:
* G gets [z, onehot(y)] as its input vector (the paper joins them in a hidden layer);
* D gets the image with 10 extra channels, channel y all ones and the rest zeros, i.e. onehot(y)
  broadcast over the 32x32 plane and concatenated to the pixels.

    min_G max_D V(D, G) = E_{x,y}[log D(x | y)] + E_{z,y}[log(1 - D(G(z | y) | y))]     (paper, Eq. 2)

The networks are DCGAN's (``dcgan.Generator`` with a longer input, ``dcgan.Discriminator`` with
11 input channels). With y fixed and z varying, G draws one class in many styles; with z fixed
and y varying, one style in every class.

``projection=True`` gives D the label the other common way instead, the projection discriminator of
Miyato & Koyama 2018 (https://arxiv.org/abs/1802.05637): D reads the image alone, and y enters at
the end as an inner product with its pooled features,

    logit D(x | y) = psi(phi(x)) + <V_y, sum_{i,j} phi(x)_{:, i, j}>

(``ProjectionDiscriminator``). G is the same in both.
"""
from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .. import distributed
from ..prior import standard_normal
from .common import NUM_CLASSES, adam_pair, frozen, label_tensor, net_to_items, one_hot, real_images, update
from .dcgan import Discriminator, Generator, TechniqueState, dcgan_init, ema_card, recalibrate_batchnorm


def label_planes(labels: torch.Tensor, size: int = 32) -> torch.Tensor:
    """``(B,)`` -> ``(B, 10, size, size)``: onehot(y) broadcast over the image plane."""
    return one_hot(labels)[:, :, None, None].expand(-1, -1, size, size)


class ProjectionDiscriminator(nn.Module):
    """x ``(B, 1, 32, 32)`` and y ``(B,)`` -> logit ``(B,)``: DCGAN's D on the image alone, plus the
    projection of its pooled last features on a learned class vector V_y."""

    def __init__(self, ndf: int = 32):
        super().__init__()
        self.body = Discriminator(ndf, 1)                  # x -> phi(x) (B, ndf*4, 4, 4) -> psi: logit (B,)
        self.embed = nn.Embedding(NUM_CLASSES, ndf * 4)    # y -> V_y (B, ndf*4)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.body.features(x)                          # (B, ndf*4, 4, 4)
        pooled = h.sum((2, 3))                             # (B, ndf*4): global sum pooling
        return self.body.classify(h) + (self.embed(labels).to(pooled) * pooled).sum(1)


class CGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
           tags=["gan", "conditional-gan", "fashion-mnist"]):
    """G(z | y) and D(x | y) saved together.

    Args:
        nz: length of the noise vector z (G's input is nz + 10 long).
        ngf: generator width (channels of the last hidden layer).
        ndf: discriminator width (channels of the first layer).
        projection: D takes y by projection (Miyato & Koyama 2018) instead of as input planes.
    """

    def __init__(self, nz: int = 100, ngf: int = 32, ndf: int = 32, projection: bool = False):
        super().__init__()
        self.nz, self.projection = nz, projection
        self.generator = Generator(nz + NUM_CLASSES, ngf)      # [z, onehot(y)] (B, nz+10) -> (B, 1, 32, 32)
        if projection:
            self.discriminator = ProjectionDiscriminator(ndf)  # x (B, 1, 32, 32), y (B,) -> (B,)
        else:
            self.discriminator = Discriminator(ndf, 1 + NUM_CLASSES)  # [x, planes(y)] (B, 11, 32, 32) -> (B,)
        self.apply(dcgan_init)

    def prior(self, n: int, generator: torch.Generator | None = None, label=None) -> torch.Tensor:
        """z ~ N(0, I) ``(n, nz)``; the class travels separately, as ``label``."""
        return standard_normal(n, self.nz, generator)

    def g(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.generator(torch.cat([z, one_hot(labels).to(z)], 1))  # (B, nz+10) -> (B, 1, 32, 32)

    def d(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.projection:
            return self.discriminator(x, labels)  # (B, 1, 32, 32), (B,) -> logit (B,)
        planes = label_planes(labels, x.shape[-1]).to(x)
        return self.discriminator(torch.cat([x, planes], 1))  # (B, 1+10, 32, 32) -> logit (B,)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, label=None) -> torch.Tensor:
        """z ``(B, nz)`` and class ``label`` (an int or B ints; None: 0, 1, ..., 9, 0, ...) -> items
        ``(B, 1, 28, 28)`` in [0, 1]."""
        n = z.shape[0]
        labels = torch.arange(n) % NUM_CLASSES if label is None else label_tensor(label, n)
        param = next(self.parameters())
        return net_to_items(self.g(z.to(param.device), labels.to(param.device)))


class CGANTraining:
    """Algorithm 1 of Goodfellow et al. 2014 with y given to both players (an algorithm for
    ``gan_core.trainer.Trainer``; Adam, lr 2e-4, beta1 0.5 as DCGAN). Fakes are drawn with the
    labels of the real batch, so D sees every class as often in both halves of its loss.

    Args:
        ema: decay of an exponential moving average of G's weights (e.g. 0.999; 0 = off). The
            average is an evaluation-only copy kept in the run state; the exported checkpoint holds
            it (batch-norm statistics re-measured for it, over z and uniformly drawn classes) beside
            the live discriminator. Training itself is unchanged.
    """

    def __init__(self, model: CGAN, runtime, *, lr_d: float = 2e-4, lr_g: float = 2e-4, ema: float = 0.0):
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"the EMA decay must lie in [0, 1), got {ema}")
        self.gan = self.model = runtime.prepare(model)
        self.runtime = runtime
        self.optimizers = adam_pair(self.d_parameters(model), model.generator.parameters(), lr_d, lr_g)
        self.ema_decay, self.state = ema, None
        if ema:
            self.state = self.model = runtime.prepare(TechniqueState(self.gan, ema=True, averages=False))
            with torch.random.fork_rng():  # building the shell draws weights: leave the global RNG alone
                shell = type(self.gan)(**self.gan._hub_mixin_config)
            for name, child in self.gan.named_children():  # the live D (and class head), the averaged G
                setattr(shell, name, self.state.ema if name == "generator" else child)
            self.export_model = shell
            self.card_info = {"generator_weights": ema_card(ema)}

    def d_parameters(self, model) -> list:
        return list(model.discriminator.parameters())

    def inputs(self, batch, gen):
        """(real images ``(B, 1, 32, 32)``, their labels ``(B,)``, z ``(B, nz)``) on the device."""
        real = real_images(batch[0], self.runtime)
        z = distributed.draw(lambda n: self.gan.prior(n, gen), real.shape[0])  # this rank's rows
        return real, batch[1].to(self.runtime.device), self.runtime.tensor(z)

    def after_g_step(self) -> None:
        """Move the EMA of G's weights (when on) towards the weights G has just taken."""
        if self.state is not None:
            self.state.follow_generator(self.ema_decay)
            self.state.updates += 1

    def before_export(self) -> None:
        """Batch-norm statistics of the EMA generator, measured with its own weights."""
        if self.state is None:
            return
        nz = self.gan.nz
        recalibrate_batchnorm(self.state.ema, draw=lambda n, g: torch.cat(
            [standard_normal(n, nz, g), one_hot(torch.randint(0, NUM_CLASSES, (n,), generator=g))], 1))

    def train_step(self, batch, gen):
        from ..losses import discriminator_loss, generator_loss_nonsaturating, minimax_value
        m, rt = self.gan, self.runtime
        real, y, z = self.inputs(batch, gen)

        # (1) Fix G, update D: maximise log D(x | y) + log(1 - D(G(z | y) | y))
        with rt.autocast():
            fake = m.g(z, y)
            d_real, d_fake = m.d(real, y), m.d(fake.detach(), y)
            loss_d = discriminator_loss(d_real, d_fake)
        update(self.optimizers["D"], loss_d)

        # (2) Fix D, update G: maximise log D(G(z | y) | y) (the non-saturating form)
        with frozen(m.discriminator), rt.autocast():
            loss_g = generator_loss_nonsaturating(m.d(fake, y))
        update(self.optimizers["G"], loss_g)
        self.after_g_step()

        return {"loss_D": loss_d.item(), "loss_G": loss_g.item(), "V": minimax_value(d_real, d_fake).item(),
                "D(x|y)": torch.sigmoid(d_real.float()).mean().item(),
                "D(G(z|y)|y)": torch.sigmoid(d_fake.float()).mean().item()}
