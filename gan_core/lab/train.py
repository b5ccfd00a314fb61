"""The lab's training algorithm: a ``Lab`` owns G, D, their optimisers and a seeded data/noise
stream, and steps the game the way the lecture states it (Goodfellow et al., 2014,
https://arxiv.org/abs/1406.2661, Algorithm 1):

    for each iteration:  (1) k times: fix G, update D;   (2) fix D, update G.

Every switch of "Improved Techniques for Training GANs" (Salimans et al., 2016,
https://arxiv.org/abs/1606.03498) is a field of ``LabConfig``; so are packing (PacGAN, Lin et al.,
2018, https://arxiv.org/abs/1712.04086) and unrolled D (Metz et al., 2017,
https://arxiv.org/abs/1611.02163); so is an exponential moving average of G's weights (Yazıcı et al.,
2019, https://arxiv.org/abs/1806.04498), which the lab keeps in every run and shows when switched on.
``Lab.twin(**change)`` builds an A/B partner that starts from the
same weights and sees the same data and noise, so the changed switch is the only difference.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import threading
from dataclasses import dataclass

import torch
from torch.func import functional_call

from . import data, losses
from .model import Discriminator, Generator

STRUCTURAL = ("dataset", "points", "noise_dim", "g_layers", "g_units", "d_layers", "d_units",
              "minibatch", "vbn", "pack", "seed")  # changing one of these rebuilds the networks
VBN_REF = 64  # size of the fixed reference batch of virtual batch norm
DECAY = 1000.0  # τ of the learning-rate decay lr / (1 + t/τ) when it is switched on
HIST_AVG = 1e-3   # weight of the historical-averaging penalty when switched on in the tab
SMOOTH = 0.1      # one-sided label smoothing in the tab: real target 1 − 0.1 = 0.9
R1_GAMMA = 1.0   # γ of the zero-centred gradient penalty on real points when switched on
EMA_BETA = 0.999  # decay of the average of G's weights; after t G-steps min(β, (1 + t) / (10 + t))


@dataclass(frozen=True)
class LabConfig:
    dataset: str = "ring8"          # a key of data.DATASETS, or "drawn"
    points: tuple = ()              # the drawn points ((x, y), ...) when dataset == "drawn"
    noise_dim: int = 2              # 1 or 2
    noise: str = "gaussian"         # "gaussian" (N(0, I)) or "uniform" (U[-1, 1])
    g_layers: int = 3               # hidden layers of G, 0-5
    g_units: int = 64               # units per hidden layer, up to 128
    d_layers: int = 3
    d_units: int = 64
    loss: str = "nonsaturating"     # one of losses.LOSSES
    d_opt: str = "adam"             # "adam" or "sgd"
    g_opt: str = "adam"
    d_lr: float = 1e-3
    g_lr: float = 1e-3
    k: int = 1                      # D steps per G step
    batch: int = 256
    seed: int = 0                   # initial weights and the data/noise stream
    gp_weight: float = 10.0         # λ of WGAN-GP
    feature_matching: bool = False  # G matches D's mean last-layer features (Salimans 3.1)
    minibatch: bool = False         # minibatch discrimination in D (Salimans 3.2)
    hist_avg: float = 0.0           # weight of historical averaging, 0 = off (Salimans 3.3)
    label_smooth: float = 0.0       # real target 1 − s for D, 0 = off (Salimans 3.4)
    vbn: bool = False               # virtual batch norm in G (Salimans 3.5)
    pack: int = 1                   # PacGAN: D judges `pack` samples at once
    unroll: int = 0                 # unrolled D steps behind G's update (Metz et al.)
    lr_decay: float = 0.0           # τ > 0: both learning rates are lr / (1 + t/τ) at iteration t, 0 = off
    g_ema: bool = False             # show and measure the moving average of G's weights instead of G
    r1: float = 0.0                 # γ of the zero-centred gradient penalty on real data, 0 = off (Mescheder et al.)


# The tab's presets. "vanilla" is a plain GAN (no switch on) whose G is smaller and shallower than D,
# which makes it collapse onto a few ring modes and miss grid modes (BENCHMARKS.md, "GAN training lab").
# "improved" gives G the size of D (2 × 64) and shows the average of G's weights (which changes nothing in
# the game: on the ring G's own samples jitter off the modes on some seeds late in training, the average's
# do not): it holds the ring's 8 modes. "wide" gives both players 3 hidden layers of 128 units, steps D
# at half G's learning rate, smooths D's real label to 0.9, adds the R1 penalty on real points and shows
# the average of G's weights: it keeps 24-25 of the grid's 25 modes and all 8 of the ring's, with about
# 92-95 % of the samples within 3σ (without R1, two seeds of five dropped two grid modes and most dropped
# ring modes). Both are meant to train for one press of play. (Packing and learning-rate decay slowed the
# settling at this budget, feature matching cut the high-quality share in half, and minibatch
# discrimination and unrolling cost about 8× per iteration; BENCHMARKS.md has the ablation.)
PRESETS = {"vanilla": LabConfig(g_layers=1, g_units=16, d_layers=2, d_units=64)}
PRESETS["improved"] = dataclasses.replace(PRESETS["vanilla"], g_layers=2, g_units=64, g_ema=True)
PRESETS["wide"] = dataclasses.replace(PRESETS["vanilla"], g_layers=3, g_units=128, d_layers=3, d_units=128,
                                      d_lr=5e-4, g_ema=True, label_smooth=SMOOTH, r1=R1_GAMMA)
PRESET_ITERATIONS = 20_000  # the budget the presets are measured at: one press of play in the tab


_threads_lock = threading.Lock()
_threads_users = 0      # labs inside ``one_thread()`` now
_threads_saved = 1      # torch's thread count before the first of them entered


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread while any lab trains: these MLPs are too small to gain from a second
    thread, and on a 2-core server the labs and the other tabs keep the cores busy. The count is
    restored when the last training lab leaves."""
    global _threads_users, _threads_saved
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)


