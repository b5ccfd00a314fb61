"""A denoising diffusion model on Fashion-MNIST, built from diffusers' parts.

* DDPM, Ho, Jain & Abbeel 2020, https://arxiv.org/abs/2006.11239: a U-Net eps_theta(x_t, t) learns
  to predict the noise added to an item at step t of a fixed 1000-step schedule (linear betas
  1e-4 .. 0.02); sampling runs the 1000 reverse steps from pure noise x_T ~ N(0, I).
* DDIM, Song, Meng & Ermon 2021, https://arxiv.org/abs/2010.02502: the same network sampled with
  a deterministic (eta = 0) non-Markovian process on a subsequence of 10-100 of the steps; the noise
  it re-uses is derived from the clipped x_0 estimate (see ``DDPM.denoise``).

diffusers supplies the network (``UNet2DModel``), the noise schedule and both samplers
(``DDPMScheduler``, ``DDIMScheduler``); this file adds the suite's interface (``prior``/``decode``),
the training algorithm for ``gan_core.trainer.Trainer`` and an EMA of the weights.

Size (measured, BENCHMARKS.md, "Diffusion beside the GAN and the VAE"): the items are 28x28 and the U-Net downsamples
twice (28 -> 14 -> 7), so it runs on the items themselves - no padding to 32 (23 % fewer pixels
than 32x32) and nothing to crop. Block channels 32/64/64, one ResNet block per level, no
attention: the smallest net whose samples are recognisable, so that a 2-core CPU can train it in
an hour and sample 64 items in seconds.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
from torch import nn

from .. import distributed

IMAGE_SIZE = 28
SAMPLERS = ("ddim", "ddpm")


def make_unet(*, sample_size: int = IMAGE_SIZE, block_out_channels=(32, 64, 64), layers_per_block: int = 1,
              attention: tuple | None = None, norm_num_groups: int = 8, num_classes: int | None = None):
    """A diffusers ``UNet2DModel`` for 1-channel items; ``attention[i]`` puts self-attention in level i.

    ``num_classes``: a class-conditional U-Net (diffusers' ``num_class_embeds``): one learnt embedding per
    class, plus one for "no class" (index ``num_classes``, for classifier-free guidance), added to the
    timestep's embedding.
    """
    from diffusers import UNet2DModel
    attention = attention or (False,) * len(block_out_channels)
    down = tuple("AttnDownBlock2D" if a else "DownBlock2D" for a in attention)
    up = tuple("AttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attention))
    return UNet2DModel(sample_size=sample_size, in_channels=1, out_channels=1,
                       block_out_channels=tuple(block_out_channels), layers_per_block=layers_per_block,
                       down_block_types=down, up_block_types=up, norm_num_groups=norm_num_groups,
                       num_class_embeds=None if num_classes is None else num_classes + 1)


def make_scheduler(num_train_timesteps: int = 1000):
    """Ho et al.'s schedule: T = 1000, betas linear from 1e-4 to 0.02, eps prediction, x_0 clipped."""
    from diffusers import DDPMScheduler
    return DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule="linear",
                         prediction_type="epsilon", clip_sample=True)


