"""Data-parallel training (gan_core.distributed): 2 CPU processes on gloo against one process.

The workers are forked with torch.multiprocessing; a tiny CycleGAN (four networks, both
discriminators run on reals and on fakes before one backward, frozen in the generators' step,
InstanceNorm only, so per-rank shards change no statistics) trains in fp32.
"""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from gan_core import distributed
from gan_core.img2img.cyclegan import CycleGAN, CycleGANTraining
from gan_core.runtime import get_runtime
from gan_core.trainer import HISTORY, STATE_META, STATE_WEIGHTS, Trainer, TrainConfig

FP32 = get_runtime(fp32=True)
BATCH = 8  # the global batch: 2 ranks x 4 items, or 1 process x 8


def _data(n: int = 16, size: int = 16):
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(n, 1, size, size, generator=g) * 255).to(torch.uint8)
    return a, 255 - a


def _algo() -> CycleGANTraining:
    torch.manual_seed(0)
    algo = CycleGANTraining(CycleGAN(ngf=4, ndf=4, n_blocks=1, n_layers_d=2), FP32)
    # SGD with momentum instead of Adam: Adam's first steps divide each gradient by its own size,
    # so a gradient that is zero in exact arithmetic (the bias of a convolution followed by
    # InstanceNorm) turns float rounding into a step of the full learning rate; with SGD the
    # weights compare the gradients themselves (and the momentum is optimiser state to resume)
    algo.optimizers = {name: torch.optim.SGD([p for g in opt.param_groups for p in g["params"]], lr=0.01,
                                             momentum=0.5) for name, opt in algo.optimizers.items()}
    return algo


def _trainer(run_dir: Path, steps: int, **kwargs) -> Trainer:
    cfg = TrainConfig(steps=steps, batch_size=BATCH, checkpoint_every=2, log_every=1)
    return Trainer(_algo(), _data(), cfg, run_dir, progress=False, **kwargs)