class Adam:
    """Adam (Kingma & Ba, 2015) with β = (0.5, 0.999), as in DCGAN, on a fixed list of tensors.

    The same update as ``torch.optim.Adam(fused=True)``, one fused kernel call per step, without the
    optimiser's per-step bookkeeping (which costs more than the kernel for networks this small).
    """
    beta1, beta2, eps = 0.5, 0.999, 1e-8

    def __init__(self, params: list[torch.Tensor]):
        self.params = params
        self.exp_avg = [torch.zeros_like(p) for p in params]      # m, the first moment
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]   # v, the second moment
        self.steps = [torch.zeros(()) for _ in params]            # t, one counter per tensor (fused kernel API)

    @torch.no_grad()
    def step(self, grads, lr: float) -> None:
        torch._foreach_add_(self.steps, 1.0)
        torch._fused_adam_(self.params, list(grads), self.exp_avg, self.exp_avg_sq, [], self.steps, lr=lr,
                           beta1=self.beta1, beta2=self.beta2, weight_decay=0.0, eps=self.eps,
                           amsgrad=False, maximize=False)


class SGD:
    """Plain gradient descent θ ← θ − lr·g, one foreach call per step."""

    def __init__(self, params: list[torch.Tensor]):
        self.params = params

    @torch.no_grad()
    def step(self, grads, lr: float) -> None:
        torch._foreach_add_(self.params, list(grads), alpha=-lr)


OPTIMIZERS = {"adam": Adam, "sgd": SGD}


def make_optimizer(name: str, params: list[torch.Tensor]):
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimiser {name!r}")
    return OPTIMIZERS[name](params)


