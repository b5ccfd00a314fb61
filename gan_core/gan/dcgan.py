"""DCGAN for 32x32 images (Radford, Metz & Chintala 2015, https://arxiv.org/abs/1511.06434).

Architecture guidelines from the paper (Section 3):
* strided convolutions instead of pooling (D) and fractional-strided ones (G);
* batch norm in both nets, except the G output layer and the D input layer;
* ReLU in G with Tanh on the output; LeakyReLU(0.2) in D;
* no fully connected hidden layers.

Fashion-MNIST's 28x28 items are zero-padded to 32x32 (see ``gan_core.data.to_unit``), so
four stride-2 stages map 1 -> 4 -> 8 -> 16 -> 32. Images live in [-1, 1] inside the nets.

The switches of "Improved Techniques for Training GANs" (Salimans et al. 2016,
https://arxiv.org/abs/1606.03498) are options here, all off by default (today's recipe):
virtual batch norm in G (``vbn``) and minibatch discrimination in D (``minibatch``) change the
networks; feature matching, historical averaging, one-sided label smoothing and an EMA of G's
weights change only the training step (``DCGANTraining``). Their math is shared with the 2-D
training lab (``gan_core.lab``).
"""
from __future__ import annotations

import copy
import itertools

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .. import distributed
from ..lab.losses import feature_matching, historical_penalty
from ..lab.model import MinibatchDiscrimination, VirtualBatchNorm
from ..prior import standard_normal
from ..trainer import reestimating_batchnorm

MBD_KERNEL_DIM = 4   # C, the length of each minibatch-discrimination kernel's rows (Salimans Sec. 3.2)
VBN_SEED = 20160610  # the fixed reference batch of virtual batch norm is z drawn from this seed


def dcgan_init(module: nn.Module) -> None:
    """Paper: all weights from N(0, 0.02); batch-norm scale from N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, VirtualBatchNorm2d):  # scale and shift as batch norm's
        nn.init.normal_(module.gamma, 1.0, 0.02)
        nn.init.zeros_(module.beta)


class VirtualBatchNorm2d(VirtualBatchNorm):
    """Virtual batch norm (Salimans et al. 2016, Sec. 3.5) for feature maps ``(B, C, H, W)``.

    Sample i is normalised per channel with the mean and variance of the reference batch
    ``ref`` ``(R, C, H, W)`` together with x_i itself (R + 1 members, all H x W positions), so its
    output never depends on the other samples of its batch; the reference is normalised with its
    own statistics and walks through the network alongside. With H = W = 1 this is the lab's
    ``VirtualBatchNorm`` (whose scale ``gamma`` and shift ``beta`` it keeps). Statistics are taken in
    float32 (also under bf16 autocast).
    """

    def forward(self, x: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        stats = self.reference_stats(ref)
        return self.normalise(x, stats), self.normalise_reference(ref, stats)

    @staticmethod
    def reference_stats(ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """The reference batch's per-channel sum and sum of squares ``(C,)``, and its count R * H * W."""
        ref = ref.float()
        return ref.sum((0, 2, 3)), (ref * ref).sum((0, 2, 3)), ref.shape[0] * ref.shape[2] * ref.shape[3]

    def normalise(self, x: torch.Tensor, stats) -> torch.Tensor:
        """Each sample of ``x`` normalised with the reference batch plus itself (R + 1 members)."""
        r_sum, r_sq, n_ref = stats
        x = x.float()
        count = n_ref + x.shape[2] * x.shape[3]
        mean = (r_sum + x.sum((2, 3))) / count                                  # (B, C): x_i joins the batch
        var = ((r_sq + (x * x).sum((2, 3))) / count - mean ** 2).clamp_min(0)
        x_n = (x - mean[..., None, None]) * (var + self.eps).rsqrt()[..., None, None]
        return x_n * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)

    def normalise_reference(self, ref: torch.Tensor, stats) -> torch.Tensor:
        """The reference batch normalised with its own statistics (it walks on to the next layer)."""
        r_sum, r_sq, n_ref = stats
        r_mean = r_sum / n_ref
        r_var = (r_sq / n_ref - r_mean ** 2).clamp_min(0)
        r_n = (ref.float() - r_mean.view(1, -1, 1, 1)) * (r_var + self.eps).rsqrt().view(1, -1, 1, 1)
        return r_n * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)


