"""The diffusion family on tiny U-Nets: a training step, the schedule's numbers, the sampling loop
against diffusers' own pipeline, the checkpoint layout, and generate() through the suite."""
from __future__ import annotations

import json

import pytest
import torch

from gan_core.diffusion.ddpm import DDPM, DDPMTraining, make_scheduler, make_unet
from gan_core.runtime import get_runtime
from gan_core.trainer import read_run_state, step_generator

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
    a student that is a copy of its teacher has zero loss and no gradient (up to rounding: the student's pass
    records gradients, the teacher's does not, and a CPU may pick other kernels for the two); without the
    teacher it would not."""
    batch = [torch.randint(0, 256, (4, 8, 8), dtype=torch.uint8)]
    copy_of_teacher = DDPMTraining(tiny(), FP32, teacher=tiny(), teacher_name="tiny")
    logs = copy_of_teacher.train_step(batch, step_generator(0, 0))
    assert logs["loss"] < 1e-12 and logs["grad_norm"] < 1e-5, logs
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
    tensors, meta = read_run_state(tmp_path / "run")  # the dry run's 4 steps, saved every 2
    assert meta["step"] == 4 and any(k.startswith("model.ema.") for k in tensors)


def tiny_conditional(size: int = 8, seed: int = 0) -> DDPM:
    torch.manual_seed(seed)
    unet = make_unet(sample_size=size, block_out_channels=(4, 8), attention=(False, False), norm_num_groups=2,
                     num_classes=10)
    return DDPM(unet, make_scheduler())


def test_a_conditional_unet_trains_on_the_labels_and_drops_some_for_guidance():
    model = tiny_conditional()
    assert model.num_classes == 10 and model.unet.class_embedding.num_embeddings == 11  # 10 classes + "no class"
    algo = DDPMTraining(model, FP32, lr=1e-3, uncond_prob=0.5)
    seen = []
    real_forward = algo.net.forward
    algo.net.forward = lambda x, t, class_labels=None: seen.append(class_labels.clone()) or real_forward(
        x, t, class_labels=class_labels)
    labels = torch.arange(64) % 10
    logs = algo.train_step([torch.randint(0, 256, (64, 8, 8), dtype=torch.uint8), labels], step_generator(0, 0))
    assert 0.0 < logs["loss"] < 10.0 and logs["grad_norm"] > 0
    got = seen[0]
    dropped = got == 10
    assert 16 <= int(dropped.sum()) <= 48                      # about half of 64 told "no class"
    assert torch.equal(got[~dropped], labels[~dropped])        # the others their own class
    assert algo.card_info["objective"].startswith("eps prediction") and "50%" in algo.card_info["objective"]
    with pytest.raises(ValueError, match="not supported"):
        DDPMTraining(tiny_conditional(), FP32, teacher=tiny())
    # the class embedding may learn at its own rate: a group of its own
    fast = DDPMTraining(tiny_conditional(), FP32, lr=1e-3, class_lr=1e-2)
    rest, embedding = fast.optimizers["unet"].param_groups
    assert embedding["lr"] == 1e-2 and rest["lr"] == 1e-3
    assert [p.shape for p in embedding["params"]] == [(11, 16)] and "class embedding lr 0.01" in fast.card_info["optimizer"]
    assert len(DDPMTraining(tiny(), FP32).optimizers["unet"].param_groups) == 1


def test_the_class_steers_a_conditional_sample_and_guidance_zero_is_the_plain_conditional_model():
    model = tiny_conditional(seed=2)
    torch.nn.init.normal_(model.unet.class_embedding.weight, std=3.0)  # an untrained embedding would be near 0
    z = model.prior(10, torch.Generator().manual_seed(0))
    in_turn = model.decode(z, steps=3)
    torch.testing.assert_close(in_turn, model.decode(z, steps=3, label=torch.arange(10)), rtol=0, atol=0)
    all_zero, all_five = model.decode(z, steps=3, label=0), model.decode(z, steps=3, label=5)
    assert (all_zero - all_five).abs().mean() > 1e-3           # the same x_T, another class: another item
    torch.testing.assert_close(all_five, model.decode(z, steps=3, label=5, guidance=0.0), rtol=0, atol=0)
    guided = model.decode(z, steps=3, label=5, guidance=2.0)
    assert (guided - all_five).abs().mean() > 1e-4
    # guidance w: eps = eps(y) + w (eps(y) - eps(no class)), in one pass of 2n items
    x, t, y = torch.randn(3, 1, 8, 8), torch.tensor(500), torch.tensor([1, 2, 3])
    cond, none = model.unet(x, t, class_labels=y).sample, model.unet(x, t, class_labels=torch.full_like(y, 10)).sample
    torch.testing.assert_close(model.eps(x, t, y, 2.0), cond + 2.0 * (cond - none), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="lie in 0-9"):
        model.decode(z, steps=3, label=10)
    with pytest.raises(ValueError, match="not class-conditional"):
        tiny().decode(z[:, :64], steps=3, label=1)


def test_a_conditional_unet_started_from_an_unconditional_one_is_that_model_at_step_zero(checkpoint_dir):
    from gan_core import checkpoints
    from gan_core.diffusion.train import init_from
    plain = tiny()
    checkpoints.save(plain, "ddpm-fmnist", training={"data": "none (test)"})
    cond = tiny_conditional(seed=5)
    init_from(cond.unet, "ddpm-fmnist")
    assert cond.unet.class_embedding.weight.abs().max() == 0
    x, t = torch.randn(4, 1, 8, 8), torch.tensor(300)
    want = plain.unet(x, t).sample
    for label in (0, 7, 10):
        torch.testing.assert_close(cond.unet(x, t, class_labels=torch.full((4,), label)).sample, want)
    wider = DDPM(make_unet(sample_size=8, block_out_channels=(8, 8), attention=(False, False), norm_num_groups=2),
                 make_scheduler())
    with pytest.raises(SystemExit, match="--init ddpm-fmnist: "):  # another width: refused, with the reason
        init_from(wider.unet, "ddpm-fmnist")


def test_the_conditional_training_command_dry_run(tmp_path, checkpoint_dir):
    from gan_core.train import main
    rc = main(["ddpm", "--dry-run", "--conditional", "--channels", "4", "8", "--norm-groups", "2",
               "--name", "ddpm-fmnist-cond", "--run-dir", str(tmp_path / "run")])
    assert rc == 0
    tensors, meta = read_run_state(tmp_path / "run")
    assert meta["step"] == 4 and tensors["model.net.class_embedding.weight"].shape == (11, 16)


def test_a_conditional_checkpoint_through_the_suite(checkpoint_dir):
    import gan_core
    from gan_core import checkpoints
    model = tiny_conditional(size=28, seed=3)
    torch.nn.init.normal_(model.unet.class_embedding.weight, std=3.0)
    checkpoints.save(model, "ddpm-fmnist-cond", training={"data": "none (test)"})
    assert json.loads((checkpoint_dir / "ddpm-fmnist-cond" / "config.json").read_text())["num_classes"] == 10
    a = gan_core.generate("ddpm-fmnist-cond", 4, seed=0, steps=2, label=3)
    assert a.shape == (4, 1, 28, 28)
    assert not torch.allclose(a, gan_core.generate("ddpm-fmnist-cond", 4, seed=0, steps=2, label=4))
    frames = list(gan_core.denoising("ddpm-fmnist-cond", 4, seed=0, steps=2, every=1, label=3))
    torch.testing.assert_close(frames[-1][2], a, rtol=0, atol=1e-2)
