"""The "Improved Techniques" switches of the DCGAN (Salimans et al. 2016): the math of each on tiny
tensors, today's recipe unchanged with every switch off, checkpoints and resume with switches on,
and the ablation command's bookkeeping (resumable rows, the best combination, the grids)."""
from __future__ import annotations

import argparse
import json
import math

import pytest
import torch
from PIL import Image

from gan_core import checkpoints
from gan_core.gan import techniques
from gan_core.gan.dcgan import (DCGAN, DCGANTraining, EMAExport, TechniqueState, VirtualBatchNorm2d,
                                ema_decay_at, ema_update, recalibrate_batchnorm, running_average_update)
from gan_core.lab.losses import feature_matching, historical_penalty
from gan_core.lab.model import VirtualBatchNorm
from gan_core.losses import discriminator_loss, generator_loss_nonsaturating
from gan_core.runtime import Runtime
from gan_core.testing import fake_fmnist
from gan_core.trainer import Trainer, TrainConfig

CPU32 = Runtime(torch.device("cpu"), None, False)
TINY = dict(nz=8, ngf=4, ndf=4)


def _step(algo, seed=0, n=16):
    return algo.train_step([fake_fmnist(n, seed=seed)[0]], torch.Generator().manual_seed(seed))


# ---- today's recipe, unchanged ---------------------------------------------------------------------

def _reference_step(model, opt_d, opt_g, images, gen):
    """The DCGAN step as it was before the switches existed, written out again."""
    G, D = model.generator, model.discriminator
    real = torch.nn.functional.pad(images.float().div(127.5).sub(1).unsqueeze(1), (2, 2, 2, 2), value=-1.0)
    z = model.sample_z(real.shape[0], gen)
    fake = G(z)
    loss_d = discriminator_loss(D(real), D(fake.detach()), 1.0)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    D.requires_grad_(False)
    loss_g = generator_loss_nonsaturating(D(fake))
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    D.requires_grad_(True)


