"""Checkpoints on the Hugging Face Hub: manifest, verified pull, push payload, Space metadata.

Everything runs offline. The Hub is reached only through huggingface_hub's HTTP client, which
each test replaces with an ``httpx.MockTransport``: the push test answers the Hub's endpoints
and inspects the commit; every other test gets a transport that fails like a machine without
network (and records that it was asked).
"""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import types
from pathlib import Path

import huggingface_hub
import pytest
import torch
from huggingface_hub import constants as hf_constants

try:
    import httpx2 as httpx  # the HTTP client of huggingface_hub 2.x
except ImportError:  # huggingface_hub 1.x
    import httpx

from conftest import REPO
from gan_core import checkpoints, hub, settings, zerogpu
from gan_core.gan.dcgan import DCGAN
from gan_core.judge.classifier import FashionClassifier

REPO_ID = "gan-suite-test/checkpoints"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------

@pytest.fixture
def http(monkeypatch):
    """Route the Hub's HTTP through ``http.handler`` (default: no network); record every request."""
    class Hub:
        requests: list[httpx.Request] = []

        @staticmethod
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("no network in tests", request=request)

    def route(request: httpx.Request) -> httpx.Response:
        request.read()
        Hub.requests.append(request)
        return Hub.handler(request)

    huggingface_hub.set_client_factory(lambda: httpx.Client(transport=httpx.MockTransport(route)))
    yield Hub
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)


@pytest.fixture
def hf_cache(tmp_path, monkeypatch, http):
    """An empty huggingface_hub cache of the test's own, in offline mode."""
    cache = tmp_path / "hf-home" / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setattr(hf_constants, "HF_HOME", str(cache.parent))
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("GAN_SUITE_HUB_REPO", REPO_ID)
    monkeypatch.setenv("GAN_SUITE_HUB_REVISION", "main")
    return cache