class Lab:
    """One run of the 2-D game; ``history`` holds one record per completed G step."""

    def __init__(self, config: LabConfig):
        self.config = c = config
        self.data = data.get(c.dataset, c.points)
        self.G = Generator(noise_dim=c.noise_dim, layers=c.g_layers, units=c.g_units, vbn=c.vbn, seed=c.seed)
        self.D = Discriminator(layers=c.d_layers, units=c.d_units, pack=c.pack, minibatch=c.minibatch,
                               seed=c.seed)
        self._stream = torch.Generator()
        if c.vbn:  # the reference batch is drawn once and fixed (Salimans 3.5)
            self.G.z_ref = self.noise(VBN_REF, self._at(-1, 0))
        self.d_params, self.g_params = list(self.D.parameters()), list(self.G.parameters())
        self.set_optimizers(c)
        self.d_avg = [p.detach().clone() for p in self.d_params]   # running means for historical averaging
        self.g_avg = [p.detach().clone() for p in self.g_params]
        # the moving average of G's weights: kept in every run (it never feeds back into the game), so
        # switching it on mid-run, or in an A/B twin, shows the average of the very same training
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False)
        self.g_ema_params = list(self.G_ema.parameters())
        self.d_steps = self.g_steps = 0
        self.history: list[dict] = []
        self.last_d: dict = {}
        self.lock = threading.Lock()  # one step at a time, whichever request asks

    # ---- the seeded stream: batch t of each role is the same in every lab with this seed ----
    def _at(self, t: int, role: int) -> torch.Generator:
        return self._stream.manual_seed((self.config.seed * 1_000_003 + t * 8 + role) % (2**63))

    def noise(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self.config.noise == "uniform":
            return torch.rand(n, self.config.noise_dim, generator=gen) * 2 - 1
        return torch.randn(n, self.config.noise_dim, generator=gen)                 # (n, noise_dim)

    def set_optimizers(self, c: LabConfig) -> None:
        self.opt_d = make_optimizer(c.d_opt, self.d_params)
        self.opt_g = make_optimizer(c.g_opt, self.g_params)

    def update_config(self, config: LabConfig) -> None:
        """Apply a change that keeps the networks (learning rates, loss, switches that add no weights)."""
        old, self.config = self.config, config
        if (old.d_opt, old.g_opt) != (config.d_opt, config.g_opt):
            self.set_optimizers(config)

    def twin(self, **change) -> "Lab":
        """A partner with ``change`` applied, the same initial weights where the shapes agree, and
        the same data and noise stream. Call it before training (weights are taken from the seed)."""
        return Lab(dataclasses.replace(self.config, **change))

    # ---- (1) fix G, update D ----
    def d_step(self) -> dict:
        c, t = self.config, self.d_steps
        real = self.data.sample(c.batch, self._at(t, 0))                           # (B, 2)
        if c.r1:
            real.requires_grad_(True)  # for ∇ₓD(x) on the real points
        with torch.no_grad():                                                      # G is fixed
            fake = self.G(self.noise(c.batch, self._at(t, 1)))                      # (B, 2)
        if self.D.mbd is None:  # one pass over both halves; minibatch features need separate batches
            real_out, fake_out = self.D(torch.cat([real, fake])).chunk(2)
        else:
            real_out, fake_out = self.D(real), self.D(fake)
        # maximise log D(x) + log(1 − D(G(z))) (or the chosen loss): minimise d_loss
        loss = losses.d_loss(c.loss, real_out, fake_out, 1.0 - c.label_smooth)
        if c.loss == "wgan_gp":
            u = torch.rand(c.batch, 1, generator=self._at(t, 2))
            loss = loss + c.gp_weight * losses.gradient_penalty(self.D, real, fake, u, c.pack)
        if c.r1:
            loss = loss + c.r1 / 2 * losses.r1_penalty(real_out, real)
        total = loss + c.hist_avg * losses.historical_penalty(self.d_params, self.d_avg) if c.hist_avg else loss
        norm = self._apply(total, self.d_params, self.opt_d, self.d_avg, self.d_steps)
        self.d_steps += 1
        with torch.no_grad():  # one tensor -> one conversion to Python numbers per step
            values = torch.stack([loss, losses.d_prob(c.loss, real_out).mean(),
                                  losses.d_prob(c.loss, fake_out).mean(), norm]).tolist()
        self.last_d = dict(zip(("loss_d", "d_real", "d_fake", "grad_d"), values))
        return self.last_d

    # ---- (2) fix D, update G ----
    def g_step(self) -> dict:
        c, t = self.config, self.g_steps
        fake = self.G(self.noise(c.batch, self._at(t, 3)))                          # (B, 2)
        if c.feature_matching:  # Salimans 3.1: match E f(x) of D's last hidden layer instead
            real = self.data.sample(c.batch, self._at(t, 4))
            with torch.no_grad():
                f_real = self.D.features(real)
            loss = losses.feature_matching(f_real, self.D.features(fake))
            fake_out = None
        else:
            fake_out = self.unrolled_d(fake, t) if c.unroll else self.D(fake)
            loss = losses.g_loss(c.loss, fake_out)                              # fool the fixed D
        total = loss + c.hist_avg * losses.historical_penalty(self.g_params, self.g_avg) if c.hist_avg else loss
        norm = self._apply(total, self.g_params, self.opt_g, self.g_avg, self.g_steps)  # D gets no update
        self.g_steps += 1
        with torch.no_grad():  # θ_ema ← β θ_ema + (1 − β) θ, β warming up to EMA_BETA
            beta = min(EMA_BETA, (1 + self.g_steps) / (10 + self.g_steps))
            torch._foreach_lerp_(self.g_ema_params, self.g_params, 1.0 - beta)
        with torch.no_grad():
            if fake_out is None:
                fake_out = self.D(fake.detach())
            loss_g, grad_g, d_fake = torch.stack([loss, norm, losses.d_prob(c.loss, fake_out).mean()]).tolist()
        record = {"step": self.g_steps, "loss_g": loss_g, "grad_g": grad_g,
                  **(self.last_d or {"loss_d": float("nan"), "d_real": float("nan"), "grad_d": float("nan")}),
                  "d_fake": d_fake}
        self.history.append(record)
        return record

    def iteration(self) -> dict:
        """k D-steps then one G-step."""
        for _ in range(self.config.k):
            self.d_step()
        return self.g_step()

    def run(self, iterations: int) -> dict | None:
        record = None
        with self.lock, one_thread():
            for _ in range(iterations):
                record = self.iteration()
        return record

    def _lr(self, lr: float) -> float:
        """The learning rate now: constant, or decayed as lr / (1 + t/τ) (Robbins-Monro steps)."""
        tau = self.config.lr_decay
        return lr / (1 + self.g_steps / tau) if tau else lr

    def _apply(self, loss, params, opt, avg, done: int) -> torch.Tensor:
        """Gradients of ``loss`` for ``params`` only, one optimiser step, the running average of the
        ``done + 2`` iterates θ_0 .. θ_{done+1}; -> the gradient's norm (a 0-d tensor)."""
        grads = torch.autograd.grad(loss, params)
        opt.step(grads, self._lr(self.config.d_lr if opt is self.opt_d else self.config.g_lr))
        with torch.no_grad():
            torch._foreach_lerp_(avg, params, 1.0 / (done + 2))  # kept even while off
            return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))

    def unrolled_d(self, fake: torch.Tensor, t: int) -> torch.Tensor:
        """D(fake) after ``unroll`` look-ahead D steps that G differentiates through (Metz et al.).

        The look-ahead copies D's optimiser (SGD, or Adam with its current moments), uses fresh real
        batches and G's current samples, and leaves the real D untouched.
        """
        c = self.config
        names = [n for n, _ in self.D.named_parameters()]
        params = list(self.d_params)
        if isinstance(self.opt_d, Adam):
            m, v, step = self.opt_d.exp_avg, self.opt_d.exp_avg_sq, float(self.opt_d.steps[0])
        else:
            m, v, step = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params], 0.0
        for i in range(c.unroll):
            real = self.data.sample(c.batch, self._at(t, 5 + (i % 3)))
            out = functional_call(self.D, dict(zip(names, params)), (torch.cat([real, fake]),))
            real_out, fake_out = out.chunk(2)
            loss = losses.d_loss(c.loss if c.loss != "wgan_gp" else "nonsaturating", real_out, fake_out,
                                 1.0 - c.label_smooth)
            grads = torch.autograd.grad(loss, params, create_graph=True)
            if c.d_opt == "adam":
                step += 1
                m = [0.5 * a + 0.5 * g for a, g in zip(m, grads)]
                v = [0.999 * a + 0.001 * g * g for a, g in zip(v, grads)]
                bc1, bc2 = 1 - 0.5 ** step, 1 - 0.999 ** step
                params = [p - c.d_lr * (a / bc1) / ((b / bc2 + 1e-16).sqrt() + 1e-8)
                          for p, a, b in zip(params, m, v)]
            else:
                params = [p - c.d_lr * g for p, g in zip(params, grads)]
        return functional_call(self.D, dict(zip(names, params)), (fake,))

    @property
    def shown(self):
        """The generator the figure draws and the measures judge: G, or the average of its weights."""
        return self.G_ema if self.config.g_ema else self.G

    @torch.no_grad()
    def samples(self, n: int = 2500, seed: int = 987654) -> torch.Tensor:
        """``n`` samples of the shown generator ``(n, 2)`` from a fixed evaluation noise (independent of
        training)."""
        return self.shown(self.noise(n, torch.Generator().manual_seed(seed)))
