"""The pix2pix paper's data sets and sketch -> photo: the AB-format loader and its jitter, the
per-data-set training commands end to end on a tiny synthetic AB folder (train, the task appears
in the tab and translates, the Hub manifest carries it), a missing task kept out of the tab, and
the BSDS500 pairing."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from apps import image_to_image as tab
from conftest import save_tiny_img2img_checkpoints
from gan_core import checkpoints, hub, registry, settings
from gan_core.img2img import api as i2i, data as paired_data
from gan_core.img2img.metrics import color_scores
from gan_core.img2img.pix2pix import Pix2Pix, random_jitter

PAPER_TASKS = [k for k, t in registry.TASKS.items() if t.kind == "pix2pix-paper"]


def make_ab_folder(root, size=24, counts=(("train", 4), ("val", 1), ("test", 2)), seed=0) -> dict:
    """A tiny AB data set: A random colours, B = 255 - A (so a pair can be recognised after any
    crop or flip), ``size`` px halves. Returns {(split, i): (A, B)} as (H, W, 3) uint8 arrays."""
    rng = np.random.default_rng(seed)
    truth = {}
    for split, n in counts:
        (root / split).mkdir(parents=True)
        for i in range(n):
            a = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            b = 255 - a
            paired_data.write_ab_image(Image.fromarray(a), Image.fromarray(b), root / split / f"{i:03d}.png")
            truth[(split, i)] = (a, b)
    return truth


def chw(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(arr).permute(2, 0, 1)


# --- the AB loader -----------------------------------------------------------------------------

@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_ab_folder_splits_the_halves_lazily_in_both_directions(tmp_path, direction):
    truth = make_ab_folder(tmp_path)
    folder = paired_data.ABFolder(tmp_path, "train", load_size=24, direction=direction)
    assert len(folder) == 4 and folder.a.shape == folder.b.shape == (4, 3, 24, 24)
    idx = torch.tensor([3, 0])
    a, b = folder.a[idx], folder.b[idx]                       # as the trainer indexes its data
    assert a.shape == (2, 3, 24, 24) and a.dtype == torch.uint8
    left, right = (0, 1) if direction == "AtoB" else (1, 0)
    for row, i in enumerate(idx.tolist()):
        assert torch.equal(a[row], chw(truth[("train", i)][left]))    # exact at the native size
        assert torch.equal(b[row], chw(truth[("train", i)][right]))
    assert paired_data.ab_split_for_evaluation(tmp_path) == "test"
    resized = paired_data.ABFolder(tmp_path, "val", load_size=36, direction=direction)
    assert resized.a[torch.tensor([0])].shape == (1, 3, 36, 36)       # the paper's 256 -> 286, scaled


def test_the_jitter_crops_and_mirrors_input_and_target_together(tmp_path):
    make_ab_folder(tmp_path, size=20)
    folder = paired_data.ABFolder(tmp_path, "train", load_size=23)    # 20 -> 23 (as 256 -> 286), crop 20
    a, b = folder.a[torch.arange(4)], folder.b[torch.arange(4)]
    offsets, flips = set(), set()
    for seed in range(12):
        ja, jb = random_jitter(a, b, 20, torch.Generator().manual_seed(seed))
        assert ja.shape == jb.shape == (4, 3, 20, 20)
        # the same window and flip for both: B = 255 - A up to the resize's rounding (a wrong window: ~85)
        assert (jb.int() - (255 - ja.int())).abs().max() <= 3  # PIL's fixed-point bicubic: 2 seen
        for k in range(4):
            window = lambda y, x, f: a[k][:, y:y + 20, x:x + 20].flip(-1) if f else a[k][:, y:y + 20, x:x + 20]  # noqa: E731
            found = [(y, x, f) for y in range(4) for x in range(4) for f in (False, True)
                     if torch.equal(window(y, x, f), ja[k])]
            assert found, "the jittered input is not a window of the resized input"
            offsets.add(found[0][:2])
            flips.add(found[0][2])
    assert len(offsets) > 3 and flips == {False, True}               # random windows, mirrored or not


def test_ab_loader_errors_name_the_layout(tmp_path):
    with pytest.raises(paired_data.MissingDataError, match="train/\\*.jpg"):
        paired_data.ABFolder(tmp_path / "facades", "train")
    with pytest.raises(ValueError, match="direction"):
        paired_data.ABFolder(tmp_path, "train", direction="up")


# --- batch statistics (the paper's inference) ------------------------------------------------------

def test_batch_statistics_make_each_output_independent_of_the_others():
    torch.manual_seed(0)
    m = Pix2Pix(3, 3, resolution=16, ngf=4, ndf=4, n_layers_d=1, batch_stats=True).eval()
    assert not any("running_mean" in k for k in m.generator.state_dict())
    x = torch.rand(3, 3, 16, 16)
    together = m.translate(x)
    alone = torch.cat([m.translate(x[i:i + 1]) for i in range(3)])
    assert torch.allclose(together, alone, atol=1e-6)
    m.train()                                   # no dropout at this depth: training mode gives the same
    assert torch.allclose(m.translate(x[:1]), alone[:1], atol=1e-6)


# --- one command per data set, end to end ----------------------------------------------------------

def test_published_settings_per_data_set():
    from gan_core import train
    from gan_core.img2img.train import PAPER_TASKS as RUNS
    assert set(RUNS) == set(PAPER_TASKS)
    for task, run in RUNS.items():
        command = registry.TASKS[task].checkpoints["pix2pix"]
        assert registry.TRAIN_COMMANDS[command] == command
        args = train.parse_args([command, "--data", "/nowhere"])
        assert (args.steps, args.batch_size) == (run.steps, run.batch_size)
        assert (args.resolution, args.ngf, args.ndf, args.n_layers_d, args.lambda_l1, args.lr) == \
            (256, 64, 64, 3, 100.0, 2e-4)
        assert args.direction == registry.TASKS[task].direction and not args.no_flip
    assert RUNS["labels2facade"].steps == 200 * 400 and RUNS["day2night"].batch_size == 4
    assert train.main(["pix2pix-maps"]) == 2                            # no --data: a message, no traceback


def test_a_paper_task_trains_then_appears_translates_and_syncs(tmp_path, checkpoint_dir):
    from gan_core import train
    save_tiny_img2img_checkpoints()
    make_ab_folder(tmp_path / "facades", size=32)
    assert "labels2facade" not in i2i.available_tasks() and "labels2facade" not in i2i.list_tasks()

    argv = ["pix2pix-facades", "--data", str(tmp_path / "facades"), "--resolution", "16", "--steps", "2",
            "--ngf", "4", "--ndf", "4", "--n-layers-d", "1", "--run-dir", str(tmp_path / "run")]
    assert train.main(argv) == 0
    card = checkpoints.read_json("pix2pix-facades", "training.json")
    assert (card["direction"], card["steps"], card["batch_size"], card["load_size"]) == ("BtoA", 2, 1, 18)
    assert card["data_root"] == str((tmp_path / "facades").resolve()) and "4 AB pairs" in card["data"]
    assert card["published_epochs"] == 200 and card["epochs"] == 0.5

    # the task is now on offer, and the tab shows it
    assert "labels2facade" in i2i.available_tasks() and "labels2facade" in i2i.list_tasks()
    pair = Image.open(tmp_path / "facades" / "test" / "001.png")
    out = i2i.translate("labels2facade", pair.crop((32, 0, 64, 32)))   # the label half (BtoA)
    assert out.size == (16, 16) and out.mode == "RGB"
    assert i2i.paper_examples()["labels2facade"] == [str(tmp_path / "facades" / "test" / f"00{i}.png")
                                                     for i in range(2)]
    tasks = {t: (registry.TASKS[t].kind, registry.TASKS[t].label) for t in i2i.available_tasks()}
    h = tab.make_handlers(i2i.translate, i2i.task_input, i2i.prepare_input, i2i.prepare_target, tasks,
                          color_scores=color_scores)
    inp, p2p, target, notes = h["run_paper"]("labels → facade", pair, tab.PAPER_UPLOAD_IS[1])
    assert inp.size == p2p.size == target.size == (16, 16)
    assert np.array_equal(np.asarray(inp), np.asarray(pair.crop((32, 0, 64, 32)).resize((16, 16), Image.BICUBIC)))
    assert "Mean |output − target|" in notes and "PSNR" in notes
    with pytest.raises(tab.gr.Error, match="not an A\\|B file"):
        h["run_paper"]("labels → facade", pair.crop((0, 0, 32, 32)), tab.PAPER_UPLOAD_IS[1])
    # the broken-file corpus: a refused case is one clear message, an accepted one a result
    from bad_pictures import corpus
    for case, (path, expect) in corpus(tmp_path / "corpus").items():
        try:
            result = h["run_paper"]("labels → facade", str(path), tab.PAPER_UPLOAD_IS[0])
        except tab.gr.Error as err:
            assert expect == "refused" or "error id" not in str(err), (case, str(err))
            assert len(str(err)) < 400, case
        else:
            assert expect == "accepted" and result[1].size == (16, 16), case

    # Hub sync carries it: the manifest lists its files and class, and verifies them
    manifest = hub.build_manifest(checkpoint_dir)
    assert {"pix2pix-facades/model.safetensors", "pix2pix-facades/config.json",
            "pix2pix-facades/training.json"} <= set(manifest["files"])
    assert manifest["models"]["pix2pix-facades"]["class"] == "gan_core.img2img.pix2pix.Pix2Pix"
    assert "pix2pix-facades/model.safetensors" in hub.verify(checkpoint_dir, manifest, ["pix2pix-facades"])


def test_a_missing_paper_task_stays_out_of_the_tab(checkpoint_dir, monkeypatch):
    monkeypatch.setenv("GAN_SUITE_HUB_REPO", "")                    # no attempt to fetch the missing model
    save_tiny_img2img_checkpoints()                                  # the suite's own tasks only
    assert not set(PAPER_TASKS) & set(i2i.available_tasks())
    assert i2i.list_tasks() == i2i.available_tasks()
    tasks = {t: (registry.TASKS[t].kind, registry.TASKS[t].label) for t in i2i.available_tasks()}
    demo = tab.create_demo(i2i.translate, i2i.task_input, i2i.prepare_input, i2i.prepare_target, tasks=tasks)
    config = demo.get_config_file()
    endpoints = {d.get("api_name") for d in config["dependencies"]}
    assert "translate" in endpoints and "translate_paper" not in endpoints
    with pytest.raises(checkpoints.MissingCheckpointError, match="pix2pix-maps"):
        i2i.translate("aerial2map", Image.new("RGB", (64, 64)))
    # one trained paper task brings the section, with that task only
    torch.manual_seed(0)
    checkpoints.save(Pix2Pix(3, 3, resolution=16, ngf=2, ndf=2, batch_stats=True), "pix2pix-maps",
                     training={"data": "none (test)"})
    assert [t for t in i2i.available_tasks() if t in PAPER_TASKS] == ["aerial2map"]
    tasks = {t: (registry.TASKS[t].kind, registry.TASKS[t].label) for t in i2i.available_tasks()}
    config = tab.create_demo(i2i.translate, i2i.task_input, i2i.prepare_input, i2i.prepare_target,
                             tasks=tasks).get_config_file()
    assert "translate_paper" in {d.get("api_name") for d in config["dependencies"]}
    radios = [[list(c) for c in r["props"]["choices"]] for r in config["components"] if r.get("type") == "radio"]
    assert [["aerial photo → map", "aerial photo → map"]] in radios


# --- BSDS500: sketch -> photo --------------------------------------------------------------------------

def test_bsds500_pairing_on_a_synthetic_folder(tmp_path):
    for split in ("train", "test"):
        for sub in ("images", "boundaries"):
            (tmp_path / split / sub).mkdir(parents=True)
        for i, (w, h) in enumerate([(48, 32), (32, 48)]):
            Image.new("RGB", (w, h), (10 * i, 100, 200)).save(tmp_path / split / "images" / f"{i}.jpg")
            bm = Image.new("L", (w, h))
            bm.paste(255, (0, 5, w, 6))                                 # one horizontal boundary
            bm.save(tmp_path / split / "boundaries" / f"{i}.png")
    pairs = paired_data.bsds500_pairs("train", root=tmp_path)
    assert [(p.name, q.name) for p, q in pairs] == [("0.jpg", "0.png"), ("1.jpg", "1.png")]
    a, b = paired_data.sketch_pairs("train", load_size=16, root=tmp_path)
    assert a.shape == (4, 1, 16, 16) and b.shape == (4, 3, 16, 16)   # two end squares per photo
    assert a[0].float().mean() > 0 and a.dtype == b.dtype == torch.uint8
    (tmp_path / "test" / "boundaries" / "1.png").unlink()
    with pytest.raises(paired_data.MissingDataError, match="without a boundary map"):
        paired_data.bsds500_pairs("test", root=tmp_path)
    with pytest.raises(ValueError, match="train, test"):
        paired_data.bsds500_pairs("val", root=tmp_path)


def test_bsds500_pairs_from_the_shared_data(tmp_path, checkpoint_dir):
    if not paired_data.bsds500_dir().is_dir():
        pytest.skip(f"BSDS500 not found in {paired_data.bsds500_dir()} (set GAN_SUITE_SHARED_DATA to the shared "
                    "data folder); the synthetic-folder test above covers the code")
    train_pairs, test_pairs = paired_data.bsds500_pairs("train"), paired_data.bsds500_pairs("test")
    assert len(train_pairs) == len(test_pairs) == 200
    assert not {p.stem for p, _ in train_pairs} & {p.stem for p, _ in test_pairs}   # never train on test
    assert all(p.stem == q.stem for p, q in train_pairs + test_pairs)
    with Image.open(train_pairs[0][0]) as im, Image.open(train_pairs[0][1]) as bm:
        assert im.size == bm.size and sorted(im.size) == [321, 481] and bm.mode == "L"
    from gan_core import train
    argv = ["l1-sketch", "--resolution", "16", "--steps", "1", "--ngf", "2", "--run-dir", str(tmp_path / "run")]
    assert train.main(argv) == 0
    card = checkpoints.read_json("l1-sketch", "training.json")
    assert "BSDS500 train split (200 photos" in card["data"] and card["training_pairs"] == 400
    model = Pix2Pix.from_pretrained(str(checkpoint_dir / "l1-sketch"))
    assert (model.in_channels, model.out_channels, model.batch_stats, model.discriminator) == (1, 3, True, None)
    assert settings.shared_data_dir() in paired_data.bsds500_dir().parents


def test_average_last_exports_the_mean_of_the_last_k_exports(tmp_path, checkpoint_dir):
    """``--average-last 2 --export-every 2``: every export's weights are kept in the run folder, and the
    exported model holds the mean of the last two (BatchNorm's step counters: the last one's)."""
    from safetensors.torch import load_file
    from gan_core import train
    make_ab_folder(tmp_path / "facades", size=32)
    argv = ["pix2pix-facades", "--data", str(tmp_path / "facades"), "--resolution", "16", "--steps", "6",
            "--ngf", "4", "--ndf", "4", "--n-layers-d", "1", "--run-dir", str(tmp_path / "run"),
            "--export-every", "2", "--average-last", "2"]
    assert train.main(argv) == 0
    kept = {s: load_file(str(tmp_path / "run" / "exports" / f"step-{s}.safetensors")) for s in (2, 4, 6)}
    shipped = load_file(str(checkpoint_dir / "pix2pix-facades" / "model.safetensors"))
    weights = [k for k, v in shipped.items() if v.is_floating_point()]
    assert set(shipped) == set(kept[6]) and len(weights) > 10
    for k in weights:
        assert torch.allclose(shipped[k], (kept[4][k] + kept[6][k]) / 2, atol=1e-6), k
    moved = [k for k in weights if not torch.equal(kept[4][k], kept[6][k])]
    assert len(moved) > len(weights) // 2                 # the snapshots differ, so the mean is neither
    assert any(not torch.equal(shipped[k], kept[6][k]) for k in moved)
    assert checkpoints.read_json("pix2pix-facades", "training.json")["weights"] == \
        "the mean of the weights at steps 4, 6 (--average-last 2)"
    assert train.main([*argv[:-4], "--average-last", "2"]) == 2    # without --export-every: refused, in one line
