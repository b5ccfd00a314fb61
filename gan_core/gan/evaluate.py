"""Figures of the conditional GANs, measured with the suite's judge, written into their model cards.

    python -m gan_core.gan.evaluate cgan-fmnist       # class consistency, FID overall and per class, diversity
    python -m gan_core.gan.evaluate acgan-fmnist      # the same, plus its own classifier's accuracy
    python -m gan_core.gan.evaluate infogan-fmnist    # c_cat as a clustering; what c_1 and c_2 control
    python -m gan_core.gan.evaluate sgan-fmnist       # test accuracy (also supervised-fmnist)

Checkpoints are chosen on the validation items carved from the training split
(``common.train_val_split``), never on the test set; the test set only reports.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from ..evaluate import _RealData, fid, publish
from ..fmnist import FMNIST_CLASSES, fashion_mnist
from ..judge.api import judge_predict
from ..sampling import decode, latents
from .api import classifier_probabilities, code_traversal, infer_codes
from .common import NUM_CLASSES, train_val_split


def validation_items() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 held-out training items ``(n, 1, 28, 28)`` in [0, 1] and their labels."""
    images, labels = fashion_mnist(train=True)
    _, val = train_val_split(images.shape[0])
    return images[val].float().div(255).unsqueeze(1), labels[val]


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """Mean Euclidean distance between two different rows of ``features`` ``(n, d)``."""
    d = torch.cdist(features.double(), features.double())
    n = features.shape[0]
    return float(d.sum() / (n * (n - 1)))


def conditional_samples(name: str, n: int = 10000, seed: int = 0, truncation: float = 1.0):
    """``n`` items, classes 0-9 in turn, z scaled by ``truncation`` (1: the model's own prior)."""
    labels = torch.arange(n) % NUM_CLASSES
    return decode(name, latents(name, n, seed, label=labels) * truncation, label=labels), labels


def class_figures(feats: torch.Tensor, pred: torch.Tensor, labels: torch.Tensor) -> dict:
    """Class consistency, judge FID (overall, per class) and within-class diversity vs the test items,
    from the judge's features and verdicts on samples of the requested ``labels``."""
    real = _RealData.get()
    test_feats, test_labels = real["test_feats"], real["test_labels"]
    out = {"class_consistency": float((pred == labels).float().mean()), "judge_fid": fid(feats, test_feats)}
    per_acc, per_fid, div = [], [], []
    for k in range(NUM_CLASSES):
        mine, theirs = feats[labels == k], test_feats[test_labels == k]
        per_acc.append(float((pred[labels == k] == k).float().mean()))
        per_fid.append(fid(mine[:1000], theirs))
        div.append(mean_pairwise_distance(mine[:1000]) / mean_pairwise_distance(theirs))
    out.update(class_consistency_min=min(per_acc), class_consistency_per_class=[round(a, 4) for a in per_acc],
               judge_fid_per_class=[round(f, 2) for f in per_fid], diversity_vs_real_min=min(div),
               diversity_vs_real_mean=float(np.mean(div)), diversity_vs_real_per_class=[round(d, 3) for d in div])
    return out


def conditional_figures(name: str, n: int = 10000, seed: int = 0) -> dict:
    """Class consistency, judge FID (overall, per class), within-class diversity vs real items."""
    samples, labels = conditional_samples(name, n, seed)
    logits, feats = judge_predict(samples)
    real = _RealData.get()
    test_labels = real["test_labels"]
    _, val_feats = judge_predict(validation_items()[0])
    out = {**class_figures(feats, logits.argmax(1), labels), "judge_fid_validation": fid(feats, val_feats)}
    out.update(judge_test_accuracy=float((real["test_logits"].argmax(1) == test_labels).float().mean()),
               judge_test_accuracy_per_class=[  # the ceiling a faithful generator would meet, class by class
                   round(float((real["test_logits"].argmax(1)[test_labels == k] == k).float().mean()), 4)
                   for k in range(NUM_CLASSES)])
    if name.startswith("acgan"):
        own = classifier_probabilities(name, samples).argmax(1)
        out["own_classifier_agrees_with_request"] = float((own == labels).float().mean())
        out["own_classifier_test_accuracy"] = float(
            (classifier_probabilities(name, real["test"]).argmax(1) == test_labels).float().mean())
    return out


def truncation_curve(name: str, psis, n: int = 10000, seed: int = 0) -> list[dict]:
    """The fidelity-diversity trade of the truncation trick: for each ψ, the class figures of ``n``
    samples whose z is scaled by ψ (the same z for every ψ)."""
    keys = ("class_consistency", "class_consistency_min", "judge_fid", "diversity_vs_real_mean",
            "diversity_vs_real_min")
    rows = []
    for psi in psis:
        samples, labels = conditional_samples(name, n, seed, truncation=psi)
        logits, feats = judge_predict(samples)
        figs = class_figures(feats, logits.argmax(1), labels)
        rows.append({"truncation": float(psi), **{k: round(figs[k], 4) for k in keys}})
    return rows