def test_every_switch_off_is_todays_recipe_bit_for_bit():
    from gan_core.gan.train import build_dcgan
    from gan_core.train import parse_args
    torch.manual_seed(0)
    ref = DCGAN(**TINY)
    torch.manual_seed(0)
    args = parse_args(["dcgan", "--nz", "8", "--ngf", "4", "--ndf", "4", "--dry-run"])
    algo, _, _ = build_dcgan(args, CPU32)
    assert algo.model is algo.gan and type(algo.model) is DCGAN   # no extra state in the run state
    assert not hasattr(algo, "export_model") and not hasattr(algo, "card_info")
    assert algo.techniques() == []
    assert list(algo.model.state_dict()) == list(ref.state_dict())
    assert algo.model._hub_mixin_config == {"nz": 8, "ngf": 4, "ndf": 4, "nc": 1}  # config.json keeps 4 keys
    opt_d = torch.optim.Adam(ref.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(ref.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for seed in range(3):
        logs = _step(algo, seed)
        _reference_step(ref, opt_d, opt_g, fake_fmnist(16, seed=seed)[0], torch.Generator().manual_seed(seed))
    assert set(logs) == {"loss_D", "loss_G", "V", "D(x)", "D(G(z))"}
    for (k, a), b in zip(algo.model.state_dict().items(), ref.state_dict().values()):
        assert torch.equal(a, b), k


def test_the_cli_switches_reach_the_algorithm():
    from gan_core.gan.train import build_dcgan
    from gan_core.train import parse_args
    args = parse_args(["dcgan", "--nz", "8", "--ngf", "4", "--ndf", "4", "--dry-run", "--feature-matching", "add",
                       "--minibatch", "5", "--hist-avg", "0.1", "--vbn", "6", "--ema", "0.99",
                       "--label-smoothing", "0.1"])
    algo, _, _ = build_dcgan(args, CPU32)
    assert algo.feature_matching == "add" and algo.hist_avg == 0.1 and algo.ema_decay == 0.99
    assert algo.real_label == pytest.approx(0.9)
    assert algo.gan.discriminator.mbd.kernels == 5 and algo.gan.generator.z_ref.shape == (6, 8)
    assert len(algo.techniques()) == 6
    with pytest.raises(ValueError):
        DCGANTraining(DCGAN(**TINY), CPU32, feature_matching="sometimes")


# ---- virtual batch norm ----------------------------------------------------------------------------

def test_vbn2d_is_the_labs_vbn_on_1x1_maps():
    torch.manual_seed(0)
    x, ref = torch.randn(5, 3) * 2 + 1, torch.randn(7, 3)
    mine, lab = VirtualBatchNorm2d(3), VirtualBatchNorm(3)
    with torch.no_grad():
        mine.gamma.copy_(torch.tensor([1.5, 0.5, 2.0]))
        lab.gamma.copy_(mine.gamma)
        mine.beta.fill_(0.25)
        lab.beta.fill_(0.25)
    a, ra = mine(x[:, :, None, None], ref[:, :, None, None])
    b, rb = lab(x, ref)
    assert torch.allclose(a[:, :, 0, 0], b, atol=1e-5) and torch.allclose(ra[:, :, 0, 0], rb, atol=1e-5)


def test_vbn2d_statistics_are_reference_plus_the_sample_itself():
    torch.manual_seed(1)
    x, ref = torch.randn(2, 1, 3, 3), torch.randn(4, 1, 3, 3)
    out, _ = VirtualBatchNorm2d(1, eps=0.0)(x, ref)
    pool = torch.cat([ref.flatten(), x[1].flatten()])            # 4 x 9 + 9 values of channel 0
    expected = (x[1] - pool.mean()) / pool.var(unbiased=False).sqrt()
    assert torch.allclose(out[1], expected, atol=1e-5)


def test_a_vbn_generator_sample_does_not_depend_on_its_batch_mates():
    torch.manual_seed(0)
    g = DCGAN(**TINY, vbn=6).generator
    z = torch.randn(5, 8)
    for mode in (g.train, g.eval):
        mode()
        assert torch.allclose(g(z)[2:3], g(z[2:3]), atol=1e-6)
    plain = DCGAN(**TINY).generator.train()
    assert not torch.allclose(plain(z)[2:3], plain(z[2:3]), atol=1e-4)  # batch norm does depend on them


# ---- minibatch discrimination ---------------------------------------------------------------------

def test_minibatch_features_are_the_papers_sum_of_exp_l1():
    torch.manual_seed(0)
    d = DCGAN(**TINY, minibatch=3).discriminator
    f = torch.randn(4, 16, 4, 4)
    with torch.no_grad():
        o = d.minibatch_features(f)
        m = (f.flatten(1) @ d.mbd.T).view(4, 3, d.mbd.kernel_dim)          # M_i: (K, C) per sample
    for i in range(4):
        for k in range(3):
            want = sum(math.exp(-float((m[i, k] - m[j, k]).abs().sum())) for j in range(4) if j != i)
            assert o[i, k].item() == pytest.approx(want, rel=1e-4)
    # identical samples: every other sample is at distance 0, o = B - 1
    same = d.minibatch_features(f[:1].expand(5, -1, -1, -1))
    assert torch.allclose(same, torch.full((5, 3), 4.0))
    logit = d(torch.randn(4, 1, 32, 32))
    assert logit.shape == (4,)


# ---- feature matching -----------------------------------------------------------------------------

def test_feature_matching_is_the_squared_distance_of_the_feature_means():
    f_real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    f_fake = torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    assert feature_matching(f_real, f_fake).item() == pytest.approx((2 - 1) ** 2 + (3 - 1) ** 2)


def test_feature_matching_trains_g_where_the_adversarial_loss_cannot():
    """With D's output layer at zero, D(G(z)) = 1/2 whatever G does: the adversarial loss gives G no
    gradient, feature matching (which never looks at the output layer) still does."""
    moved = {}
    for fm in ("off", "replace"):
        torch.manual_seed(0)
        algo = DCGANTraining(DCGAN(**TINY), CPU32, feature_matching=fm, lr_d=0.0)  # D frozen by lr 0
        torch.nn.init.zeros_(algo.gan.discriminator.head.weight)
        before = [p.clone() for p in algo.gan.generator.parameters()]
        logs = _step(algo)
        moved[fm] = any(not torch.equal(a, b) for a, b in zip(before, algo.gan.generator.parameters()))
        if fm == "replace":
            assert logs["loss_G"] == logs["feature_gap"] > 0
    assert moved == {"off": False, "replace": True}


# ---- historical averaging -------------------------------------------------------------------------

def test_historical_penalty_and_the_running_average():
    p, a = [torch.tensor([1.0, 2.0]), torch.tensor([[3.0]])], [torch.tensor([0.0, 0.0]), torch.tensor([[1.0]])]
    assert historical_penalty(p, a).item() == pytest.approx(1 + 4 + 4)
    avg, history = [torch.zeros(2)], [torch.zeros(2)]
    for t in range(4):  # theta_1 .. theta_4 after theta_0 = 0
        theta = torch.randn(2)
        history.append(theta)
        running_average_update(avg, [theta], t)
        assert torch.allclose(avg[0], torch.stack(history).mean(0), atol=1e-6)


def test_the_trained_averages_are_the_mean_of_every_weight_so_far():
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(**TINY), CPU32, hist_avg=0.1)
    assert isinstance(algo.model, TechniqueState) and algo.export_model is algo.gan
    snaps = [[p.detach().clone() for p in algo.gan.parameters()]]
    for seed in range(3):
        logs = _step(algo, seed)
        snaps.append([p.detach().clone() for p in algo.gan.parameters()])
    assert logs["hist_penalty"] > 0 and int(algo.state.updates) == 3
    for i, avg in enumerate(algo.state.averages):
        assert torch.allclose(avg, torch.stack([s[i] for s in snaps]).mean(0), atol=1e-6)


# ---- EMA of G -------------------------------------------------------------------------------------

def test_ema_update_and_its_warm_up():
    ema, theta = [torch.tensor([1.0])], [torch.tensor([3.0])]
    ema_update(ema, theta, 0.75)
    assert ema[0].item() == pytest.approx(0.75 * 1 + 0.25 * 3)
    assert ema_decay_at(0.999, 0) == pytest.approx(0.1) and ema_decay_at(0.999, 10**6) == 0.999


def test_the_ema_generator_is_what_gets_exported(checkpoint_dir):
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(**TINY), CPU32, ema=0.9)
    ema0 = [p.clone() for p in algo.state.ema.parameters()]
    live0 = [p.detach().clone() for p in algo.gan.generator.parameters()]
    _step(algo)
    decay = ema_decay_at(0.9, 0)
    for e0, e, l0, live in zip(ema0, algo.state.ema.parameters(), live0, algo.gan.generator.parameters()):
        assert torch.allclose(e, decay * e0 + (1 - decay) * live.detach(), atol=1e-7)
        assert torch.equal(e0, l0)
    exported = algo.export_model
    assert isinstance(exported, EMAExport) and exported.generator is algo.state.ema
    assert exported.discriminator is algo.gan.discriminator
    assert "EMA of G's weights" in algo.card_info["generator_weights"]
    path = checkpoints.save(exported, "dcgan-fmnist", training={"data": "test", **algo.card_info})
    assert json.loads((path / "config.json").read_text()) == {"nz": 8, "ngf": 4, "ndf": 4, "nc": 1}
    assert "EMA of G" in (path / "README.md").read_text()
    loaded = DCGAN.from_pretrained(str(path), strict=True)
    for a, b in zip(loaded.generator.parameters(), algo.state.ema.parameters()):
        assert torch.equal(a, b.cpu())


