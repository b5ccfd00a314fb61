"""Next-frame prediction beyond mean square error (Mathieu, Couprie & LeCun 2016,
https://arxiv.org/abs/1511.05440), on moving Fashion-MNIST.

The generator G sees the last ``context`` frames (stacked as channels) and predicts the next
one. It is a **U-Net** (Ronneberger et al. 2015), not the paper's multi-scale network: one
encoder-decoder whose skips carry the items' exact pixels across, while its 8x8 bottleneck sees
the whole frame, enough to see where each item is heading and whether it is about to bounce.
Upsampling is nearest-neighbour + convolution (no transposed convolutions, whose checkerboard
would count as false sharpness).

Three objectives, as the paper's Table 1 compares them:

1. ``mse``: L_2 = ||Y - G(X)||^2 alone. Where the future is uncertain the L_2 minimiser is the
   *mean* of the possible frames: a blur that grows with every predicted frame.
2. ``gdl``: lambda_2 L_2 + lambda_gdl L_gdl, the gradient difference loss (Eq. 5), which asks
   that the predicted image's gradients match the true ones: edges where edges are.
3. ``adv``: lambda_adv L_adv + lambda_2 L_2 + lambda_gdl L_gdl (Eq. 6 and Section 3), with a
   discriminator D that sees the context frames *and* the candidate next frame, at several
   scales (the paper's multi-scale D: the same sequence downsampled by 1, 2, 4), so it judges
   whether the frame continues the sequence, not only whether it looks like a frame.
   The paper's weights: lambda_adv = 0.05, lambda_2 = 1, lambda_gdl = 1.

Frames are in [-1, 1] inside the nets, shape ``(B, T, 64, 64)``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..losses import discriminator_loss, generator_loss_nonsaturating
from ..trainer import reestimating_batchnorm
from . import data

OBJECTIVES = ("mse", "gdl", "adv")


class ConvBlock(nn.Sequential):
    """Two 3x3 convolutions, each with BatchNorm and LeakyReLU: ``(B, c_in, H, W) -> (B, c_out, H, W)``."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(c_out, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True))


