"""Evaluation of Fashion-MNIST generators with the suite's judge classifier.

    python -m gan_core.evaluate dcgan-fmnist          # prints figures, writes them to the model card
    python -m gan_core.evaluate fmnist-classifier     # the judge's own test accuracy

Figures for a generator (10k samples unless --n says otherwise):
* judge FID: Frechet distance between Gaussians fitted to the judge's penultimate features of
  the samples and of the 10k test images; ``fid_floor`` is the same distance for 10k real
  *training* images, i.e. what a perfect generator would score; ``fid_untrained`` is an
  untrained generator of the same architecture, the other end of the scale;
* class coverage: histogram of the judge's predicted classes over the samples, its KL
  divergence to the uniform distribution (0 = every class equally often) and the rarest
  class's share - mode collapse shows up here;
* memorisation: distance from each of 1,000 samples to its nearest training image (pixels),
  relative to the same distance for 1,000 test images. A ratio well below 1 would mean the
  generator reproduces training items.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from . import checkpoints
from .fmnist import FMNIST_CLASSES, fashion_mnist
from .judge.api import judge_predict
from .registry import JUDGE, model_class
from .sampling import generate


def gaussian_stats(features: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    f = features.double().numpy()
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) (Heusel et al. 2017, Eq. 6)."""
    from scipy import linalg
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():  # near-singular product: regularise, as the reference code does
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def fid(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    return frechet_distance(*gaussian_stats(features_a), *gaussian_stats(features_b))


def class_coverage(logits: torch.Tensor) -> dict:
    """Share of each predicted class, KL(p || uniform) in nats, and the rarest share."""
    k = logits.shape[1]
    p = torch.bincount(logits.argmax(1), minlength=k).double() / logits.shape[0]
    nz = p > 0
    kl = float((p[nz] * (p[nz] * k).log()).sum())
    return {"class_shares": [round(float(v), 4) for v in p], "kl_to_uniform": kl,
            "min_class_share": float(p.min()), "classes_covered": int(nz.sum())}


@torch.no_grad()
def squared_distances(a: torch.Tensor, b: torch.Tensor, chunk: int = 250):
    """Yield ``(rows, d2)``: squared Euclidean distances ``(c, len(b))`` from ``chunk`` rows of
    ``a`` ``(n, d)`` at a time to every row of ``b`` ``(m, d)``, so memory stays ``chunk x m``."""
    b_sq = (b * b).sum(1)
    for rows in a.split(chunk):
        yield rows, (rows * rows).sum(1, keepdim=True) - 2 * rows @ b.T + b_sq  # (c, m)


@torch.no_grad()
def nearest_train_distance(images: torch.Tensor, train: torch.Tensor, chunk: int = 250):
    """Euclidean pixel distance from each image to its nearest training image, and its index."""
    dists, idxs = [], []
    for _, d2 in squared_distances(images.flatten(1).float(), train.flatten(1).float(), chunk):
        v, i = d2.min(1)
        dists.append(v.clamp_min(0).sqrt())
        idxs.append(i)
    return torch.cat(dists), torch.cat(idxs)


class _RealData:
    """Test images, their judge features, and the training images: computed once per process."""
    _cache: dict = {}

    @classmethod
    def get(cls):
        if not cls._cache:
            train_x, _ = fashion_mnist(train=True)
            test_x, test_y = fashion_mnist(train=False)
            train = train_x.float().div(255).unsqueeze(1)
            test = test_x.float().div(255).unsqueeze(1)
            logits, feats = judge_predict(test)
            cls._cache.update(train=train, test=test, test_labels=test_y, test_logits=logits, test_feats=feats)
        return cls._cache


def judge_accuracy() -> float:
    real = _RealData.get()
    return float((real["test_logits"].argmax(1) == real["test_labels"]).float().mean())


def fid_to_test(images: torch.Tensor) -> float:
    """Judge FID of ``(N, 1, 28, 28)`` images in [0, 1] against the 10k test images."""
    return fid(judge_predict(images)[1], _RealData.get()["test_feats"])


def fid_floor(n: int = 10000, seed: int = 0) -> float:
    """Judge FID of ``n`` real training images against the test images: the best reachable."""
    real = _RealData.get()
    idx = torch.randperm(real["train"].shape[0], generator=torch.Generator().manual_seed(seed))[:n]
    return fid_to_test(real["train"][idx])


def memorisation(images: torch.Tensor, n: int = 1000) -> dict:
    real = _RealData.get()
    d_gen, _ = nearest_train_distance(images[:n], real["train"])
    d_test, _ = nearest_train_distance(real["test"][:n], real["train"])
    return {"nn_dist_samples": float(d_gen.median()), "nn_dist_test": float(d_test.median()),
            "nn_ratio": float(d_gen.median() / d_test.median())}


def evaluate_generator(name: str, n: int = 10000, seed: int = 0, untrained: torch.nn.Module | None = None) -> dict:
    """All judge figures for generator checkpoint ``name`` (see the module docstring)."""
    samples = generate(name, n, seed=seed)
    logits, feats = judge_predict(samples)
    real = _RealData.get()
    out = {
        "judge_fid": fid(feats, real["test_feats"]),
        "judge_fid_floor_real_train": fid_floor(n),
        **class_coverage(logits),
        **memorisation(samples),
        "n_samples": n,
        "judge_test_accuracy": judge_accuracy(),
    }
    if untrained is not None:
        z = untrained.prior(n, torch.Generator().manual_seed(seed))
        with torch.no_grad():
            x = torch.cat([untrained.decode(c) for c in z.split(500)])
        out["judge_fid_untrained"] = fid_to_test(x)
    return out


def untrained_twin(name: str) -> torch.nn.Module:
    """A freshly initialised model with the same config as checkpoint ``name``."""
    cls = model_class(name)
    config = checkpoints.read_json(name, "config.json")
    torch.manual_seed(0)
    return cls(**config).eval()


def publish(name: str, figures: dict, started: float, write: bool, width: int = 40) -> None:
    """Print an evaluation's ``figures`` one per line and, if ``write``, merge them into the model
    card (``metrics.json``); the evaluation CLIs of the families end with this."""
    print("\n".join(f"{k:>{width}}: {f'{v:.4f}' if isinstance(v, float) else v}" for k, v in figures.items()))
    if write:
        checkpoints.update_metrics(name, figures)
    print(f"({time.time() - started:.0f} s{'; written to the model card' if write else ''})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_core.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="checkpoint name, e.g. dcgan-fmnist or fmnist-classifier")
    parser.add_argument("--n", type=int, default=10000, help="number of generated samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="do not update metrics.json / the model card")
    args = parser.parse_args(argv)
    t0 = time.time()
    cmd = "python -m gan_core.evaluate " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.name == JUDGE:
        figures = {"test_accuracy": judge_accuracy(), "judge_fid_floor_real_train": fid_floor()}
    else:
        figures = evaluate_generator(args.name, args.n, args.seed, untrained=untrained_twin(args.name))
    figures.update(command=cmd, evaluated=time.strftime("%Y-%m-%d"))
    for k, v in figures.items():
        if k == "class_shares":
            v = "  ".join(f"{c.split('/')[0]}={s:.3f}" for c, s in zip(FMNIST_CLASSES, v))
        print(f"{k:>28}: {v if not isinstance(v, float) else f'{v:.4f}'}")
    print(f"({time.time() - t0:.0f} s)")
    if not args.no_write:
        checkpoints.update_metrics(args.name, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