def test_recalibrated_batch_norm_holds_the_mean_of_its_batches_statistics():
    torch.manual_seed(0)
    g = DCGAN(**TINY).generator.eval()
    recalibrate_batchnorm(g, batches=3, batch_size=32, seed=7)
    assert not g.training and g.net[1].momentum == 0.1  # mode and momentum as they were
    gen, means = torch.Generator().manual_seed(7), []
    from gan_core.prior import standard_normal
    with torch.no_grad():
        for _ in range(3):
            h = g.net[0](standard_normal(32, 8, gen).reshape(32, 8, 1, 1))
            means.append(h.mean((0, 2, 3)))
    assert torch.allclose(g.net[1].running_mean, torch.stack(means).mean(0), atol=1e-5)


# ---- checkpoints and resume with switches on -------------------------------------------------------

def test_a_switched_on_model_round_trips_through_its_checkpoint(checkpoint_dir):
    torch.manual_seed(3)
    model = DCGAN(**TINY, vbn=5, minibatch=3)
    path = checkpoints.save(model, "dcgan-fmnist", training={})
    assert json.loads((path / "config.json").read_text()) == {**TINY, "nc": 1, "vbn": 5, "minibatch": 3}
    loaded = checkpoints.load("dcgan-fmnist", CPU32)
    z = torch.randn(3, 8)
    assert torch.equal(loaded.decode(z), model.eval().decode(z))


