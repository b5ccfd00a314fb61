"""The diffusion family on tiny U-Nets: a training step, the schedule's numbers, the sampling loop
against diffusers' own pipeline, the checkpoint layout, and generate() through the suite."""
from __future__ import annotations

import json

import pytest
import torch

from gan_core.diffusion.ddpm import DDPM, DDPMTraining, make_scheduler, make_unet
from gan_core.runtime import get_runtime
from gan_core.trainer import step_generator

FP32 = get_runtime(fp32=True, device="cpu")


def tiny(size: int = 8) -> DDPM:
    torch.manual_seed(0)
    unet = make_unet(sample_size=size, block_out_channels=(4, 8), attention=(False, False), norm_num_groups=2)
    return DDPM(unet, make_scheduler())


def test_one_training_step_has_a_finite_loss_and_moves_the_ema():
    algo = DDPMTraining(tiny(), FP32, lr=1e-3, ema_decay=0.99)
    ema_before = [p.clone() for p in algo.export_model.unet.parameters()]
    batch = [torch.randint(0, 256, (4, 8, 8), dtype=torch.uint8)]
    logs = algo.train_step(batch, step_generator(0, 0))
    assert 0.0 < logs["loss"] < 10.0 and logs["grad_norm"] > 0
    # after the first update (k = 1): decay = min(0.99, 2/11), so the EMA moves 9/11 of the way to the new weights
    net, ema = list(algo.net.parameters()), list(algo.export_model.unet.parameters())
    i = max(range(len(net)), key=lambda k: (net[k] - ema_before[k]).abs().max())
    torch.testing.assert_close(ema[i], (2 / 11) * ema_before[i] + (9 / 11) * net[i])
    # the run state holds both the trained weights and the EMA
    keys = algo.model.state_dict().keys()
    assert any(k.startswith("net.") for k in keys) and any(k.startswith("ema.") for k in keys)


def test_distillation_regresses_on_the_teachers_noise_estimate():
    """With a teacher, the loss is the MSE between student and teacher on the same x_t, not to the drawn eps:
    a student that is a copy of its teacher has zero loss and no gradient; without the teacher it would not."""
    batch = [torch.randint(0, 256, (4, 8, 8), dtype=torch.uint8)]
    copy_of_teacher = DDPMTraining(tiny(), FP32, teacher=tiny(), teacher_name="tiny")
    logs = copy_of_teacher.train_step(batch, step_generator(0, 0))
    assert logs["loss"] == 0.0 and logs["grad_norm"] == 0.0
    assert copy_of_teacher.card_info["teacher"] == "tiny" and "distillation" in copy_of_teacher.card_info["objective"]
    plain = DDPMTraining(tiny(), FP32).train_step(batch, step_generator(0, 0))
    assert plain["loss"] > 0.1
    # a different student learns from the teacher: its loss on a fixed batch falls
    torch.manual_seed(1)
    student = DDPM(make_unet(sample_size=8, block_out_channels=(4, 8), attention=(False, False), norm_num_groups=2),
                   make_scheduler())
    algo = DDPMTraining(student, FP32, lr=1e-2, teacher=tiny())
    losses = [algo.train_step(batch, step_generator(0, 0))["loss"] for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]
    other = DDPM(tiny().unet, make_scheduler(num_train_timesteps=500))
    with pytest.raises(ValueError, match="same noise schedule"):
        DDPMTraining(tiny(), FP32, teacher=other)


def test_the_noise_schedule_round_trip_on_fixed_numbers():
    scheduler = make_scheduler()
    abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)
    assert abar[0].item() == pytest.approx(0.9999) and abar[999].item() == pytest.approx(4.04e-5, rel=0.01)
    x0 = torch.tensor([[[[0.5, -0.25], [1.0, -1.0]]]])
    eps = torch.tensor([[[[1.0, -2.0], [0.5, 0.0]]]])
    t = torch.tensor([500])
    x_t = scheduler.add_noise(x0, eps, t)
    a = abar[500].item()  # 0.0778 for Ho et al.'s linear betas
    assert a == pytest.approx(0.07780, rel=1e-3)
    torch.testing.assert_close(x_t, (a ** 0.5) * x0 + ((1 - a) ** 0.5) * eps, rtol=1e-5, atol=1e-6)
    # DDIM (eta = 0) given the true noise lands exactly on the forward process at the earlier step
    from diffusers import DDIMScheduler
    ddim = DDIMScheduler.from_config(scheduler.config)
    ddim.set_timesteps(10)  # 900, 800, ..., 0
    x_t = scheduler.add_noise(x0, eps, torch.tensor([500]))
    prev = ddim.step(eps, 500, x_t).prev_sample
    b = abar[400].item()
    torch.testing.assert_close(prev, (b ** 0.5) * x0 + ((1 - b) ** 0.5) * eps, rtol=1e-4, atol=1e-5)
    # one DDPM step: the posterior mean of q(x_{t-1} | x_t, x_0) (Ho et al. Eq. 7), variance off at t = 1 -> 0
    ddpm = make_scheduler()
    x_1 = scheduler.add_noise(x0, eps, torch.tensor([1]))
    out = ddpm.step(eps, 1, x_1, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out.pred_original_sample, x0, rtol=1e-3, atol=1e-3)


