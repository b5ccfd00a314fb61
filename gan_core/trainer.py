"""A small, model-agnostic training loop: deterministic batches, checkpoints, resume, NaN guard.

The trainer knows nothing about GANs. An *algorithm* object owns the networks, the optimisers
and the loss, and exposes

    algo.model                       the nn.Module exported at the end (a PyTorchModelHubMixin)
    algo.optimizers                  dict name -> torch.optim.Optimizer
    algo.train_step(batch, gen) ->   dict of float logs (losses, D outputs, ...)

Everything random in a step is drawn from ``gen``, a generator seeded by (seed, step), and the
batch indices of a step depend only on (seed, step) too. So a run that is killed and resumed
from its last checkpoint continues exactly as if it had never stopped.

Under torchrun the same loop runs data-parallel on N processes (see ``Trainer``).

Run state is written to ``run_dir`` with safetensors (weights, optimiser moments) and JSON
(step, optimiser hyper-parameters, loss history) - nothing is pickled.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import signal
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol, Sequence

import torch
from safetensors.torch import load_file, save_file

from . import distributed


@contextlib.contextmanager
def reestimating_batchnorm(module: torch.nn.Module):
    """Re-estimate ``module``'s BatchNorm running statistics with its current weights: inside the
    block every BatchNorm layer starts from reset statistics, keeps a cumulative average (momentum
    None, as SWA's ``update_bn``) and the module is in train mode; the forward passes made there are
    the batches averaged. Afterwards momenta and train/eval mode are restored. The running averages
    kept during training trail weights that move fast (an adversarial generator) or belong to other
    weights (an EMA copy); this replaces them."""
    norms = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    was_training, momenta = module.training, [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    module.train()
    try:
        with torch.no_grad():
            yield module
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        module.train(was_training)

STATE_WEIGHTS = "train_state.safetensors"
STATE_META = "train_state.json"
HISTORY = "history.jsonl"


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite."""


class Algorithm(Protocol):
    model: torch.nn.Module
    optimizers: dict[str, torch.optim.Optimizer]

    def train_step(self, batch: Sequence[torch.Tensor], gen: torch.Generator) -> dict[str, float]:
        ...


@dataclass
class TrainConfig:
    steps: int                       # total optimisation steps (one D and one G update for a GAN)
    batch_size: int = 128
    seed: int = 0
    checkpoint_every: int = 250      # steps between run-state checkpoints
    log_every: int = 25              # steps between history entries
    extra: dict = field(default_factory=dict)  # algorithm settings, stored with the run


def step_generator(seed: int, step: int) -> torch.Generator:
    """The RNG for one step: a pure function of (seed, step)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + step)


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> torch.Tensor:
    """Indices of the batch used at ``step``: epochs are seeded permutations, the tail is dropped."""
    per_epoch = max(n // batch_size, 1)
    epoch, i = divmod(step, per_epoch)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 7919 + epoch))
    return perm[i * batch_size:(i + 1) * batch_size]


# --- run state (no pickle) -------------------------------------------------------------------

def _optimizer_to_flat(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict, dict]:
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, st in sd["state"].items():
        for key, value in st.items():
            name = f"{prefix}.{idx}.{key}"
            if torch.is_tensor(value):
                tensors[name] = value.detach().cpu().contiguous()
            else:
                scalars[name] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_from_flat(opt: torch.optim.Optimizer, prefix: str, tensors: dict, meta: dict) -> None:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            _, idx, key = name.split(".", 2)
            state.setdefault(int(idx), {})[key] = value
    for name, value in meta["scalars"].items():
        _, idx, key = name.split(".", 2)
        state.setdefault(int(idx), {})[key] = value
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_run_state(run_dir: Path, algo: Algorithm, step: int, config: TrainConfig) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in algo.model.state_dict().items()}
    opt_meta = {}
    for name, opt in algo.optimizers.items():
        t, m = _optimizer_to_flat(opt, f"opt_{name}")
        tensors.update(t)
        opt_meta[name] = m
    meta = {"step": step, "config": asdict(config), "optimizers": opt_meta}
    # write-then-rename, so a kill during the write never leaves a half checkpoint
    tmp_w, tmp_m = run_dir / (STATE_WEIGHTS + ".tmp"), run_dir / (STATE_META + ".tmp")
    save_file(tensors, str(tmp_w))
    tmp_m.write_text(json.dumps(meta, indent=1))
    os.replace(tmp_w, run_dir / STATE_WEIGHTS)
    os.replace(tmp_m, run_dir / STATE_META)


def read_run_state(run_dir: Path) -> tuple[dict, dict] | None:
    """The (tensors, meta) of the run state in ``run_dir``, or None if there is none."""
    w, m = run_dir / STATE_WEIGHTS, run_dir / STATE_META
    if not (w.exists() and m.exists()):
        return None
    return load_file(str(w)), json.loads(m.read_text())


def load_run_state(run_dir: Path, algo: Algorithm) -> int:
    """Restore model and optimisers from ``run_dir``; return the step to continue from (0 if none)."""
    state = read_run_state(run_dir)
    return 0 if state is None else apply_run_state(algo, *state)


def apply_run_state(algo: Algorithm, tensors: dict, meta: dict) -> int:
    """Load (tensors, meta) of ``read_run_state`` into model and optimisers; return its step."""
    device = next(algo.model.parameters()).device
    model_sd = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    algo.model.load_state_dict(model_sd, strict=True)
    for name, opt in algo.optimizers.items():
        opt_tensors = {k: v.to(device) if not k.endswith(".step") else v
                       for k, v in tensors.items() if k.startswith(f"opt_{name}.")}
        _optimizer_from_flat(opt, f"opt_{name}", opt_tensors, meta["optimizers"][name])
    return int(meta["step"])


def read_history(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / HISTORY
    if not path.exists():
        return []
    by_step = {}  # after a resume, steps past the last checkpoint were logged twice: keep the latest
    for line in path.read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            by_step[entry["step"]] = entry
    return [by_step[k] for k in sorted(by_step)]


# --- the loop ---------------------------------------------------------------------------------

class Trainer:
    """Runs ``algo.train_step`` over ``data`` for ``config.steps`` steps.

    ``data`` is a tuple of tensors sharing their first dimension (e.g. images, labels).
    ``callbacks`` are called as ``cb(step, logs)`` after every step; a progress bar, a live
    plot or a test probe hook in there without touching the loop. ``lr``, when given, replaces
    every optimiser's learning rate, also after a resume (whose run state keeps its own).

    Under torchrun (N processes, ``gan_core.distributed``) ``config.batch_size`` stays the
    global batch: rank r trains on the r-th of N slices of the same batch, the gradients are
    averaged over the ranks, and the logs are the ranks' mean. Rank 0 alone reads and writes
    the run state (and sends it to the others), the history and the progress bar; callbacks
    run on every rank.
    """

    def __init__(self, algo: Algorithm, data: Sequence[torch.Tensor], config: TrainConfig,
                 run_dir: str | Path, *, callbacks: Sequence[Callable[[int, dict], None]] = (),
                 progress: bool = True, lr: float | None = None):
        self.algo, self.data, self.config = algo, tuple(data), config
        self.lr = lr
        self.run_dir = Path(run_dir)
        self.callbacks = list(callbacks)
        self.progress = progress
        self.step = 0

    def _guard(self, step: int, logs: dict) -> None:
        bad = {k: v for k, v in logs.items() if not math.isfinite(v)}
        if bad:
            last = (step // self.config.checkpoint_every) * self.config.checkpoint_every
            raise TrainingDivergedError(
                f"training diverged at step {step}: {', '.join(f'{k}={v}' for k, v in bad.items())}. "
                f"The last good checkpoint is at step {last} in {self.run_dir}. "
                "Try a lower learning rate, --fp32, or a different --seed; delete the run folder "
                "(or pass --fresh) to start over.")

    def fit(self) -> dict:
        cfg = self.config
        world = distributed.world()
        if cfg.batch_size % world.size:
            raise ValueError(f"the batch size {cfg.batch_size} is the global batch, shared by {world.size} "
                             f"processes: make it a multiple of {world.size}")
        averager = None
        if world.size > 1:  # every rank starts from rank 0's run state, then averages its gradients
            averager = distributed.GradientAverager(
                p for opt in self.algo.optimizers.values() for g in opt.param_groups for p in g["params"])
        try:
            self.step = self._load(world)
            return self._loop(world)
        finally:
            if averager is not None:
                averager.remove()

    def _load(self, world: distributed.World) -> int:
        """The step to continue from; rank 0 alone reads the run state and sends it to the others."""
        if world.size == 1:
            return load_run_state(self.run_dir, self.algo)
        state = distributed.broadcast_object(read_run_state(self.run_dir) if world.main else None)
        if state is None:  # a fresh run: the same initial weights on every rank
            distributed.broadcast_(self.algo.model.state_dict().values())
            return 0
        return apply_run_state(self.algo, *state)

    def _save(self, world: distributed.World) -> None:
        if world.size > 1:  # what rank 0 saves is every rank's model
            distributed.check_same_weights(self.algo.model.parameters(), self.step)
        if world.main:
            save_run_state(self.run_dir, self.algo, self.step, self.config)

    def _loop(self, world: distributed.World) -> dict:
        cfg = self.config
        if self.step >= cfg.steps:
            return {"step": self.step, "resumed": True}
        resumed_from = self.step
        writes = world.main  # run state, history and the progress bar: rank 0 only
        if resumed_from and self.progress and writes:
            print(f"resuming from step {resumed_from} (run state in {self.run_dir})", flush=True)
        if self.lr is not None:  # e.g. the lower learning rate of a final phase, on a resumed run
            for opt in self.algo.optimizers.values():
                for group in opt.param_groups:
                    group["lr"] = self.lr
        if writes:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        n = self.data[0].shape[0]

        pbar = None
        if self.progress and writes:
            from tqdm.auto import tqdm
            pbar = tqdm(total=cfg.steps, initial=self.step, desc=self.run_dir.name, dynamic_ncols=True)

        # a signal sets the flag; under several processes they agree on it after every step, so
        # all of them stop after the same step (Ctrl-C too: an interrupt inside a collective hangs)
        stop = {"flag": False}
        handled = [signal.SIGTERM] + ([signal.SIGINT] if world.size > 1 else [])
        previous = {sig: signal.getsignal(sig) for sig in handled}
        if _in_main_thread():
            for sig in handled:
                signal.signal(sig, lambda *_: stop.__setitem__("flag", True))
        logs: dict = {}
        stopped = False
        hist = open(self.run_dir / HISTORY, "a") if writes else None
        try:
            while self.step < cfg.steps and not stopped:
                idx = batch_indices(n, cfg.batch_size, cfg.seed, self.step)
                if world.size > 1:  # rank r takes the r-th slice of the global batch
                    idx = idx.tensor_split(world.size)[world.rank]
                batch = [t[idx] for t in self.data]
                self.algo.model.train()
                logs = self.algo.train_step(batch, step_generator(cfg.seed, self.step))
                if world.size > 1:  # the global batch's figures, and a stop asked anywhere
                    values, stopped = distributed.mean_floats(list(logs.values()), stop["flag"])
                    logs = dict(zip(logs, values))
                self._guard(self.step, logs)
                self.step += 1
                for cb in self.callbacks:
                    cb(self.step, logs)
                if hist is not None and self.step % cfg.log_every == 0:
                    hist.write(json.dumps({"step": self.step, **logs}) + "\n")
                    hist.flush()
                if pbar is not None:
                    pbar.update(1)
                    if self.step % 10 == 0:
                        pbar.set_postfix({k: f"{v:.3f}" for k, v in list(logs.items())[:4]})
                if self.step % cfg.checkpoint_every == 0:
                    self._save(world)
                if world.size == 1:
                    stopped = stop["flag"]
        except KeyboardInterrupt:
            stopped = True
        finally:
            if hist is not None:
                hist.close()
            if pbar is not None:
                pbar.close()
            if _in_main_thread():
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        if stopped or self.step == cfg.steps:
            self._save(world)
        if world.size > 1:  # when fit returns, the run state is on disk
            torch.distributed.barrier()
        if stopped:
            raise KeyboardInterrupt(f"stopped at step {self.step}; run state saved in {self.run_dir}")
        return {"step": self.step, "resumed_from": resumed_from, "last_logs": logs}


def _in_main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()