def _worker(rank: int, world: int, tmp: str, job: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/rendezvous-{job}", rank=rank, world_size=world)
    try:
        tmp_path = Path(tmp)
        # rank 1 is given a folder of its own: it must neither read nor write it
        run_dir = tmp_path / job / ("rank0" if rank == 0 else "rank1")
        if job == "step":
            trainer = _trainer(run_dir, steps=1)
            trainer.fit()
            save_file({k: v.contiguous() for k, v in trainer.algo.model.state_dict().items()},
                      str(tmp_path / f"step-rank{rank}.safetensors"))
            # a weight moved on rank 1 alone, outside the gradients: the next save refuses
            drifted = _trainer(tmp_path / job / f"drift-rank{rank}", steps=2)
            if rank == 1:
                drifted.callbacks.append(lambda step, logs: drifted.algo.model.d_a.net[0].weight.data.add_(1e-3))
            try:
                drifted.fit()
            except RuntimeError as err:
                (tmp_path / f"drift-rank{rank}").write_text(str(err))
        else:  # rank 1 is sent SIGTERM after step 3; the ranks agree on it after step 4 and stop
            def kill_rank1(step, logs):
                if rank == 1 and step == 3:
                    os.kill(os.getpid(), signal.SIGTERM)
            try:
                _trainer(run_dir, steps=6, callbacks=[kill_rank1]).fit()
            except KeyboardInterrupt:
                (tmp_path / f"stopped-rank{rank}").write_text("yes")
            # the same run, not stopped, one step further: what the resumed run must reach
            trainer = _trainer(tmp_path / job / f"straight-rank{rank}", steps=5)
            trainer.fit()
            if rank == 0:
                save_file({k: v.contiguous() for k, v in trainer.algo.model.state_dict().items()},
                          str(tmp_path / "straight-5.safetensors"))
    finally:
        dist.destroy_process_group()


def _spawn(tmp_path: Path, job: str) -> None:
    _algo()  # the first optimiser imports torch._dynamo (seconds): once, here, not in each child
    # forked, not spawned: the children inherit the imported modules (an import of torch and
    # gan_core costs seconds per process)
    mp.start_processes(_worker, args=(2, str(tmp_path), job), nprocs=2, join=True, start_method="fork")


def test_two_ranks_of_half_the_batch_take_the_same_step_as_one_process(tmp_path):
    _spawn(tmp_path, "step")
    single = _trainer(tmp_path / "single", steps=1)
    single.fit()
    rank0, rank1 = (load_file(str(tmp_path / f"step-rank{r}.safetensors")) for r in (0, 1))
    start = _algo().model.state_dict()
    for k, p in single.algo.model.state_dict().items():
        assert torch.equal(rank0[k], rank1[k]), k                # the ranks agree bit for bit
        if p.is_floating_point() and k.endswith("weight"):
            assert not torch.equal(p, start[k]), k                  # the step moved every weight
        torch.testing.assert_close(rank0[k], p, rtol=0, atol=1e-6, msg=k)
    # rank 0 alone wrote: run state and history in its folder, nothing in rank 1's
    assert {STATE_WEIGHTS, STATE_META, HISTORY} <= {f.name for f in (tmp_path / "step" / "rank0").iterdir()}
    assert not (tmp_path / "step" / "rank1").exists()
    # and a rank whose weights drift apart is caught at the next save, on both ranks
    for r in (0, 1):
        assert "differ after step 2" in (tmp_path / f"drift-rank{r}").read_text()
    assert not (tmp_path / "step" / "drift-rank0" / STATE_WEIGHTS).exists()


def test_a_stopped_two_rank_run_resumes_on_one_process(tmp_path):
    _spawn(tmp_path, "stop")
    assert (tmp_path / "stopped-rank0").exists() and (tmp_path / "stopped-rank1").exists()
    assert not (tmp_path / "stop" / "rank1").exists()
    resumed = _trainer(tmp_path / "stop" / "rank0", steps=5)
    assert resumed.fit()["resumed_from"] == 4                     # both ranks stopped after step 4
    # one more step on one process, from the 2-rank run state (weights, momentum, step), lands
    # where the 2-rank run itself went: the global batch of step 5 is the same
    straight = load_file(str(tmp_path / "straight-5.safetensors"))
    for k, p in resumed.algo.model.state_dict().items():
        torch.testing.assert_close(p, straight[k], rtol=0, atol=1e-6, msg=k)
    history = [json.loads(line)["step"] for line in (tmp_path / "stop" / "rank0" / HISTORY).read_text().splitlines()]
    assert history == [1, 2, 3, 4, 5]


def _cli_worker(rank: int, world: int, tmp: str, port: int) -> None:
    """``python -m gan_core.train`` as torchrun starts it: the process group comes from the environment."""
    import contextlib
    import io

    from gan_core import train
    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = train.main(["vae2d", "--dry-run", "--fp32", "--batch-size", "8", "--run-dir", f"{tmp}/cli"])
    Path(tmp, f"cli-rank{rank}.json").write_text(json.dumps({"rc": rc, "out": out.getvalue(), "err": err.getvalue()}))


def test_the_training_cli_under_torchrun_variables(tmp_path):
    import socket
    with socket.socket() as sock:  # a free port for the rendezvous
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mp.start_processes(_cli_worker, args=(2, str(tmp_path), port), nprocs=2, join=True, start_method="fork")
    rank0, rank1 = (json.loads((tmp_path / f"cli-rank{r}.json").read_text()) for r in (0, 1))
    assert rank0["rc"] == rank1["rc"] == 0
    assert "2 processes for 4 steps" in rank0["out"] and "done: step 4" in rank0["out"]
    assert rank1["out"] == "" and "it/s" not in rank1["err"]       # one report, one progress bar
    assert not dist.is_initialized()


def test_draw_is_the_identity_in_one_process():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert distributed.world().size == 1
    assert torch.equal(distributed.draw(lambda n: torch.rand(n, generator=g1), 5), torch.rand(5, generator=g2))
