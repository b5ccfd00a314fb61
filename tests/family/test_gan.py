"""The GAN family: DCGAN network, losses, the alternating training step, checkpoints and resume."""
from __future__ import annotations

import math

import pytest
import torch

from gan_core import checkpoints, losses
from gan_core.gan.dcgan import DCGAN, DCGANTraining
from gan_core.runtime import Runtime, get_runtime
from gan_core.testing import fake_fmnist
from gan_core.trainer import Trainer, TrainConfig, TrainingDivergedError, read_history

CPU32 = Runtime(torch.device("cpu"), None, False)


def test_shapes():
    m = DCGAN(nz=16, ngf=8, ndf=8)
    z = torch.randn(5, 16)
    assert m.generator(z).shape == (5, 1, 32, 32)
    assert m.discriminator(torch.randn(5, 1, 32, 32)).shape == (5,)
    x = m.eval().decode(z)
    assert x.shape == (5, 1, 28, 28)
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_minimax_value_at_equilibrium_is_minus_log4():
    zeros = torch.zeros(10)  # D = sigmoid(0) = 1/2 everywhere
    assert losses.minimax_value(zeros, zeros).item() == pytest.approx(-math.log(4), abs=1e-6)
    assert losses.discriminator_loss(zeros, zeros).item() == pytest.approx(math.log(4), abs=1e-6)


def test_generator_losses_saturate_as_the_lecture_says():
    # D confidently rejects the fakes: logit -8, D(G(z)) ~ 3e-4
    logit = torch.tensor([-8.0], requires_grad=True)
    losses.generator_loss_saturating(logit).backward()
    sat_grad = logit.grad.abs().item()
    logit.grad = None
    losses.generator_loss_nonsaturating(logit).backward()
    ns_grad = logit.grad.abs().item()
    assert sat_grad < 1e-3 < 0.99 < ns_grad  # log(1-D) is flat there, -log D is steep
    # both are minimised by making D(G(z)) large
    hi, lo = torch.tensor([3.0]), torch.tensor([-3.0])
    for fn in losses.GENERATOR_LOSSES.values():
        assert fn(hi) < fn(lo)


def test_label_smoothing_changes_only_the_real_target():
    r, f = torch.tensor([2.0]), torch.tensor([-2.0])
    plain, smooth = losses.discriminator_loss(r, f), losses.discriminator_loss(r, f, real_label=0.9)
    expected_extra = 0.1 * 2.0  # BCE(x, 0.9) - BCE(x, 1) = 0.1 * logit
    assert (smooth - plain).item() == pytest.approx(expected_extra, abs=1e-5)


def test_one_training_step_is_finite_and_moves_both_networks():
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(nz=8, ngf=4, ndf=4), CPU32)
    before = {k: v.clone() for k, v in algo.model.state_dict().items()}
    images, _ = fake_fmnist(16)
    logs = algo.train_step([images], torch.Generator().manual_seed(0))
    assert set(logs) == {"loss_D", "loss_G", "V", "D(x)", "D(G(z))"}
    assert all(math.isfinite(v) for v in logs.values())
    after = algo.model.state_dict()
    for part in ("generator", "discriminator"):
        changed = [k for k in before if k.startswith(part) and not torch.equal(before[k], after[k])]
        assert changed, f"{part} parameters did not change"
    assert all(p.requires_grad for p in algo.model.discriminator.parameters())  # D is unfrozen again


def _trainer(run_dir, steps, ckpt_every=2):
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(nz=8, ngf=4, ndf=4), CPU32)
    data = fake_fmnist(64)[:1]
    cfg = TrainConfig(steps=steps, batch_size=8, seed=3, checkpoint_every=ckpt_every, log_every=1)
    return Trainer(algo, data, cfg, run_dir, progress=False)


def test_resume_continues_exactly(tmp_path):
    straight = _trainer(tmp_path / "a", 6)
    straight.fit()
    first = _trainer(tmp_path / "b", 4)
    first.fit()                      # "interrupted" after 4 steps (checkpoint at 4)
    resumed = _trainer(tmp_path / "b", 6)
    result = resumed.fit()
    assert result["resumed_from"] == 4
    sa, sb = straight.algo.model.state_dict(), resumed.algo.model.state_dict()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    assert [h["step"] for h in read_history(tmp_path / "b")] == [1, 2, 3, 4, 5, 6]


