"""checkpoints/manifest.json is committed and current, so `python -m gan_core.hub verify` passes
on a fresh clone and a checkpoint file never changes without the manifest saying so."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gan_core import hub

REPO = Path(__file__).resolve().parent.parent
CHECKPOINTS = REPO / "checkpoints"


def test_the_shipped_manifest_lists_exactly_the_shipped_files():
    shipped = hub.read_manifest(CHECKPOINTS)
    current = hub.build_manifest(CHECKPOINTS)
    assert shipped["files"] == current["files"], (
        "checkpoints/ changed without its manifest: run python -c 'from gan_core import hub; hub.write_manifest()'")
    assert shipped["models"] == current["models"]
    tracked = subprocess.run(["git", "ls-files", "checkpoints/manifest.json"], cwd=REPO, capture_output=True,
                             text=True).stdout.strip()
    assert tracked == "checkpoints/manifest.json", "the manifest must be committed"


def test_hub_verify_passes_on_the_checkout():
    out = subprocess.run([sys.executable, "-m", "gan_core.hub", "verify"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"{len(hub.read_manifest(CHECKPOINTS)['files'])} files" in out.stdout


def test_saving_a_checkpoint_rewrites_the_manifest(checkpoint_dir):
    from gan_core import checkpoints
    from gan_core.gan.dcgan import DCGAN
    checkpoints.save(DCGAN(nz=4, ngf=2, ndf=2), "dcgan-fmnist", training={"data": "none (test)"})
    first = json.loads((checkpoint_dir / "manifest.json").read_text())
    assert "dcgan-fmnist/model.safetensors" in first["files"]
    checkpoints.update_metrics("dcgan-fmnist", {"judge_fid": 1.5})
    second = hub.read_manifest(checkpoint_dir)
    assert second["models"]["dcgan-fmnist"]["metrics"] == {"judge_fid": 1.5}
    assert second["files"]["dcgan-fmnist/README.md"] != first["files"]["dcgan-fmnist/README.md"]
    assert hub.verify(checkpoint_dir, second)
