"""GAN architectures: the losses of cGAN, AC-GAN, InfoGAN and the semi-supervised GAN, one training
step of each on tiny models, resume, the label draw, the clustering accuracy and the public API."""
from __future__ import annotations

import math

import pytest
import torch

import gan_core
from gan_core import checkpoints, losses
from gan_core.gan.acgan import ACGAN, ACGANTraining
from gan_core.gan.cgan import CGAN, CGANTraining
from gan_core.gan.evaluate import clustering_accuracy
from gan_core.gan.infogan import InfoGAN, InfoGANTraining
from gan_core.gan.sgan import SGAN, SGANTraining, label_draw
from gan_core.runtime import Runtime
from gan_core.testing import fake_fmnist
from gan_core.trainer import Trainer, TrainConfig

CPU32 = Runtime(torch.device("cpu"), None, False)
IMAGES, LABELS = fake_fmnist(64)


def tiny(kind: str):
    torch.manual_seed(0)
    if kind in ("cgan", "cgan-ema", "cgan-projection"):
        return CGANTraining(CGAN(nz=8, ngf=4, ndf=4, projection=kind == "cgan-projection"), CPU32,
                            ema=0.9 if kind == "cgan-ema" else 0.0)
    if kind in ("acgan", "acgan-ema-real"):
        extra = {"ema": 0.9, "d_class_fakes": False} if kind == "acgan-ema-real" else {}
        return ACGANTraining(ACGAN(nz=8, ngf=4, ndf=4), CPU32, **extra)
    if kind == "infogan":
        return InfoGANTraining(InfoGAN(nz=6, ngf=4, ndf=4), CPU32)
    return SGANTraining(SGAN(nz=8, ngf=4, ndf=4, generator=kind == "sgan"), CPU32, IMAGES[:20], LABELS[:20])


KINDS = ["cgan", "cgan-ema", "cgan-projection", "acgan", "acgan-ema-real", "infogan", "sgan", "supervised"]


def test_class_and_info_losses_are_the_written_log_likelihoods():
    logits, y = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0])
    assert losses.class_loss(logits, y).item() == pytest.approx(-math.log(math.e ** 2 / (math.e ** 2 + 1 + math.e ** -1)))
    # a perfect continuous guess costs nothing; a miss of 2 costs 1/2 * 2^2 times lambda
    cat = torch.tensor([[30.0] + [0.0] * 9])
    zero = losses.info_loss(cat, torch.tensor([0]), torch.zeros(1, 2), torch.zeros(1, 2))
    assert zero.item() == pytest.approx(0.0, abs=1e-9)
    miss = losses.info_loss(cat, torch.tensor([0]), torch.tensor([[2.0, 0.0]]), torch.zeros(1, 2), lambda_cont=0.5)
    assert miss.item() == pytest.approx(0.5 * 0.5 * 4, abs=1e-6)


def test_the_projection_discriminator_adds_the_class_vector_times_the_pooled_features():
    m = CGAN(nz=8, ngf=4, ndf=4, projection=True).eval()
    x = torch.randn(3, 1, 32, 32)
    y = torch.tensor([0, 4, 9])
    D = m.discriminator
    h = D.body.features(x)
    expected = D.body.head(h).flatten() + (D.embed.weight[y] * h.sum((2, 3))).sum(1)
    torch.testing.assert_close(m.d(x, y), expected)
    # the label changes the logit only through <V_y, pooled features>
    other = m.d(x, torch.tensor([1, 1, 1]))
    torch.testing.assert_close(m.d(x, y) - other, ((D.embed.weight[y] - D.embed.weight[1]) * h.sum((2, 3))).sum(1))
    assert not torch.allclose(m.d(x, y), other)
    # the class vectors train with D
    algo = tiny("cgan-projection")
    before = algo.gan.discriminator.embed.weight.clone()
    algo.train_step([IMAGES[:16], LABELS[:16]], torch.Generator().manual_seed(0))
    assert not torch.equal(before, algo.gan.discriminator.embed.weight)


