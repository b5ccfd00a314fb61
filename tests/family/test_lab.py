"""The 2-D training lab's maths on tiny tensors, its data sets and metrics, and its steps."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from gan_core.lab import data, losses, metrics
from gan_core.lab.model import Discriminator, MinibatchDiscrimination, VirtualBatchNorm
from gan_core.lab.train import Lab, LabConfig

TINY = dict(g_layers=1, g_units=8, d_layers=1, d_units=8, batch=16)


def test_minibatch_discrimination_matches_the_definition():
    mbd = MinibatchDiscrimination(2, kernels=2, kernel_dim=2, gen=torch.Generator().manual_seed(0))
    with torch.no_grad():
        mbd.T.copy_(torch.tensor([[1.0, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 2.0]]))
    f = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    out = mbd(f)
    assert out.shape == (3, 4) and torch.equal(out[:, :2], f)
    m = (f @ mbd.T).view(3, 2, 2)
    for i in range(3):
        for b in range(2):
            want = sum(math.exp(-(m[i, b] - m[j, b]).abs().sum().item()) for j in range(3) if j != i)
            assert out[i, 2 + b].item() == pytest.approx(want, rel=1e-5)
    # points 0 and 1 differ by 1 in kernel 0 (M = f T): o = e^-1 + e^-(|0|+|3|) for point 0
    assert out[0, 2].item() == pytest.approx(math.exp(-1) + math.exp(-3), rel=1e-6)


def test_historical_penalty_and_running_average():
    assert losses.historical_penalty([torch.tensor([1.0, 2.0])], [torch.zeros(2)]).item() == 5.0
    lab = Lab(LabConfig(hist_avg=1e-3, **TINY))
    iterates = [[p.detach().clone() for p in lab.d_params]]
    for _ in range(3):
        lab.d_step()
        iterates.append([p.detach().clone() for p in lab.d_params])
    for i, avg in enumerate(lab.d_avg):
        mean = torch.stack([it[i] for it in iterates]).mean(0)   # (1/t) Σ θ_i over θ_0..θ_3
        assert torch.allclose(avg, mean, atol=1e-6)


def test_r1_penalty_is_the_squared_input_gradient_on_real_points():
    # D(x) = w·x + b has ∇ₓD = w at every point: the penalty is ‖w‖²; for D(x) = ‖x‖², ∇ = 2x
    w = torch.tensor([3.0, -4.0])
    x = torch.randn(6, 2).requires_grad_(True)
    assert losses.r1_penalty(x @ w + 1.0, x).item() == pytest.approx(25.0)
    x2 = torch.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    assert losses.r1_penalty((x2 ** 2).sum(1), x2).item() == pytest.approx((4 + 16) / 2)
    # in a D step it changes D's update (γ/2 times the penalty is added) and leaves G untouched
    plain, pen = Lab(LabConfig(**TINY)), Lab(LabConfig(r1=10.0, **TINY))
    g0 = [p.detach().clone() for p in pen.g_params]
    a, b = plain.d_step(), pen.d_step()
    assert math.isfinite(b["loss_d"]) and b["loss_d"] > a["loss_d"]   # the same batch, plus a positive penalty
    assert any(not torch.equal(p, q) for p, q in zip(plain.d_params, pen.d_params))
    assert all(torch.equal(p, q) for p, q in zip(g0, pen.g_params))


def test_one_sided_label_smoothing_targets_point_nine():
    logit = torch.tensor([math.log(0.9 / 0.1)], requires_grad=True)  # D(x) = 0.9
    fake = torch.tensor([-2.0])
    (g_smooth,) = torch.autograd.grad(losses.d_loss("nonsaturating", logit, fake, 0.9), logit)
    (g_plain,) = torch.autograd.grad(losses.d_loss("nonsaturating", logit, fake, 1.0), logit)
    assert abs(g_smooth.item()) < 1e-6                # 0.9 is the optimum: no push further
    assert g_plain.item() == pytest.approx(-0.1, abs=1e-6)  # σ(l) − 1 = −0.1: push D(x) towards 1
    # least squares: the real term is 0.5 (D(x) − 0.9)²
    assert losses.d_loss("least_squares", torch.tensor([0.9]), torch.tensor([0.0]), 0.9).item() == pytest.approx(0)


def test_virtual_batch_norm_uses_the_reference_batch_and_the_sample():
    torch.manual_seed(0)
    vbn = VirtualBatchNorm(3)
    ref, x = torch.randn(5, 3), torch.randn(4, 3) * 2 + 1
    out, ref_out = vbn(x, ref)
    for i in range(4):
        joined = torch.cat([ref, x[i:i + 1]])           # (6, 3): reference ∪ {x_i}
        want = (x[i] - joined.mean(0)) / (joined.var(0, unbiased=False) + vbn.eps).sqrt()
        assert torch.allclose(out[i], want, atol=1e-5)
    alone, _ = vbn(x[:1], ref)                         # no dependence on the batch-mates
    assert torch.allclose(alone[0], out[0], atol=1e-6)
    assert torch.allclose(ref_out.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(ref_out.var(0, unbiased=False), torch.ones(3), atol=1e-3)


def test_saturating_g_loss_vanishes_when_d_wins():
    l = torch.tensor([-8.0], requires_grad=True)      # D(G(z)) ≈ 3e-4: D rejects the fake
    (sat,) = torch.autograd.grad(losses.g_loss("minimax", l), l)
    (ns,) = torch.autograd.grad(losses.g_loss("nonsaturating", l), l)
    assert abs(sat.item()) < 1e-3 and ns.item() == pytest.approx(-1.0, abs=1e-3)


def test_packing_concatenates_samples():
    d = Discriminator(layers=1, units=4, pack=2, seed=0)
    x = torch.arange(8.0).view(4, 2)
    out = d(x)
    assert out.shape == (2,)
    h = torch.nn.functional.leaky_relu(d.hidden[0](torch.tensor([[0.0, 1, 2, 3]])), 0.2)
    assert out[0].item() == pytest.approx(d.out(h).item(), abs=1e-6)


def test_ring_and_grid_modes_and_sigma():
    ring, grid = data.ring8(), data.grid25()
    assert ring.modes.shape == (8, 2) and np.allclose(np.linalg.norm(ring.modes, axis=1), 2.0)
    assert ring.sigma == 0.02 and grid.sigma == 0.05
    assert sorted(set(grid.modes[:, 0])) == [-4, -2, 0, 2, 4] and grid.modes.shape == (25, 2)
    pts = grid.sample(5000, torch.Generator().manual_seed(1)).numpy()
    assert np.array_equal(pts, grid.sample(5000, torch.Generator().manual_seed(1)).numpy())
    offsets = pts - np.round(pts / 2) * 2               # distance to the nearest grid mode, per axis
    assert offsets.std() == pytest.approx(0.05, rel=0.05)
    assert abs(grid.cell_probs(np.linspace(-5.5, 5.5, 51)).sum() - 1) < 1e-9


def test_mode_metrics_on_hand_made_points():
    ring = data.ring8()
    m = ring.modes
    pts = np.stack([m[0], m[0] + [0.059, 0], m[3], m[5] + [0, -0.061], [0.0, 0.0]])
    out = metrics.mode_stats(pts, m, ring.sigma)
    assert out["modes"] == 2                           # modes 0 and 3; 0.061 > 3σ misses mode 5
    assert out["hq"] == pytest.approx(3 / 5)
    assert list(out["counts"][[0, 3, 5]]) == [2, 1, 0]


def test_reverse_kl_known_answers():
    ring = data.ring8()
    gen = torch.Generator().manual_seed(0)
    real = ring.sample(2500, gen).numpy()
    one_mode = ring.modes[2] + 0.02 * np.random.default_rng(0).standard_normal((2500, 2))
    assert metrics.reverse_kl(real, ring) < 0.05
    assert metrics.reverse_kl(one_mode, ring) == pytest.approx(math.log(8), abs=0.05)  # collapse to 1 of 8


def test_d_step_changes_only_d_and_g_step_only_g():
    lab = Lab(LabConfig(**TINY))
    g0 = {k: v.clone() for k, v in lab.G.state_dict().items()}
    d0 = {k: v.clone() for k, v in lab.D.state_dict().items()}
    lab.d_step()
    assert all(torch.equal(v, g0[k]) for k, v in lab.G.state_dict().items())
    assert not all(torch.equal(v, d0[k]) for k, v in lab.D.state_dict().items())
    d1 = {k: v.clone() for k, v in lab.D.state_dict().items()}
    lab.g_step()
    assert all(torch.equal(v, d1[k]) for k, v in lab.D.state_dict().items())
    assert not all(torch.equal(v, g0[k]) for k, v in lab.G.state_dict().items())
    assert (lab.d_steps, lab.g_steps, len(lab.history)) == (1, 1, 1)


def test_unrolled_g_step_leaves_d_alone_and_tiny_lr_matches_plain_d():
    lab = Lab(LabConfig(unroll=3, d_opt="sgd", d_lr=1e-6, **TINY))
    fake = lab.G(lab.noise(16, torch.Generator().manual_seed(0)))
    d0 = [p.clone() for p in lab.d_params]
    assert torch.allclose(lab.unrolled_d(fake, 0), lab.D(fake), atol=1e-4)
    lab.g_step()
    assert all(torch.equal(a, b) for a, b in zip(d0, lab.d_params))


def test_ab_twins_start_identical_and_share_the_data_stream():
    a = Lab(LabConfig(seed=3, **TINY))
    b = a.twin(label_smooth=0.1)
    for x, y in ((a.G, b.G), (a.D, b.D)):
        assert all(torch.equal(p, q) for p, q in zip(x.state_dict().values(), y.state_dict().values()))
    c = a.twin(minibatch=True)                          # an extra layer; the shared layers stay equal
    assert all(torch.equal(p.weight, q.weight) for p, q in zip(a.D.hidden, c.D.hidden))
    assert torch.equal(a.data.sample(8, a._at(5, 0)), b.data.sample(8, b._at(5, 0)))
    a.run(3), b.run(3)
    assert a.history[0]["d_real"] == b.history[0]["d_real"]  # the same D on the same first batch
    assert a.history[-1]["d_real"] != b.history[-1]["d_real"]  # then the smoothed target shows


def test_lean_adam_and_sgd_match_torch_optimisers():
    from gan_core.lab.train import SGD, Adam
    torch.manual_seed(0)
    for mine_cls, ref_cls, kw in ((Adam, torch.optim.Adam, dict(betas=(0.5, 0.999))), (SGD, torch.optim.SGD, {})):
        ours = [torch.randn(5, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
        theirs = [p.detach().clone().requires_grad_(True) for p in ours]
        mine, ref = mine_cls(ours), ref_cls(theirs, lr=1e-2, **kw)
        for _ in range(4):
            grads = [torch.randn_like(p) for p in ours]
            mine.step(grads, 1e-2)
            for p, g in zip(theirs, grads):
                p.grad = g.clone()
            ref.step()
        for a, b in zip(ours, theirs):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_training_runs_on_one_thread_and_restores_the_count():
    from gan_core.lab.train import one_thread
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_thread():
            with one_thread():                      # a second lab training at the same time
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1     # the first is still training
        assert torch.get_num_threads() == 2
        seen = []
        lab = Lab(LabConfig(**TINY))
        lab.iteration = lambda: seen.append(torch.get_num_threads())
        lab.run(2)
        assert seen == [1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_mode_stats_match_brute_force_and_cached_kl_is_stable():
    ring = data.ring8()
    pts = ring.sample(500, torch.Generator().manual_seed(3)).numpy() * np.array([1.0, 1.01]) + 0.03
    got = metrics.mode_stats(pts, ring.modes, ring.sigma)
    d = np.array([[np.hypot(*(p - m)) for m in ring.modes] for p in pts])
    hq = d.min(1) <= 3 * ring.sigma
    assert got["hq"] == pytest.approx(hq.mean())
    assert np.array_equal(got["counts"], np.bincount(d.argmin(1)[hq], minlength=8))
    assert metrics.reverse_kl(pts, ring) == metrics.reverse_kl(pts, ring) == metrics.reverse_kl(pts, data.ring8())
    assert metrics.reverse_kl(pts, data.grid25()) != metrics.reverse_kl(pts, ring)   # one cache entry per set


def test_frame_draws_each_point_where_it_is():
    from gan_core.lab import render
    lab = Lab(LabConfig(**TINY))
    snap = render.snapshot(lab)
    assert len(snap["arrows"][0]) == render.ARROWS and snap["heat"].shape == (render.HEAT, render.HEAT)
    snap["real"], snap["fake"] = np.array([[1.0, 1.0]]), np.array([[-1.0, -2.0]])
    snap["lines"], snap["arrows"] = snap["lines"][:0], (np.array([[2.5, -2.5]]), np.zeros((1, 2)))  # out of the way
    img = np.array(render.field(snap))
    for (x, y), colour in (((1.0, 1.0), render.REAL - 10), ((-1.0, -2.0), render.FAKE)):
        px, py = np.rint(render._to_px(np.array([[x, y]]), snap["extent"])[0]).astype(int)
        assert (img[py - 1:py + 2, px - 1:px + 2] == colour).all()     # a 3 × 3 dot


def test_presets_fit_the_tabs_controls():
    from gan_core.lab.sessions import DECAY, HIST_AVG, SMOOTH
    from gan_core.lab.train import PRESETS
    for name, c in PRESETS.items():
        assert 0 <= c.g_layers <= 5 and 0 <= c.d_layers <= 5 and 1 <= c.g_units <= 128 and 1 <= c.d_units <= 128, name
        assert 16 <= c.batch <= 1024 and c.batch % 16 == 0 and 1 <= c.pack <= 4 and c.batch % c.pack == 0, name
        assert c.lr_decay in (0.0, DECAY) and c.hist_avg in (0.0, HIST_AVG) and c.label_smooth in (0.0, SMOOTH), name
        assert (c.dataset, c.points, c.seed) == ("ring8", (), 0), name   # the preset leaves data and seed alone


def test_ablation_changes_one_switch_at_a_time():
    from benchmarks.bench_lab import SWITCHES, ablation
    from gan_core.lab.sessions import AB
    from gan_core.lab.train import PRESETS
    for base in PRESETS:
        configs = ablation(base, SWITCHES)
        assert configs[base] == PRESETS[base]
        for label, config in configs.items():
            changed = [f.name for f in dataclasses.fields(config)
                       if getattr(config, f.name) != getattr(PRESETS[base], f.name)]
            if label == base:
                assert changed == [], label
                continue
            name = label.split(" + ")[-1].split(" − ")[-1]
            field, on, off = AB[name]
            assert changed == [field], label
            # "+": the preset has it off and the row turns it on; "−": the preset has it on, the row off
            assert getattr(config, field) == (on if " + " in label else off), label
            assert (" + " in label) == (getattr(PRESETS[base], field) != on), label


def test_average_of_g_follows_g_and_never_feeds_back():
    """The moving average of G's weights: θ̄ ← β θ̄ + (1 − β) θ after each G step (β warming up), the same
    training with the box ticked or not, and the shown samples come from the average when ticked."""
    from gan_core.lab.train import EMA_BETA
    plain, shown = Lab(LabConfig(**TINY)), Lab(LabConfig(g_ema=True, **TINY))
    before = [p.detach().clone() for p in plain.G_ema.parameters()]
    plain.iteration()
    shown.iteration()
    beta = min(EMA_BETA, 2 / 11)                               # after the first G step, t = 1
    for avg, old, new in zip(plain.G_ema.parameters(), before, plain.G.parameters()):
        assert torch.allclose(avg, beta * old + (1 - beta) * new, atol=1e-6)
    plain.run(5)
    shown.run(5)
    for a, b in zip(plain.G.parameters(), shown.G.parameters()):   # ticking the box changes no weight
        assert torch.equal(a, b)
    assert not torch.equal(plain.samples(), shown.samples())
    assert torch.equal(shown.samples(), shown.G_ema(shown.noise(2500, torch.Generator().manual_seed(987654))))
    assert all(not p.requires_grad for p in shown.G_ema.parameters())