class DDPM(nn.Module):
    """The U-Net plus its noise schedule, with the interface of every generator of the suite.

    ``prior(n, generator)`` draws x_T, flattened to ``(n, H*W)``; ``decode(z, steps, sampler)`` runs
    the reverse process from it and returns items ``(n, 1, 28, 28)`` in [0, 1].

    A class-conditional U-Net (``num_classes`` set, ``make_unet(num_classes=10)``) also takes ``label`` (an int
    or one per item; None: 0, 1, ..., 9, 0, ... as the conditional GANs) and ``guidance``, the weight w of
    classifier-free guidance (Ho & Salimans 2022): eps = eps(x_t, y) + w * (eps(x_t, y) - eps(x_t, no class));
    w = 0 is the plain conditional model.

    Saved in diffusers' own layout (``save_pretrained``), which ``DDPMPipeline.from_pretrained``
    also reads: ``model_index.json``, ``unet/`` (config + safetensors), ``scheduler/``; plus the
    suite's ``config.json`` (what this wrapper adds).
    """

    WEIGHTS = "unet/diffusion_pytorch_model.safetensors"  # what checkpoints.load looks for
    # runtime.prepare leaves the memory format alone: GroupNorm in bf16 is slower in channels_last
    # (one U-Net pass on 32 items: 0.50 s channels_last, 0.39 s contiguous, 1 thread, measured)
    channels_last = False

    def __init__(self, unet, scheduler):
        super().__init__()
        self.unet = unet
        self.scheduler = scheduler  # the training schedule (a DDPMScheduler)
        size = unet.config.sample_size
        self.shape = (unet.config.in_channels, size, size)
        embeds = unet.config.get("num_class_embeds")
        self.num_classes = embeds - 1 if embeds else None  # the last embedding is "no class"

    # --- the suite's generator interface ---------------------------------------------------------

    def prior(self, n: int, generator: torch.Generator | None = None, **_) -> torch.Tensor:
        """x_T ~ N(0, I) for ``n`` items, flattened: ``(n, C*H*W)`` on the CPU."""
        c, h, w = self.shape
        return torch.randn(n, c * h * w, generator=generator)

    def sampler(self, sampler: str = "ddim"):
        """A fresh scheduler for sampling, built from the training schedule's config."""
        from diffusers import DDIMScheduler, DDPMScheduler
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
        cls = DDIMScheduler if sampler == "ddim" else DDPMScheduler
        return cls.from_config(self.scheduler.config)

    @torch.no_grad()
    def labels(self, label, n: int) -> torch.Tensor | None:
        """The class of each of ``n`` items for a conditional U-Net (``None`` for an unconditional one)."""
        if self.num_classes is None:
            if label is not None:
                raise ValueError("this diffusion model is not class-conditional: it takes no label")
            return None
        from ..gan.common import label_tensor
        return torch.arange(n) % self.num_classes if label is None else label_tensor(label, n)

    def eps(self, x: torch.Tensor, t, labels: torch.Tensor | None, guidance: float = 0.0) -> torch.Tensor:
        """The U-Net's noise estimate for x_t; with ``guidance`` w, classifier-free guidance (one pass of 2n)."""
        if labels is None:
            return self.unet(x, t).sample
        if not guidance:
            return self.unet(x, t, class_labels=labels).sample
        none = torch.full_like(labels, self.num_classes)
        cond, uncond = self.unet(torch.cat([x, x]), t, class_labels=torch.cat([labels, none])).sample.chunk(2)
        return cond + guidance * (cond - uncond)

    def denoise(self, z: torch.Tensor, *, steps: int = 50, sampler: str = "ddim", eta: float = 0.0,
                generator: torch.Generator | None = None, every: int = 0, label=None, guidance: float = 0.0):
        """Yield ``(step, t, x_t)`` every ``every`` steps (and the last) while sampling from x_T = z.

        The loop of diffusers' ``DDIMPipeline``/``DDPMPipeline`` (tests/family/test_diffusion.py checks
        it gives the pipeline's pixels), which draw x_T themselves and show no intermediate x_t.
        ``x_t`` is ``(n, C, H, W)`` in [-1, 1] (float32, CPU). ``label``/``guidance``: see the class docstring.
        """
        scheduler = self.sampler(sampler)
        scheduler.set_timesteps(int(steps))
        param = next(self.unet.parameters())
        x = z.reshape(z.shape[0], *self.shape).to(param.device)  # (n, C*H*W) -> (n, C, H, W)
        labels = self.labels(label, z.shape[0])
        labels = None if labels is None else labels.to(param.device)
        # DDIM clips its estimate of x_0 to [-1, 1] (clip_sample, as the DDPM sampler does) and, here, re-derives
        # the noise from the clipped x_0, so that both halves of the step agree. With diffusers' default (the
        # unclipped noise) more steps gave worse samples: judge FID 10.0 at 50 steps and 12.1 at 100, against
        # 7.6 and 7.8 with this (BENCHMARKS.md, "Diffusion beside the GAN and the VAE", sampler settings).
        extra = {"eta": eta, "use_clipped_model_output": True} if sampler == "ddim" else {}
        timesteps = scheduler.timesteps
        for i, t in enumerate(timesteps):
            eps = self.eps(x, t, labels, guidance)                         # 1. predict the noise in x_t
            x = scheduler.step(eps.float(), t, x.float(), generator=generator, **extra).prev_sample  # 2. x_t -> x_{t-1}
            if i + 1 == len(timesteps) or (every and (i + 1) % every == 0):
                yield i + 1, int(t), x.float().cpu()

    @torch.no_grad()
    def decode(self, z: torch.Tensor, steps: int = 50, sampler: str = "ddim", eta: float = 0.0, label=None,
               guidance: float = 0.0) -> torch.Tensor:
        """x_T ``(n, C*H*W)`` -> items ``(n, 1, 28, 28)`` in [0, 1].

        DDIM with eta = 0 is a deterministic map of x_T; DDPM (and DDIM with eta > 0) draw fresh
        noise at every step, from a generator seeded by x_T itself, so a seed still fixes the result.
        """
        generator = None
        if sampler == "ddpm" or eta > 0:
            generator = torch.Generator().manual_seed(noise_seed(z))
        x = None
        for _, _, x in self.denoise(z, steps=steps, sampler=sampler, eta=eta, generator=generator, label=label,
                                    guidance=guidance):
            pass
        if x is None:
            return torch.empty(0, *self.shape)
        return to_unit(x)

    # --- diffusers' layout on disk ---------------------------------------------------------------

    def save_pretrained(self, path: str | Path) -> None:
        from diffusers import DDPMPipeline
        path = Path(path)
        DDPMPipeline(unet=self.unet, scheduler=self.scheduler).save_pretrained(str(path))
        config = {"image_size": self.shape[-1], "channels": self.shape[0],
                  "parameters": sum(p.numel() for p in self.unet.parameters()),
                  "block_out_channels": list(self.unet.config.block_out_channels),
                  "layers_per_block": self.unet.config.layers_per_block,
                  "num_classes": self.num_classes,
                  "num_train_timesteps": self.scheduler.config.num_train_timesteps,
                  "beta_schedule": self.scheduler.config.beta_schedule}
        (path / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    @classmethod
    def from_pretrained(cls, path: str | Path, strict: bool = True) -> "DDPM":
        """Load offline from a folder written by :meth:`save_pretrained` (local files only)."""
        from diffusers import DDPMScheduler, UNet2DModel
        path = Path(path)
        unet = UNet2DModel.from_pretrained(str(path / "unet"), local_files_only=True, use_safetensors=True,
                                           low_cpu_mem_usage=False)
        scheduler = DDPMScheduler.from_pretrained(str(path / "scheduler"), local_files_only=True)
        return cls(unet, scheduler)


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], clamped, float32."""
    return x.float().add(1).div(2).clamp(0, 1)


def noise_seed(z: torch.Tensor) -> int:
    """A seed that is a pure function of the values of ``z``."""
    import hashlib
    digest = hashlib.sha256(z.detach().float().cpu().contiguous().numpy().tobytes()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class DDPMTraining:
    """Ho et al. 2020, Algorithm 1, as an algorithm for ``gan_core.trainer.Trainer``.

    Each step: x_0 from the data, t ~ U{0..T-1}, eps ~ N(0, I), x_t = sqrt(abar_t) x_0 +
    sqrt(1 - abar_t) eps (``scheduler.add_noise``), and a gradient step on ||eps - eps_theta(x_t, t)||^2.
    An exponential moving average of the weights (decay ``ema_decay``, warmed up as
    min(decay, (1 + k) / (10 + k)) after k updates) is what gets sampled and shipped.

    With a ``teacher`` (a trained DDPM on the same schedule) the target is the teacher's prediction
    eps_teacher(x_t, t) instead of the drawn eps: knowledge distillation (Hinton, Vinyals & Dean 2015)
    of a smaller U-Net. The teacher's output estimates E[eps | x_t], so the target no longer carries
    the noise of the single draw (whether this trains a small U-Net faster than the drawn eps was not
    compared here).

    A class-conditional U-Net learns eps(x_t, t, y) from the items' labels; with ``uncond_prob`` p > 0 the label
    is replaced by "no class" for a fraction p of the items, so that the same network also learns eps(x_t, t),
    which classifier-free guidance needs (Ho & Salimans 2022, Algorithm 1).

    Args:
        model: the DDPM (U-Net + schedule); its U-Net becomes the EMA, a copy is trained.
        runtime: device and precision (``gan_core.runtime.get_runtime``).
        lr: AdamW learning rate.
        ema_decay: the EMA's decay.
        teacher: a DDPM whose predictions are the targets (``None``: Ho et al.'s eps).
        uncond_prob: for a conditional U-Net, the share of items trained without their class.
        class_lr: the class embedding's own learning rate (default ``lr``). A U-Net fine-tuned from an
            unconditional one starts with a zero embedding beside trained weights: a higher rate lets the
            class take effect sooner (at lr 1e-3 the judge agreed with the told class on 8.5 % of 200 samples
            after 500 steps of 128, chance level).
    """

    def __init__(self, model: DDPM, runtime, *, lr: float = 1e-3, ema_decay: float = 0.999,
                 teacher: DDPM | None = None, teacher_name: str | None = None, uncond_prob: float = 0.1,
                 class_lr: float | None = None):
        self.runtime = runtime
        self.export_model = runtime.prepare(model)         # holds the EMA weights: sampled and shipped
        self.net = copy.deepcopy(model.unet)               # the weights gradient descent moves
        self.export_model.unet.requires_grad_(False)
        self.model = nn.ModuleDict({"net": self.net, "ema": self.export_model.unet})  # the run state: both
        self.ema_decay = ema_decay
        embedding = [p for n, p in self.net.named_parameters() if n.startswith("class_embedding.")]
        rest = [p for n, p in self.net.named_parameters() if not n.startswith("class_embedding.")]
        groups = [{"params": rest}] + ([{"params": embedding, "lr": class_lr or lr}] if embedding else [])
        self.optimizers = {"unet": torch.optim.AdamW(groups, lr=lr, weight_decay=0.0)}
        self.teacher = None
        self.uncond_prob = float(uncond_prob) if model.num_classes else 0.0
        objective = "eps prediction, MSE (Ho et al. 2020, Algorithm 1)"
        if model.num_classes:
            if teacher is not None:
                raise ValueError("distillation of a class-conditional U-Net is not supported")
            objective += (f", class-conditional (label dropped for {self.uncond_prob:.0%} of the items, for "
                          "classifier-free guidance, Ho & Salimans 2022)")
        if teacher is not None:
            if teacher.scheduler.config.num_train_timesteps != model.scheduler.config.num_train_timesteps:
                raise ValueError("the teacher must use the same noise schedule")
            self.teacher = runtime.prepare(teacher).eval().requires_grad_(False)
            objective = (f"distillation: MSE to the eps predicted by {teacher_name or 'a teacher DDPM'} "
                         "on the same x_t (Ho et al. 2020, Algorithm 1, with the teacher's eps as target)")
        self.card_info = {"objective": objective, "ema_decay": ema_decay, "optimizer": f"AdamW lr {lr}"}
        if embedding:
            self.card_info["optimizer"] += f", class embedding lr {class_lr or lr}"
        if teacher_name:
            self.card_info["teacher"] = teacher_name

    def train_step(self, batch, gen):
        rt, scheduler = self.runtime, self.export_model.scheduler
        x0 = rt.tensor(batch[0].float().div(127.5).sub(1).unsqueeze(1))  # (B, 28, 28) u8 -> (B, 1, 28, 28) in [-1, 1]
        # this rank's rows of the global batch's timesteps and noise
        t = distributed.draw(lambda n: torch.randint(0, scheduler.config.num_train_timesteps, (n,), generator=gen),
                             x0.shape[0])
        eps = distributed.draw(lambda n: torch.randn((n, *x0.shape[1:]), generator=gen), x0.shape[0])
        x_t = scheduler.add_noise(x0, rt.tensor(eps), t.to(x0.device))  # forward process q(x_t | x_0)
        labels = None
        if self.export_model.num_classes:  # the items' classes, some replaced by "no class" (index num_classes)
            labels = batch[1].long()
            drop = distributed.draw(lambda n: torch.rand(n, generator=gen), x0.shape[0]) < self.uncond_prob
            labels = torch.where(drop, torch.full_like(labels, self.export_model.num_classes), labels).to(x0.device)
        target = eps
        if self.teacher is not None:  # the teacher's estimate of E[eps | x_t] replaces the single draw
            with torch.no_grad(), rt.autocast():
                target = self.teacher.unet(x_t, t.to(x0.device)).sample.float()
        with rt.autocast():
            pred = self.net(x_t, t.to(x0.device), class_labels=labels).sample
        loss = torch.nn.functional.mse_loss(pred.float(), target.to(pred.device))
        opt = self.optimizers["unet"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        opt.step()
        self._update_ema()
        return {"loss": loss.item(), "grad_norm": float(grad_norm)}

    @torch.no_grad()
    def _update_ema(self) -> None:
        first = next(iter(self.net.parameters()))
        k = int(self.optimizers["unet"].state[first]["step"])  # updates so far (restored on resume)
        decay = min(self.ema_decay, (1 + k) / (10 + k))
        ema, net = list(self.export_model.unet.parameters()), list(self.net.parameters())
        torch._foreach_lerp_(ema, net, 1.0 - decay)  # ema <- decay * ema + (1 - decay) * net
