"""Shared fixtures: tiny checkpoints for fast unit tests, the real app for end-to-end tests."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fmnist_available() -> bool:
    from gan_core import settings
    src = settings.fashion_mnist_source_dir()
    raw = settings.data_cache_dir() / "FashionMNIST" / "raw"
    return src.is_dir() or raw.is_dir()


requires_fmnist = pytest.mark.skipif(
    not fmnist_available(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR)")


def requires_checkpoint(*names: str):
    from gan_core import settings
    missing = [n for n in names if not (settings.checkpoint_dir() / n / "model.safetensors").exists()]
    return pytest.mark.skipif(bool(missing), reason=f"shipped checkpoint(s) absent: {', '.join(missing)}")


@pytest.fixture
def checkpoint_dir(tmp_path, monkeypatch):
    """An empty checkpoints/ folder of the test's own; the model cache is cleared around it."""
    from gan_core import models
    monkeypatch.setenv("GAN_SUITE_CHECKPOINTS", str(tmp_path / "checkpoints"))
    models.clear_cache()
    yield tmp_path / "checkpoints"
    models.clear_cache()


@pytest.fixture
def tiny_dcgan(checkpoint_dir):
    """A tiny untrained DCGAN saved as checkpoint 'dcgan-fmnist' in the test's folder."""
    from gan_core import models
    from gan_core.dcgan import DCGAN
    torch.manual_seed(0)
    models.save(DCGAN(nz=8, ngf=4, ndf=4), "dcgan-fmnist", training={"data": "none (test)"})
    return "dcgan-fmnist"


@pytest.fixture(scope="session")
def app_url():
    """The whole suite, launched once from the shipped checkpoints, for gradio_client tests."""
    import app
    demo = app.build_demo()
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def screenshots_dir():
    d = REPO / "artifacts" / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d
