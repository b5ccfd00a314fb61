"""Fashion-MNIST is found offline, staged from gzip files, and its absence is explained."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from gan_core import fmnist
from gan_core.train import main as train_main


def _write_idx(path, array: np.ndarray, magic: int) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_source(tmp_path):
    """A folder laid out like Debian's dataset-fashion-mnist, with 6 train and 4 test items."""
    src = tmp_path / "fashion-mnist"
    src.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("t10k", 4)):
        _write_idx(src / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), 2051)
        _write_idx(src / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10, 2049)
    return src


def test_gzip_files_are_staged_and_loaded_offline(tiny_source, tmp_path):
    root = tmp_path / "cache"
    x, y = fmnist.fashion_mnist(train=True, source=tiny_source, root=root)
    assert x.shape == (6, 28, 28) and x.dtype == torch.uint8
    assert y.tolist() == [0, 1, 2, 3, 4, 5]
    assert (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").exists()
    xt, _ = fmnist.fashion_mnist(train=False, source=tiny_source, root=root)
    assert xt.shape == (4, 28, 28)
    with gzip.open(tiny_source / "train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(6, 28, 28)
    assert np.array_equal(x.numpy(), raw)


def test_missing_data_is_one_clear_error(tmp_path):
    with pytest.raises(fmnist.MissingDataError) as info:
        fmnist.fashion_mnist(source=tmp_path / "nowhere", root=tmp_path / "cache")
    msg = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "FASHION_MNIST_DIR" in msg
    assert "nowhere" in msg


def test_incomplete_folder_names_the_missing_file(tiny_source, tmp_path):
    (tiny_source / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(fmnist.MissingDataError, match="t10k-labels-idx1-ubyte"):
        fmnist.fashion_mnist(source=tiny_source, root=tmp_path / "cache")


def test_training_cli_reports_missing_data_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GAN_SUITE_DATA", str(tmp_path / "cache"))
    code = train_main(["dcgan", "--steps", "1", "--run-dir", str(tmp_path / "run"), "--no-export"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: Fashion-MNIST was not found") and "Traceback" not in err


def test_padding_round_trip():
    x = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    padded = fmnist.to_unit(x, 32)
    assert padded.shape == (3, 1, 32, 32) and padded[..., :2, :].abs().sum() == 0
    assert torch.equal(fmnist.crop28(padded), x.float().div(255).unsqueeze(1))