class Generator(nn.Module):
    """z ``(B, nz)`` -> image ``(B, nc, 32, 32)`` in [-1, 1].

    ``vbn`` > 0 replaces G's batch norms by virtual batch norm with a fixed reference batch of
    ``vbn`` latent codes (a buffer, saved with the weights): each sample is then a function of its
    own z alone, in training and at sampling time alike.
    """

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 1, vbn: int = 0):
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
        if vbn:
            for i, layer in enumerate(self.net):
                if isinstance(layer, nn.BatchNorm2d):
                    self.net[i] = VirtualBatchNorm2d(layer.num_features)
            self.register_buffer("z_ref", standard_normal(vbn, nz, torch.Generator().manual_seed(VBN_SEED)))
        else:
            self.z_ref = None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = z.reshape(z.shape[0], self.nz, 1, 1)  # (B, nz) -> (B, nz, 1, 1)
        if self.z_ref is None:
            return self.net(h)                     # -> (B, nc, 32, 32)
        if not (self.training or torch.is_grad_enabled()):
            # sampling: the reference batch's statistics are the same for every call while the weights
            # are, so they are computed once and only the B samples go through (5x less work for 16)
            stats = iter(self._reference_stats(h))
            for layer in self.net:
                h = layer.normalise(h, next(stats)) if isinstance(layer, VirtualBatchNorm2d) else layer(h)
            return h                               # (B, nc, 32, 32)
        b = h.shape[0]
        h = torch.cat([h, self.z_ref.to(h).reshape(-1, self.nz, 1, 1)])  # the reference walks along: (B + R, ...)
        for layer in self.net:
            if isinstance(layer, VirtualBatchNorm2d):
                x, r = layer(h[:b], h[b:])
                h = torch.cat([x, r])
            else:
                h = layer(h)
        return h[:b]                               # (B, nc, 32, 32)

    def _reference_stats(self, like: torch.Tensor) -> list:
        """Each virtual batch norm's reference statistics, for inputs like ``like`` (device, dtype,
        autocast) and the weights as they are now (an optimiser step or a load changes the key)."""
        key = (like.device, like.dtype, torch.is_autocast_enabled(like.device.type),
               torch.get_autocast_dtype(like.device.type), tuple(t._version for t in itertools.chain(self.parameters(), self.buffers())))
        cache = self.__dict__.setdefault("_ref_cache", {})
        if key not in cache:
            r, stats = self.z_ref.to(like).reshape(-1, self.nz, 1, 1), []
            for layer in self.net:
                if isinstance(layer, VirtualBatchNorm2d):
                    stats.append(layer.reference_stats(r))
                    r = layer.normalise_reference(r, stats[-1])
                else:
                    r = layer(r)
            cache.clear()  # only the newest weights' statistics are kept
            cache[key] = stats
        return cache[key]


class Discriminator(nn.Module):
    """image ``(B, nc, 32, 32)`` -> logit ``(B,)`` (D(x) = sigmoid(logit)).

    ``features(x)`` ``(B, ndf*4, 4, 4)`` is the last hidden layer (what feature matching matches).
    ``minibatch`` > 0 adds minibatch discrimination with that many kernels on those features
    (Salimans et al. 2016, Sec. 3.2): the logit gains a linear term in
    o(x_i)_k = sum_{j != i} exp(-||M_{i,k} - M_{j,k}||_1), M_i = f(x_i) T, so D sees how close each
    sample is to the rest of its batch.
    """

    def __init__(self, ndf: int = 64, nc: int = 1, minibatch: int = 0):
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
        self.mbd = self.mbd_head = None
        if minibatch:
            self.mbd = MinibatchDiscrimination(ndf * 4 * 16, minibatch, MBD_KERNEL_DIM, torch.Generator())
            self.mbd_head = nn.Linear(minibatch, 1, bias=False)

    def minibatch_features(self, f: torch.Tensor) -> torch.Tensor:
        """o ``(B, K)`` of features ``(B, ndf*4, 4, 4)``, in float32 (autocast off: exp of L1 distances)."""
        with torch.autocast(f.device.type, enabled=False):
            flat = f.float().flatten(1)
            return self.mbd(flat)[:, flat.shape[1]:]

    def classify(self, f: torch.Tensor) -> torch.Tensor:
        """Features ``(B, ndf*4, 4, 4)`` -> logit ``(B,)``."""
        logit = self.head(f).flatten()
        if self.mbd is not None:
            logit = logit + self.mbd_head(self.minibatch_features(f)).flatten()
        return logit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))


class DCGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
            tags=["gan", "dcgan", "fashion-mnist"]):
    """Generator and discriminator saved together, so a run can be resumed or inspected.

    Args:
        nz: length of the latent vector z.
        ngf: generator width (channels of the last hidden layer).
        ndf: discriminator width (channels of the first layer).
        nc: image channels.
        vbn: size of G's virtual-batch-norm reference batch; 0 (default): ordinary batch norm.
        minibatch: kernels of D's minibatch discrimination; 0 (default): none.
    """

    def __init__(self, nz: int = 100, ngf: int = 64, ndf: int = 64, nc: int = 1, vbn: int = 0, minibatch: int = 0):
        super().__init__()
        self.nz = nz
        self.generator = Generator(nz, ngf, nc, vbn=vbn)
        self.discriminator = Discriminator(ndf, nc, minibatch=minibatch)
        self.apply(dcgan_init)
        if self.discriminator.mbd is not None:  # T ~ N(0, 0.02) like every DCGAN weight
            nn.init.normal_(self.discriminator.mbd.T, 0.0, 0.02)
        # the switches enter config.json only when on: today's checkpoints keep their four keys
        for key, off in (("vbn", 0), ("minibatch", 0)):
            if self._hub_mixin_config is not None and self._hub_mixin_config.get(key) == off:
                self._hub_mixin_config.pop(key)

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


FEATURE_MATCHING = ("off", "replace", "add")


@torch.no_grad()
def ema_update(ema: list[torch.Tensor], params: list[torch.Tensor], decay: float) -> None:
    """theta_ema <- decay * theta_ema + (1 - decay) * theta, in place."""
    torch._foreach_lerp_(ema, params, 1.0 - decay)


def ema_decay_at(decay: float, updates: int) -> float:
    """The decay used after ``updates`` earlier updates: min(decay, (1 + t) / (10 + t)), so that the
    average does not drag the initial weights along through a short run."""
    return min(decay, (1.0 + updates) / (10.0 + updates))


@torch.no_grad()
def running_average_update(averages: list[torch.Tensor], params: list[torch.Tensor], updates: int) -> None:
    """theta_bar <- theta_bar + (theta - theta_bar) / (t + 2): the mean of theta_0 .. theta_{t+1}, as the lab keeps it."""
    torch._foreach_lerp_(averages, params, 1.0 / (updates + 2))


def recalibrate_batchnorm(generator: Generator, batches: int = 16, batch_size: int = 256, seed: int = 0,
                          draw=None) -> None:
    """Replace the running statistics of G's batch norms by their plain mean over ``batches`` batches
    of G's input (fixed seed): what the averaged weights of an EMA generator need, since the running
    statistics seen during training belong to the live weights. ``draw(n, torch_generator)`` makes
    one batch of input (default z ~ N(0, I); a conditional G also needs its one-hot labels)."""
    if not any(isinstance(m, nn.BatchNorm2d) for m in generator.modules()):
        return
    draw = draw or (lambda n, g: standard_normal(n, generator.nz, g))
    gen = torch.Generator().manual_seed(seed)
    device = next(generator.parameters()).device
    with reestimating_batchnorm(generator):
        for _ in range(batches):
            generator(draw(batch_size, gen).to(device))