def test_set_lr_overrides_the_resumed_learning_rate(tmp_path):
    _trainer(tmp_path / "r", 2).fit()
    kept = _trainer(tmp_path / "r", 3)
    kept.fit()
    assert {g["lr"] for o in kept.algo.optimizers.values() for g in o.param_groups} == {2e-4}
    lowered = _trainer(tmp_path / "r", 4)
    lowered.lr = 5e-5
    assert lowered.fit()["resumed_from"] == 3
    assert {g["lr"] for o in lowered.algo.optimizers.values() for g in o.param_groups} == {5e-5}


def test_nan_guard_stops_with_a_clear_message(tmp_path):
    t = _trainer(tmp_path / "nan", 5)
    real_step = t.algo.train_step
    calls = {"n": 0}

    def poisoned(batch, gen):
        calls["n"] += 1
        logs = real_step(batch, gen)
        if calls["n"] == 3:
            logs["loss_D"] = float("nan")
        return logs

    t.algo.train_step = poisoned
    with pytest.raises(TrainingDivergedError, match=r"diverged at step 2: loss_D=nan.*last good checkpoint is at step 2"):
        t.fit()


def test_checkpoint_round_trip_is_exact(checkpoint_dir):
    torch.manual_seed(1)
    model = DCGAN(nz=8, ngf=4, ndf=4)
    path = checkpoints.save(model, "dcgan-fmnist", training={"data": "test"})
    assert {p.name for p in path.iterdir()} >= {"config.json", "model.safetensors", "README.md", "training.json"}
    loaded = DCGAN.from_pretrained(str(path), strict=True)
    assert loaded.nz == 8
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    # and the cached loader gives the same generator output
    z = torch.randn(3, 8)
    assert torch.equal(checkpoints.load("dcgan-fmnist", CPU32).decode(z), model.eval().decode(z))


def test_the_card_writes_curves_and_tables_as_words(checkpoint_dir):
    checkpoints.save(DCGAN(nz=8, ngf=4, ndf=4), "dcgan-fmnist", training={})
    checkpoints.update_metrics("dcgan-fmnist", {
        "curve": [{"truncation": 1.0, "fid": 2.5739}, {"truncation": 0.5, "fid": 9.1}],
        "by_budget": {"100": {"sgan": [0.7648, 0.0183, 3]}}, "rho": {"brightness": -0.856}})
    card = (checkpoint_dir / "dcgan-fmnist" / "README.md").read_text()
    assert "| curve | truncation: 1, fid: 2.574; truncation: 0.5, fid: 9.1 |" in card
    assert "| by_budget | 100: (sgan: (0.7648, 0.0183, 3)) |" in card
    assert "| rho | brightness: -0.856 |" in card


def test_the_card_shows_the_figures_beside_it_with_their_captions(checkpoint_dir):
    import json
    path = checkpoints.save(DCGAN(nz=8, ngf=4, ndf=4), "dcgan-fmnist", training={})
    assert "## Figures" not in (path / "README.md").read_text()
    (path / "figures").mkdir()
    (path / "figures" / "figures.json").write_text(json.dumps(
        {"command": "python -m benchmarks.x", "figures": [{"file": "a.png", "caption": "Crops of a flat window."}]}))
    checkpoints.write_card("dcgan-fmnist")
    card = (path / "README.md").read_text()
    assert "## Figures\n\n![a.png](figures/a.png)\n\nCrops of a flat window.\n" in card
    assert "Made with `python -m benchmarks.x`." in card


def test_no_pickle_anywhere_in_a_checkpoint(checkpoint_dir):
    path = checkpoints.save(DCGAN(nz=8, ngf=4, ndf=4), "dcgan-fmnist", training={})
    for f in path.iterdir():
        head = f.read_bytes()[:2]
        assert head != b"\x80\x02" and not f.name.endswith((".bin", ".pt", ".pth", ".ckpt")), f