def clustering_accuracy(clusters: torch.Tensor, labels: torch.Tensor) -> tuple[float, list[int]]:
    """Accuracy of ``clusters`` as a labelling under the best one-to-one map cluster -> class
    (Hungarian algorithm, scipy's linear_sum_assignment); returns (accuracy, class of each cluster)."""
    from scipy.optimize import linear_sum_assignment
    counts = torch.zeros(NUM_CLASSES, NUM_CLASSES)
    counts.index_put_((clusters.long(), labels.long()), torch.ones(len(labels)), accumulate=True)
    rows, cols = linear_sum_assignment(-counts.numpy())
    mapping = [0] * NUM_CLASSES
    for r, c in zip(rows, cols):
        mapping[r] = int(c)
    return float(counts[rows, cols].sum() / len(labels)), mapping


PROPERTIES = {  # measured on items (n, 28, 28) in [0, 1]
    "brightness (mean pixel)": lambda x: x.mean((1, 2)),
    "ink area (pixels > 0.5)": lambda x: (x > 0.5).float().mean((1, 2)),
    "width (ink columns)": lambda x: (x.amax(1) > 0.5).float().sum(1),
    "height (ink rows)": lambda x: (x.amax(2) > 0.5).float().sum(1),
    "ink intensity (mean of pixels > 0.2)": lambda x: (x * (x > 0.2)).sum((1, 2)) / (x > 0.2).sum((1, 2)).clamp_min(1),
    "vertical centre of mass": lambda x: (x.sum(2) * torch.arange(28.0)).sum(1) / x.sum((1, 2)).clamp_min(1e-6),
}


def traversal_correlations(name: str, code: str, seeds_per_category: int = 20, steps: int = 9) -> dict:
    """Spearman's rho between ``code`` and each property along traversals from -1 to 1 (other
    codes 0), one per (seed, category); the mean rho over traversals, per property."""
    from scipy.stats import spearmanr
    values = np.linspace(-1, 1, steps)
    rhos = {p: [] for p in PROPERTIES}
    for cat in range(NUM_CLASSES):
        seeds = range(cat * seeds_per_category, (cat + 1) * seeds_per_category)
        x = code_traversal(name, code, values, seeds, category=cat)[:, 0].reshape(len(seeds), steps, 28, 28)
        for prop, fn in PROPERTIES.items():
            for row in x:
                v = fn(row).numpy()
                rhos[prop].append(0.0 if np.ptp(v) == 0 else spearmanr(values, v)[0])
    return {p: float(np.mean(r)) for p, r in rhos.items()}


def infogan_figures(name: str) -> dict:
    real = _RealData.get()
    test_clusters = infer_codes(name, real["test"])[0].argmax(1)
    acc, mapping = clustering_accuracy(test_clusters, real["test_labels"])
    val_x, val_y = validation_items()
    val_acc, _ = clustering_accuracy(infer_codes(name, val_x)[0].argmax(1), val_y)
    out = {"clustering_accuracy_test": acc, "clustering_accuracy_validation": val_acc,
           "c_cat_to_class": [FMNIST_CLASSES[c] for c in mapping]}
    for code in ("c1", "c2"):
        rhos = traversal_correlations(name, code)
        best = max(rhos, key=lambda p: abs(rhos[p]))
        out[f"{code}_controls"] = best
        out[f"{code}_spearman"] = rhos[best]
        out[f"{code}_spearman_all"] = {p: round(r, 3) for p, r in rhos.items()}
    return out


def accuracy_figures(name: str) -> dict:
    real = _RealData.get()
    val_x, val_y = validation_items()
    acc = lambda x, y: float((classifier_probabilities(name, x).argmax(1) == y).float().mean())  # noqa: E731
    return {"test_accuracy": acc(real["test"], real["test_labels"]), "validation_accuracy": acc(val_x, val_y)}


def evaluate(name: str, n: int = 10000, truncation=None) -> dict:
    if name.startswith(("cgan", "acgan")):
        if truncation:  # only the curve: the figures at ψ = 1 stay those of the full evaluation
            return {"truncation_curve": truncation_curve(name, truncation, n),
                    "truncation_curve_samples": n}
        return conditional_figures(name, n)
    if name.startswith("infogan"):
        return infogan_figures(name)
    if name.startswith(("sgan", "supervised")):
        return accuracy_figures(name)
    raise ValueError(f"no figures defined for {name!r}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_core.gan.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="cgan-fmnist, acgan-fmnist, infogan-fmnist, sgan-fmnist or supervised-fmnist")
    parser.add_argument("--n", type=int, default=10000, help="generated samples (cGAN, AC-GAN)")
    parser.add_argument("--truncation", type=float, nargs="+", metavar="PSI",
                        help="cGAN, AC-GAN: measure only the truncation curve at these ψ in (0, 1] "
                             "(z scaled by ψ: more typical items, fewer kinds)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave the model card alone")
    args = parser.parse_args(argv)
    if args.truncation and not all(0 < p <= 1 for p in args.truncation):
        parser.error("--truncation values must lie in (0, 1]")
    t0 = time.time()
    command = "python -m gan_core.gan.evaluate " + " ".join(sys.argv[1:] if argv is None else argv)
    figures = evaluate(args.name, args.n, args.truncation)
    prefix = "truncation_" if args.truncation else ""
    figures = {**figures, prefix + "command": command, prefix + "evaluated": time.strftime("%Y-%m-%d")}
    publish(args.name, figures, t0, write=not args.no_write, width=36)
    return 0


if __name__ == "__main__":
    sys.exit(main())