class TechniqueState(nn.Module):
    """What training keeps beyond the DCGAN when EMA or historical averaging is on, so that it is
    saved in the run state and a resumed run continues exactly: the EMA copy of G, the running
    averages of every weight, and the number of training steps done."""

    def __init__(self, gan: DCGAN, *, ema: bool, averages: bool):
        super().__init__()
        self.gan = gan
        self.ema = copy.deepcopy(gan.generator).requires_grad_(False) if ema else None
        self.averages = nn.ParameterList(
            [nn.Parameter(p.detach().clone(), requires_grad=False) for p in gan.parameters()]) if averages else None
        self.register_buffer("updates", torch.zeros((), dtype=torch.int64))

    @property
    def generator(self) -> Generator:
        return self.gan.generator

    @property
    def discriminator(self) -> Discriminator:
        return self.gan.discriminator

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.gan.sample_z(n, generator)

    def follow_generator(self, decay: float) -> None:
        """One EMA step of the average towards G's current weights (decay warmed up by ``updates``);
        G's batch-norm statistics are copied as they are (re-measured for the average at export)."""
        ema_update(list(self.ema.parameters()), list(self.gan.generator.parameters()),
                   ema_decay_at(decay, int(self.updates)))
        for mine, live in zip(self.ema.buffers(), self.gan.generator.buffers()):
            mine.copy_(live)


def ema_card(decay: float) -> str:
    """The model card's line for an exported EMA generator."""
    return (f"EMA of G's weights (decay {decay:g}), an evaluation-only copy; batch-norm statistics "
            "re-measured for them before export. The discriminator is the live one.")