def _switched_trainer(run_dir, steps):
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(**TINY, vbn=4, minibatch=3), CPU32, feature_matching="add", hist_avg=0.05,
                         ema=0.99, real_label=0.9)
    cfg = TrainConfig(steps=steps, batch_size=8, seed=3, checkpoint_every=2, log_every=1)
    return Trainer(algo, fake_fmnist(64)[:1], cfg, run_dir, progress=False)


def test_resume_with_every_switch_on_continues_exactly(tmp_path):
    straight = _switched_trainer(tmp_path / "a", 4)
    straight.fit()
    _switched_trainer(tmp_path / "b", 2).fit()
    resumed = _switched_trainer(tmp_path / "b", 4)
    assert resumed.fit()["resumed_from"] == 2
    sa, sb = straight.algo.model.state_dict(), resumed.algo.model.state_dict()
    assert any(k.startswith("ema.") for k in sa) and any(k.startswith("averages.") for k in sa)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


# ---- the ablation command --------------------------------------------------------------------------

@pytest.fixture
def fake_runs(tmp_path, monkeypatch):
    """The ablation with training and judging replaced by a stand-in: FID from a table."""
    fid = {"vanilla": 30.0, "label-smoothing": 29.0, "feature-matching": 40.0, "minibatch": 31.0,
           "hist-avg": 35.0, "vbn": 33.0, "ema": 20.0, "best": 18.0}
    calls = []

    def fake(config, flags, seed, steps, batch_size, n_eval, run_root, grid):
        calls.append((config, seed))
        if grid is not None:
            techniques.save_grid(torch.rand(64, 1, 28, 28), grid)
        return ({"config": config, "flags": flags, "seed": seed, "steps": steps, "batch_size": batch_size,
                 "n_eval": n_eval, "judge_fid": fid[config] + seed, "classes_covered": 10, "min_class_share": 0.05,
                 "kl_to_uniform": 0.01, "class_shares": [0.1] * 10, "nn_ratio": 1.1, "train_s": 1.0,
                 "eval_s": 1.0, "grid": grid.name if grid else None}, None, None)

    monkeypatch.setattr(techniques, "train_and_judge", fake)
    monkeypatch.setattr(techniques.settings, "REPO_ROOT", tmp_path)
    return tmp_path / "techniques" / "results.json", calls


