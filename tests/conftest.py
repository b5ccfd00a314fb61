"""Shared by every layer (family/, tabs/, e2e/): markers for optional data, tiny checkpoints and
fake inputs for fast tests, and the real app launched once for end-to-end tests.

pyproject puts tests/ on the import path, so test files import helpers with ``from conftest import ...``.
"""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

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


# --- tiny checkpoints, one folder per test ------------------------------------------------------

@pytest.fixture
def checkpoint_dir(tmp_path, monkeypatch):
    """An empty checkpoints/ folder of the test's own; the model cache is cleared around it."""
    from gan_core import checkpoints
    monkeypatch.setenv("GAN_SUITE_CHECKPOINTS", str(tmp_path / "checkpoints"))
    checkpoints.clear_cache()
    yield tmp_path / "checkpoints"
    checkpoints.clear_cache()


@pytest.fixture
def tiny_dcgan(checkpoint_dir):
    """A tiny untrained DCGAN saved as checkpoint 'dcgan-fmnist' in the test's folder."""
    from gan_core import checkpoints
    from gan_core.gan.dcgan import DCGAN
    torch.manual_seed(0)
    checkpoints.save(DCGAN(nz=8, ngf=4, ndf=4), "dcgan-fmnist", training={"data": "none (test)"})
    return "dcgan-fmnist"


# --- the VAE family ------------------------------------------------------------------------------

VAES = ("vae2d-fmnist", "ae2d-fmnist", "vae16-fmnist")  # the checkpoints of the "VAE latent map" tab


def blobs(n: int = 256, seed: int = 0) -> torch.Tensor:
    """Fake data with structure: a Gaussian blob near one of four places, uint8 ``(n, 28, 28)``."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    places = torch.tensor([[8.0, 8.0], [8.0, 20.0], [20.0, 8.0], [20.0, 20.0]])
    c = places[torch.randint(0, 4, (n,), generator=g)] + torch.randn(n, 2, generator=g)
    d2 = (yy - c[:, 0, None, None]) ** 2 + (xx - c[:, 1, None, None]) ** 2
    return (torch.exp(-d2 / 18.0) * 255).to(torch.uint8)


@pytest.fixture
def tiny_vaes(checkpoint_dir):
    """The three VAE checkpoints, tiny and untrained, in the test's own checkpoints folder."""
    from gan_core import checkpoints
    from gan_core.vae.vae import VAE
    torch.manual_seed(0)
    for name, d, beta in (("vae2d-fmnist", 2, 1.0), ("ae2d-fmnist", 2, 0.0), ("vae16-fmnist", 16, 1.0)):
        checkpoints.save(VAE(latent_dim=d, beta=beta, width=4, hidden=16), name, training={"data": "none (test)"})
    return VAES


# --- super-resolution ---------------------------------------------------------------------------

def tiny_srresnet(seed: int = 0):
    """An untrained SRResNet with 8 channels and 2 blocks, in eval mode."""
    from gan_core.sr.srresnet import SRResNet
    torch.manual_seed(seed)
    return SRResNet(channels=8, n_blocks=2).eval()


@pytest.fixture
def tiny_sr_checkpoint(checkpoint_dir):
    """A tiny untrained SRResNet saved as 'srresnet-x4'; 'srgan-x4' stays missing."""
    from gan_core import checkpoints
    from gan_core.sr import api as sr_api
    sr_api._missing.clear()
    checkpoints.save(tiny_srresnet(), "srresnet-x4", training={"data": "none (test)"})
    return "srresnet-x4"


# --- image-to-image ------------------------------------------------------------------------------

def save_tiny_img2img_checkpoints() -> None:
    """Tiny untrained checkpoints of every image-to-image task, in the current checkpoints folder."""
    from gan_core import checkpoints
    from gan_core.img2img.cyclegan import CycleGAN
    from gan_core.img2img.pix2pix import Pix2Pix
    torch.manual_seed(0)
    for name in ("pix2pix-edges2clothing", "l1-edges2clothing"):
        checkpoints.save(Pix2Pix(resolution=32, ngf=2, ndf=2), name, training={"data": "none (test)"})
    for name in ("pix2pix-colorize", "l1-colorize"):
        checkpoints.save(Pix2Pix(in_channels=1, out_channels=3, resolution=64, num_downs=4, ngf=2, ndf=2,
                                 predict_chroma=True), name, training={"data": "none (test)"})
    checkpoints.save(CycleGAN("Sneaker", "Ankle boot", ngf=2, ndf=2, n_blocks=1), "cyclegan-sneaker-boot",
                     training={"data": "none (test)"})
    for name in ("pix2pix-sketch", "l1-sketch"):  # drawing -> photo: 1 channel in, 3 out
        checkpoints.save(Pix2Pix(in_channels=1, out_channels=3, resolution=32, ngf=2, ndf=2), name,
                         training={"data": "none (test)"})


