"""Small MLP generator and discriminator of the training lab, with two layers from
"Improved Techniques for Training GANs" (Salimans et al., 2016, https://arxiv.org/abs/1606.03498):

* ``MinibatchDiscrimination`` (Sec. 3.2) lets D compare each sample with the rest of its batch;
* ``VirtualBatchNorm`` (Sec. 3.4) normalises each sample with the statistics of a fixed
  reference batch plus the sample itself, so a sample's output does not depend on its batch-mates.

Packing (PacGAN, Lin et al., 2018, https://arxiv.org/abs/1712.04086) is D seeing ``pack`` samples
concatenated: its input has ``2 * pack`` numbers.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def seeded_linear(n_in: int, n_out: int, gen: torch.Generator) -> nn.Linear:
    """nn.Linear with PyTorch's default init drawn from ``gen``, so equal seeds give equal weights."""
    layer = nn.Linear(n_in, n_out)
    bound = 1.0 / n_in ** 0.5
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=gen)
        layer.bias.uniform_(-bound, bound, generator=gen)
    return layer


class VirtualBatchNorm(nn.Module):
    """Normalise ``x`` ``(B, F)`` with mean/var of ``ref`` ``(R, F)`` ∪ {x_i}, per sample i."""

    def __init__(self, features: int, eps: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(features))
        self.beta = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (normalised x ``(B, F)``, the reference normalised by its own statistics ``(R, F)``)."""
        r = ref.shape[0]
        mean = (ref.sum(0) + x) / (r + 1)                         # (B, F): the sample joins the batch
        sq = ((ref ** 2).sum(0) + x ** 2) / (r + 1)                # (B, F)
        var = (sq - mean ** 2).clamp_min(0)
        x_n = (x - mean) / (var + self.eps).sqrt()
        r_n = (ref - ref.mean(0)) / (ref.var(0, unbiased=False) + self.eps).sqrt()
        return self.gamma * x_n + self.beta, self.gamma * r_n + self.beta


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. Sec. 3.2: o(x_i)_b = Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖₁), M_i = f(x_i) T."""

    def __init__(self, features: int, kernels: int, kernel_dim: int, gen: torch.Generator):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(features, kernels * kernel_dim, generator=gen) * 0.1)

    def forward(self, f: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """``f`` ``(B, F)`` -> ``(B, F + K)``. With ``context`` ``(C, F)``, each row is compared with
        the context batch instead of its own (how the lab draws D's output for single points)."""
        m = (f @ self.T).view(-1, self.kernels, self.kernel_dim).transpose(0, 1)   # (K, B, C)
        other = m if context is None else \
            (context @ self.T).view(-1, self.kernels, self.kernel_dim).transpose(0, 1)  # (K, B', C)
        c = torch.exp(-torch.cdist(m, other, p=1))                       # (K, B, B'): L1 per kernel
        o = c.sum(2).t() - (1.0 if context is None else 0.0)              # (B, K): drop j = i (exp 0 = 1)
        return torch.cat([f, o], 1)


class Generator(nn.Module):
    """z ``(B, noise_dim)`` -> point ``(B, 2)``: ``layers`` hidden ReLU layers of ``units``."""

    def __init__(self, *, noise_dim: int = 2, layers: int = 3, units: int = 64, vbn: bool = False,
                 seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        sizes = [noise_dim] + [units] * layers
        self.hidden = nn.ModuleList(seeded_linear(a, b, gen) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = seeded_linear(sizes[-1], 2, gen)
        self.vbn = nn.ModuleList(VirtualBatchNorm(units) for _ in range(layers)) if vbn else None
        self.register_buffer("z_ref", torch.zeros(0, noise_dim))  # set by the lab when vbn is on

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.vbn is None:  # F.linear skips nn.Module's call overhead, a large share at this size
            for layer in self.hidden:
                z = torch.relu(F.linear(z, layer.weight, layer.bias))      # (B, units)
            return F.linear(z, self.out.weight, self.out.bias)            # (B, 2)
        h, r = z, self.z_ref
        for layer, norm in zip(self.hidden, self.vbn):
            h, r = norm(layer(h), layer(r))                               # the reference walks along
            h, r = torch.relu(h), torch.relu(r)
        return self.out(h)


class Discriminator(nn.Module):
    """x ``(B, 2 * pack)`` -> logit ``(B,)``; ``features(x)`` is the last hidden layer (for feature matching)."""

    def __init__(self, *, layers: int = 3, units: int = 64, pack: int = 1, minibatch: bool = False,
                 kernels: int = 8, kernel_dim: int = 4, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed + 1)
        self.pack = pack
        sizes = [2 * pack] + [units] * layers
        self.hidden = nn.ModuleList(seeded_linear(a, b, gen) for a, b in zip(sizes[:-1], sizes[1:]))
        extra_gen = torch.Generator().manual_seed(seed + 2)  # extras never shift the shared layers' init
        self.mbd = MinibatchDiscrimination(sizes[-1], kernels, kernel_dim, extra_gen) if minibatch else None
        self.out = seeded_linear(sizes[-1] + (kernels if minibatch else 0), 1, gen)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 2 * self.pack)                                  # (B, 2) -> (B / pack, 2 pack)
        for layer in self.hidden:
            x = F.leaky_relu(F.linear(x, layer.weight, layer.bias), 0.2)   # (B', units)
        return x

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        f = self.features(x)
        if self.mbd is not None:                                          # (B', units + kernels)
            f = self.mbd(f, None if context is None else self.features(context))
        return F.linear(f, self.out.weight, self.out.bias).squeeze(1)     # (B',)