@torch.no_grad()
def test_the_sampling_loop_gives_the_pixels_of_diffusers_ddim_pipeline():
    from diffusers import DDIMPipeline
    model = tiny().eval()
    pipeline = DDIMPipeline(unet=model.unet, scheduler=model.sampler("ddim"))
    expected = pipeline(batch_size=3, generator=torch.Generator().manual_seed(7), num_inference_steps=4,
                        output_type="pt", use_clipped_model_output=True).images
    got = model.decode(model.prior(3, torch.Generator().manual_seed(7)), steps=4)
    assert got.shape == (3, 1, 8, 8)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
    # the noise re-derived from the clipped x_0 matters here: diffusers' default gives other pixels
    default = pipeline(batch_size=3, generator=torch.Generator().manual_seed(7), num_inference_steps=4,
                       output_type="pt").images
    assert (got - default).abs().max() > 1e-3


def test_diffusers_layout_on_disk_and_an_exact_reload(tmp_path):
    from diffusers import DDPMPipeline
    model = tiny()
    model.save_pretrained(tmp_path / "m")
    files = {p.relative_to(tmp_path / "m").as_posix() for p in (tmp_path / "m").rglob("*") if p.is_file()}
    assert {"model_index.json", "config.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
            "scheduler/scheduler_config.json"} <= files
    assert not any(f.endswith((".bin", ".pt", ".pth", ".ckpt")) for f in files)
    back = DDPM.from_pretrained(tmp_path / "m", strict=True)
    for (k, a), (_, b) in zip(model.unet.state_dict().items(), back.unet.state_dict().items()):
        assert torch.equal(a, b), k
    assert json.loads((tmp_path / "m" / "config.json").read_text())["block_out_channels"] == [4, 8]
    assert isinstance(DDPMPipeline.from_pretrained(str(tmp_path / "m")).unet, type(model.unet))


def test_the_unets_on_offer_are_those_present(checkpoint_dir, monkeypatch):
    import gan_core
    from gan_core import checkpoints, hub
    monkeypatch.setattr(hub, "fetch_missing", lambda name: None)  # offline: nothing to fetch
    assert checkpoints.present(gan_core.DIFFUSION_MODELS) == {}
    checkpoints.save(tiny(size=28), "ddpm-fmnist-small", training={"data": "none (test)"})
    assert checkpoints.present(gan_core.DIFFUSION_MODELS) == {"small": gan_core.DIFFUSION_MODELS["small"]}


def test_generate_through_the_suite_is_28x28_and_fixed_by_the_seed(checkpoint_dir):
    import gan_core
    from gan_core import checkpoints, hub
    checkpoints.save(tiny(size=28), "ddpm-fmnist", training={"data": "none (test)"})
    manifest = hub.read_manifest(checkpoint_dir)
    assert "ddpm-fmnist/unet/diffusion_pytorch_model.safetensors" in manifest["files"]
    assert manifest["models"]["ddpm-fmnist"]["class"] == "gan_core.diffusion.ddpm.DDPM"
    a = gan_core.generate("ddpm-fmnist", 5, seed=3, steps=3)
    assert a.shape == (5, 1, 28, 28) and a.dtype == torch.float32
    assert 0.0 <= a.min() and a.max() <= 1.0 and a.std() > 0.01
    torch.testing.assert_close(gan_core.generate("ddpm-fmnist", 5, seed=3, steps=3), a, rtol=0, atol=0)
    assert not torch.allclose(gan_core.generate("ddpm-fmnist", 5, seed=4, steps=3), a)
    # DDPM's fresh noise per step is seeded by x_T: also fixed by the seed, and different from DDIM
    d = gan_core.generate("ddpm-fmnist", 2, seed=3, steps=3, sampler="ddpm")
    torch.testing.assert_close(gan_core.generate("ddpm-fmnist", 2, seed=3, steps=3, sampler="ddpm"), d)
    assert not torch.allclose(d, a[:2])
    # the streamed denoising ends on the sample generate() returns
    frames = list(gan_core.denoising("ddpm-fmnist", 5, seed=3, steps=3, every=1))
    assert [f[0] for f in frames] == [1, 2, 3] and frames[-1][2].shape == (5, 1, 28, 28)
    torch.testing.assert_close(frames[-1][2], a, rtol=0, atol=1e-2)  # bf16 on a fast CPU, fp32 elsewhere
    with pytest.raises(ValueError, match="sampler must be one of"):
        gan_core.generate("ddpm-fmnist", 1, seed=0, sampler="euler")


def test_the_training_command_dry_run(tmp_path, checkpoint_dir):
    from gan_core.train import main
    rc = main(["ddpm", "--dry-run", "--channels", "4", "8", "--norm-groups", "2", "--run-dir", str(tmp_path / "run")])
    assert rc == 0
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    assert (tmp_path / "run" / "train_state.safetensors").exists() and all(h["loss"] > 0 for h in history)
