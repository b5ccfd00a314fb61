"""The "GAN vs VAE vs diffusion" tab: its handlers on stand-in functions, its input checks, and the
quality-speed table rendered from a checkpoint's figures."""
from __future__ import annotations

import gradio as gr
import pytest
import torch

from apps.families import KEYS, N_ITEMS, TRADE_KEYS, create_demo, make_handlers, quality_speed_table, trade_offs

FAMILIES = {"gan": ("g-ckpt", "GAN"), "vae": ("v-ckpt", "VAE"), "diffusion": ("d-ckpt", "Diffusion")}


def _fakes(calls: list):
    def generate(name, n, seed, **options):
        calls.append((name, n, seed, options))
        return torch.full((n, 1, 28, 28), (seed % 7) / 7.0)

    def denoising(name, n, seed, *, steps, every, **cond):
        calls.append((name, n, seed, {"steps": steps, "every": every, **cond}))
        for step in [*range(every, steps, every), steps]:
            yield step, 1000 - 1000 * step // steps, torch.full((n, 1, 28, 28), step / steps)

    return generate, denoising


def test_the_same_seed_goes_through_all_three_and_only_diffusion_gets_steps():
    calls = []
    h = make_handlers(*_fakes(calls), FAMILIES)
    gan, vae, diffusion, caption = h["side_by_side"](12, 25)
    assert calls == [("g-ckpt", N_ITEMS, 12, {}), ("v-ckpt", N_ITEMS, 12, {}), ("d-ckpt", N_ITEMS, 12, {"steps": 25})]
    # one row of 8 items, 3x, 2-px gaps: (8 * 86 + 2) x (86 + 2)
    assert gan.size == vae.size == diffusion.size == (N_ITEMS * 86 + 2, 88)
    assert gan.getpixel((2 + 40, 2 + 40)) == (round(5 / 7 * 255),) * 3  # seed 12 -> value 5/7
    assert "Seed 12, DDIM with 25 steps" in caption and "GAN:" in caption and "ms for 8 items" in caption


def test_the_denoising_streams_every_few_steps_and_ends_on_the_sample():
    calls = []
    h = make_handlers(*_fakes(calls), FAMILIES)
    frames = list(h["watch_denoising"](3, 10, 4))
    assert [c for _, c in frames] == ["step 4 of 10, denoised from t = 600", "step 8 of 10, denoised from t = 200",
                                     "step 10 of 10, denoised from t = 0: the sample"]
    assert calls == [("d-ckpt", N_ITEMS, 3, {"steps": 10, "every": 4})]
    assert frames[-1][0].getpixel((42, 42)) == (255, 255, 255)


def test_the_diffusion_unet_is_chosen_by_its_label_and_the_large_one_is_the_default():
    calls = []
    unets = {"large": ("d-ckpt", "large"), "small": ("s-ckpt", "small, distilled")}
    h = make_handlers(*_fakes(calls), FAMILIES, unets)
    *_, caption = h["side_by_side"](4, 10, "small, distilled")
    assert calls[-1] == ("s-ckpt", N_ITEMS, 4, {"steps": 10}) and "Diffusion, small, distilled:" in caption
    h["side_by_side"](4, 10)
    assert calls[-1] == ("d-ckpt", N_ITEMS, 4, {"steps": 10})
    list(h["watch_denoising"](4, 10, 5, "small, distilled"))
    assert calls[-1] == ("s-ckpt", N_ITEMS, 4, {"steps": 10, "every": 5})
    with pytest.raises(gr.Error, match="diffusion U-Net must be one of: large, small, distilled; got 'tiny'"):
        h["side_by_side"](4, 10, "tiny")
    with pytest.raises(gr.Error, match="diffusion U-Net must be one of"):
        next(h["watch_denoising"](4, 10, 5, "x" * 500))


def test_the_class_conditional_unet_is_told_the_class_and_the_guidance():
    calls = []
    unets = {"large": ("d-ckpt", "large"), "cond": ("c-ckpt", "conditional")}
    h = make_handlers(*_fakes(calls), FAMILIES, unets)
    *_, caption = h["side_by_side"](4, 10, "conditional", "Sneaker", 1.5)
    assert calls[-1] == ("c-ckpt", N_ITEMS, 4, {"steps": 10, "label": 7, "guidance": 1.5})
    assert "the diffusion model told: Sneaker, guidance w = 1.5" in caption
    assert calls[-3:-1] == [("g-ckpt", N_ITEMS, 4, {}), ("v-ckpt", N_ITEMS, 4, {})]  # the GAN and VAE: as before
    *_, caption = h["side_by_side"](4, 10, "conditional", "each class in turn", 0)
    assert calls[-1] == ("c-ckpt", N_ITEMS, 4, {"steps": 10}) and "classes 0-7 in turn, guidance w = 0" in caption
    list(h["watch_denoising"](4, 10, 5, "conditional", "Bag", 0))
    assert calls[-1] == ("c-ckpt", N_ITEMS, 4, {"steps": 10, "every": 5, "label": 8})
    with pytest.raises(gr.Error, match="Only the class-conditional U-Net takes a class"):
        h["side_by_side"](4, 10, "large", "Bag", 0)
    with pytest.raises(gr.Error, match="Only the class-conditional U-Net takes a class"):
        next(h["watch_denoising"](4, 10, 5, "large", "each class in turn", 2))
    with pytest.raises(gr.Error, match="class must be one of"):
        h["side_by_side"](4, 10, "conditional", "Dog", 0)
    for bad in (-1, 4.5, float("nan"), "x", None):
        with pytest.raises(gr.Error, match="guidance must be a number between 0 and 4"):
            h["side_by_side"](4, 10, "conditional", "Bag", bad)