class EMAExport(DCGAN):
    """The checkpoint of a run with an EMA of G: the EMA generator (with batch-norm statistics
    re-measured for its weights just before saving) beside the live discriminator."""

    def _save_pretrained(self, save_directory) -> None:
        recalibrate_batchnorm(self.generator)
        super()._save_pretrained(save_directory)


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
        feature_matching: "off"; "replace": G minimises ||E f(x) - E f(G(z))||^2 over D's last hidden
            layer f instead of its adversarial loss (Salimans et al. 2016, Sec. 3.1); "add": the sum.
        hist_avg: lambda of historical averaging, lambda ||theta - mean of past theta||^2 added to both
            players' losses (Sec. 3.3); 0 = off.
        ema: decay of an exponential moving average of G's weights, an evaluation-only copy that
            is what gets exported (``export_model``); 0 = off.

    With every switch off (the default) ``model`` is the DCGAN itself and the step is today's recipe.
    """

    def __init__(self, model: DCGAN, runtime, *, g_loss: str = "nonsaturating", real_label: float = 1.0,
                 lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999), feature_matching: str = "off",
                 hist_avg: float = 0.0, ema: float = 0.0):
        from ..losses import GENERATOR_LOSSES
        if feature_matching not in FEATURE_MATCHING:
            raise ValueError(f"feature_matching must be one of {FEATURE_MATCHING}, got {feature_matching!r}")
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"the EMA decay must lie in [0, 1), got {ema}")
        self.model = self.gan = runtime.prepare(model)
        self.runtime = runtime
        self.g_loss = GENERATOR_LOSSES[g_loss]
        self.real_label = real_label
        self.feature_matching, self.hist_avg, self.ema_decay = feature_matching, hist_avg, ema
        self.optimizers = {
            "D": torch.optim.Adam(self.gan.discriminator.parameters(), lr=lr_d, betas=betas),
            "G": torch.optim.Adam(self.gan.generator.parameters(), lr=lr_g, betas=betas),
        }
        self.state = None
        if ema or hist_avg:  # the run state then holds the extra tensors too
            self.state = self.model = runtime.prepare(TechniqueState(self.gan, ema=bool(ema), averages=bool(hist_avg)))
            self.export_model = self.gan
        if ema:
            with torch.random.fork_rng():  # building the shell draws weights: leave the global RNG alone
                shell = EMAExport(**self.gan._hub_mixin_config)
            shell.generator, shell.discriminator = self.state.ema, self.gan.discriminator
            self.export_model = shell
        on = self.techniques()
        if on:
            self.card_info = {"techniques": ", ".join(on)}
            if ema:
                self.card_info["generator_weights"] = ema_card(ema)

    def techniques(self) -> list[str]:
        """The switches of Salimans et al. 2016 that are on, in words (for the model card)."""
        g, d = self.gan.generator, self.gan.discriminator
        on = []
        if self.feature_matching != "off":
            on.append(f"feature matching ({self.feature_matching})")
        if d.mbd is not None:
            on.append(f"minibatch discrimination ({d.mbd.kernels} kernels x {d.mbd.kernel_dim})")
        if self.hist_avg:
            on.append(f"historical averaging (lambda {self.hist_avg:g})")
        if self.real_label != 1.0:
            on.append(f"one-sided label smoothing (real label {self.real_label:g})")
        if g.z_ref is not None:
            on.append(f"virtual batch norm in G (reference batch {g.z_ref.shape[0]})")
        if self.ema_decay:
            on.append(f"EMA of G (decay {self.ema_decay:g})")
        return on

    def _penalty(self, params) -> torch.Tensor:
        """lambda ||theta - theta_bar||^2 over ``params`` (a list of (param, average) pairs)."""
        ps, avgs = zip(*params)
        return self.hist_avg * historical_penalty(ps, avgs)

    def train_step(self, batch, gen):
        from ..losses import discriminator_loss, minimax_value
        G, D, rt = self.gan.generator, self.gan.discriminator, self.runtime
        real = rt.tensor(batch[0].float().div(127.5).sub(1).unsqueeze(1))  # (B, 28, 28) u8 -> (B, 1, 28, 28) in [-1, 1]
        real = torch.nn.functional.pad(real, (2, 2, 2, 2), value=-1.0)     # -> (B, 1, 32, 32), background stays black
        z = rt.tensor(distributed.draw(lambda n: self.gan.sample_z(n, gen), real.shape[0]))  # this rank's rows
        st = self.state
        t = int(st.updates) if st is not None else 0
        pairs = list(zip(self.gan.parameters(), st.averages)) if self.hist_avg else []
        n_d = sum(1 for _ in D.parameters())
        d_pairs, g_pairs = pairs[len(pairs) - n_d:], pairs[:len(pairs) - n_d]  # G's parameters come first

        # (1) Fix G, update D: maximize log D(x) + log(1 - D(G(z)))
        #     (fake.detach(): no gradient reaches G in this step)
        with rt.autocast():
            fake = G(z)
            d_real, d_fake = D(real), D(fake.detach())
            loss_d = discriminator_loss(d_real, d_fake, self.real_label)
        total_d = loss_d + self._penalty(d_pairs) if self.hist_avg else loss_d
        self.optimizers["D"].zero_grad(set_to_none=True)
        total_d.backward()
        self.optimizers["D"].step()

        # (2) Fix D, update G: make D(G(z)) large, i.e. fool the (just updated) discriminator
        D.requires_grad_(False)
        logs = {}
        with rt.autocast():
            if self.feature_matching == "off":
                d_fake_for_g = D(fake)
                loss_g = self.g_loss(d_fake_for_g)
            else:  # match the mean of D's last hidden layer on real data (Salimans Sec. 3.1)
                with torch.no_grad():
                    f_real = D.features(real)
                f_fake = D.features(fake)
                gap = feature_matching(f_real.float().flatten(1), f_fake.float().flatten(1))
                loss_g = gap if self.feature_matching == "replace" else self.g_loss(D.classify(f_fake)) + gap
                logs["feature_gap"] = gap.item()
        total_g = loss_g + self._penalty(g_pairs) if self.hist_avg else loss_g
        self.optimizers["G"].zero_grad(set_to_none=True)
        total_g.backward()
        self.optimizers["G"].step()
        D.requires_grad_(True)

        if st is not None:
            if self.hist_avg:
                running_average_update(list(st.averages), list(self.gan.parameters()), t)
                logs["hist_penalty"] = (total_d - loss_d).item() + (total_g - loss_g).item()
            if st.ema is not None:
                st.follow_generator(self.ema_decay)
            st.updates += 1

        return {
            "loss_D": loss_d.item(),
            "loss_G": loss_g.item(),
            "V": minimax_value(d_real, d_fake).item(),
            "D(x)": torch.sigmoid(d_real.float()).mean().item(),
            "D(G(z))": torch.sigmoid(d_fake.float()).mean().item(),
            **logs,
        }