def save_tiny_checkpoints(root: Path, seed: int = 0) -> dict[str, torch.nn.Module]:
    """Two small checkpoints under ``root`` (through checkpoints.save, as training writes them)."""
    torch.manual_seed(seed)
    saved = {"dcgan-fmnist": DCGAN(nz=8, ngf=4, ndf=4),
             "fmnist-classifier": FashionClassifier(width=4, feature_dim=8)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAN_SUITE_CHECKPOINTS", str(root))
        checkpoints.save(saved["dcgan-fmnist"], "dcgan-fmnist", training={"steps": 1},
                    metrics={"fid": 12.5, "coverage": 0.75})
        checkpoints.save(saved["fmnist-classifier"], "fmnist-classifier", training={"steps": 1},
                    metrics={"accuracy": 0.5})
    return saved


@pytest.fixture
def published(tmp_path, monkeypatch):
    """Checkpoints as they were pushed: files plus manifest.json, in ``tmp/published``."""
    root = tmp_path / "published"
    save_tiny_checkpoints(root)
    hub.write_manifest(root)
    return root


@pytest.fixture
def local(tmp_path, monkeypatch):
    """The suite's own (empty) checkpoints/ folder."""
    root = tmp_path / "checkpoints"
    root.mkdir()
    monkeypatch.setenv("GAN_SUITE_CHECKPOINTS", str(root))
    checkpoints.clear_cache()
    yield root
    checkpoints.clear_cache()


def cache_snapshot(cache: Path, source: Path, revision: str = "main", commit: str = COMMIT) -> Path:
    """Lay ``source`` out as huggingface_hub's cache holds a downloaded snapshot of REPO_ID."""
    storage = cache / ("models--" + REPO_ID.replace("/", "--"))
    snapshot = storage / "snapshots" / commit
    for path in source.rglob("*"):
        if path.is_file():
            (snapshot / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (snapshot / path.relative_to(source)).write_bytes(path.read_bytes())
    (storage / "refs").mkdir(parents=True, exist_ok=True)
    (storage / "refs" / revision).write_text(commit)
    return snapshot


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# manifest
# --------------------------------------------------------------------------------------------

def test_manifest_round_trip(tmp_path):
    root = tmp_path / "checkpoints"
    save_tiny_checkpoints(root)
    (root / ".pull-leftover").mkdir()  # hidden entries (staging folders) are not described
    (root / ".pull-leftover" / "x").write_text("x")

    manifest = hub.write_manifest(root)

    assert json.loads((root / hub.MANIFEST).read_text()) == manifest == hub.read_manifest(root)
    on_disk = {k: v for k, v in tree_bytes(root).items() if not k.startswith(".") and k != hub.MANIFEST}
    assert set(manifest["files"]) == set(on_disk)
    assert {p.split("/")[1] for p in on_disk} == {"config.json", "model.safetensors", "training.json",
                                                   "metrics.json", "README.md"}
    for rel, data in on_disk.items():
        assert manifest["files"][rel] == {"sha256": sha256(data), "size": len(data)}
    assert manifest["models"] == {
        "dcgan-fmnist": {"class": "gan_core.gan.dcgan.DCGAN", "metrics": {"fid": 12.5, "coverage": 0.75}},
        "fmnist-classifier": {"class": "gan_core.judge.classifier.FashionClassifier", "metrics": {"accuracy": 0.5}},
    }
    assert hub.verify(root, manifest) == sorted(on_disk)
    assert hub.write_manifest(root) == manifest  # the manifest does not describe itself


def test_manifest_survives_a_checkpoint_being_rewritten_meanwhile(tmp_path, monkeypatch):
    """Trainings running side by side each refresh the manifest; one must not fail because
    another is replacing its files at that moment (save_pretrained removes config.json first)."""
    root = tmp_path / "checkpoints"
    save_tiny_checkpoints(root)
    real_sha = hub.sha256_file
    vanished = root / "dcgan-fmnist" / "config.json"

    def sha_while_rewritten(path):
        if Path(path) == vanished:
            raise FileNotFoundError(path)
        return real_sha(path)

    monkeypatch.setattr(hub, "sha256_file", sha_while_rewritten)
    (root / "fmnist-classifier" / "metrics.json").write_text('{"accuracy": 0.')  # half written
    manifest = hub.write_manifest(root)
    assert "dcgan-fmnist/config.json" not in manifest["files"]
    assert "dcgan-fmnist/model.safetensors" in manifest["files"]
    assert manifest["models"]["fmnist-classifier"]["metrics"] == {}
    assert not list(root.glob(".manifest.json*.tmp"))


def test_verify_names_every_bad_file(published):
    manifest = hub.read_manifest(published)
    weights = published / "dcgan-fmnist" / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])  # one bit, same size
    (published / "dcgan-fmnist" / "config.json").write_bytes(b"{}")
    (published / "dcgan-fmnist" / "metrics.json").unlink()

    with pytest.raises(hub.ChecksumError) as err:
        hub.verify(published, manifest)
    msg = str(err.value)
    assert "3 file(s) do not match" in msg
    assert "dcgan-fmnist/model.safetensors: checksum mismatch" in msg
    config_size = manifest["files"]["dcgan-fmnist/config.json"]["size"]
    assert f"dcgan-fmnist/config.json: truncated (2 of {config_size} bytes)" in msg
    assert "dcgan-fmnist/metrics.json: missing" in msg

    assert len(hub.verify(published, manifest, ["fmnist-classifier"])) == 5  # the other model is intact
    with pytest.raises(hub.ChecksumError, match="not in the manifest: vae9-fmnist"):
        hub.verify(published, manifest, ["vae9-fmnist"])
    with pytest.raises(hub.ChecksumError, match="unsafe path"):
        hub.verify(published, {"files": {"../outside": {"sha256": "0", "size": 1}}})


# --------------------------------------------------------------------------------------------
# pull
# --------------------------------------------------------------------------------------------

def test_pull_from_offline_cache(hf_cache, published, local, http):
    cache_snapshot(hf_cache, published)

    pulled = hub.pull(REPO_ID, "main")

    assert pulled == hub.Pulled(commit=COMMIT, installed=["dcgan-fmnist", "fmnist-classifier"])
    assert tree_bytes(local) == tree_bytes(published)  # every file, and the manifest
    assert not http.requests  # offline: the cache alone answered
    assert not any(p.name.startswith(".") for p in local.iterdir())  # no staging folder left

    # the pulled weights are the published ones, to the bit
    expected = DCGAN.from_pretrained(str(published / "dcgan-fmnist"))
    loaded = checkpoints.load("dcgan-fmnist")
    for (k, a), b in zip(expected.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b.cpu().contiguous()), k

    # a pinned commit resolves offline too, and re-installs the same bytes
    assert hub.pull(REPO_ID, COMMIT, names=["fmnist-classifier"]).installed == ["fmnist-classifier"]
    assert tree_bytes(local) == tree_bytes(published)


