"""Command-line builder of the judge (``python -m gan_core.train classifier``)."""
from __future__ import annotations

from .. import fmnist

def build_classifier(args, runtime):
    from .classifier import ClassifierTraining, FashionClassifier
    algo = ClassifierTraining(FashionClassifier(), runtime, lr=args.lr, total_steps=args.steps)
    return algo, fmnist.for_training(args), "Fashion-MNIST train split (60,000 items), flips and 2-px shifts"


def add_classifier_args(p):
    p.add_argument("--lr", type=float, default=2e-3)


COMMANDS = {
    "classifier": (add_classifier_args, build_classifier, 3000, 128),
}