def test_the_ablation_runs_every_row_once_and_picks_the_best_combination(fake_runs):
    path, calls = fake_runs
    argv = ["--steps", "10", "--seeds", "2", "--n-eval", "100", "--results", str(path)]
    assert techniques.main(argv) == 0
    assert len(calls) == 8 * 2
    data = json.loads(path.read_text())
    assert data["best_rows"]["10x64"]["rows"] == ["label-smoothing", "ema"]
    best = [r for r in data["runs"] if r["config"] == "best"]
    assert best[0]["flags"] == ["--label-smoothing", "0.1", "--ema", "0.999"]
    rows = {r["config"]: r for r in data["summary"]}
    assert list(rows) == techniques.DEFAULT_ROWS
    assert rows["ema"]["judge_fid_mean"] == pytest.approx(20.5)
    assert rows["ema"]["judge_fid_std"] == pytest.approx(math.sqrt(0.5))
    assert rows["ema"]["seeds"] == [0, 1] and rows["ema"]["grid"] == "ema-10x64.png"
    with Image.open(path.parent / "ema-10x64.png") as im:
        assert im.mode == "L" and im.size == (8 * 30 + 2, 8 * 30 + 2)
    assert data["machine"]["torch_threads"] >= 1
    # run again, one more seed: only the new seed trains
    calls.clear()
    techniques.main(["--steps", "10", "--seeds", "3", "--n-eval", "100", "--results", str(path)])
    assert calls == [(c, 2) for c in techniques.DEFAULT_ROWS]


def test_without_a_winner_the_best_row_is_skipped(fake_runs):
    path, calls = fake_runs
    techniques.main(["--steps", "10", "--seeds", "1", "--configs", "vanilla", "feature-matching", "best",
                     "--results", str(path)])
    assert calls == [("vanilla", 0), ("feature-matching", 0)]
    assert techniques.best_row(json.loads(path.read_text()))["config"] == "vanilla"


def test_the_long_run_ships_only_when_it_beats_the_shipped_fid(fake_runs, checkpoint_dir, monkeypatch):
    path, calls = fake_runs
    techniques.main(["--steps", "10", "--seeds", "1", "--configs", "vanilla", "ema", "--results", str(path)])
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(**TINY), CPU32, ema=0.999)
    fids = iter([12.0, 15.0])

    def fake_long(config, flags, seed, steps, batch_size, n_eval, run_root, grid):
        calls.append((config, steps))
        return ({"config": config, "flags": flags, "seed": seed, "steps": steps, "batch_size": batch_size,
                 "n_eval": n_eval, "judge_fid": next(fids), "train_s": 3.0}, algo, None)

    import gan_core.evaluate as ev
    monkeypatch.setattr(techniques, "train_and_judge", fake_long)
    monkeypatch.setattr(ev, "evaluate_generator", lambda name, n, seed, untrained=None: {"judge_fid": 12.5})
    checkpoints.save(DCGAN(**TINY), "dcgan-fmnist", training={"steps": 6000}, metrics={"judge_fid": 13.4})
    r = techniques.run_long(argparse.Namespace(
        long=50, long_config=None, ship=True, batch_size=64), path, "test")
    assert calls[-1] == ("ema", 50) and r["shipped"] and r["shipped_judge_fid_before"] == 13.4
    training = checkpoints.read_json("dcgan-fmnist", "training.json")
    assert training["steps"] == 50 and "EMA of G's weights" in training["generator_weights"]
    assert training["command"] == "python -m gan_core.train dcgan --steps 50 --batch-size 64 --ema 0.999"
    assert checkpoints.read_json("dcgan-fmnist", "metrics.json")["judge_fid"] == 12.5
    # a second long run at another budget that does worse than what is shipped now stays unshipped
    r = techniques.run_long(argparse.Namespace(
        long=60, long_config=None, ship=True, batch_size=64), path, "test")
    assert not r["shipped"] and checkpoints.read_json("dcgan-fmnist", "training.json")["steps"] == 50
    assert [x["steps"] for x in json.loads(path.read_text())["long"]] == [50, 60]


