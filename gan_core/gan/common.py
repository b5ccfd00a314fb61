"""Small pieces the conditional GANs (cgan, acgan, infogan, sgan) share with each other.

The networks themselves come from ``dcgan.py``; what is here is the plumbing around them:
the real batch in the nets' range, one-hot labels, an optimiser update, a frozen D, the
validation split carved from the training set, and the item crop on the way out.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

NUM_CLASSES = 10
VAL_ITEMS = 5000  # items of the Fashion-MNIST train split held out for choosing checkpoints


def real_images(images_u8: torch.Tensor, runtime) -> torch.Tensor:
    """uint8 ``(B, 28, 28)`` -> ``(B, 1, 32, 32)`` in [-1, 1]; the padding is background (-1)."""
    x = images_u8.float().div(127.5).sub(1).unsqueeze(1)  # (B, 28, 28) -> (B, 1, 28, 28)
    return runtime.tensor(F.pad(x, (2, 2, 2, 2), value=-1.0))  # -> (B, 1, 32, 32)


def items_to_net(items: torch.Tensor) -> torch.Tensor:
    """Items ``(B, 1, 28, 28)`` in [0, 1] -> the nets' ``(B, 1, 32, 32)`` in [-1, 1]."""
    return F.pad(items.float().mul(2).sub(1), (2, 2, 2, 2), value=-1.0)


def net_to_items(x: torch.Tensor) -> torch.Tensor:
    """The nets' ``(B, 1, 32, 32)`` in [-1, 1] -> items ``(B, 1, 28, 28)`` in [0, 1]."""
    return x.float().add(1).div(2).clamp(0, 1)[..., 2:30, 2:30]


def one_hot(labels: torch.Tensor, k: int = NUM_CLASSES) -> torch.Tensor:
    return F.one_hot(labels.long(), k).float()  # (B,) -> (B, k)


def label_tensor(label, n: int) -> torch.Tensor:
    """``label`` (an int, or a sequence / tensor of n ints) -> long ``(n,)``; ValueError outside 0-9."""
    y = torch.as_tensor(label).long().flatten()
    if y.numel() == 1:
        y = y.expand(n)
    if y.shape != (n,):
        raise ValueError(f"need one label or {n} labels, got {tuple(y.shape)}")
    if n and (y.min() < 0 or y.max() >= NUM_CLASSES):
        raise ValueError(f"class labels must lie in 0-{NUM_CLASSES - 1}")
    return y.clone()


def update(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


@contextlib.contextmanager
def frozen(module: torch.nn.Module):
    """No gradient reaches ``module``'s parameters inside the block (D during the G step)."""
    module.requires_grad_(False)
    try:
        yield module
    finally:
        module.requires_grad_(True)


def adam_pair(d_params, g_params, lr_d: float, lr_g: float, betas=(0.5, 0.999)) -> dict:
    """DCGAN's optimisers: Adam, beta1 0.5, one for D and one for G."""
    return {"D": torch.optim.Adam(d_params, lr=lr_d, betas=betas),
            "G": torch.optim.Adam(g_params, lr=lr_g, betas=betas)}


def train_val_split(n: int, n_val: int = VAL_ITEMS, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (train, validation) of a seeded split of the training set (validation: ``n_val`` items)."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = min(n_val, n // 5)
    return perm[n_val:].sort().values, perm[:n_val].sort().values
