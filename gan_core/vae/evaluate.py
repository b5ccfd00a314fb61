"""Figures for the VAE checkpoints (``gan_core.vae.vae``): test ELBO, kNN accuracy of the codes, and
the judge figures of prior samples.

    python -m gan_core.evaluate_vae vae2d-fmnist ae2d-fmnist vae16-fmnist

For each checkpoint, on the 10,000 Fashion-MNIST test items:
* test ELBO in nats per item, with its two terms: reconstruction -log p(x|z) (Bernoulli,
  one z ~ q(z|x) per item) and KL(q(z|x) || N(0, I)) in closed form. The ELBO always uses
  β = 1, whatever β the model was trained with. ``test_reconstruction_floor_nats`` is what a
  perfect decoder would score on grey-level targets (their Bernoulli entropy), so the
  reconstruction term is read as "this much above the floor";
* ``test_recon_mse``: mean squared pixel error of decode(μ), the picture the tab shows;
* ``judge_fid_reconstructions``: judge FID of those reconstructions against the test images;
* ``knn5_accuracy``: class accuracy of a k = 5 nearest-neighbour vote on the codes μ, neighbours
  from the 60,000 training codes: how well the latent space sorts the classes;
* the judge figures of 10,000 prior samples z ~ N(0, I) (``gan_core.evaluate.evaluate_generator``):
  judge FID, class coverage, memorisation.
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from .. import checkpoints
from ..evaluate import evaluate_generator, fid_to_test, squared_distances, untrained_twin
from ..fmnist import fashion_mnist
from ..registry import VAES
from ..sampling import decode
from .api import elbo_terms, encode
from .vae import bernoulli_entropy

VAE_CHECKPOINTS = tuple(name for name, _ in VAES.values())


@torch.no_grad()
def knn_accuracy(train_codes: torch.Tensor, train_labels: torch.Tensor, test_codes: torch.Tensor,
                 test_labels: torch.Tensor, k: int = 5, chunk: int = 1000) -> float:
    """Share of test codes whose k nearest training codes (Euclidean) vote for the right class.

    A tie between classes goes to the one with the nearest member among the tied votes.
    """
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    correct = 0
    pairs = squared_distances(test_codes.double(), train_codes.double(), chunk)
    for (part, d2), labels in zip(pairs, test_labels.split(chunk)):  # d2: (c, N_train)
        nearest = d2.topk(k, dim=1, largest=False).indices                # (c, k), nearest first
        votes = train_labels[nearest]                                     # (c, k)
        counts = torch.zeros(part.shape[0], num_classes).scatter_add_(1, votes, torch.ones(votes.shape))
        # tie-break: add a bonus < 1 that is larger the nearer a class's first vote is
        bonus = torch.zeros_like(counts).scatter_reduce_(
            1, votes, (k - torch.arange(k, dtype=torch.float)).expand_as(votes) / (k + 1), reduce="amax")
        pred = (counts + bonus).argmax(1)
        correct += int((pred == labels).sum())
    return correct / test_codes.shape[0]


def evaluate_vae(name: str, n: int = 10000, seed: int = 0) -> dict:
    """All figures for VAE checkpoint ``name`` (see the module docstring)."""
    train_x, train_y = fashion_mnist(train=True)
    test_x, test_y = fashion_mnist(train=False)
    x = test_x.float().div(255).unsqueeze(1)  # (10000, 28, 28) u8 -> (10000, 1, 28, 28) in [0, 1]

    terms = elbo_terms(name, x, samples=1, seed=seed)
    recon = decode(name, terms["mu"])                    # decode(μ): (10000, 1, 28, 28)
    train_mu, _ = encode(name, train_x)
    out = {
        "test_elbo_nats": float(terms["elbo"].mean()),
        "test_reconstruction_nats": float(terms["reconstruction"].mean()),
        "test_kl_nats": float(terms["kl"].mean()),
        "test_reconstruction_floor_nats": float(bernoulli_entropy(x).mean()),
        "test_recon_mse": float((recon - x).pow(2).mean()),
        "judge_fid_reconstructions": fid_to_test(recon),
        "knn5_accuracy": knn_accuracy(train_mu, train_y, terms["mu"], test_y, k=5),
        "latent_dim": int(terms["mu"].shape[1]),
    }
    out.update(evaluate_generator(name, n, seed, untrained=untrained_twin(name)))
    return out


def paired_reconstruction(name: str, reference: str, seed: int = 0) -> dict:
    """Per test item, the reconstruction term of ``name`` minus that of ``reference`` (nats):
    the mean difference, its standard error, and the share of items ``name`` reconstructs better."""
    x = fashion_mnist(train=False)[0].float().div(255).unsqueeze(1)
    d = elbo_terms(name, x, seed=seed)["reconstruction"] - elbo_terms(reference, x, seed=seed)["reconstruction"]
    return {f"test_reconstruction_minus_{reference}_nats": float(d.mean()),
            f"test_reconstruction_minus_{reference}_stderr": float(d.std() / d.numel() ** 0.5),
            f"share_reconstructed_better_than_{reference}": float((d < 0).float().mean())}


# the columns of the BENCHMARKS.md table, in order: (metrics key, header, format)
TABLE = (
    ("test_elbo_nats", "test ELBO (nats)", "{:.1f}"),
    ("test_reconstruction_nats", "reconstruction (nats)", "{:.1f}"),
    ("test_kl_nats", "KL (nats)", "{:.1f}"),
    ("test_recon_mse", "recon. MSE", "{:.4f}"),
    ("judge_fid_reconstructions", "judge FID recon.", "{:.1f}"),
    ("judge_fid", "judge FID prior samples", "{:.1f}"),
    ("kl_to_uniform", "class KL to uniform", "{:.3f}"),
    ("min_class_share", "rarest class", "{:.3f}"),
    ("knn5_accuracy", "kNN-5 acc. of codes", "{:.3f}"),
)


def markdown_table(names) -> str:
    lines = ["| checkpoint | " + " | ".join(h for _, h, _ in TABLE) + " |",
             "|---|" + "---|" * len(TABLE)]
    for name in names:
        m = checkpoints.read_json(name, "metrics.json")
        cells = [fmt.format(m[key]) if key in m else "-" for key, _, fmt in TABLE]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_core.evaluate_vae", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(VAE_CHECKPOINTS), help="VAE checkpoint names")
    parser.add_argument("--n", type=int, default=10000, help="number of prior samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paired-with", metavar="REFERENCE", default=None,
                        help="only compare each name's reconstruction term with REFERENCE's, item by item")
    parser.add_argument("--no-write", action="store_true", help="do not update metrics.json / the model card")
    args = parser.parse_args(argv)
    cmd = " ".join(["python -m gan_core.evaluate_vae", *(sys.argv[1:] if argv is None else argv)])
    if args.paired_with:
        for name in args.names:
            figures = paired_reconstruction(name, args.paired_with, args.seed)
            for k, v in figures.items():
                print(f"{name}: {k} = {v:.4f}")
            if not args.no_write:
                checkpoints.update_metrics(name, {**figures, "command_paired": cmd})
        return 0
    for name in args.names:
        t0 = time.time()
        figures = evaluate_vae(name, args.n, args.seed)
        figures.update(command=cmd, evaluated=time.strftime("%Y-%m-%d"))
        print(f"== {name} ({time.time() - t0:.0f} s)")
        for k, v in figures.items():
            print(f"{k:>32}: {f'{v:.4f}' if isinstance(v, float) else v}")
        if not args.no_write:
            checkpoints.update_metrics(name, figures)
    if not args.no_write:
        print("\n" + markdown_table(args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