def test_a_long_run_trained_without_ship_is_shipped_later_with_its_own_training_time(tmp_path, checkpoint_dir,
                                                                                    monkeypatch):
    """--long N first, --long N --ship later: the finished run is judged again and shipped, and the card
    and the results keep the first command's training time (the second process only resumed it)."""
    path = tmp_path / "results.json"
    techniques.record(path, "runs", {"config": "ema", "flags": ["--ema", "0.999"], "seed": 0, "steps": 10,
                                     "batch_size": 64, "n_eval": 100, "judge_fid": 50.0, "classes_covered": 10,
                                     "min_class_share": 0.05, "nn_ratio": 1.2, "train_s": 1.0})
    torch.manual_seed(0)
    algo = DCGANTraining(DCGAN(**TINY), CPU32, ema=0.999)
    spent = iter([100.0, 0.0])   # the first process trains for 100 s, the second only resumes

    def fake_long(config, flags, seed, steps, batch_size, n_eval, run_root, grid):
        return ({"config": config, "flags": flags, "seed": seed, "steps": steps, "batch_size": batch_size,
                 "n_eval": n_eval, "judge_fid": 11.0, "train_s": next(spent), "resumed_from": 0}, algo, None)

    import gan_core.evaluate as ev
    monkeypatch.setattr(techniques, "train_and_judge", fake_long)
    monkeypatch.setattr(ev, "evaluate_generator", lambda name, n, seed, untrained=None: {"judge_fid": 11.0})
    checkpoints.save(DCGAN(**TINY), "dcgan-fmnist", training={"steps": 6000}, metrics={"judge_fid": 13.4})
    args = argparse.Namespace(long=50, long_config=None, ship=False, batch_size=64)
    first = techniques.run_long(args, path, "train")
    assert not first["shipped"] and checkpoints.read_json("dcgan-fmnist", "training.json")["steps"] == 6000
    assert techniques.run_long(args, path, "again") == first          # without --ship: nothing to do
    shipped = techniques.run_long(argparse.Namespace(**{**vars(args), "ship": True}), path, "ship")
    assert shipped["shipped"] and shipped["train_s"] == 100.0 and shipped["trained_by"] == "train"
    training = checkpoints.read_json("dcgan-fmnist", "training.json")
    assert training["steps"] == 50 and training["wall_time_this_session_s"] == 100
    assert (training["trained_by"], training["shipped_by"]) == ("train", "ship")
    assert [x["shipped"] for x in json.loads(path.read_text())["long"]] == [True]   # one row, replaced


def test_a_vbn_generator_samples_with_its_reference_statistics_computed_once():
    # sampling (eval, no grad) keeps the reference batch's statistics instead of walking 6 reference
    # codes through G with every call: the samples are those of the walking path, and a change of
    # the weights (an optimiser step, a load) is seen at once
    torch.manual_seed(0)
    g = DCGAN(**TINY, vbn=6).generator.eval()
    for m in g.modules():
        if isinstance(m, VirtualBatchNorm2d):
            torch.nn.init.normal_(m.gamma, 1.0, 0.3)
            torch.nn.init.normal_(m.beta, 0.0, 0.3)
    z = torch.randn(5, 8)
    with torch.enable_grad():
        walked = g(z).detach()              # the reference walks along (as in training)
    with torch.no_grad():
        kept, again = g(z), g(z)
    assert torch.allclose(kept, walked, atol=1e-6) and torch.equal(kept, again)
    assert len(g._ref_cache) == 1
    with torch.no_grad():
        g.net[0].weight.add_(torch.randn_like(g.net[0].weight))  # changes what the norms see
        changed = g(z)
    with torch.enable_grad():
        assert torch.allclose(changed, g(z).detach(), atol=1e-6)
    assert not torch.allclose(changed, kept, atol=1e-3)
