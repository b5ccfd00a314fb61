"""Checkpoints: one folder per model under ``checkpoints/``, read and written by
``huggingface_hub.PyTorchModelHubMixin``.

    checkpoints/<name>/config.json         the model's constructor arguments
    checkpoints/<name>/model.safetensors   the weights (never pickled)
    checkpoints/<name>/training.json       data, steps, hardware, command
    checkpoints/<name>/metrics.json        evaluation figures
    checkpoints/<name>/README.md           the model card, rendered from the two files above

``REGISTRY`` below is the only place that says which class a checkpoint holds.
"""
from __future__ import annotations

import importlib
import json
import threading
from pathlib import Path

import torch

from . import settings
from .device import Runtime, get_runtime

# name -> (module, class, one-line description for the model card)
REGISTRY: dict[str, tuple[str, str, str]] = {
    "dcgan-fmnist": ("gan_core.dcgan", "DCGAN",
                     "DCGAN (Radford et al. 2015) trained on Fashion-MNIST, 32x32 (items padded from 28x28)."),
    "fmnist-classifier": ("gan_core.classifier", "FashionClassifier",
                          "CNN classifier for Fashion-MNIST: the judge behind every FID, coverage and "
                          "accuracy figure of the suite's Fashion-MNIST models."),
    "vae2d-fmnist": ("gan_core.vae", "VAE",
                     "Variational autoencoder (Kingma & Welling 2013) with a 2-D latent, beta = 1, on "
                     "Fashion-MNIST 28x28: the latent map of the 'VAE latent map' tab."),
    "ae2d-fmnist": ("gan_core.vae", "VAE",
                    "The same network as vae2d-fmnist trained with beta = 0, i.e. a plain autoencoder: "
                    "its 2-D latent space has holes that the prior N(0, I) cannot sample from."),
    "vae16-fmnist": ("gan_core.vae", "VAE",
                     "Variational autoencoder (Kingma & Welling 2013) with a 16-D latent, beta = 1, on "
                     "Fashion-MNIST 28x28: the VAE for sample quality."),
    "srresnet-x4": ("gan_core.sr", "SRResNet",
                    "SRResNet x4 (Ledig et al. 2017): 16 residual blocks, 1.55 M parameters, trained with "
                    "MSE on SunHays80 crops; the distortion-optimised panel of the 'Super-resolution' tab."),
    "srgan-x4": ("gan_core.sr", "SRResNet",
                 "SRGAN x4 (Ledig et al. 2017): the SRResNet generator fine-tuned against a VGG-style "
                 "discriminator (content + 1e-3 x adversarial loss); the training section names the "
                 "content loss used."),
    "pix2pix-edges2clothing": ("gan_core.pix2pix", "Pix2Pix",
                               "pix2pix (Isola et al. 2017): U-Net + conditional PatchGAN, cGAN + 100 x L1, from "
                               "Canny edge maps to Fashion-MNIST items, 32x32 (the analogue of edges2shoes)."),
    "l1-edges2clothing": ("gan_core.pix2pix", "Pix2Pix",
                          "The same U-Net as pix2pix-edges2clothing trained with L1 alone: the paper's ablation "
                          "(blurry, the median of the plausible items)."),
    "pix2pix-colorize": ("gan_core.pix2pix", "Pix2Pix",
                         "pix2pix (Isola et al. 2017) colourisation: grey photo -> colour, cGAN + 100 x L1; the "
                         "U-Net predicts chroma and keeps the input's luminance. Trained on SunHays80 crops."),
    "l1-colorize": ("gan_core.pix2pix", "Pix2Pix",
                    "The same colourisation U-Net as pix2pix-colorize trained with L1 alone: the paper's "
                    "ablation (desaturated colours)."),
    "cyclegan-sneaker-boot": ("gan_core.cyclegan", "CycleGAN",
                              "CycleGAN (Zhu et al. 2017), unpaired Sneaker <-> Ankle boot on Fashion-MNIST 32x32: "
                              "LSGAN + 10 x cycle + 5 x identity loss."),
}


class MissingCheckpointError(RuntimeError):
    """A checkpoint folder is not on this machine (and could not be fetched)."""


def checkpoint_path(name: str) -> Path:
    return settings.checkpoint_dir() / name


def model_class(name: str):
    if name not in REGISTRY:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(REGISTRY))}")
    module, cls, _ = REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def _missing_message(name: str) -> str:
    repo, revision = settings.hub_repo() or "OWNER/NAME", settings.hub_revision()
    return (f"The model '{name}' is not in {checkpoint_path(name).parent}, and it could not be fetched "
            f"from the Hub (offline, or {repo}@{revision} does not have it). "
            f"Fetch the published checkpoints with "
            f"`python -m gan_core.hub pull --repo-id {repo} --revision {revision}`, "
            f"or train it with `python -m gan_core.train {name.split('-')[0]}` (see README, 'Training').")


_cache: dict[tuple, torch.nn.Module] = {}
_lock = threading.Lock()


def load(name: str, runtime: Runtime | None = None) -> torch.nn.Module:
    """Load checkpoint ``name`` once (per runtime), in eval mode, and cache it."""
    runtime = runtime or get_runtime()
    key = (name, str(runtime.device), runtime.channels_last, str(settings.checkpoint_dir()))
    with _lock:
        if key in _cache:
            return _cache[key]
        path = checkpoint_path(name)
        if not (path / "model.safetensors").exists():
            _fetch_missing(name)
        if not (path / "model.safetensors").exists():
            raise MissingCheckpointError(_missing_message(name))
        model = model_class(name).from_pretrained(str(path), strict=True)
        model = runtime.prepare(model).eval()
        for p in model.parameters():
            p.requires_grad_(False)
        _cache[key] = model
        return model


def _fetch_missing(name: str) -> None:
    """Pull a missing checkpoint from the configured Hub repo when online (no-op offline)."""
    try:
        from . import hub
    except ImportError:  # pragma: no cover
        return
    fetch = getattr(hub, "fetch_missing", None)
    if fetch is not None:
        fetch(name)


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
    return path


def read_json(name: str, file: str) -> dict:
    p = checkpoint_path(name) / file
    return json.loads(p.read_text()) if p.exists() else {}


def update_metrics(name: str, metrics: dict) -> None:
    merged = {**read_json(name, "metrics.json"), **metrics}
    (checkpoint_path(name) / "metrics.json").write_text(json.dumps(merged, indent=2) + "\n")
    write_card(name)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def write_card(name: str) -> None:
    """Render README.md (the model card) from config.json, training.json and metrics.json."""
    path = checkpoint_path(name)
    training, metrics = read_json(name, "training.json"), read_json(name, "metrics.json")
    config = read_json(name, "config.json")
    description = REGISTRY[name][2] if name in REGISTRY else name
    lines = [
        "---", "library_name: gan-demo-suite", "tags:", "- gan-demo-suite", "- fashion-mnist"
        if "fmnist" in name else "- image-to-image", "---", "",
        f"# {name}", "", description, "",
        "Part of the GAN Demo Suite: load with "
        f"`{REGISTRY[name][1] if name in REGISTRY else 'Model'}.from_pretrained(\"checkpoints/{name}\")` "
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
    (path / "README.md").write_text("\n".join(lines))
