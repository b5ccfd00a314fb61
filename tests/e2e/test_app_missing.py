"""The app starts offline with a checkpoint folder removed, and says so in the tabs that need it.

Checkpoints here are tiny untrained models, one for every entry of ``registry.CHECKPOINTS``, so the
test does not depend on trained weights. The Hub is unreachable: offline mode, an empty
huggingface_hub cache, and an HTTP client that fails every request.
"""
from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import huggingface_hub
import pytest
import torch
from huggingface_hub import constants as hf_constants

try:
    import httpx2 as httpx  # the HTTP client of huggingface_hub 2.x
except ImportError:  # huggingface_hub 1.x
    import httpx

from conftest import REPO, free_port
from gan_core import checkpoints, hub, registry
from gan_core.diffusion.ddpm import DDPM, make_scheduler, make_unet
NOTICE = "is unavailable"                        # app.missing_notice: the whole tab is off
MISSING = "could not be fetched from the Hub"    # checkpoints.MissingCheckpointError's message

# Small sizes for the constructor arguments of the registry's classes (others keep defaults).
TINY = {"nz": 8, "ngf": 4, "ndf": 4, "width": 4, "feature_dim": 8, "hidden": 8, "channels": 8, "n_blocks": 1}
PER_MODEL = {"vae16-fmnist": {"latent_dim": 16}, "ae2d-fmnist": {"beta": 0.0}}


def tiny_model(name: str) -> torch.nn.Module:
    cls = registry.model_class(name)
    if cls is DDPM:  # a diffusers U-Net and its noise schedule rather than keyword arguments
        return DDPM(make_unet(block_out_channels=(4, 8), norm_num_groups=2), make_scheduler())
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in {**TINY, **PER_MODEL.get(name, {})}.items() if k in params}
    return cls(**kwargs)


@pytest.fixture(scope="module")
def every_checkpoint(tmp_path_factory) -> Path:
    """A checkpoints/ folder with a tiny model for every registry entry (built once)."""
    root = tmp_path_factory.mktemp("all") / "checkpoints"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAN_SUITE_CHECKPOINTS", str(root))
        torch.manual_seed(0)
        for name in registry.CHECKPOINTS:
            checkpoints.save(tiny_model(name), name, training={"data": "none (test)"})
    return root


def cut_off_hub(mp: pytest.MonkeyPatch, cache: Path) -> list:
    """No way to the Hub: offline mode, an empty cache, and an HTTP client that always fails.

    Returns the list the refused requests are appended to.
    """
    mp.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    mp.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    mp.delenv("GAN_SUITE_HUB_REPO", raising=False)
    mp.delenv("GAN_SUITE_HUB_REVISION", raising=False)
    mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    requests = []

    def refuse(request):
        requests.append(request)
        raise httpx.ConnectError("no network in tests", request=request)

    huggingface_hub.set_client_factory(lambda: httpx.Client(transport=httpx.MockTransport(refuse)))
    return requests


@pytest.fixture
def offline(tmp_path, monkeypatch):
    yield cut_off_hub(monkeypatch, tmp_path / "hf-cache")
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)


def checkpoints_without(source: Path, dest: Path, name: str | None) -> Path:
    shutil.copytree(source, dest)
    if name is not None:
        shutil.rmtree(dest / name)
    return dest


def tab_texts(config: dict) -> dict[str, list[str]]:
    """Tab title -> the Markdown texts inside that tab, from a Blocks config."""
    components = {c["id"]: c for c in config["components"]}
    tabs: dict[str, list[str]] = {}

    def texts(node) -> list[str]:
        comp = components.get(node["id"], {})
        value = comp.get("props", {}).get("value")
        own = [value] if comp.get("type") == "markdown" and isinstance(value, str) else []
        return own + [t for child in node.get("children", []) for t in texts(child)]

    def walk(node):
        comp = components.get(node["id"], {})
        if comp.get("type") == "tabitem":  # a tab of the suite; tabs inside it are part of its text
            tabs[comp["props"]["label"]] = texts(node)
            return
        for child in node.get("children", []):
            walk(child)

    walk(config["layout"])
    return tabs


def build_tabs(folder: Path, mp: pytest.MonkeyPatch) -> dict[str, list[str]]:
    import app
    mp.setenv("GAN_SUITE_CHECKPOINTS", str(folder))
    checkpoints.clear_cache()
    try:
        return tab_texts(app.build_demo().get_config_file())
    finally:
        checkpoints.clear_cache()


@pytest.fixture(scope="module")
def complete_tabs(every_checkpoint, tmp_path_factory) -> dict[str, list[str]]:
    """The tabs' texts with every checkpoint present: no tab reports a missing model."""
    with pytest.MonkeyPatch.context() as mp:
        cut_off_hub(mp, tmp_path_factory.mktemp("hf-cache"))
        try:
            tabs = build_tabs(every_checkpoint, mp)
        finally:
            huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)
    assert tabs and not [t for t, texts in tabs.items() if any(MISSING in x for x in texts)]
    return tabs


@pytest.mark.parametrize("removed", sorted(registry.CHECKPOINTS))
def test_missing_checkpoint_is_reported_in_its_tabs_only(every_checkpoint, complete_tabs, tmp_path, monkeypatch,
                                                         offline, removed):
    tabs = build_tabs(checkpoints_without(every_checkpoint, tmp_path / "ckpt", removed), monkeypatch)

    assert list(tabs) == list(complete_tabs)  # every tab is still mounted
    reporting = {title for title, texts in tabs.items() if any(MISSING in x for x in texts)}
    for title in reporting:
        for text in (x for x in tabs[title] if MISSING in x):
            assert f"The model '{removed}' is not in" in text  # the removed model, no other
            assert hub.pull_command() in text  # and the command that fixes it
    for title in set(tabs) - reporting:
        assert tabs[title] == complete_tabs[title]  # the other tabs are exactly as with every model
    if removed == "dcgan-fmnist":  # the DCGAN tabs cannot work without it, and say so
        assert any(NOTICE in x for title in reporting for x in tabs[title])
        assert len(tabs) == 1 or reporting < set(tabs)
    assert not [r.url for r in offline if "/telemetry/" not in r.url.path]  # no request for a model


def test_share_flag_starts_offline(every_checkpoint, tmp_path):
    folder = checkpoints_without(every_checkpoint, tmp_path / "checkpoints", "dcgan-fmnist")
    port = free_port()
    env = {**os.environ, "GAN_SUITE_CHECKPOINTS": str(folder), "HF_HUB_OFFLINE": "1",
           "HF_HOME": str(tmp_path / "hf-home"), "GRADIO_ANALYTICS_ENABLED": "False",
           "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("GAN_SUITE_SHARE", None)
    log = tmp_path / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py", "--share", "--port", str(port)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"app exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            if "share link" in log.read_text():
                break
            assert time.monotonic() < deadline, f"no share-link message in:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)

        # Gradio could not create the link (offline) and kept serving locally
        assert "Could not create share link" in log.read_text()
        with urllib.request.urlopen(url + "/", timeout=30) as r:
            assert r.status == 200
        with urllib.request.urlopen(url + "/config", timeout=30) as r:
            tabs = tab_texts(json.load(r))
        noticed = [title for title, texts in tabs.items() if any(NOTICE in x for x in texts)]
        assert noticed and all("'dcgan-fmnist'" in " ".join(tabs[t]) for t in noticed)
        assert proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