def test_generate_is_deterministic_and_cached(tiny_dcgan):
    import gan_core
    a = gan_core.generate(tiny_dcgan, 6, seed=5)
    b = gan_core.generate(tiny_dcgan, 6, seed=5)
    c = gan_core.generate(tiny_dcgan, 6, seed=6)
    assert a.shape == (6, 1, 28, 28) and a.dtype == torch.float32
    assert 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert checkpoints.load(tiny_dcgan) is checkpoints.load(tiny_dcgan)
    # the first k of n samples do not depend on n
    assert torch.equal(gan_core.generate(tiny_dcgan, 3, seed=5), a[:3])


def test_missing_checkpoint_says_how_to_fix(checkpoint_dir):
    with pytest.raises(checkpoints.MissingCheckpointError, match="python -m gan_core"):
        checkpoints.load("dcgan-fmnist")
    # the command that writes that very checkpoint, not its family's first word
    for name, command in (("nextframe-adv", "nextframe-adv"), ("pix2pix-maps", "pix2pix-maps"), ("dcgan-fmnist", "dcgan"),
                          ("pix2pix-colorize", "pix2pix")):
        with pytest.raises(checkpoints.MissingCheckpointError, match=f"gan_core.train {command}` "):
            checkpoints.require(name)


def test_runtime_policy():
    assert get_runtime(fp32=True).dtype is None
    rt = get_runtime()
    if torch.cuda.is_available():
        assert rt.device.type == "cuda" and rt.dtype is not None
    else:
        from gan_core.runtime import cpu_supports_bf16
        assert (rt.dtype == torch.bfloat16) == cpu_supports_bf16()


@pytest.mark.skipif(not __import__("conftest").fmnist_available(), reason="Fashion-MNIST not installed")
def test_cli_killed_mid_run_resumes_from_its_last_checkpoint(tmp_path):
    import json
    import os
    import subprocess
    import sys
    import time
    from conftest import REPO as repo

    run = tmp_path / "run"
    env = {**os.environ, "GAN_SUITE_CHECKPOINTS": str(tmp_path / "ck"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "gan_core.train", "dcgan", "--nz", "8", "--ngf", "4", "--ndf", "4",
           "--batch-size", "16", "--checkpoint-every", "10", "--run-dir", str(run)]
    log = open(tmp_path / "first.log", "w")
    proc = subprocess.Popen(cmd + ["--steps", "100000"], cwd=repo, env=env, stdout=log, stderr=log)
    state = run / "train_state.json"
    deadline = time.time() + 300  # importing torch alone can take a minute on a busy 2-core machine
    while time.time() < deadline and not (state.exists() and json.loads(state.read_text())["step"] >= 20):
        assert proc.poll() is None, (tmp_path / "first.log").read_text()
        time.sleep(0.2)
    proc.kill()  # SIGKILL: no chance to save anything more
    proc.wait()
    killed_at = json.loads(state.read_text())["step"]
    assert killed_at >= 20 and killed_at % 10 == 0

    done = subprocess.run(cmd + ["--steps", str(killed_at + 10)], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resuming from step {killed_at}" in done.stdout
    assert json.loads(state.read_text())["step"] == killed_at + 10
    assert (tmp_path / "ck" / "dcgan-fmnist" / "model.safetensors").exists()


def test_bf16_channels_last_path_trains_and_matches_fp32():
    """The fast CPU path (used where the CPU has bf16 instructions) works on any CPU."""
    bf16 = Runtime(torch.device("cpu"), torch.bfloat16, True)
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(nz=8, ngf=8, ndf=8), bf16)
    logs = algo.train_step([fake_fmnist(16)[0]], torch.Generator().manual_seed(0))
    assert all(math.isfinite(v) for v in logs.values())
    assert algo.model.generator.net[0].weight.is_contiguous(memory_format=torch.channels_last)
    model = algo.model.eval()
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    exact = model.decode(z)
    with bf16.autocast():
        fast = model.decode(z)
    assert fast.dtype == torch.float32 and (fast - exact).abs().max() < 0.05