def img2img_tab_tasks(names=None) -> dict[str, tuple[str, str]]:
    """``{task: (kind, label)}`` as app.py hands the tasks ``names`` (default: all) to the Image-to-image tab."""
    from gan_core.registry import TASKS
    return {t: (TASKS[t].kind, TASKS[t].label) for t in (TASKS if names is None else names)}


def sky_photo(path) -> Image.Image:
    """A 96x64 colour photo, blue sky over green grass, saved to ``path``."""
    img = Image.new("RGB", (96, 64), (30, 90, 200))
    ImageDraw.Draw(img).rectangle((0, 40, 95, 63), fill=(40, 160, 40))
    img.save(path)
    return img


def sketch(path) -> Image.Image:
    """What the sketchpad sends: a triangle's black strokes on a transparent 280x280 canvas, saved to ``path``."""
    img = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(img).polygon([(140, 30), (250, 250), (30, 250)], outline=(0, 0, 0, 255), width=6)
    img.save(path)
    return img


def _in_checkpoints(folder, fn):
    """``fn`` run with GAN_SUITE_CHECKPOINTS = folder, so a tiny tab never changes what the app sees."""
    def call(*args):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GAN_SUITE_CHECKPOINTS", str(folder))
            return fn(*args)
    return call


@pytest.fixture(scope="module")
def tiny_img2img_tab(tmp_path_factory):
    """The Image-to-image tab alone, on tiny untrained checkpoints, launched for gradio_client and the browser."""
    from apps import image_to_image as tab
    from gan_core.img2img import api as i2i
    from gan_core.img2img.metrics import color_scores
    root = tmp_path_factory.mktemp("i2i")
    folder = root / "checkpoints"
    _in_checkpoints(folder, save_tiny_img2img_checkpoints)()
    examples = i2i.example_images(root / "examples")
    scoped = {name: _in_checkpoints(folder, getattr(i2i, name))
              for name in ("translate", "task_input", "prepare_input", "prepare_target", "available_tasks")}
    demo = tab.create_demo(scoped["translate"], scoped["task_input"], scoped["prepare_input"],
                           scoped["prepare_target"], edge_density=i2i.edge_density, color_scores=color_scores,
                           examples=examples, tasks=img2img_tab_tasks(scoped["available_tasks"]()))
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield {"url": f"http://127.0.0.1:{port}/", "client": connect(f"http://127.0.0.1:{port}/"),
           "examples": examples, "root": root}
    demo.close()


# --- the whole app, launched once ------------------------------------------------------------------

@pytest.fixture(scope="session")
def app_url():
    """The whole suite, launched once from the shipped checkpoints, for gradio_client tests."""
    import app
    demo = app.configure_queue(app.build_demo())  # the queue settings `python app.py` serves with
    port = free_port()
    app.serve(demo, server_name="127.0.0.1", server_port=port, quiet=True)  # and the rest of how it serves
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def connect(url: str, attempts: int = 3):
    """A gradio_client Client for ``url``. On a loaded machine its two set-up requests (the page
    description and the API info) can fail once; each failure is reported, then it tries again."""
    import warnings
    from gradio_client import Client
    for attempt in range(1, attempts + 1):
        try:
            return Client(url, verbose=False, httpx_kwargs={"timeout": 60})
        except Exception as err:  # ValueError ("Could not fetch ...") or an httpx error
            if attempt == attempts:
                raise
            warnings.warn(f"gradio_client could not connect to {url} (attempt {attempt}): {err!r}")
            time.sleep(2 * attempt)


@pytest.fixture(scope="session")
def client(app_url):
    return connect(app_url)


@pytest.fixture(scope="session")
def screenshots_dir():
    d = REPO / "artifacts" / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d
