"""Data-parallel training under ``torchrun``: N processes, one shard of every batch each.

    torchrun --nproc_per_node=4 -m gan_core.train dcgan --batch-size 256

torchrun starts N copies of the command and tells each one its place through the environment
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``). ``init()`` joins
the process group from there: gloo on the CPU, nccl on GPUs with each process on GPU
``LOCAL_RANK``. The trainer then does what ``torch.nn.parallel.DistributedDataParallel`` does
(Li et al. 2020, "PyTorch Distributed", https://arxiv.org/abs/2006.15704): the same weights on
every rank, a different slice of the batch on each, and every gradient averaged over the ranks
at the end of each backward pass, before anything (clipping, the optimiser) reads it. The batch
size stays the global batch (``--batch-size 256`` on 4 processes: 64 items each), so a command
trains on the same batches, at the same learning rate, on any number of processes.

Why not the ``DistributedDataParallel`` wrapper itself: DDP starts its gradient bookkeeping in
the wrapper's ``forward``, so only gradients of a forward pass made *through the wrapper* are
averaged. The algorithms of this suite call their networks in many ways - D on reals and on
fakes before one backward, ``D.features`` then ``D.head`` (InfoGAN), a frozen D in the G step,
a U-Net held outside the exported model (DDPM) - and a pass that misses the wrapper trains each
rank on its own gradient without a word. Here the hook sits on each trainable *parameter*
(``register_post_accumulate_grad_hook``), so every backward that reaches a parameter is
averaged however the network was called; a frozen pass (``requires_grad_(False)``) reaches none
and costs nothing (DDP's ``find_unused_parameters`` / ``no_sync`` have no counterpart to get
wrong); the run state is the plain model's (no ``module.`` prefixes), so a run stopped on N
processes resumes on any other number.

What stays per process: BatchNorm statistics (as with plain DDP: the shard's, not the global
batch's) and randomness the algorithm draws per item without ``draw`` below.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0          # this process, 0 .. size - 1
    size: int = 1          # processes in the run
    local_rank: int = 0    # this process on its machine (its GPU)

    @property
    def main(self) -> bool:
        """The process that writes: run state, checkpoints, history, the progress bar."""
        return self.rank == 0


def launched() -> bool:
    """True when started by torchrun (or another launcher) with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init(device: str | None = None) -> World:
    """Join the process group torchrun describes; a no-op (rank 0 of 1) without torchrun.

    Returns the world and leaves the current CUDA device at ``LOCAL_RANK`` on GPUs.
    """
    if not launched():
        return World()
    if not dist.is_initialized():
        cuda = torch.cuda.is_available() and (device is None or device.startswith("cuda"))
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return world()


def world() -> World:
    """This process's place in the current process group (rank 0 of 1 when there is none)."""
    if not (dist.is_available() and dist.is_initialized()):
        return World()
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))


def default_device() -> str | None:
    """``cuda:LOCAL_RANK`` under torchrun on a GPU machine, else None (the runtime decides)."""
    if launched() and torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return None


def draw(fn, n: int):
    """``fn(n)`` in one process; under N processes ``fn(N * n)`` sliced to this rank's ``n`` rows.

    For noise drawn per item (z, flips, timesteps): every rank draws the global batch's noise
    from the step's generator and keeps its rows, exactly as the rows of the data, so N
    processes with n items each see what one process with N * n items sees, and the generators
    of all ranks stay in step.
    """
    w = world()
    if w.size == 1:
        return fn(n)
    out = fn(w.size * n)
    return out[w.rank * n:(w.rank + 1) * n]


def _comm_tensor(t: torch.Tensor) -> torch.Tensor:
    """nccl wants tensors on the GPU; gloo takes CPU tensors."""
    if dist.get_backend() == "nccl" and t.device.type != "cuda":
        return t.to(f"cuda:{torch.cuda.current_device()}")
    return t


def broadcast_(tensors) -> None:
    """Copy rank 0's values of ``tensors`` into every rank's, in place."""
    for t in tensors:
        buf = _comm_tensor(t.detach().contiguous())
        dist.broadcast(buf, 0)
        if buf is not t:
            t.detach().copy_(buf)


def broadcast_object(obj):
    """Rank 0's ``obj`` on every rank (pickled in memory, never written)."""
    box = [obj]
    dist.broadcast_object_list(box, 0)
    return box[0]


def mean_floats(values: list[float], flag: bool) -> tuple[list[float], bool]:
    """The ranks' mean of ``values`` and whether any rank raised ``flag``, in one all-reduce."""
    w = world()
    t = _comm_tensor(torch.tensor([*values, float(flag)], dtype=torch.float64))
    dist.all_reduce(t)
    out = t.cpu().tolist()
    return [v / w.size for v in out[:-1]], out[-1] > 0


def check_same_weights(params, step: int) -> None:
    """Raise if the ranks' ``params`` differ: something moved them outside the averaged gradients."""
    total = sum(p.detach().double().sum() for p in params)
    t = _comm_tensor(torch.stack([total, -total]).reshape(2))
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    high, low = t[0].item(), -t[1].item()
    if high != low:
        raise RuntimeError(f"the weights of the {world().size} processes differ after step {step} "
                           f"(sums {low!r} .. {high!r}): a parameter changed outside its averaged gradient")


class GradientAverager:
    """Averages the gradients of ``params`` over the ranks at the end of every backward pass.

    Each parameter's post-accumulate hook marks it ready and, the first time in a backward,
    queues one callback at the end of that backward; the callback all-reduces the ready
    gradients, flattened into one buffer per device and dtype, and divides by the number of
    ranks. A backward that reaches no parameter (a frozen player) does nothing. Averaging is
    linear, so a gradient accumulated over two backwards is still the ranks' mean.
    All ranks must reach the same parameters in the same backward passes - true of every
    training step whose graph does not depend on the data.
    """

    def __init__(self, params):
        self.params = list(dict.fromkeys(p for p in params if p.requires_grad))  # unique, in order
        self.order = {id(p): i for i, p in enumerate(self.params)}
        self.size = world().size
        self.ready: list[torch.Tensor] = []
        self.lock = threading.Lock()
        self.handles = [p.register_post_accumulate_grad_hook(self._mark) for p in self.params]

    def _mark(self, p: torch.Tensor) -> None:
        with self.lock:
            if not self.ready:
                torch.autograd.Variable._execution_engine.queue_callback(self._reduce)
            self.ready.append(p)

    def _reduce(self) -> None:
        with self.lock:
            ready, self.ready = sorted(self.ready, key=lambda p: self.order[id(p)]), []
        groups: dict[tuple, list[torch.Tensor]] = {}
        for p in ready:
            groups.setdefault((p.grad.device, p.grad.dtype), []).append(p.grad)
        for grads in groups.values():
            flat = _comm_tensor(torch.cat([g.reshape(-1) for g in grads]))  # one message per group
            dist.all_reduce(flat)
            flat.div_(self.size)
            offset = 0
            for g in grads:
                g.copy_(flat[offset:offset + g.numel()].view(g.shape))
                offset += g.numel()

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
