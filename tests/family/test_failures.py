"""The Failure gallery's room: its synthetic sets' ground truth, the counter and the box check on
hand-made pictures with known answers, one short reproduction per live case showing the failure's
signature, and the training commands end to end on tiny settings."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from gan_core.failures import counting, far, live, perspective, structure
from gan_core.failures.model import CanvasGAN


def canvas(shapes) -> np.ndarray:
    """A 64x64 uint8 canvas with white ('disc', cy, cx, r) and ('square', y0, x0, side) shapes."""
    img = Image.new("L", (64, 64), 0)
    d = ImageDraw.Draw(img)
    for kind, a, b, s in shapes:
        if kind == "disc":
            d.ellipse((b - s, a - s, b + s, a + s), fill=255)
        else:
            d.rectangle((b, a, b + s - 1, a + s - 1), fill=255)
    return np.asarray(img)


# --- counting -------------------------------------------------------------------------------------

def test_the_counter_counts_hand_made_canvases_exactly():
    two = canvas([("disc", 15, 15, 7), ("square", 40, 35, 12)])
    assert counting.analyse(two) == {"count": 2, "fragments": 0, "merged": 0}
    three = canvas([("disc", 12, 12, 6), ("disc", 12, 50, 6), ("square", 40, 25, 11)])
    assert counting.analyse(three)["count"] == 3
    empty = np.zeros((64, 64), np.uint8)
    assert counting.analyse(empty) == {"count": 0, "fragments": 0, "merged": 0}
    # a speck of 4 pixels is a fragment, not an object
    speck = two.copy()
    speck[55:57, 5:7] = 255
    assert counting.analyse(speck) == {"count": 2, "fragments": 1, "merged": 0}
    # two discs grown together: one component, not convex -> merged
    merged = canvas([("disc", 30, 22, 8), ("disc", 30, 36, 8)])
    assert counting.analyse(merged) == {"count": 1, "fragments": 0, "merged": 1}
    # float pictures in [0, 1] are counted the same way
    assert counting.analyse(three.astype(np.float32) / 255)["count"] == 3


def test_the_counting_set_holds_exactly_its_counts():
    images, counts = counting.make_canvases(300, seed=3)
    assert images.shape == (300, 64, 64) and images.dtype == torch.uint8
    assert set(counts.tolist()) == {1, 2, 3}
    found = counting.count_objects(images)
    assert np.array_equal(found["count"], counts.numpy())
    assert found["fragments"].sum() == 0 and found["merged"].sum() == 0
    again, _ = counting.make_canvases(300, seed=3)
    assert torch.equal(images, again)                                  # the same seed, the same set
    fig = counting.count_figures(images)
    assert fig["impossible_count_share"] == 0.0 and fig["count_histogram"][0] == 0.0
    assert sum(fig["count_histogram"]) == pytest.approx(1.0)
    # a set where one canvas in four is blank: 25 % impossible counts
    mixed = images[:8].clone()
    mixed[::4] = 0
    assert counting.count_figures(mixed)["impossible_count_share"] == 0.25


# --- perspective ----------------------------------------------------------------------------------

def test_a_cube_facing_the_camera_projects_to_the_pinhole_square():
    box = {"sides": torch.ones(1, 3), "yaw": torch.zeros(1), "pitch": torch.zeros(1),
           "centre": torch.tensor([[0.0, 0.0, 3.0]])}
    uv = perspective.corners(box)[0]                                    # (8, 2)
    front = uv[[i for i in range(8) if perspective.CORNERS[i, 2] < 0]]  # z = 2.5: the near face
    half = perspective.FOCAL * 0.5 / 2.5
    assert torch.allclose((front - 32).abs(), torch.full((4, 2), half), atol=1e-4)
    img = perspective.render(box)[0]
    assert img[32, 32] == pytest.approx(0.3)                            # the z face's shade
    assert img[0, 0] == 0 and img[32, 32 + int(half) + 2] == 0


def test_the_box_set_matches_its_ground_truth():
    images, params = perspective.make_boxes(12, seed=5)
    assert images.shape == (12, 64, 64) and images.dtype == torch.uint8
    uv = perspective.corners(params)                                    # (12, 8, 2)
    for img, corners_ in zip(images, uv):
        ys, xs = np.nonzero(img.numpy() > 127)
        assert len(ys) > 150                                            # a box, not a speck
        # the ink lies inside the box of the projected corners (1 px of anti-aliasing)
        assert xs.min() >= corners_[:, 0].min() - 1.5 and xs.max() <= corners_[:, 0].max() + 1.5
        assert ys.min() >= corners_[:, 1].min() - 1.5 and ys.max() <= corners_[:, 1].max() + 1.5
        # three shades inside the faces (0.3, 0.6, 0.95 of 255): the three visible faces
        shades = set((perspective.SHADES * 255).round().to(torch.uint8).tolist())
        assert shades <= set(np.unique(img.numpy()).tolist())


def test_the_box_check_accepts_true_projections_and_rejects_distorted_ones():
    images, _ = perspective.make_boxes(4, seed=11)
    _, err = perspective.fit_boxes(images)
    assert (err < 0.08).all(), err                                      # true projections fit
    shifted = images.clone()
    shifted[:, :34] = torch.roll(shifted[:, :34], 6, dims=2)            # the top half slides sideways
    _, err_bad = perspective.fit_boxes(shifted)
    assert (err_bad > perspective.IMPOSSIBLE).all(), err_bad            # no box explains that
    # ink no single box can cover: two separate squares, a frame with a hole (a box's outline is convex);
    # a lone flat rectangle is no such case, a box seen face-on shows one face (yaw near 90 degrees fits it)
    two = torch.zeros(1, 64, 64)
    two[0, 8:26, 8:26] = two[0, 38:56, 38:56] = 0.6
    frame = torch.zeros(1, 64, 64)
    frame[0, 12:52, 12:52] = 0.6
    frame[0, 22:42, 22:42] = 0.0
    assert (perspective.fit_boxes(torch.cat([two, frame]))[1] > perspective.IMPOSSIBLE).all()


# --- live cases: each shows its signature on tiny settings ------------------------------------------

def test_a_strong_d_makes_the_saturating_gradient_vanish():
    result = live.run("strong_d", iterations=40, every=5)
    won = [r for r in result["records"] if r["d_accuracy"] >= 0.95]
    assert len(won) >= 3
    ratios = [r["grad_nonsaturating"] / max(r["grad_saturating"], 1e-12) for r in won]
    assert min(ratios) > 100                                            # same D, same batch: only the loss differs
    start = result["records"][0]                                        # before training D(G(z)) ~ 1/2: equal
    assert start["grad_saturating"] == pytest.approx(start["grad_nonsaturating"], rel=0.2)


def test_a_weak_d_stays_at_one_half_and_teaches_nothing():
    result = live.run("weak_d", iterations=60)
    w, b = result["weak"], result["balanced"]
    assert abs(w["d_real"] - 0.5) < 0.05 and abs(w["d_fake"] - 0.5) < 0.05
    assert abs(b["d_real"] - b["d_fake"]) > abs(w["d_real"] - w["d_fake"])
    assert w["reverse_kl"] > b["reverse_kl"]


def test_the_dirac_gan_circles_or_spirals_but_never_converges():
    r = live.dirac(steps=300, lr=0.1)
    assert r["simultaneous_final_distance"] > 1.2 * r["start_distance"]   # spirals outwards
    assert r["alternating_final_distance"] == pytest.approx(r["start_distance"], rel=0.1)  # circles
    assert r["alternating"].shape == (301, 2) and np.abs(r["alternating"][:, 0]).max() > 0.9


def test_the_cycling_case_yields_frames_and_mode_shares():
    updates = list(live.cycling(iterations=40, every=20))
    result = updates[-1]
    assert [u["done"] for u in updates[:-1]] == [0, 20, 40]
    assert len(result["frames"]) == 3 and len(result["shares"][0]) == 8
    assert all(sum(row) == pytest.approx(1.0, abs=1e-3) for row in result["shares"])
    shares = [[0.7, 0.3, 0, 0, 0, 0, 0, 0], [0.5, 0.5, 0, 0, 0, 0, 0, 0], [0.9, 0.1, 0, 0, 0, 0, 0, 0],
              [0, 0.65, 0.35, 0, 0, 0, 0, 0]]
    assert live.held_modes(shares) == [0, 0, 1] and live.mode_hops(shares) == 1   # the 50/50 frame holds none
    modes = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert live.nearest_shares(np.array([[0.9, 0.1], [0.2, 0.0], [-3.0, 1.0], [1.1, -0.2]]), modes).tolist() == [0.75, 0.25]


def test_g_too_simple_for_the_ring_hops_from_mode_to_mode():
    # the signature: most samples at one mode, later most at another, and again (the data hold 1/8 each)
    result = live.run("cycling", iterations=1500, seed=0)
    held = result["held"]
    assert len(held) >= 4 and live.mode_hops(result["shares"]) >= 2 and len(set(held)) >= 3, held


# --- global structure -----------------------------------------------------------------------------

def test_symmetry_and_parts_on_drawn_items():
    sym = torch.zeros(1, 28, 28)
    sym[0, 5:23, 8:20] = 1.0                                            # a centred rectangle
    half = torch.zeros(1, 28, 28)
    half[0, 5:23, 8:12] = 1.0
    half[0, 5:9, 12:20] = 1.0                                           # an L: not symmetric
    s = structure.symmetry(torch.stack([sym, half]))
    assert s[0] == pytest.approx(1.0) and s[1] < 0.6
    trousers = torch.zeros(1, 28, 28)
    trousers[0, 2:8, 8:20] = 1.0                                        # the waist
    trousers[0, 8:26, 8:12] = 1.0
    trousers[0, 8:26, 16:20] = 1.0                                      # two legs
    assert structure.runs_at(trousers, 0.8).tolist() == [2]
    p = torch.zeros(2, 10)
    p[0, 1], p[1, 1], p[1, 0] = 1.0, 0.4, 0.6
    fig = structure.structure_figures(torch.stack([trousers, trousers]), p)
    assert fig["parts_ok_share"]["Trouser"] == 1.0 and fig["unsure_share"] == 0.0
    assert structure.least_confident(p, 1).tolist() == [1]


# --- far from the training data -------------------------------------------------------------------

def test_the_far_inputs_are_drawn_by_code(tmp_path):
    paths = far.examples(tmp_path)
    assert {"sr", "edges2clothing", "vae", "colorize"} <= set(paths)
    noise = np.asarray(Image.open(paths["sr"][2]))
    assert noise.shape == (192, 192, 3) and 100 < noise.mean() < 155
    digit = np.asarray(far.digit_drawing())
    assert digit.max() == 255 and (digit > 0).mean() < 0.3              # white strokes on black, like MNIST


def test_the_vae_reconstructs_a_digit_worse_than_clothing():
    r = far.measure("vae", far.digit_drawing())
    assert r["output"].size == (28, 28)
    assert r["value"] > 1.3 * far.reference("vae")
    with pytest.raises(ValueError, match="model must be one of"):
        far.measure("gan", far.digit_drawing())


# --- the models and their training commands ----------------------------------------------------------

def test_the_canvas_gan_maps_z_to_64x64_pictures():
    torch.manual_seed(0)
    model = CanvasGAN(nz=8, ngf=4, ndf=4).eval()
    z = model.prior(3, torch.Generator().manual_seed(0))
    x = model.decode(z)
    assert x.shape == (3, 1, 64, 64) and 0 <= x.min() and x.max() <= 1
    assert model.discriminator(x * 2 - 1).shape == (3,)


@pytest.mark.parametrize("command, name", [("counting", "counting-gan"), ("imbalance", "imbalance-fmnist")])
def test_a_training_command_exports_and_its_measurement_runs(command, name, checkpoint_dir, tmp_path, monkeypatch):
    from gan_core import train
    from gan_core.failures import measure
    from gan_core.settings import REPO_ROOT
    judge = REPO_ROOT / "checkpoints" / "fmnist-classifier"
    (checkpoint_dir / "fmnist-classifier").parent.mkdir(parents=True, exist_ok=True)
    (checkpoint_dir / "fmnist-classifier").symlink_to(judge)            # the probe's judge
    small = ["--ngf", "4", "--ndf", "4"]
    extra = ["--items", "64"] if command == "counting" else ["--probe-every", "2", "--dry-run", "--no-export"]
    run_dir = tmp_path / "run"
    assert train.main([command, "--steps", "4", "--batch-size", "8", "--checkpoint-every", "2", "--run-dir", str(run_dir),
                       *small, *extra]) == 0
    if command == "counting":
        assert (checkpoint_dir / name / "model.safetensors").exists()
        figures = measure.counting_figures(name, n=40)
        assert figures["real_impossible_count_share"] == 0.0 and figures["generated_n"] == 40
    else:
        history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()] or [None]
        state = json.loads((run_dir / "train_state.json").read_text())
        assert state["step"] == 4
        monkeypatch.setattr(measure.settings, "REPO_ROOT", tmp_path / "repo")
        (tmp_path / "repo" / "runs" / name).mkdir(parents=True)
        records = [{"step": i, "grad_G_saturating": 0.01, "grad_G_nonsaturating": 5.0, "D_accuracy": 1.0,
                    "D(x)": 0.99, "D(G(z))": 0.01} for i in (25, 50)]
        (tmp_path / "repo" / "runs" / name / "history.jsonl").write_text("\n".join(map(json.dumps, records)))
        (checkpoint_dir / name).mkdir(parents=True)
        figures = measure.imbalance_figures(name)
        assert figures["grad_ratio_when_d_accuracy_ge_0.9"] == pytest.approx(500.0)
        assert (checkpoint_dir / name / "history.jsonl").exists()
        assert history is not None


def test_the_probed_dcgan_logs_both_gradients_and_the_judges_classes():
    from gan_core.failures.recorded import ProbedDCGANTraining
    from gan_core.gan.dcgan import DCGAN
    from gan_core.runtime import get_runtime
    from gan_core.testing import fake_fmnist
    torch.manual_seed(0)
    algo = ProbedDCGANTraining(DCGAN(nz=100, ngf=4, ndf=4), get_runtime(fp32=True), g_loss="saturating",
                               d_steps=3, probe_every=1, lr_d=1e-2)
    images, _ = fake_fmnist(16)
    logs = [algo.train_step((images,), torch.Generator().manual_seed(i)) for i in range(3)]
    assert all(math.isfinite(v) for log in logs for v in log.values())
    assert sum(logs[-1][f"share_{k}"] for k in range(10)) == pytest.approx(1.0)
    # once D wins, the saturating loss's gradient is far below the non-saturating one's
    last = logs[-1]
    assert last["D_accuracy"] > 0.9 and last["grad_G_nonsaturating"] > 10 * last["grad_G_saturating"]


def test_the_spectral_discriminator_has_no_batch_norm_and_unit_norm_weights():
    from gan_core.failures.model import Discriminator
    torch.manual_seed(0)
    d = Discriminator(ndf=4, norm="spectral").train()
    x = torch.randn(2, 1, 64, 64)
    for _ in range(30):                                                 # power iterations run in train mode
        d(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().reshape(conv.weight.shape[0], -1), ord=2)
        assert sigma == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="norm must be"):
        Discriminator(norm="layer")


def test_the_r1_penalty_flattens_d_around_the_real_canvases():
    from gan_core.failures.model import CanvasGANTraining
    from gan_core.lab.losses import r1_penalty
    from gan_core.runtime import get_runtime
    images, _ = counting.make_canvases(8, seed=0)
    # the penalty itself: a linear D(x) = <w, x> has gradient w everywhere, so E||grad||^2 = ||w||^2
    w = torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    x = torch.rand(4, 1, 64, 64).requires_grad_(True)
    assert r1_penalty((x * w).flatten(1).sum(1), x).item() == pytest.approx(w.pow(2).sum().item(), rel=1e-5)

    def d_gradient_norm(r1: float) -> float:
        """D's mean ||grad_x D(x)|| on the real canvases after 6 steps of one training."""
        torch.manual_seed(0)
        algo = CanvasGANTraining(CanvasGAN(nz=8, ngf=4, ndf=4, d_norm="spectral"), get_runtime(fp32=True),
                                 lr_d=5e-3, r1=r1)
        logs = [algo.train_step((images,), torch.Generator().manual_seed(i)) for i in range(6)]
        assert all(math.isfinite(v) for log in logs for v in log.values())
        real = images.float().div(127.5).sub(1).unsqueeze(1).requires_grad_(True)
        (grad,) = torch.autograd.grad(algo.model.discriminator(real).sum(), real)
        return grad.flatten(1).norm(dim=1).mean().item()

    steep, flat = d_gradient_norm(0.0), d_gradient_norm(100.0)
    assert flat < 0.5 * steep   # the same run with R1 leaves D far flatter at the data