class UNet(nn.Module):
    """``(B, context, 64, 64) -> (B, 1, 64, 64)`` in [-1, 1].

    Level i works at ``64 / 2**i`` pixels with ``width * 2**i`` channels (capped at 8x); the
    bottleneck of ``levels = 3`` is 8x8. Down: stride-2 4x4 convolution; up: nearest x2 + 3x3
    convolution, concatenated with the encoder's features of the same size.
    """

    def __init__(self, context: int, width: int, levels: int):
        super().__init__()
        ch = [width * min(2 ** i, 8) for i in range(levels + 1)]
        self.inc = ConvBlock(context, ch[0])                                    # (B, ctx, 64, 64) -> (B, w, 64, 64)
        self.down = nn.ModuleList([nn.Sequential(nn.Conv2d(ch[i], ch[i + 1], 4, 2, 1), nn.BatchNorm2d(ch[i + 1]),
                                                 nn.LeakyReLU(0.2, True), ConvBlock(ch[i + 1], ch[i + 1]))
                                   for i in range(levels)])                     # -> (B, ch[i+1], H/2^(i+1), ...)
        self.up = nn.ModuleList([nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                               nn.Conv2d(ch[i + 1], ch[i], 3, 1, 1)) for i in range(levels)])
        self.merge = nn.ModuleList([ConvBlock(2 * ch[i], ch[i]) for i in range(levels)])
        self.out = nn.Conv2d(ch[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [self.inc(x)]
        for down in self.down:
            feats.append(down(feats[-1]))                          # 64 -> 32 -> 16 -> 8
        h = feats[-1]
        for i in reversed(range(len(self.up))):
            h = self.merge[i](torch.cat([feats[i], self.up[i](h)], 1))  # (B, 2 ch[i], ...) -> (B, ch[i], ...)
        return torch.tanh(self.out(h))                             # (B, 1, 64, 64)


class SequenceDiscriminator(nn.Module):
    """Multi-scale D on frame sequences: ``(B, T, 64, 64)`` (context + candidate next frame) ->
    a list of patch-logit maps, one per scale (the sequence average-pooled by 1, 2, 4, ...).

    Each scale is a small PatchGAN without normalisation (D sees real and predicted sequences
    in separate batches): stride-2 4x4 convolutions (``width``, ``2 width``) then a 3x3
    convolution to one logit per patch.
    """

    def __init__(self, frames: int, width: int, scales: int):
        super().__init__()
        self.nets = nn.ModuleList([nn.Sequential(
            nn.Conv2d(frames, width, 4, 2, 1), nn.LeakyReLU(0.2, True),                # -> (B, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2, True),                # -> (B, 2w, H/4, W/4)
            nn.Conv2d(2 * width, 1, 3, 1, 1)) for _ in range(scales)])                 # -> (B, 1, H/4, W/4)

    def forward(self, seq: torch.Tensor) -> list[torch.Tensor]:
        return [net(F.avg_pool2d(seq, 2 ** s) if s else seq) for s, net in enumerate(self.nets)]


class NextFrame(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
                tags=["gan", "video-prediction", "fashion-mnist"]):
    """Next-frame predictor (and, for the adversarial objective, its discriminator), saved together.

    Args:
        context: frames seen (paper: 4).
        width: channels of the U-Net's first level.
        levels: U-Net down-samplings (3: bottleneck 8x8 at 64x64).
        discriminator: build the multi-scale sequence D (adversarial objective only).
        d_width: channels of each scale's first D layer.
        d_scales: scales D looks at (the sequence pooled by 1, 2, 4, ...).
        objective: "mse", "gdl" or "adv", recorded for the card and the tab.

    The weights are stored in half precision (``_save_pretrained``) and loaded back into fp32;
    BENCHMARKS.md ("Next-frame prediction") has the measured cost of that rounding.
    """

    def __init__(self, context: int = data.CONTEXT, width: int = 16, levels: int = 3, discriminator: bool = False,
                 d_width: int = 16, d_scales: int = 3, objective: str = "mse"):
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        if objective == "adv" and not discriminator:
            raise ValueError("the adversarial objective needs discriminator=True")
        self.context, self.objective = context, objective
        self.generator = UNet(context, width, levels)
        self.discriminator = SequenceDiscriminator(context + 1, d_width, d_scales) if discriminator else None

    def _save_pretrained(self, save_directory) -> None:
        from safetensors.torch import save_file
        state = {k: v.detach().to("cpu", torch.float16 if v.is_floating_point() else v.dtype).contiguous()
                 for k, v in self.state_dict().items()}
        save_file(state, str(save_directory / "model.safetensors"), metadata={"format": "pt"})

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        """``(B, context, 64, 64)`` in [-1, 1] -> the next frame ``(B, 1, 64, 64)`` in [-1, 1]."""
        return self.generator(context)

    @torch.no_grad()
    def rollout(self, frames: torch.Tensor, horizon: int, runtime=None) -> torch.Tensor:
        """Predict ``horizon`` frames, each fed back as input for the next: ``(B, T >= context, 64, 64)``
        in [0, 1] -> ``(B, horizon, 64, 64)`` in [0, 1]. Only the last ``context`` frames are used."""
        if frames.dim() != 4 or frames.shape[1] < self.context or tuple(frames.shape[-2:]) != (data.FRAME, data.FRAME):
            raise ValueError(f"expected frames (B, >= {self.context}, {data.FRAME}, {data.FRAME}), "
                             f"got {tuple(frames.shape)}")
        param = next(self.parameters())
        window = frames[:, -self.context:].to(param.device, torch.float32) * 2 - 1
        out = []
        with runtime.autocast() if runtime is not None else torch.autocast("cpu", enabled=False):
            for _ in range(horizon):
                nxt = self(window.to(param.dtype)).float()        # (B, 1, 64, 64)
                out.append(nxt)
                window = torch.cat([window[:, 1:], nxt], 1)       # slide: drop the oldest frame
        return torch.cat(out, 1).add(1).div(2).clamp(0, 1)        # (B, horizon, 64, 64)


def copy_last(frames: torch.Tensor, horizon: int) -> torch.Tensor:
    """The baseline predictor: the last frame, repeated: ``(B, T, 64, 64) -> (B, horizon, 64, 64)``."""
    return frames[:, -1:].expand(-1, horizon, -1, -1).clone()


# --- losses --------------------------------------------------------------------------------------

def gradient_difference_loss(pred: torch.Tensor, target: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Mathieu et al.'s Eq. 5, as a mean over pixels:

        L_gdl = sum_ij | |Y_ij - Y_i-1,j| - |P_ij - P_i-1,j| |^alpha + | |Y_i,j-1 - Y_ij| - |P_i,j-1 - P_ij| |^alpha

    ``(..., H, W)`` tensors; the vertical and horizontal terms are each averaged over their own
    ``(H-1) W`` and ``H (W-1)`` differences, then added. Zero iff the gradients' magnitudes agree.
    """
    pred, target = pred.float(), target.float()
    dy = ((target[..., 1:, :] - target[..., :-1, :]).abs() - (pred[..., 1:, :] - pred[..., :-1, :]).abs()).abs()
    dx = ((target[..., :, 1:] - target[..., :, :-1]).abs() - (pred[..., :, 1:] - pred[..., :, :-1]).abs()).abs()
    return dy.pow(alpha).mean() + dx.pow(alpha).mean()


def l2_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L_2 = ||Y - G(X)||_2^2 (Eq. 2, p = 2), as a mean over pixels."""
    return (pred.float() - target.float()).pow(2).mean()


def recalibrate_batchnorm(model: "NextFrame", items: torch.Tensor, batches: int = 50, batch_size: int = 64,
                          seed: int = 0) -> "NextFrame":
    """Re-estimate the generator's BatchNorm running statistics on ``batches`` training clips made of
    ``items`` with the final weights (``trainer.reestimating_batchnorm``), in place.

    During adversarial training the weights move fast, so the running averages (momentum 0.1)
    trail the weights they are used with at test time (BENCHMARKS.md, "Next-frame prediction").
    Training itself is unaffected: in train mode BatchNorm uses the batch's own statistics.
    """
    param = next(model.generator.parameters())
    seqs = data.TrainSequences(items, n=batches * batch_size, seed=seed + 1)
    with reestimating_batchnorm(model.generator):
        for i in range(batches):
            batch = [t[i * batch_size:(i + 1) * batch_size] for t in seqs.tensors()]
            frames = data.TrainSequences.frames(items, batch, model.context + 1, torch.Generator().manual_seed(i))
            model.generator(frames[:, :model.context].to(param.device, param.dtype) * 2 - 1)
    return model


class NextFrameTraining:
    """One step on a batch of rendered clips: (D step, for ``adv``) then G step.

    An *algorithm* for ``gan_core.trainer.Trainer``: a batch is ``(pairs, start, velocity)`` of
    ``data.TrainSequences``; the clips (``context + 1`` frames) are rendered here, on the
    runtime's device, from ``items`` (uint8 ``(M, 28, 28)`` training items).

    Args:
        model: the NextFrame nets; ``model.objective`` picks the loss.
        runtime: device and precision (``gan_core.runtime.get_runtime``).
        items: the training items the clips are made of.
        lambda_l2, lambda_gdl, lambda_adv: the loss weights (paper: 1, 1, 0.05).
        lr: Adam learning rate of G and D (betas (0.5, 0.999), as DCGAN).
        recalibrate_bn: training batches over which G's BatchNorm statistics are re-estimated
            before each export (``recalibrate_batchnorm``); 0 exports the running averages.
    """

    def __init__(self, model: NextFrame, runtime, items: torch.Tensor, *, lambda_l2: float = 1.0,
                 lambda_gdl: float = 1.0, lambda_adv: float = 0.05, lr: float = 2e-4, recalibrate_bn: int = 0):
        self.model = runtime.prepare(model)
        self.recalibrate_bn = recalibrate_bn
        self.runtime = runtime
        self.items = items.to(runtime.device)
        self.objective = model.objective
        self.lambda_l2, self.lambda_gdl, self.lambda_adv = lambda_l2, lambda_gdl, lambda_adv
        betas = (0.5, 0.999)
        self.optimizers = {"G": torch.optim.Adam(model.generator.parameters(), lr=lr, betas=betas)}
        if self.objective == "adv":
            self.optimizers["D"] = torch.optim.Adam(model.discriminator.parameters(), lr=lr, betas=betas)

    def before_export(self) -> None:
        """Called by the trainer before the model is saved: re-estimate G's BatchNorm statistics
        for the weights being exported (when ``recalibrate_bn``)."""
        if self.recalibrate_bn:
            recalibrate_batchnorm(self.model, self.items, self.recalibrate_bn)

    def clips(self, batch, gen) -> tuple[torch.Tensor, torch.Tensor]:
        """``(context (B, C, 64, 64), target (B, 1, 64, 64))`` in [-1, 1]."""
        frames = data.TrainSequences.frames(self.items, batch, self.model.context + 1, gen) * 2 - 1
        frames = self.runtime.tensor(frames)                     # (B, C + 1, 64, 64)
        return frames[:, :-1], frames[:, -1:]

    def train_step(self, batch, gen):
        context, target = self.clips(batch, gen)
        G, D, rt = self.model, self.model.discriminator, self.runtime
        logs = {}
        with rt.autocast():
            pred = G(context)                                    # (B, 1, 64, 64)

        if self.objective == "adv":
            # (1) D: the true continuation (X, Y) -> 1, the predicted one (X, G(X)) -> 0, at every
            #     scale. pred.detach(): this step does not update G.
            with rt.autocast():
                real = D(torch.cat([context, target], 1))
                fake = D(torch.cat([context, pred.detach()], 1))
                loss_d = sum(discriminator_loss(r.float(), f.float()) for r, f in zip(real, fake)) / len(real)
            self.optimizers["D"].zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimizers["D"].step()
            logs.update(loss_D=loss_d.item(), **{"D(X,Y)": torch.sigmoid(real[0].float()).mean().item(),
                                                 "D(X,G(X))": torch.sigmoid(fake[0].float()).mean().item()})

        # (2) G: close to Y in L2; with GDL, its edges where Y's are; adversarially, a
        #     continuation the (just updated) D takes for a true one.
        loss_l2 = l2_loss(pred, target)
        loss_g = self.lambda_l2 * loss_l2
        if self.objective in ("gdl", "adv"):
            loss_gdl = gradient_difference_loss(pred, target)
            loss_g = loss_g + self.lambda_gdl * loss_gdl
            logs["loss_gdl"] = loss_gdl.item()
        if self.objective == "adv":
            D.requires_grad_(False)
            with rt.autocast():
                fake = D(torch.cat([context, pred], 1))
                loss_adv = sum(generator_loss_nonsaturating(f.float()) for f in fake) / len(fake)
            loss_g = loss_g + self.lambda_adv * loss_adv
            logs["loss_G_adv"] = loss_adv.item()
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["G"].step()
        if D is not None:
            D.requires_grad_(True)
        logs["loss_l2"] = loss_l2.item()
        return logs