def test_sgan_d_is_z_over_z_plus_one():
    logits = torch.tensor([[0.3, -1.2, 2.0], [-5.0, -5.0, -5.0]])
    z = logits.exp().sum(1)
    torch.testing.assert_close(losses.sgan_log_d(logits).exp(), z / (z + 1))
    torch.testing.assert_close(losses.sgan_log_one_minus_d(logits).exp(), 1 / (z + 1))
    # shifting every logit by c keeps the class posterior and moves only D(x): the implicit fake class
    sup_a, _ = losses.sgan_discriminator_loss(logits, torch.tensor([2, 0]), logits, logits)
    sup_b, _ = losses.sgan_discriminator_loss(logits + 3, torch.tensor([2, 0]), logits, logits)
    assert sup_a.item() == pytest.approx(sup_b.item(), abs=1e-5)
    real_hi = losses.sgan_discriminator_loss(logits, torch.tensor([2, 0]), logits + 3, logits - 3)[1]
    real_lo = losses.sgan_discriminator_loss(logits, torch.tensor([2, 0]), logits - 3, logits + 3)[1]
    assert real_hi < real_lo


def test_feature_matching_compares_batch_means():
    f = torch.randn(16, 5)
    assert losses.feature_matching_loss(f, f[torch.randperm(16)]).item() == pytest.approx(0.0, abs=1e-10)
    assert losses.feature_matching_loss(f, f + 1).item() == pytest.approx(5.0, rel=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_one_step_is_finite_and_moves_every_trained_part(kind):
    algo = tiny(kind)
    before = {k: v.clone() for k, v in algo.model.state_dict().items()}
    logs = algo.train_step([IMAGES[:16], LABELS[:16]], torch.Generator().manual_seed(0))
    assert logs and all(math.isfinite(v) for v in logs.values())
    after = algo.model.state_dict()
    parts = {k.split(".")[0] for k in before}
    for part in parts:
        assert any(not torch.equal(before[k], after[k]) for k in before if k.split(".")[0] == part), part
    trained = getattr(algo, "gan", algo.model)  # with EMA, algo.model also holds the average (no gradient)
    assert all(p.requires_grad for p in trained.parameters())  # nothing left frozen
    if kind == "supervised":
        assert algo.model.generator is None and set(algo.optimizers) == {"D"}


@pytest.mark.parametrize("kind", KINDS)
def test_resume_equals_uninterrupted(kind, tmp_path):
    def trainer(run_dir, steps):
        data = (IMAGES, LABELS) if kind.startswith(("cgan", "acgan")) else (IMAGES,)
        cfg = TrainConfig(steps=steps, batch_size=8, seed=1, checkpoint_every=2, log_every=1)
        return Trainer(tiny(kind), data, cfg, run_dir, progress=False)

    straight = trainer(tmp_path / "a", 4)
    straight.fit()
    trainer(tmp_path / "b", 2).fit()
    resumed = trainer(tmp_path / "b", 4)
    assert resumed.fit()["resumed_from"] == 2
    for k, v in straight.algo.model.state_dict().items():
        assert torch.equal(v, resumed.algo.model.state_dict()[k]), k


@pytest.mark.parametrize("kind", ["cgan-ema", "acgan-ema-real"])
def test_a_conditional_run_with_ema_exports_the_averaged_g_beside_the_live_d(kind, checkpoint_dir):
    from gan_core.gan.dcgan import ema_decay_at
    algo = tiny(kind)
    ema0 = [p.clone() for p in algo.state.ema.parameters()]
    algo.train_step([IMAGES[:16], LABELS[:16]], torch.Generator().manual_seed(0))
    decay = ema_decay_at(0.9, 0)
    for e0, e, live in zip(ema0, algo.state.ema.parameters(), algo.gan.generator.parameters()):
        assert torch.allclose(e, decay * e0 + (1 - decay) * live.detach(), atol=1e-7)
    assert not all(torch.equal(e, p) for e, p in zip(algo.state.ema.parameters(), algo.gan.generator.parameters()))
    shell = algo.export_model
    assert type(shell) is type(algo.gan) and shell.generator is algo.state.ema
    assert shell.discriminator is algo.gan.discriminator
    if kind.startswith("acgan"):
        assert shell.class_head is algo.gan.class_head
    # the averaged G's batch-norm statistics are re-measured for it, over z and one-hot classes
    bn = next(m for m in algo.state.ema.modules() if isinstance(m, torch.nn.BatchNorm2d))
    live_mean = bn.running_mean.clone()
    algo.before_export()
    assert not torch.allclose(bn.running_mean, live_mean)
    name = "cgan-fmnist" if kind.startswith("cgan") else "acgan-fmnist"
    path = checkpoints.save(shell, name, training={"data": "test", **algo.card_info})
    assert "EMA of G" in (path / "README.md").read_text()
    loaded = checkpoints.load(name, CPU32)
    for a, b in zip(loaded.generator.parameters(), algo.state.ema.parameters()):
        assert torch.equal(a, b.cpu())
    for a, b in zip(loaded.discriminator.parameters(), algo.gan.discriminator.parameters()):
        assert torch.equal(a, b.cpu())


def test_acgan_d_may_learn_its_classes_from_real_items_only():
    """With d_class_fakes off, D's loss lacks exactly the fakes' class term, -E[log P(C = c | X_fake)]."""
    batch = [IMAGES[:16], LABELS[:16]]
    paper, real_only = tiny("acgan"), tiny("acgan")
    real_only.d_class_fakes = False
    with torch.no_grad():
        _, c, z = paper.inputs(batch, torch.Generator().manual_seed(3))
        _, c_fake = paper.gan.d_both(paper.gan.g(z, c))
        fakes_term = losses.class_loss(c_fake, c).item()
    a = paper.train_step(batch, torch.Generator().manual_seed(3))["loss_D"]
    b = real_only.train_step(batch, torch.Generator().manual_seed(3))["loss_D"]
    assert fakes_term > 0.1 and a - b == pytest.approx(fakes_term, rel=1e-4)


def test_acgan_g_class_weight_scales_the_class_term_of_g_only():
    """Same start, same batch: D's loss is the same, G's differs by (1 - w) times its class term."""
    import copy
    batch = [IMAGES[:16], LABELS[:16]]
    paper, half = tiny("acgan"), tiny("acgan")
    half.g_class_weight = 0.5
    g_before = copy.deepcopy(paper.gan)
    a = paper.train_step(batch, torch.Generator().manual_seed(5))
    b = half.train_step(batch, torch.Generator().manual_seed(5))
    assert a["loss_D"] == pytest.approx(b["loss_D"], abs=1e-6)
    with torch.no_grad():  # G's step saw the fakes of the G before it, judged by the D after D's step
        _, c, z = paper.inputs(batch, torch.Generator().manual_seed(5))
        _, class_logits = paper.gan.d_both(g_before.g(z, c))
        term = losses.class_loss(class_logits, c).item()
    assert term > 0.1 and a["loss_G"] - b["loss_G"] == pytest.approx(0.5 * term, rel=1e-4)
    from gan_core.train import parse_args
    args = parse_args(["acgan", "--g-class-weight", "0.5", "--d-class-loss", "real", "--ema", "0.99"])
    assert args.g_class_weight == 0.5 and args.d_class_loss == "real" and args.ema == 0.99


def test_conditional_decode_takes_the_label_and_rejects_bad_ones():
    m = CGAN(nz=8, ngf=4, ndf=4).eval()
    z = torch.randn(4, 8)
    a, b = m.decode(z, label=3), m.decode(z, label=[3, 3, 3, 3])
    assert a.shape == (4, 1, 28, 28) and torch.equal(a, b) and 0 <= a.min() and a.max() <= 1
    assert not torch.equal(a, m.decode(z, label=4))
    for bad in (10, -1, [1, 2]):
        with pytest.raises(ValueError, match="label"):
            m.decode(z, label=bad)
    probs = ACGAN(nz=8, ngf=4, ndf=4).eval().classify(a)
    assert probs.shape == (4, 10) and torch.allclose(probs.sum(1), torch.ones(4))


def test_infogan_codes_are_set_where_the_latent_says():
    m = InfoGAN(nz=6, ngf=4, ndf=4).eval()
    lat = m.prior(3, torch.Generator().manual_seed(0), codes={"category": 7, "continuous": [0.5, -1.0]})
    assert lat.shape == (3, 6 + 12)
    assert lat[:, 6:16].argmax(1).tolist() == [7, 7, 7] and lat[:, 16:].tolist() == [[0.5, -1.0]] * 3
    free = m.prior(500, torch.Generator().manual_seed(0))
    assert free[:, 16:].abs().max() <= 1 and len(set(free[:, 6:16].argmax(1).tolist())) == 10
    cat, cont = m.infer_codes(m.decode(lat))
    assert cat.shape == (3, 10) and cont.shape == (3, 2)


def test_infogan_z_std_scales_the_noise_only_and_is_saved(checkpoint_dir):
    wide, narrow = InfoGAN(nz=6, ngf=4, ndf=4), InfoGAN(nz=6, ngf=4, ndf=4, z_std=0.1)
    a, b = (m.prior(400, torch.Generator().manual_seed(0)) for m in (wide, narrow))
    torch.testing.assert_close(b[:, :6], a[:, :6] * 0.1)           # the same draw of z, scaled
    assert torch.equal(a[:, 6:], b[:, 6:])                         # the codes are untouched
    assert 0.08 < b[:, :6].std().item() < 0.12
    checkpoints.save(narrow, "infogan-fmnist", training={"data": "test"})
    assert checkpoints.load("infogan-fmnist", CPU32).z_std == 0.1


def test_label_draw_is_balanced_fixed_and_differs_by_seed():
    labels = torch.arange(1000) % 10
    a, b, c = label_draw(labels, 100, 0), label_draw(labels, 100, 0), label_draw(labels, 100, 1)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.bincount(labels[a]).tolist() == [10] * 10
    assert len(label_draw(labels, 0)) == 1000


def test_the_label_curve_gathers_every_sweep_file_at_the_same_steps(tmp_path):
    import json

    from gan_core.gan.sweep import curve, gathered

    def run(kind, labels, draw, acc, steps=4000):
        return {"kind": kind, "labels": labels, "draw": draw, "steps": steps, "test_accuracy": acc}
    # three sweeps side by side: draws of 100 labels on a GPU, the other budgets later, a shorter try
    (tmp_path / "results-d0.json").write_text(json.dumps([run("sgan", 100, 0, 0.70), run("supervised", 100, 0, 0.66)]))
    (tmp_path / "results-d1.json").write_text(json.dumps([run("sgan", 100, 1, 0.68), run("supervised", 100, 1, 0.68)]))
    (tmp_path / "results-rest.json").write_text(json.dumps(
        [run("sgan", 250, 0, 0.75), run("sgan", 100, 0, 0.10), run("sgan", 1000, 0, 0.5, steps=600)]))
    runs = gathered(tmp_path, 4000)
    assert len(runs) == 5  # the 600-step run is another sweep's; draw 0 of 100 labels counted once (first file)
    c = curve(runs)
    assert set(c) == {"100", "250"}
    assert c["100"]["sgan"] == pytest.approx([0.69, 0.01, 2])
    assert c["100"]["supervised"] == pytest.approx([0.67, 0.01, 2])
    assert c["250"]["sgan"] == pytest.approx([0.75, 0.0, 1])


def test_clustering_accuracy_finds_the_best_matching():
    labels = torch.arange(100) % 10
    clusters = (labels + 3) % 10                      # a relabelling is a perfect clustering
    assert clustering_accuracy(clusters, labels) == (1.0, [(k - 3) % 10 for k in range(10)])
    clusters[:10] = 0                                 # 10 items moved into cluster 0: 9 wrong
    assert clustering_accuracy(clusters, labels)[0] == pytest.approx(0.91)


def test_api_class_grid_traversal_and_classifier(checkpoint_dir):
    torch.manual_seed(0)
    checkpoints.save(CGAN(nz=8, ngf=4, ndf=4), "cgan-fmnist", training={})
    checkpoints.save(InfoGAN(nz=6, ngf=4, ndf=4), "infogan-fmnist", training={})
    checkpoints.save(SGAN(nz=8, ngf=4, ndf=4), "sgan-fmnist", training={})
    grid = gan_core.class_grid("cgan-fmnist", [0, 5], [11, 12, 13])
    assert grid.shape == (6, 1, 28, 28)
    # column j is seed j's z in every row; row i is class i: cell (1, 1) = seed 12, class 5
    one = gan_core.generate("cgan-fmnist", 1, seed=12, label=5)
    torch.testing.assert_close(grid[4:5], one)
    with pytest.raises(ValueError, match="0-9"):
        gan_core.class_grid("cgan-fmnist", [10], [1])
    trav = gan_core.code_traversal("infogan-fmnist", "c1", [-1, 0, 1], [0, 1], category=2)
    assert trav.shape == (6, 1, 28, 28) and not torch.equal(trav[0], trav[2])
    probs = gan_core.sgan_classify("sgan-fmnist", grid)
    assert probs.shape == (6, 10) and torch.allclose(probs.sum(1), torch.ones(6))
