"""Datasets, found offline first.

Fashion-MNIST (Xiao et al. 2017) is read through ``torchvision.datasets.FashionMNIST``.
Offline it comes from Debian's ``dataset-fashion-mnist`` package (or a folder named by
``FASHION_MNIST_DIR``); Debian recompressed the ``.gz`` files, so torchvision's md5 check
rejects them. We decompress them once into ``<cache>/FashionMNIST/raw/`` where torchvision
then loads them with ``download=False``. Online, torchvision may download instead.
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import torch

from . import settings

FMNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
_FMNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)


class MissingDataError(RuntimeError):
    """A dataset is not on this machine; the message says how to get it."""


def _missing_fmnist_message(source: Path, cause: str) -> str:
    return (
        f"Fashion-MNIST was not found ({cause}).\n"
        "Get it in one of these ways:\n"
        "  * Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist   "
        "(files land in /usr/share/datasets/fashion-mnist)\n"
        "  * point FASHION_MNIST_DIR at a folder holding train-images-idx3-ubyte(.gz), "
        "train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)\n"
        "  * when online: pass download=True (python -m gan_core.train ... --download)\n"
        f"Looked in: {source}"
    )


def _stage_fmnist(source: Path, root: Path) -> None:
    """Decompress the four files from ``source`` into ``root/FashionMNIST/raw``."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in _FMNIST_FILES:
        target = raw / name
        if target.exists() and target.stat().st_size > 0:
            continue
        plain, packed = source / name, source / f"{name}.gz"
        tmp = target.with_suffix(".part")
        if packed.exists():
            with gzip.open(packed, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        elif plain.exists():
            shutil.copyfile(plain, tmp)
        else:
            raise MissingDataError(_missing_fmnist_message(source, f"no {name}[.gz]"))
        tmp.replace(target)


def fashion_mnist(train: bool = True, *, download: bool = False,
                  source: Path | None = None, root: Path | None = None):
    """Return ``(images, labels)``: uint8 ``(N, 28, 28)`` and int64 ``(N,)`` tensors."""
    source = Path(source) if source else settings.fashion_mnist_source_dir()
    root = Path(root) if root else settings.data_cache_dir()
    raw = root / "FashionMNIST" / "raw"
    have_raw = all((raw / n).exists() for n in _FMNIST_FILES)
    if not have_raw and source.is_dir():
        _stage_fmnist(source, root)
    elif not have_raw and not download:
        raise MissingDataError(_missing_fmnist_message(source, "the folder does not exist"))
    elif not have_raw:  # online: torchvision downloads the files into the same raw/ folder
        from torchvision.datasets import FashionMNIST
        try:
            FashionMNIST(str(root), train=train, download=True)
        except RuntimeError as err:
            raise MissingDataError(_missing_fmnist_message(source, str(err))) from None
    prefix = "train" if train else "t10k"
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte")
    labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte")
    return torch.from_numpy(images), torch.from_numpy(labels.astype("int64"))


def read_idx(path: Path):
    """An IDX file (LeCun's MNIST format: magic 0 0 8 ndim, big-endian sizes, bytes) -> a uint8 array.

    Read directly rather than through torchvision's dataset class, whose import alone costs the
    app's start-up several seconds."""
    import numpy as np
    data = Path(path).read_bytes()
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise MissingDataError(f"{path} is not an IDX file of unsigned bytes (damaged download?)")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise MissingDataError(f"{path} holds {body.size} bytes, expected {shape}: damaged or truncated")
    return body.reshape(shape).copy()


def to_unit(images_u8: torch.Tensor, size: int = 28) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` -> float ``(N, 1, size, size)`` in [0, 1], zero-padded to ``size``."""
    x = images_u8.float().div_(255.0).unsqueeze(1)  # (N, 28, 28) -> (N, 1, 28, 28)
    pad = (size - x.shape[-1]) // 2
    if pad:
        x = torch.nn.functional.pad(x, (pad, pad, pad, pad))  # (N, 1, 28, 28) -> (N, 1, 32, 32)
    return x


def crop28(x: torch.Tensor) -> torch.Tensor:
    """Inverse of the padding in :func:`to_unit`: ``(N, C, 32, 32) -> (N, C, 28, 28)``."""
    off = (x.shape[-1] - 28) // 2
    return x[..., off:off + 28, off:off + 28] if off else x


def fashion_mnist_for_app(train: bool = False):
    """Fashion-MNIST for the demos: the offline copy first, else (online) torchvision's download.

    A Hugging Face Space has no Debian package, but it is online; a clone on an offline machine
    gets the usual :class:`MissingDataError` that says how to install the data.
    """
    try:
        return fashion_mnist(train=train)
    except MissingDataError as offline_error:
        from huggingface_hub import constants
        if constants.HF_HUB_OFFLINE:
            raise
        try:
            return fashion_mnist(train=train, download=True)
        except Exception as err:  # no network, mirror down, ...: keep the actionable message
            raise MissingDataError(f"{offline_error}\nThe download attempt failed too: {err}") from None


def as_items(images) -> torch.Tensor:
    """Float ``(n, 1, 28, 28)`` in [0, 1] from such a tensor, from ``(n, 28, 28)``, or from uint8."""
    x = torch.as_tensor(images)
    x = x.float().div(255) if x.dtype == torch.uint8 else x.float()
    if x.dim() == 3:
        x = x.unsqueeze(1)  # (n, 28, 28) -> (n, 1, 28, 28)
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images must have shape (n, 1, 28, 28), got {tuple(x.shape)}")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"images must lie in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x


def for_training(args, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The training CLI's Fashion-MNIST: fake items with ``--dry-run``, else the real split."""
    if args.dry_run:
        from .testing import fake_fmnist
        return fake_fmnist()
    return fashion_mnist(train=train, download=args.download)