@pytest.mark.parametrize("args, message", [
    ((-1, 25), "seed must be a whole number"), ((1.5, 25), "seed must be a whole number"),
    ((0, 0), "DDIM steps must be a whole number between 1 and 100; got 0"), ((0, 1000), "DDIM steps"),
    (("x", 25), "seed"), ((0, None), "DDIM steps")])
def test_bad_inputs_are_one_line_errors(args, message):
    h = make_handlers(*_fakes([]), FAMILIES)
    with pytest.raises(gr.Error, match=message):
        h["side_by_side"](*args)
    with pytest.raises(gr.Error, match=message):
        next(h["watch_denoising"](*args, 1))
    with pytest.raises(gr.Error, match="show every"):
        next(h["watch_denoising"](0, 10, 0))


def test_the_table_shows_the_measured_rows():
    metrics = {"comparison_n": 256, "comparison_n_small": 64, "ddpm1000_fid_small": 40.0, "ddim50_fid_small": 44.5}
    for i, row in enumerate(("dcgan", "vae16", "ddim50")):
        metrics.update({f"{row}_fid": 10.0 + i, f"{row}_kl": 0.01 * i, f"{row}_nn_ratio": 1.1, f"{row}_s_per_64": 0.5 * i})
    table = quality_speed_table(metrics)
    assert "| DCGAN | 10.0 | 0.000 | 1.10 | 0.00 | – |" in table
    assert "| DDIM, 50 steps | 12.0 | 0.020 | 1.10 | 1.00 | – |" in table
    assert "DDIM, 10 steps" not in table and "on 64 items only (FID @ 64: 40.0" in table
    assert "Not measured yet" in quality_speed_table({})
    # quality measured, CPU cost not yet: the cell says so instead of failing
    metrics.update(ddpm1000_fid=4.2, ddpm1000_kl=0.02, ddpm1000_nn_ratio=1.0)
    del metrics["vae16_s_per_64"]
    table = quality_speed_table(metrics)
    assert "| VAE, 16-D | 11.0 | 0.010 | 1.10 | – | – |" in table and "on 64 items only" not in table
    metrics.update(acgan_fid=2.1, acgan_kl=0.0, acgan_nn_ratio=1.04, acgan_consistency=0.9645)
    assert "| AC-GAN (told the class) | 2.1 | 0.000 | 1.04 | – | 96% |" in quality_speed_table(metrics)


def test_the_trade_offs_are_told_with_the_figures_and_the_conditional_gan_apart():
    metrics = {k: 1.0 for k in TRADE_KEYS} | {"comparison_n": 2000, "ddpm1000_fid": 4.2, "dcgan_fid": 6.8}
    text = trade_offs(metrics)
    assert "judge FID on 2000 items" in text and "FID\n6.8" in text and "FID 4.2 with 1000 DDPM steps" in text
    assert "AC-GAN" not in text
    text = trade_offs(metrics | {"acgan_fid": 2.13})
    assert "the AC-GAN of the architectures tab reaches FID\n2.1" in text
    assert trade_offs({k: 1.0 for k in TRADE_KEYS[1:]}) == ""  # a figure missing: no paragraph
    assert "distilled" not in text
    told = {"acgan_fid": 2.13, "cond_ddim50_fid": 3.62, "ddim50_fid": 5.6, "acgan_consistency": 0.965,
            "cond_ddim50_consistency": 0.791, "cond_ddim50_w1_fid": 4.84, "cond_ddim50_w1_consistency": 0.957}
    text = trade_offs(metrics | told)
    assert "the AC-GAN of the architectures\ntab reaches FID 2.1" in text and "reaches 3.6 with 50 DDIM steps" in text
    assert "The judge puts 96% of the AC-GAN's items" in text and "and 79% of the diffusion model's" in text
    assert "rises to 96% and FID worsens to 4.8" in text
    assert "1000 DDPM steps, measured on" not in text and "below the 1000-step DDPM" not in text
    text = trade_offs(metrics | told | {"at500_n": 500, "cond_ddpm1000_fid_at500": 4.91, "acgan_fid_at500": 4.03})
    assert "with 1000 DDPM steps, measured on 500 items only (it is slow), 4.9 against the AC-GAN's 4.0" in text
    text = trade_offs(metrics | {"small_ddim25_fid": 9.04, "small_ddim25_s_per_64": 1.234, "ddim25_fid": 6.2})
    assert "25 DDIM steps in 1.2 s per 64 items, at FID\n9.0 against the large one's 6.2" in text


def test_the_tab_builds_with_named_endpoints():
    demo = create_demo(*_fakes([]), FAMILIES, {})
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"families_side_by_side", "families_denoising"} <= names
    assert KEYS == ("gan", "vae", "diffusion")
