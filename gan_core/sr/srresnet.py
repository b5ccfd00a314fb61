"""SRResNet for ×4 super-resolution (Ledig et al. 2017, https://arxiv.org/abs/1609.04802).

* ``SRResNet``: the generator of the paper's Figure 4 - a 9×9 head, 16 residual blocks
  (conv-BN-PReLU-conv-BN) of 64 channels, a long skip around them, two PixelShuffle ×2 stages
  and a 9×9 tail: 1.55 M parameters. Trained alone with MSE it is "SRResNet".
* ``SRResNetTraining``: MSE on random 96×96 HR crops (the paper's §3.2).

Images: LR input in [0, 1]; the network predicts HR in [0, 1] (no output activation, so MSE
sees unclipped values, as in the paper's SRResNet). Training pairs come from
``gan_core.sr.data.PatchSource`` (PIL bicubic ×4 with antialiasing, the degradation the
benchmarks are evaluated with). SRGAN (``gan_core.sr.srgan``) fine-tunes this same network.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .data import PatchSource


class ResidualBlock(nn.Module):
    """conv3×3 - BN - PReLU - conv3×3 - BN, plus the identity (the paper's "B residual blocks")."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1), nn.BatchNorm2d(channels), nn.PReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1), nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
               tags=["super-resolution", "srresnet", "srgan"]):
    """LR ``(B, 3, h, w)`` in [0, 1] -> HR ``(B, 3, scale*h, scale*w)`` in (about) [0, 1].

    Args:
        channels: width of the residual trunk (paper: 64).
        n_blocks: number of residual blocks (paper: 16).
        scale: upscaling factor, a power of 2 (paper: 4, i.e. two PixelShuffle ×2 stages).
        in_channels: image channels.
        upsampler: "subpixel" (the paper: a convolution to 4C channels, then PixelShuffle) or "resize"
            (nearest-neighbour ×2, then a convolution; Odena et al. 2016, "Deconvolution and Checkerboard
            Artifacts"): each output pixel of a stage comes from the same filter, so the stage cannot leave a
            2-pixel pattern, where the sub-pixel stage's four filters, one per output phase, can.
    """

    UPSAMPLERS = ("subpixel", "resize")

    def __init__(self, channels: int = 64, n_blocks: int = 16, scale: int = 4, in_channels: int = 3,
                 upsampler: str = "subpixel"):
        super().__init__()
        n_up = int(np.log2(scale))
        if 2 ** n_up != scale:
            raise ValueError(f"scale must be a power of 2, got {scale}")
        if upsampler not in self.UPSAMPLERS:
            raise ValueError(f"upsampler must be one of {self.UPSAMPLERS}, got {upsampler!r}")
        self.scale, self.upsampler = scale, upsampler
        self.head = nn.Sequential(nn.Conv2d(in_channels, channels, 9, 1, 4), nn.PReLU())
        # state size. channels x h x w
        self.trunk = nn.Sequential(*[ResidualBlock(channels) for _ in range(n_blocks)])
        self.trunk_tail = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.BatchNorm2d(channels))
        up = []
        for _ in range(n_up):
            if upsampler == "subpixel":
                # (B, C, h, w) -> (B, 4C, h, w) -> PixelShuffle -> (B, C, 2h, 2w)
                up += [nn.Conv2d(channels, 4 * channels, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU()]
            else:
                # (B, C, h, w) -> nearest x2 -> (B, C, 2h, 2w) -> conv -> (B, C, 2h, 2w)
                up += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels, channels, 3, 1, 1), nn.PReLU()]
        self.upsample = nn.Sequential(*up)
        # state size. channels x (scale*h) x (scale*w)
        self.tail = nn.Conv2d(channels, in_channels, 9, 1, 4)

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        x = self.head(lr)
        x = x + self.trunk_tail(self.trunk(x))  # the long skip connection
        return self.tail(self.upsample(x))

    @classmethod
    def resize_from(cls, model: "SRResNet") -> "SRResNet":
        """A resize-convolution SRResNet warm-started from a sub-pixel one: every layer copied, and each
        upsampling convolution the mean of the sub-pixel one's four phase filters (PixelShuffle takes output
        channel c at phase (i, j) from input channel 4c + 2i + j). On a constant feature map the new stage
        gives the mean of the old stage's 2x2 output block; fine-tuning does the rest."""
        if model.upsampler != "subpixel":
            raise ValueError(f"expected a sub-pixel SRResNet, got upsampler={model.upsampler!r}")
        conv = model.head[0]
        out = cls(channels=conv.out_channels, n_blocks=len(model.trunk), scale=model.scale,
                  in_channels=conv.in_channels, upsampler="resize")
        state = {}
        for key, value in model.state_dict().items():
            if not key.startswith("upsample."):
                state[key] = value
                continue
            _, index, name = key.split(".")
            index = int(index)
            if index % 3 == 0:  # the stage's convolution: (4C, C, 3, 3) -> (C, C, 3, 3); bias (4C,) -> (C,)
                value = value.reshape(value.shape[0] // 4, 4, *value.shape[1:]).mean(1)
            state[f"upsample.{index + 1 if index % 3 == 0 else index}.{name}"] = value
        out.load_state_dict(state, strict=True)
        return out


class SRResNetTraining:
    """SRResNet: minimise MSE(G(I_LR), I_HR) on random HR crops (Adam, beta1 0.9).

    A batch is a tensor of photo indices; ``train_step`` crops them with the step's generator,
    so training stays deterministic and resumable.

    Args:
        model: the SRResNet to train.
        runtime: device and precision (``gan_core.device.get_runtime``).
        source: the training photos.
        crop: HR crop size (paper: 96).
        lr: Adam learning rate (paper: 1e-4).
    """

    def __init__(self, model: SRResNet, runtime, source: PatchSource, *, crop: int = 96, lr: float = 1e-4):
        self.model = runtime.prepare(model)
        self.runtime, self.source, self.crop = runtime, source, crop
        self.optimizers = {"G": torch.optim.Adam(self.model.parameters(), lr=lr, betas=(0.9, 0.999))}

    def train_step(self, batch, gen):
        rt = self.runtime
        lr_img, hr_img = self.source.crops(batch[0], self.crop, gen)   # (B, 3, 24, 24), (B, 3, 96, 96)
        lr_img, hr_img = rt.tensor(lr_img), rt.tensor(hr_img)
        with rt.autocast():
            sr = self.model(lr_img)                                        # -> (B, 3, 96, 96)
        loss = F.mse_loss(sr.float(), hr_img)
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["G"].step()
        mse = loss.item()
        return {"mse": mse, "psnr_rgb": float(10 * np.log10(1.0 / max(mse, 1e-12)))}
