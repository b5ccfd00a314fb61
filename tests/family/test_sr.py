"""The super-resolution family: the SRResNet, the paper's metric protocol, tiling, the API,
SRResNet and SRGAN training, the training command, and the shipped models on Set5."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import requires_checkpoint, tiny_srresnet
from gan_core import checkpoints, settings
from gan_core.pictures import as_rgb
from gan_core.registry import SR_METHODS
from gan_core.runtime import Runtime, get_runtime
from gan_core.sr import api as sr_api, metrics as sr_metrics, srgan
from gan_core.sr.data import PatchSource, downscale, mod_crop, upscale_bicubic
from gan_core.sr.srgan import SRGAN, Discriminator, SRGANTraining
from gan_core.sr.srresnet import SRResNet, SRResNetTraining
from gan_core.testing import fake_photos
from gan_core.trainer import Trainer, TrainConfig

SR_DATA = settings.shared_data_dir() / "sr"


def requires_sr_data(*folders: str):
    missing = [f for f in folders if not (SR_DATA / f).is_dir()]
    return pytest.mark.skipif(bool(missing), reason=f"{', '.join(missing)} not under {SR_DATA} "
                                                    "(set GAN_SUITE_SHARED_DATA; CI has it)")


# --- the network ---------------------------------------------------------------------------------

def test_srresnet_has_the_papers_size_and_shapes():
    assert sum(p.numel() for p in SRResNet().parameters()) == 1_549_462   # "1.55 M"
    assert len(SRResNet().trunk) == 16
    out = tiny_srresnet()(torch.rand(2, 3, 7, 11))
    assert out.shape == (2, 3, 28, 44)
    assert Discriminator(ndf=8, dense=16)(torch.rand(2, 3, 96, 96)).shape == (2,)


# --- the metric protocol -------------------------------------------------------------------------

def test_metric_protocol_on_a_known_pair():
    # Grey pixels (R = G = B = v) have Y = 16 + 219 v / 255, so +10 grey levels is +8.588 in Y.
    rng = np.random.default_rng(0)
    hr = np.repeat(rng.integers(40, 200, (38, 42, 1), dtype=np.uint8), 3, axis=2)   # 42x38: not a multiple of 4
    sr = hr[:36, :40].copy() + 10                                                    # the mod-cropped size
    sr[:4] = 255; sr[-4:] = 0; sr[:, :4] = 0; sr[:, -4:] = 255                       # garbage in the shaved border
    expected = 20 * math.log10(255 / (10 * 219 / 255))
    assert sr_metrics.psnr(sr, hr) == pytest.approx(expected, abs=1e-6)              # 29.453 dB
    assert expected == pytest.approx(29.453, abs=1e-3)
    # only the shaved interior counts: a different border changes nothing
    sr2 = sr.copy(); sr2[:4] = 17
    assert sr_metrics.ssim(sr2, hr) == sr_metrics.ssim(sr, hr) < 1.0
    assert sr_metrics.ssim(hr[:36, :40], hr) == pytest.approx(1.0)
    assert sr_metrics.sharpness(hr[:36, :40], hr) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="differ in size"):
        sr_metrics.psnr(hr, hr[:20, :20])
    # score() computes each luminance once and gives exactly what the three functions give
    noisy = np.clip(sr.astype(int) + rng.integers(-20, 21, sr.shape), 0, 255).astype(np.uint8)
    s = sr_metrics.score(noisy, hr)
    assert (s.psnr, s.ssim, s.sharpness) == (sr_metrics.psnr(noisy, hr), sr_metrics.ssim(noisy, hr),
                                             sr_metrics.sharpness(noisy, hr))
    assert s.sharpness > 1.0 and s.psnr < expected   # noise adds high frequencies and error


def test_bicubic_loses_high_frequencies_and_the_error_map_lines_up():
    hr = mod_crop(as_rgb(fake_photos(1, 96)[0]))
    up = upscale_bicubic(downscale(hr))
    assert up.shape == hr.shape
    assert sr_metrics.sharpness(up, hr) < 0.5
    heat = sr_metrics.error_map(up, hr)
    assert heat.shape == hr.shape and heat.dtype == np.uint8
    assert (sr_metrics.error_map(hr, hr) == [0, 0, 4]).all()   # zero error is the ramp's black


@requires_sr_data("Set5")
def test_bicubic_on_set5_gives_the_papers_28_43_db():
    scores = []
    for path in sorted((SR_DATA / "Set5").glob("*.png")):
        hr = mod_crop(as_rgb(Image.open(path)))
        scores.append(sr_metrics.psnr(upscale_bicubic(downscale(hr)), hr))
    assert len(scores) == 5
    assert np.mean(scores) == pytest.approx(28.43, abs=0.05)


@pytest.fixture(scope="module")
def set5_scores():
    """Mean PSNR / SSIM / sharpness on Set5 of every method whose checkpoint is shipped (fp32)."""
    from benchmarks.eval_sr import evaluate, load_set
    images = load_set("Set5")
    runtime = get_runtime(fp32=True)
    return {m: evaluate(m, images, runtime=runtime) for m in sr_api.METHODS
            if m == "bicubic" or checkpoints.checkpoint_path(SR_METHODS[m][0]).joinpath("model.safetensors").exists()}


@requires_sr_data("Set5")
@requires_checkpoint("srresnet-x4")
def test_shipped_srresnet_beats_bicubic_on_set5(set5_scores):
    bicubic, srresnet = set5_scores["bicubic"], set5_scores["srresnet"]
    assert srresnet["psnr"] >= 30.5, srresnet["psnr"]  # the target for a CPU-trained SRResNet (paper: 32.05)
    assert srresnet["psnr"] > bicubic["psnr"] + 2.0, (srresnet["psnr"], bicubic["psnr"])
    assert srresnet["ssim"] > bicubic["ssim"] + 0.04
    assert sum(a > b for a, b in zip(srresnet["per_image_psnr"], bicubic["per_image_psnr"])) == 5


@requires_sr_data("Set5")
@requires_checkpoint("srresnet-x4", "srgan-x4")
def test_shipped_srgan_trades_psnr_for_detail(set5_scores):
    """The perception-distortion trade-off: SRGAN loses PSNR to SRResNet and restores high frequencies."""
    srresnet, srgan = set5_scores["srresnet"], set5_scores["srgan"]
    assert srgan["psnr"] < srresnet["psnr"]
    assert srgan["sharpness"] > 2 * srresnet["sharpness"], (srgan["sharpness"], srresnet["sharpness"])
    assert srgan["sharpness"] < 1.5  # detail, not noise: high-frequency energy not far beyond the originals'


# --- inference: tiling, API ----------------------------------------------------------------------

def test_tiled_output_equals_whole_image_output():
    rt = get_runtime(fp32=True)
    lr = torch.rand(1, 3, 37, 53, generator=torch.Generator().manual_seed(1))
    # tiny net: its receptive field (about 11 LR px) fits in the overlap, so tiling is exact
    model = tiny_srresnet()
    whole = sr_api.upscale_tensor(model, lr, rt, tile=None)
    tiled = sr_api.upscale_tensor(model, lr, rt, tile=16, overlap=12)
    assert whole.shape == (1, 3, 148, 212)
    assert (tiled - whole).abs().max() < 1e-5
    assert (sr_api.upscale_tensor(model, lr, rt, tile=16, overlap=0) - whole).abs().max() > 1e-3  # seams without context
    # the paper-size net: context beyond the default overlap hardly matters
    torch.manual_seed(0)
    big = SRResNet().eval()
    lr = lr[..., :40, :40]
    whole = sr_api.upscale_tensor(big, lr, rt, tile=None)
    tiled = sr_api.upscale_tensor(big, lr, rt, tile=16, overlap=sr_api.OVERLAP)
    assert (tiled - whole).abs().max() < 0.5 / 255 * whole.abs().max()


def test_fast_path_runs_and_stays_close_to_fp32():
    """bf16 autocast + channels_last (used where the CPU has native bf16, or on a GPU) - forced here."""
    fast = Runtime(torch.device("cpu"), torch.bfloat16, True)
    model = fast.prepare(tiny_srresnet())
    lr = torch.rand(1, 3, 20, 24, generator=torch.Generator().manual_seed(2))
    ref = sr_api.upscale_tensor(tiny_srresnet(), lr, get_runtime(fp32=True))
    out = sr_api.upscale_tensor(model, lr, fast, tile=16)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    assert 0 < (out - ref).abs().max() < 0.05   # bf16 rounding, nothing worse


def test_super_resolve_api(tiny_sr_checkpoint):
    import gan_core
    img = Image.fromarray(fake_photos(1, 40)[0])
    bic = gan_core.super_resolve(img, method="bicubic")
    assert bic.size == (160, 160) and np.array_equal(np.asarray(bic), np.asarray(img.resize((160, 160), Image.BICUBIC)))
    out = gan_core.super_resolve(img.convert("L"), method="srresnet")
    assert out.size == (160, 160) and out.mode == "RGB"
    with pytest.raises(checkpoints.MissingCheckpointError, match="gan_core.train srgan"):
        gan_core.super_resolve(img, method="srgan")
    with pytest.raises(sr_api.ImageTooLargeError, match="at most"):
        gan_core.super_resolve(Image.new("RGB", (600, 500)), method="bicubic")
    with pytest.raises(ValueError, match="scale=4"):
        gan_core.super_resolve(img, scale=2)
    with pytest.raises(ValueError, match="unknown method"):
        gan_core.super_resolve(img, method="esrgan")


# --- training --------------------------------------------------------------------------------------

def _srresnet_algo(seed: int = 0):
    return SRResNetTraining(tiny_srresnet(seed).train(), get_runtime(fp32=True), PatchSource(fake_photos(8, 64)),
                            crop=32, lr=1e-3)


def test_srresnet_training_learns_and_resumes_exactly(tmp_path):
    data = (torch.arange(8),)
    cfg = TrainConfig(steps=6, batch_size=4, checkpoint_every=3, log_every=1)
    straight = _srresnet_algo()
    Trainer(straight, data, cfg, tmp_path / "a", progress=False).fit()

    first = _srresnet_algo()
    Trainer(first, data, TrainConfig(steps=3, batch_size=4, checkpoint_every=3, log_every=1),
            tmp_path / "b", progress=False).fit()
    resumed = _srresnet_algo(seed=1)  # different init: everything must come from the run state
    result = Trainer(resumed, data, cfg, tmp_path / "b", progress=False).fit()
    assert result["resumed_from"] == 3
    for (k, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k

    mse = []
    algo = _srresnet_algo()
    Trainer(algo, data, TrainConfig(steps=40, batch_size=4, log_every=1), tmp_path / "c", progress=False,
            callbacks=[lambda step, logs: mse.append(logs["mse"])]).fit()
    assert np.mean(mse[-5:]) < 0.5 * np.mean(mse[:5])


def test_patch_pairs_are_aligned_with_the_test_degradation():
    photo = fake_photos(1, 64)[0]
    src = PatchSource([photo])
    lr, hr = src.crops(torch.tensor([0, 0]), 32, torch.Generator().manual_seed(0))
    assert lr.shape == (2, 3, 8, 8) and hr.shape == (2, 3, 32, 32)
    for i in range(2):  # each LR crop is the PIL downscale of its HR crop, up to the crop's border
        hr_u8 = hr[i].mul(255).round().byte().permute(1, 2, 0).numpy()
        down = torch.tensor(downscale(hr_u8)).permute(2, 0, 1).float() / 255
        assert (down - lr[i])[:, 2:-2, 2:-2].abs().max() < 3 / 255


def test_srgan_step_uses_the_substitute_content_loss_offline(monkeypatch):
    monkeypatch.setattr(srgan, "imagenet_vgg19", lambda: None)  # as offline without cached weights
    torch.manual_seed(0)
    model = SRGAN(tiny_srresnet().train(), Discriminator(ndf=4, dense=8))
    algo = SRGANTraining(model, get_runtime(fp32=True), PatchSource(fake_photos(4, 64)), crop=32,
                         pixel_weight=0.5, fm_weight=0.25)
    assert algo.content_loss_used.startswith("l1+fm (0.5 x L1 on pixels + 0.25 x discriminator")
    assert algo.export_model is model.generator
    g0 = [p.clone() for p in model.generator.parameters()]
    d0 = [p.clone() for p in model.discriminator.parameters()]
    logs = algo.train_step([torch.arange(4)], torch.Generator().manual_seed(0))
    assert {"loss_D", "loss_G", "adv", "l1", "fm", "D(HR)", "D(SR)"} <= set(logs)
    assert all(math.isfinite(v) for v in logs.values())
    assert logs["loss_G"] == pytest.approx(0.5 * logs["l1"] + 0.25 * logs["fm"] + 1e-3 * logs["adv"], rel=1e-4)
    assert any(not torch.equal(a, b) for a, b in zip(g0, model.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, model.discriminator.parameters()))
    with pytest.raises(RuntimeError, match="l1\\+fm"):
        SRGANTraining(model, get_runtime(fp32=True), algo.source, content_loss="vgg19")


def test_training_cli_dry_runs(tmp_path, monkeypatch):
    from gan_core import train
    monkeypatch.setattr(srgan, "imagenet_vgg19", lambda: None)
    monkeypatch.setattr(settings, "REPO_ROOT", tmp_path)
    tiny = ["--channels", "4", "--blocks", "1", "--crop", "32", "--batch-size", "2"]
    assert train.main(["srresnet", "--dry-run", *tiny]) == 0
    assert train.main(["srgan", "--dry-run", "--ndf", "4", *tiny]) == 0
    assert (tmp_path / "runs" / "srgan-x4-dry-run" / "train_state.json").exists()


def test_a_resize_upsampler_leaves_no_pattern_on_a_flat_input_where_the_subpixel_one_does():
    """A constant LR picture: each sub-pixel stage has four filters, one per output phase, so even an untrained
    network paints a 4-pixel pattern; nearest x2 + one filter keeps the interior flat (Odena et al. 2016)."""
    subpixel = tiny_srresnet()
    resize = SRResNet.resize_from(subpixel).eval()
    flat = torch.full((1, 3, 32, 32), 0.5)
    with torch.no_grad():   # the centre, beyond the reach of the zero padding (about 12 LR pixels here)
        a, b = subpixel(flat)[0, :, 52:76, 52:76], resize(flat)[0, :, 52:76, 52:76]
    spread = {"subpixel": float(a.std(dim=(1, 2)).max()), "resize": float(b.std(dim=(1, 2)).max())}
    assert spread["subpixel"] > 1e-3 and spread["resize"] < 1e-5, spread


def test_the_resize_upsampler_is_warm_started_from_the_subpixel_one(tmp_path):
    subpixel = tiny_srresnet()
    resize = SRResNet.resize_from(subpixel).eval()
    old, new = subpixel.state_dict(), resize.state_dict()
    for key in old:
        if not key.startswith("upsample."):
            assert torch.equal(old[key], new[key]), key     # head, trunk, tail: copied
    assert resize.upsample[1].weight.shape == (8, 8, 3, 3)  # one filter per channel instead of four
    assert sum(p.numel() for p in resize.parameters()) < sum(p.numel() for p in subpixel.parameters())
    # on a constant feature map the new stage gives the mean of the old stage's 2x2 block
    feature = torch.full((1, 8, 6, 6), 0.3) + torch.randn(1, 8, 1, 1)
    with torch.no_grad():
        blocks = torch.nn.functional.avg_pool2d(subpixel.upsample[0:2](feature), 2)
        stage = resize.upsample[0:2](feature)
    assert torch.allclose(stage[..., 2:10:2, 2:10:2], blocks[..., 1:5, 1:5], atol=1e-6)
    # the choice is part of the configuration: saved, loaded back; a checkpoint without it is sub-pixel
    resize.save_pretrained(tmp_path / "resize")
    assert SRResNet.from_pretrained(str(tmp_path / "resize")).upsampler == "resize"
    subpixel.save_pretrained(tmp_path / "old")
    config = tmp_path / "old" / "config.json"
    settings_ = json.loads(config.read_text())
    del settings_["upsampler"]                              # as the checkpoints written before the option
    config.write_text(json.dumps(settings_))
    assert SRResNet.from_pretrained(str(tmp_path / "old")).upsampler == "subpixel"
    with pytest.raises(ValueError, match="sub-pixel"):
        SRResNet.resize_from(resize)


def test_training_cli_converts_a_subpixel_checkpoint_to_resize(tmp_path, monkeypatch):
    from gan_core import train
    monkeypatch.setattr(srgan, "imagenet_vgg19", lambda: None)
    monkeypatch.setattr(settings, "REPO_ROOT", tmp_path)
    tiny_srresnet().save_pretrained(tmp_path / "subpixel")
    tiny = ["--channels", "8", "--blocks", "2", "--crop", "32", "--batch-size", "2", "--dry-run"]
    assert train.main(["srresnet", "--init", str(tmp_path / "subpixel"), "--upsampler", "resize", *tiny]) == 0
    assert train.main(["srgan", "--init", str(tmp_path / "subpixel"), "--upsampler", "resize", "--ndf", "4", *tiny]) == 0
    assert train.main(["srresnet", "--upsampler", "resize", "--fresh", *tiny]) == 0


def test_training_photos_come_from_every_named_set_and_never_the_test_sets(tmp_path, monkeypatch):
    from argparse import Namespace
    from gan_core.sr import train as sr_train
    for folder, n in (("sr/SunHays80", 3), ("bsds500/train/images", 2), ("bsds500/test/images", 4), ("sr/Set5", 5)):
        (tmp_path / folder).mkdir(parents=True)
        for i, photo in enumerate(fake_photos(n, size=128, seed=n)):
            Image.fromarray(photo).save(tmp_path / folder / f"{i}.png")
    monkeypatch.setenv("GAN_SUITE_SHARED_DATA", str(tmp_path))
    args = Namespace(dry_run=False, crop=96, photos=["sunhays80"])
    assert len(sr_train._sr_photos(args)[0]) == 3
    source, desc = sr_train._sr_photos(Namespace(dry_run=False, crop=96, photos=["sunhays80", "bsds500"]))
    assert len(source) == 5 and "SunHays80 (3 photos) + BSDS500 train (2 photos)" in desc
    assert all("test" not in folder and "Set" not in folder for folder, _ in sr_train.PHOTO_SETS.values())


def test_grid_residual_loss_sees_a_grid_and_not_noise_or_blur():
    from gan_core.sr.srgan import grid_residual_loss
    g = torch.Generator().manual_seed(0)
    hr = torch.from_numpy(np.stack(fake_photos(2, size=96))).permute(0, 3, 1, 2).float() / 255
    assert grid_residual_loss(hr, hr).item() == 0
    tile = torch.rand(1, 3, 4, 4, generator=g) * 0.02            # a 4-pixel pattern, up to 2 % of the range
    grid = tile.repeat(1, 1, 24, 24)
    expected = (tile - tile.mean(dim=(2, 3), keepdim=True)).abs().mean().item()
    assert grid_residual_loss(hr + grid, hr).item() == pytest.approx(expected, rel=1e-4)
    noise = (torch.rand(hr.shape, generator=g) - 0.5) * 0.04      # the same range, no period
    assert grid_residual_loss(hr + noise, hr).item() < 0.35 * expected
    assert grid_residual_loss(hr + 0.05, hr).item() < 1e-6                # a colour shift has no period
    ramp = torch.linspace(0, 0.02, 96).view(1, 1, 1, 96)                   # nor has a slow gradient
    assert grid_residual_loss(hr + ramp, hr).item() < 0.1 * expected
    sr = (hr + grid).requires_grad_()
    grid_residual_loss(sr, hr).backward()
    assert sr.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="smaller than one window"):
        grid_residual_loss(hr[..., :16, :16], hr[..., :16, :16])
