"""pix2pix: image-to-image translation with a conditional GAN
(Isola, Zhu, Zhou & Efros 2017, https://arxiv.org/abs/1611.07004).

The generator G maps an input image A to an output image B. It is a U-Net (Section 3.2.1):
an encoder halves the resolution ``num_downs`` times, a decoder doubles it back, and each
decoder level is concatenated with the encoder level of the same size, so low-level detail
(edge positions, the luminance of a grey photo) passes straight through.

The discriminator D is a conditional PatchGAN (Section 3.2.2): it sees the pair (A, B),
channels concatenated, and classifies every overlapping patch as real or fake. With
``n_layers = 3`` each output cell sees 70x70 input pixels (the paper's choice at 256 px).

Objective (Eq. 4): G* = arg min_G max_D  L_cGAN(G, D) + lambda * L_L1(G),  lambda = 100.
With ``l1_only`` the adversarial term is dropped: the paper's ablation, whose outputs are
blurry because L1 is minimised by the median of all plausible outputs.

Images live in [-1, 1] inside the nets. ``resolution`` sets the default depth of the U-Net
(down to a 1x1 bottleneck, as the paper's ``unet_256`` has 8 levels): 32 -> 5, 64 -> 6,
128 -> 7, 256 -> 8. The nets are fully convolutional, so any size that is a multiple of
``2 ** num_downs`` goes through (``Pix2Pix.translate`` pads to one).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..gan.dcgan import dcgan_init as init_weights  # the official code's init is DCGAN's: N(0, 0.02)
from ..pictures import LUMA
from ..losses import discriminator_loss, generator_loss_nonsaturating


def default_num_downs(resolution: int) -> int:
    """Levels that take ``resolution`` down to a 1x1 bottleneck (256 -> 8, as ``unet_256``)."""
    n = int(round(math.log2(resolution)))
    if 2 ** n != resolution or n < 3:
        raise ValueError(f"resolution must be a power of two >= 8 (e.g. 32, 64, 128, 256), got {resolution}")
    return n


class UNetGenerator(nn.Module):
    """U-Net with skips: ``(B, in_channels, H, W) -> (B, out_channels, H, W)`` in [-1, 1].

    Level i has ``ngf * min(2**i, 8)`` channels (64, 128, 256, 512, 512, ... for ngf 64).
    Encoder: Conv(4, stride 2) - BatchNorm - LeakyReLU(0.2) (no norm on the first and the
    innermost level). ``batch_stats``: BatchNorm without running statistics, so training and
    inference both normalise with the current batch (the paper's inference, Section 3.3). Decoder: ReLU - ConvTranspose(4, stride 2) - BatchNorm, dropout 0.5 on
    the extra ``8 * ngf`` levels of a deep net (as ``unet_256``), Tanh on the output.
    H and W must be multiples of ``2 ** num_downs``.
    """

    def __init__(self, in_channels: int, out_channels: int, num_downs: int, ngf: int = 64,
                 dropout: float = 0.5, batch_stats: bool = False):
        super().__init__()
        if num_downs < 2:
            raise ValueError(f"num_downs must be >= 2, got {num_downs}")
        self.num_downs = num_downs
        ch = [ngf * min(2 ** i, 8) for i in range(num_downs)]
        # batch_stats: always normalise with the statistics of the batch at hand (no running means),
        # as the paper does at test time; at batch size 1 this is instance normalisation
        norm = lambda c: nn.BatchNorm2d(c, track_running_stats=not batch_stats)  # noqa: E731
        self.down = nn.ModuleList()
        for i in range(num_downs):
            c_in = in_channels if i == 0 else ch[i - 1]
            conv = nn.Conv2d(c_in, ch[i], 4, 2, 1, bias=i in (0, num_downs - 1))
            if i == 0:
                layers = [conv]                                                  # (B, in, H, W) -> (B, ngf, H/2, W/2)
            elif i == num_downs - 1:
                layers = [nn.LeakyReLU(0.2, True), conv]                         # innermost: no norm
            else:
                layers = [nn.LeakyReLU(0.2, True), conv, norm(ch[i])]            # -> (B, ch[i], H/2^(i+1), ...)
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for i in range(num_downs):
            c_in = ch[i] if i == num_downs - 1 else 2 * ch[i]  # all but the innermost see [skip, h]
            if i == 0:
                layers = [nn.ReLU(True), nn.ConvTranspose2d(c_in, out_channels, 4, 2, 1), nn.Tanh()]
            else:
                layers = [nn.ReLU(True), nn.ConvTranspose2d(c_in, ch[i - 1], 4, 2, 1, bias=False),
                          norm(ch[i - 1])]
                if 4 <= i < num_downs - 1 and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = 2 ** self.num_downs
        if x.shape[-1] % k or x.shape[-2] % k:
            raise ValueError(f"input {tuple(x.shape[-2:])} is not a multiple of {k} (2 ** num_downs): pad it "
                             "(Pix2Pix.translate does)")
        feats = []
        for down in self.down:
            x = down(x)                       # level i: (B, ch[i], H / 2^(i+1), W / 2^(i+1))
            feats.append(x)
        h = feats[-1]                         # the bottleneck, 1x1 at the training resolution
        for i in reversed(range(self.num_downs)):
            if i < self.num_downs - 1:
                h = torch.cat([feats[i], h], 1)   # skip: (B, ch[i], ...) + (B, ch[i], ...) -> (B, 2 ch[i], ...)
            h = self.up[i](h)                 # -> (B, ch[i-1], 2x size), finally (B, out, H, W)
        return h


class PatchDiscriminator(nn.Module):
    """PatchGAN: ``(B, channels, H, W) -> (B, 1, H', W')`` logits, one per overlapping patch.

    ``n_layers`` stride-2 convolutions then two stride-1 ones; the receptive field of one
    output cell is 16, 34, 70 or 142 pixels for ``n_layers`` = 1, 2, 3, 4. ``norm``: "batch"
    (pix2pix) or "instance" (CycleGAN).
    """

    def __init__(self, channels: int, ndf: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        Norm = {"batch": nn.BatchNorm2d, "instance": nn.InstanceNorm2d}[norm]
        layers = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]   # -> (B, ndf, H/2, W/2)
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False),  # -> (B, ndf*mult, H/2^(n+1), ...)
                       Norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False),     # stride 1: size - 1
                   Norm(ndf * mult), nn.LeakyReLU(0.2, True),
                   nn.Conv2d(ndf * mult, 1, 4, 1, 1)]                           # -> (B, 1, H', W') logits
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# --- colour: the colourisation task predicts chroma and keeps the input's luminance -----------

def rgb_to_gray(rgb: torch.Tensor) -> torch.Tensor:
    """ITU-R BT.601 luma (the weights of PIL's ``convert("L")``): ``(B, 3, H, W) -> (B, 1, H, W)``."""
    weights = rgb.new_tensor(LUMA).view(1, 3, 1, 1)
    return (rgb * weights).sum(1, keepdim=True)


def ycbcr_to_rgb(y: torch.Tensor, cb: torch.Tensor, cr: torch.Tensor) -> torch.Tensor:
    """BT.601 (JPEG) YCbCr -> RGB, all in [0, 1] resp. [-0.5, 0.5]: ``3 x (B, 1, H, W) -> (B, 3, H, W)``."""
    return torch.cat([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], 1)


class Pix2Pix(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
              tags=["gan", "pix2pix", "image-to-image"]):
    """Generator and discriminator of one pix2pix task, saved together.

    Args:
        in_channels: channels of the input A (1 for edge maps and grey photos).
        out_channels: channels of the output B (1 for Fashion-MNIST items, 3 for photos).
        resolution: training crop size; sets ``num_downs`` when that is 0.
        num_downs: U-Net levels (0 = down to a 1x1 bottleneck at ``resolution``).
        ngf: generator width (channels of the first level; paper: 64).
        ndf: discriminator width (paper: 64).
        n_layers_d: PatchGAN depth (3 = 70x70 patches, the paper's choice at 256 px).
        dropout: decoder dropout of deep U-Nets (paper: 0.5; only levels with 8 * ngf channels).
        predict_chroma: colourisation: G predicts (Cb, Cr) and the output is the RGB image with
            the input's luminance (the official colourisation model does the same in Lab).
        discriminator: False for an L1-only model (no D is built or saved).
        batch_stats: G's BatchNorm keeps no running statistics and always uses those of the
            batch at hand, as the paper's inference ("batch normalization using the statistics of
            the test batch", Section 3.3); with batch size 1 this is instance normalisation.
            ``translate`` then feeds one image at a time, so an output never depends on the others.
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 1, resolution: int = 256, num_downs: int = 0,
                 ngf: int = 64, ndf: int = 64, n_layers_d: int = 3, dropout: float = 0.5,
                 predict_chroma: bool = False, discriminator: bool = True, batch_stats: bool = False):
        super().__init__()
        if predict_chroma and (in_channels, out_channels) != (1, 3):
            raise ValueError("predict_chroma maps a grey image (in_channels=1) to RGB (out_channels=3)")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.predict_chroma, self.batch_stats = predict_chroma, batch_stats
        self.resolution = resolution
        self.num_downs = num_downs or default_num_downs(resolution)
        self.generator = UNetGenerator(in_channels, 2 if predict_chroma else out_channels, self.num_downs,
                                       ngf, dropout, batch_stats)
        self.discriminator = PatchDiscriminator(in_channels + out_channels, ndf, n_layers_d) if discriminator else None
        self.apply(init_weights)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """G(A): ``(B, in, H, W) -> (B, out, H, W)``, both in [-1, 1]."""
        out = self.generator(a)
        if not self.predict_chroma:
            return out
        y = (a + 1) / 2                                      # (B, 1, H, W) luma in [0, 1]
        cb, cr = out[:, 0:1] * 0.5, out[:, 1:2] * 0.5        # chroma in [-0.5, 0.5]
        return ycbcr_to_rgb(y, cb, cr).clamp(0, 1) * 2 - 1  # -> (B, 3, H, W) in [-1, 1]

    @torch.no_grad()
    def translate(self, a: torch.Tensor) -> torch.Tensor:
        """Inference on images of any size: ``(B, in, H, W)`` in [0, 1] -> ``(B, out, H, W)`` in [0, 1].

        The input is padded (edge pixels repeated) to a multiple of ``2 ** num_downs`` and the
        output cropped back.
        """
        param = next(self.parameters())
        a = a.to(param.device, param.dtype)
        if a.dim() != 4 or a.shape[1] != self.in_channels:
            raise ValueError(f"expected (B, {self.in_channels}, H, W) images, got {tuple(a.shape)}")
        h, w = a.shape[-2:]
        k = 2 ** self.num_downs
        ph, pw = (-h) % k, (-w) % k
        x = F.pad(a * 2 - 1, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="replicate") if ph or pw \
            else a * 2 - 1
        # with batch statistics each image is normalised on its own (one at a time)
        out = torch.cat([self(one) for one in x.split(1)]) if self.batch_stats else self(x)
        out = out[..., ph // 2:ph // 2 + h, pw // 2:pw // 2 + w]
        return out.float().add(1).div(2).clamp(0, 1)


# --- training ----------------------------------------------------------------------------------

def l1_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L_L1(G) = E ||B - G(A)||_1 (Eq. 3), as a mean over pixels."""
    return (fake.float() - real.float()).abs().mean()


def random_jitter(a: torch.Tensor, b: torch.Tensor, size: int, gen: torch.Generator, flip: bool = True):
    """The paper's augmentation: the same random ``size`` crop (and horizontal flip) of A and B."""
    h, w = a.shape[-2:]
    if (h, w) != (size, size):
        if h < size or w < size:
            raise ValueError(f"training images are {w}x{h}, smaller than the {size} px crop")
        y = int(torch.randint(0, h - size + 1, (1,), generator=gen))
        x = int(torch.randint(0, w - size + 1, (1,), generator=gen))
        a, b = a[..., y:y + size, x:x + size], b[..., y:y + size, x:x + size]
    if flip:
        mask = (torch.rand(a.shape[0], generator=gen) < 0.5).view(-1, 1, 1, 1)  # per item
        a, b = torch.where(mask, a.flip(-1), a), torch.where(mask, b.flip(-1), b)
    return a, b


class Pix2PixTraining:
    """One D step and one G step per batch, as the official ``optimize_parameters``.

    An *algorithm* for ``gan_core.trainer.Trainer``: a batch is ``(A, B)``, uint8
    ``(N, C, S, S)`` pairs (``S >= resolution``; larger pairs get the random crop of the paper).

    Args:
        model: the Pix2Pix nets.
        runtime: device and precision (``gan_core.device.get_runtime``).
        resolution: crop size fed to the nets.
        lambda_l1: weight of the L1 term (paper: 100).
        l1_only: drop the cGAN term (the ablation of the paper's Table 1); D is not trained.
        flip: random horizontal flips (off for data whose left and right differ, e.g. maps).
        lr, betas: Adam, as the paper (2e-4, (0.5, 0.999)).
    """

    def __init__(self, model: Pix2Pix, runtime, *, resolution: int, lambda_l1: float = 100.0,
                 l1_only: bool = False, flip: bool = True, lr: float = 2e-4, betas=(0.5, 0.999)):
        if not l1_only and model.discriminator is None:
            raise ValueError("this Pix2Pix was built with discriminator=False: train it with l1_only=True")
        self.model = runtime.prepare(model)
        self.runtime, self.resolution = runtime, resolution
        self.lambda_l1, self.l1_only, self.flip = lambda_l1, l1_only, flip
        self.optimizers = {"G": torch.optim.Adam(self.model.generator.parameters(), lr=lr, betas=betas)}
        if not l1_only:
            self.optimizers["D"] = torch.optim.Adam(self.model.discriminator.parameters(), lr=lr, betas=betas)

    def _batch(self, batch, gen):
        a, b = random_jitter(batch[0], batch[1], self.resolution, gen, self.flip)
        to_m11 = lambda t: self.runtime.tensor(t.float().div(127.5).sub(1))  # noqa: E731  uint8 -> [-1, 1]
        return to_m11(a), to_m11(b)

    def train_step(self, batch, gen):
        real_a, real_b = self._batch(batch, gen)      # (B, in, S, S), (B, out, S, S) in [-1, 1]
        torch.manual_seed(int(torch.randint(0, 2 ** 62, (1,), generator=gen)))  # dropout masks follow gen
        G, D, rt = self.model, self.model.discriminator, self.runtime
        logs = {}
        with rt.autocast():
            fake_b = G(real_a)                        # G(A): (B, out, S, S)

        if not self.l1_only:
            # (1) backward_D: real pairs (A, B) -> 1, fake pairs (A, G(A)) -> 0.
            #     fake_b.detach(): this step does not update G. The loss is halved, as the
            #     paper does, to slow D down relative to G.
            with rt.autocast():
                pred_real = D(torch.cat([real_a, real_b], 1))            # (B, 1, P, P) patch logits
                pred_fake = D(torch.cat([real_a, fake_b.detach()], 1))
                loss_d = 0.5 * discriminator_loss(pred_real, pred_fake)
            self.optimizers["D"].zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimizers["D"].step()
            logs.update(loss_D=loss_d.item(), **{"D(A,B)": torch.sigmoid(pred_real.float()).mean().item(),
                                                 "D(A,G(A))": torch.sigmoid(pred_fake.float()).mean().item()})

        # (2) backward_G: first, G(A) should fake the (just updated) discriminator;
        #     second, G(A) = B, measured by L1 and weighted by lambda.
        loss_l1 = l1_loss(fake_b, real_b)
        loss_g = self.lambda_l1 * loss_l1
        if not self.l1_only:
            D.requires_grad_(False)
            with rt.autocast():
                loss_g_gan = generator_loss_nonsaturating(D(torch.cat([real_a, fake_b], 1)))
            loss_g = loss_g + loss_g_gan
            logs["loss_G_GAN"] = loss_g_gan.item()
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["G"].step()
        if not self.l1_only:
            D.requires_grad_(True)
        logs["loss_G_L1"] = loss_l1.item()
        return logs
