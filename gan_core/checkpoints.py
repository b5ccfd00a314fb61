"""Checkpoints: one folder per model under ``checkpoints/``, read and written by
``huggingface_hub.PyTorchModelHubMixin``.

    checkpoints/<name>/config.json         the model's constructor arguments
    checkpoints/<name>/model.safetensors   the weights (never pickled)
    checkpoints/<name>/training.json       data, steps, hardware, command
    checkpoints/<name>/metrics.json        evaluation figures
    checkpoints/<name>/README.md           the model card, rendered from the two files above
    checkpoints/manifest.json              sha256 and size of every file (rewritten by save/update_metrics)

``gan_core.registry`` says which class each checkpoint holds; this module reads and writes them.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import torch

from . import settings
from .hub import sha256_file
from .registry import CHECKPOINTS, TRAIN_COMMANDS, model_class
from .runtime import Runtime, get_runtime

class MissingCheckpointError(RuntimeError):
    """A checkpoint folder is not on this machine (and could not be fetched)."""


def checkpoint_path(name: str) -> Path:
    return settings.checkpoint_dir() / name


def _train_command(name: str) -> str:
    """The training command that writes checkpoint ``name`` by default (else its family's)."""
    return next((cmd for cmd, ckpt in TRAIN_COMMANDS.items() if ckpt == name), name.split("-")[0])


def _missing_message(name: str) -> str:
    repo, revision = settings.hub_repo() or "OWNER/NAME", settings.hub_revision()
    return (f"The model '{name}' is not in {checkpoint_path(name).parent}, and it could not be fetched "
            f"from the Hub (offline, or {repo}@{revision} does not have it). "
            f"Fetch the published checkpoints with "
            f"`python -m gan_core.hub pull --repo-id {repo} --revision {revision}`, "
            f"or train it with `python -m gan_core.train {_train_command(name)}` (see README, 'Training').")


_cache: dict[tuple, torch.nn.Module] = {}
_lock = threading.Lock()


def require(name: str) -> Path:
    """The folder of checkpoint ``name``, fetched from the Hub first if it is missing (online);
    :class:`MissingCheckpointError` if it is not there. Checks the files only: nothing is loaded
    (the app calls this while it builds, and loads the models in the background once it serves)."""
    path = checkpoint_path(name)
    weights = getattr(model_class(name), "WEIGHTS", "model.safetensors")  # diffusers' layout differs
    if not (path / weights).exists():
        from . import hub  # here, so that `python -m gan_core.hub` runs a module not yet imported
        hub.fetch_missing(name)  # online: pull it from the configured Hub repo
    if not (path / weights).exists():
        raise MissingCheckpointError(_missing_message(name))
    return path


def load(name: str, runtime: Runtime | None = None) -> torch.nn.Module:
    """Load checkpoint ``name`` once (per runtime), in eval mode, and cache it."""
    runtime = runtime or get_runtime()
    key = (name, str(runtime.device), runtime.channels_last, str(settings.checkpoint_dir()))
    with _lock:
        if key in _cache:
            return _cache[key]
        path = require(name)
        model = model_class(name).from_pretrained(str(path), strict=True)
        model = runtime.prepare(model).eval()
        for p in model.parameters():
            p.requires_grad_(False)
        _cache[key] = model
        return model


def present(entries: dict) -> dict:
    """The entries ``{key: (checkpoint, label)}`` whose checkpoint is there (or fetched: ``require``)."""
    out = {}
    for key, (name, label) in entries.items():
        try:
            require(name)
        except MissingCheckpointError:
            continue
        out[key] = (name, label)
    return out


def weights_digest(names: list[str]) -> str:
    """The sha256 of each checkpoint's weights file, joined: a key for anything computed from them."""
    return " ".join(sha256_file(require(name) / "model.safetensors") for name in names)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def save(model: torch.nn.Module, name: str, *, training: dict, metrics: dict | None = None) -> Path:
    """Write ``checkpoints/<name>/`` (config, safetensors weights, training info, card)."""
    path = checkpoint_path(name)
    model = model.to("cpu").to(memory_format=torch.contiguous_format)
    model.save_pretrained(str(path))
    (path / "training.json").write_text(json.dumps(training, indent=2) + "\n")
    if metrics is not None:
        (path / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    else:  # figures of an earlier model in this folder no longer apply
        (path / "metrics.json").unlink(missing_ok=True)
    write_card(name)
    _refresh_manifest(path.parent)
    return path


def keep_snapshot(state: dict, folder: Path, step: int) -> list[int]:
    """Write ``state`` (a state dict) as ``folder/step-<step>.safetensors``; return the steps kept there up to
    ``step``, in order."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(folder / f"step-{step}.safetensors"))
    return sorted(s for s in (int(p.stem.split("-", 1)[1]) for p in folder.glob("step-*.safetensors")) if s <= step)


def read_snapshot(folder: Path, step: int) -> dict:
    from safetensors.torch import load_file
    return load_file(str(folder / f"step-{step}.safetensors"))


def average_state(states: list[dict]) -> dict:
    """The mean of several state dicts of one network (weight averaging; Yazici et al. 2019 for GANs): floating
    tensors averaged in fp32 and cast back, the others (BatchNorm's step counters) taken from the last."""
    if not states:
        raise ValueError("nothing to average")
    out = {}
    for k, v in states[-1].items():
        out[k] = (sum(s[k].float() for s in states) / len(states)).to(v.dtype) if v.is_floating_point() else v
    return out


def store_half_if_lossless(name: str, render, runtime: Runtime | None = None, tolerance: float = 1 / 255) -> dict:
    """Store ``name``'s weights in fp16 if that costs nothing measurable: ``render(model)`` (pictures in [0, 1])
    with the fp32 weights and with the fp16-rounded ones must agree within ``tolerance`` at the 99.9th
    percentile of pixels; else the fp32 weights stay. The cached model is restored either way. Returns the
    comparison (``weights_fp16`` says which was stored)."""
    from safetensors.torch import save_file

    model = load(name, runtime)
    before = render(model).float().cpu()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for v in model.state_dict().values():
            if v.is_floating_point():
                v.copy_(v.half().float())
    after = render(model).float().cpu()
    diff = (after - before).abs().flatten()
    p999 = float(diff.kthvalue(max(int(0.999 * diff.numel()), 1)).values)
    out = {"fp16_pixel_difference_max": float(diff.max()), "fp16_pixel_difference_p99.9": p999,
           "weights_fp16": p999 <= tolerance}
    if out["weights_fp16"]:
        half = {k: (v.half() if v.is_floating_point() else v).contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(half, str(checkpoint_path(name) / "model.safetensors"), metadata={"format": "pt"})
    model.load_state_dict(state)
    clear_cache()
    return out


def read_json(name: str, file: str) -> dict:
    p = checkpoint_path(name) / file
    return json.loads(p.read_text()) if p.exists() else {}


def update_metrics(name: str, metrics: dict) -> None:
    merged = {**read_json(name, "metrics.json"), **metrics}
    (checkpoint_path(name) / "metrics.json").write_text(json.dumps(merged, indent=2) + "\n")
    write_card(name)
    _refresh_manifest(checkpoint_path(name).parent)


def _refresh_manifest(root: Path) -> None:
    """Keep ``root/manifest.json`` in step with the files (``python -m gan_core.hub verify`` checks it)."""
    from . import hub
    hub.write_manifest(root)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ("; " if any(isinstance(x, dict) for x in v) else ", ").join(_fmt(x) for x in v)
    if isinstance(v, dict):  # e.g. one row of a curve: "truncation: 0.9, class_consistency: 0.9368, ..."
        return ", ".join(f"{k}: ({_fmt(x)})" if isinstance(x, (dict, list, tuple)) else f"{k}: {_fmt(x)}"
                         for k, x in v.items())
    return str(v)


def write_card(name: str) -> None:
    """Render README.md (the model card) from config.json, training.json and metrics.json."""
    path = checkpoint_path(name)
    training, metrics = read_json(name, "training.json"), read_json(name, "metrics.json")
    config = read_json(name, "config.json")
    description = CHECKPOINTS[name][1] if name in CHECKPOINTS else name
    lines = [
        "---", "library_name: gan-demo-suite", "tags:", "- gan-demo-suite", "- fashion-mnist"
        if "fmnist" in name else "- image-to-image", "---", "",
        f"# {name}", "", description, "",
        "Part of the GAN Demo Suite: load with "
        f"`{CHECKPOINTS[name][0].__name__ if name in CHECKPOINTS else 'Model'}.from_pretrained(\"checkpoints/{name}\")` "
        "or through `gan_core`.", "",
        "## Configuration", "", "| argument | value |", "|---|---|",
        *[f"| {k} | {_fmt(v)} |" for k, v in config.items()], "",
        "## Training", "", "| item | value |", "|---|---|",
        *[f"| {k} | {_fmt(v)} |" for k, v in training.items()], "",
        "## Evaluation", "",
    ]
    if metrics:
        lines += ["| metric | value |", "|---|---|", *[f"| {k} | {_fmt(v)} |" for k, v in metrics.items()], ""]
        if "command" in metrics:
            lines += [f"Reproduce with `{metrics['command']}`.", ""]
    else:
        lines += ["Not evaluated yet.", ""]
    figures = read_json(name, "figures/figures.json")  # pictures beside the card, each with its caption
    if figures.get("figures"):
        lines += ["## Figures", ""]
        for figure in figures["figures"]:
            lines += [f"![{figure['file']}](figures/{figure['file']})", "", figure["caption"], ""]
        if "command" in figures:
            lines += [f"Made with `{figures['command']}`.", ""]
    (path / "README.md").write_text("\n".join(lines))