@pytest.mark.parametrize("damage", ["tampered", "truncated", "missing"])
def test_pull_refuses_bad_files_and_keeps_local_copy(hf_cache, published, local, damage):
    save_tiny_checkpoints(local, seed=1)  # an older local copy, different weights
    before = tree_bytes(local)
    snapshot = cache_snapshot(hf_cache, published)
    weights = snapshot / "dcgan-fmnist" / "model.safetensors"
    data = weights.read_bytes()
    if damage == "tampered":
        weights.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    elif damage == "truncated":
        weights.write_bytes(data[: len(data) // 2])
    else:
        weights.unlink()

    with pytest.raises(hub.ChecksumError) as err:
        hub.pull(REPO_ID, "main")

    msg = str(err.value)
    assert f"refused {REPO_ID}@main" in msg and f"Nothing was changed in {local}" in msg
    assert {"tampered": "dcgan-fmnist/model.safetensors: checksum mismatch",
            "truncated": f"dcgan-fmnist/model.safetensors: truncated ({len(data) // 2} of {len(data)} bytes)",
            "missing": "dcgan-fmnist/model.safetensors: missing"}[damage] in msg
    assert tree_bytes(local) == before  # fmnist-classifier was fine, yet nothing was swapped in
    assert not any(p.name.startswith(".") for p in local.iterdir())


def test_pull_refuses_a_repo_without_manifest(hf_cache, published, local):
    (published / hub.MANIFEST).unlink()
    cache_snapshot(hf_cache, published)
    with pytest.raises(hub.ChecksumError, match=f"{REPO_ID}@main: .*manifest.json is missing"):
        hub.pull(REPO_ID, "main")
    assert list(local.iterdir()) == []


def test_missing_model_is_fetched_from_the_cache_at_start_up(hf_cache, published, local):
    cache_snapshot(hf_cache, published)

    model = checkpoints.load("dcgan-fmnist")  # not on disk: checkpoints.load -> hub.fetch_missing

    assert isinstance(model, DCGAN)
    assert sorted(p.name for p in local.iterdir()) == ["dcgan-fmnist"]  # just that model, no manifest
    assert tree_bytes(local / "dcgan-fmnist") == tree_bytes(published / "dcgan-fmnist")


@pytest.mark.parametrize("offline", [True, False], ids=["HF_HUB_OFFLINE", "no-network"])
def test_missing_model_offline_names_the_fix(hf_cache, local, http, monkeypatch, offline):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", offline)
    monkeypatch.setenv("GAN_SUITE_HUB_REPO", "someone/gan-checkpoints")
    monkeypatch.setenv("GAN_SUITE_HUB_REVISION", "v1.2")

    assert hub.fetch_missing("dcgan-fmnist") is False
    if offline:
        with pytest.raises(FileNotFoundError, match="not in the huggingface_hub cache .* HF_HUB_OFFLINE=1"):
            hub.pull("someone/gan-checkpoints", "v1.2")
    with pytest.raises(checkpoints.MissingCheckpointError) as err:
        checkpoints.load("dcgan-fmnist")

    assert "python -m gan_core.hub pull --repo-id someone/gan-checkpoints --revision v1.2" in str(err.value)
    assert hub.pull_command() in str(err.value)
    assert list(local.iterdir()) == []
    # offline: not a single request; no network: the connection was tried and failed
    tried = [r.url.path for r in http.requests if r.url.path != "/api/agent-harnesses"]
    assert tried == ([] if offline else ["/api/models/someone/gan-checkpoints/revision/v1.2"] * 2)


def test_cli_pull_and_verify(hf_cache, published, local, capsys):
    cache_snapshot(hf_cache, published)
    hub.main(["pull", "--repo-id", REPO_ID, "--revision", "main"])
    assert f"from {REPO_ID}@main (commit {COMMIT})" in capsys.readouterr().out

    hub.main(["verify"])
    assert "10 files in" in capsys.readouterr().out

    (local / "fmnist-classifier" / "model.safetensors").write_bytes(b"0")
    with pytest.raises(SystemExit) as exit_:
        hub.main(["verify"])
    assert exit_.value.code == 1
    assert "fmnist-classifier/model.safetensors: truncated (1 of" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# push, seen at the HTTP transport
# --------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")  # inside huggingface_hub's LFS upload
def test_push_commits_every_file_with_its_hash(tmp_path, http, monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)  # plain LFS, visible over HTTP
    monkeypatch.setattr(hf_constants, "HF_HOME", str(tmp_path / "hf-home"))
    root = tmp_path / "checkpoints"
    save_tiny_checkpoints(root)
    seen: dict = {"uploaded": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        path, host = request.url.path, request.url.host
        if path == "/api/repos/create":
            seen["create"] = json.loads(request.content)
            return httpx.Response(200, json={"url": f"https://huggingface.co/{REPO_ID}"})
        if path == f"/api/models/{REPO_ID}/branch/dev":
            seen["branch"] = True
            return httpx.Response(200, json={})
        if path == f"/api/models/{REPO_ID}/preupload/dev":
            files = json.loads(request.content)["files"]
            return httpx.Response(200, json={"files": [
                {"path": f["path"], "uploadMode": "lfs" if f["path"].endswith(".safetensors") else "regular",
                 "shouldIgnore": False, "oid": None} for f in files]})
        if path == f"/{REPO_ID}.git/info/lfs/objects/batch":
            objects = json.loads(request.content)["objects"]
            return httpx.Response(200, json={"objects": [
                {"oid": o["oid"], "size": o["size"],
                 "actions": {"upload": {"href": f"https://storage.test/upload/{o['oid']}"}}} for o in objects]})
        if host == "storage.test" and request.method == "PUT":
            seen["uploaded"][path.rsplit("/", 1)[1]] = request.content
            return httpx.Response(200)
        if path == f"/api/models/{REPO_ID}/commit/dev":
            seen["commit"] = [json.loads(line) for line in request.content.decode().splitlines()]
            return httpx.Response(200, json={"commitUrl": f"https://huggingface.co/{REPO_ID}/commit/{COMMIT}",
                                              "commitOid": COMMIT})
        return httpx.Response(404, json={"error": f"not mocked: {request.method} {path}"})

    http.handler = handler
    info = hub.push(REPO_ID, revision="dev", private=True, root=root, token="hf_test")

    assert info.oid == COMMIT
    assert seen["create"] == {"name": "checkpoints", "organization": "gan-suite-test",
                              "visibility": "private", "type": "model"}
    assert seen["branch"]
    header, *ops = seen["commit"]
    assert header["key"] == "header" and "dcgan-fmnist" in header["value"]["summary"]

    manifest = json.loads((root / hub.MANIFEST).read_text())
    lfs = {op["value"]["path"]: op["value"] for op in ops if op["key"] == "lfsFile"}
    regular = {op["value"]["path"]: base64.b64decode(op["value"]["content"]) for op in ops if op["key"] == "file"}
    assert len(ops) == len(lfs) + len(regular) == len(manifest["files"]) + 1
    assert set(lfs) == {"dcgan-fmnist/model.safetensors", "fmnist-classifier/model.safetensors"}
    assert set(lfs) | set(regular) == set(manifest["files"]) | {hub.MANIFEST}
    for rel, op in lfs.items():
        data = (root / rel).read_bytes()
        assert op["algo"] == "sha256"
        assert op["oid"] == sha256(data) == manifest["files"][rel]["sha256"]
        assert op["size"] == len(data) == manifest["files"][rel]["size"]
        assert seen["uploaded"][op["oid"]] == data  # the bytes sent to storage are the file's
    for rel, data in regular.items():
        assert data == (root / rel).read_bytes()
    assert json.loads(regular[hub.MANIFEST]) == manifest


def test_push_refuses_an_empty_folder(tmp_path, http):
    (tmp_path / "checkpoints").mkdir()
    with pytest.raises(FileNotFoundError, match="nothing to push"):
        hub.push(REPO_ID, root=tmp_path / "checkpoints", token="hf_test")
    assert not http.requests


# --------------------------------------------------------------------------------------------
# Space: README front matter, LFS attributes, ZeroGPU
# --------------------------------------------------------------------------------------------

def test_readme_front_matter_is_a_valid_space_config(monkeypatch):
    from importlib.metadata import version

    import yaml
    from packaging.requirements import Requirement

    monkeypatch.delenv("GAN_SUITE_HUB_REPO", raising=False)
    front = yaml.safe_load((REPO / "README.md").read_text().split("---")[1])
    gradio_req = next(Requirement(line) for line in (REPO / "requirements.txt").read_text().splitlines()
                      if line.strip().startswith("gradio") and not line.startswith("gradio_"))

    assert front["sdk"] == "gradio"
    assert front["sdk_version"] in gradio_req.specifier
    assert front["sdk_version"] == version("gradio")  # the release the suite is tested with
    assert front["app_file"] == "app.py" and (REPO / "app.py").exists()
    assert str(front["python_version"]) == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert settings.hub_repo() in front["models"]


def test_large_checkpoint_files_are_lfs_tracked():
    def lfs(paths):
        out = subprocess.run(["git", "check-attr", "filter", "--", *paths], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
        return {line.split(": ")[0]: line.endswith(": lfs") for line in out.splitlines()}

    assert lfs(["checkpoints/any-model/model.safetensors", "checkpoints/any-model/config.json"]) == {
        "checkpoints/any-model/model.safetensors": True, "checkpoints/any-model/config.json": False}
    # the files git tracks: a virtual environment or other local files in the checkout are not the repo's
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()
    large = [f for f in files if (REPO / f).is_file() and (REPO / f).stat().st_size > 10_000_000]
    if large:
        assert all(lfs(large).values()), lfs(large)


def test_gpu_decorator_uses_spaces_only_when_importable(monkeypatch):
    def f(x):
        return x + 1

    monkeypatch.setitem(sys.modules, "spaces", None)  # `import spaces` raises ImportError
    zerogpu._spaces.cache_clear()
    assert zerogpu.gpu(f) is f and zerogpu.gpu(duration=30)(f) is f
    assert not zerogpu.available()

    calls = []

    def GPU(fn=None, *, duration=60):
        def mark(g):
            calls.append((g.__name__, duration))
            return g
        return mark(fn) if fn is not None else mark

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=GPU))
    zerogpu._spaces.cache_clear()
    assert zerogpu.gpu(f)(1) == 2 and zerogpu.gpu(duration=120)(f)(1) == 2
    assert calls == [("f", 60), ("f", 120)]
    zerogpu._spaces.cache_clear()


@pytest.mark.parametrize("tolerance, stored_half", [(1.0, True), (0.0, False)])
def test_weights_are_stored_in_fp16_only_when_the_pictures_do_not_move(tmp_path, monkeypatch, tolerance, stored_half):
    """``store_half_if_lossless`` renders the same z through the fp32 and the fp16-rounded weights; it writes
    fp16 weights only within the tolerance; the stored weights give back the same pictures."""
    from safetensors import safe_open
    from gan_core.runtime import get_runtime

    saved = save_tiny_checkpoints(tmp_path)
    monkeypatch.setenv("GAN_SUITE_CHECKPOINTS", str(tmp_path))
    checkpoints.clear_cache()
    z = saved["dcgan-fmnist"].sample_z(16, torch.Generator().manual_seed(0))
    fp32 = get_runtime(fp32=True)

    def render(model):
        return model.generator(z) * 0.5 + 0.5

    out = checkpoints.store_half_if_lossless("dcgan-fmnist", render, fp32, tolerance)
    assert out["weights_fp16"] is stored_half
    assert 0 < out["fp16_pixel_difference_p99.9"] <= out["fp16_pixel_difference_max"] < 0.05
    with safe_open(str(tmp_path / "dcgan-fmnist" / "model.safetensors"), "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys() if f.get_tensor(k).is_floating_point()}
    assert dtypes == ({torch.float16} if stored_half else {torch.float32})
    reloaded = checkpoints.load("dcgan-fmnist", fp32)  # the cache was cleared: read back from disk
    assert torch.allclose(render(reloaded), render(saved["dcgan-fmnist"].eval()), atol=0.05)
    checkpoints.clear_cache()
