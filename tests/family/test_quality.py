"""The shipped Fashion-MNIST models are as good as their model cards say.

These run the real checkpoints on the real test set (a few seconds on a CPU); sample counts are
smaller than the 10k of `python -m gan_core.evaluate`, so thresholds leave room for that.
"""
from __future__ import annotations

import pytest
import torch

import gan_core
from conftest import requires_checkpoint, requires_fmnist
from gan_core import evaluate
from gan_core.judge.api import judge_predict

pytestmark = [requires_fmnist, requires_checkpoint("fmnist-classifier")]


def test_judge_accuracy_is_at_least_92_percent():
    assert evaluate.judge_accuracy() >= 0.92


def test_judge_fid_floor_is_small_and_fid_separates_real_from_noise():
    floor = evaluate.fid_floor(n=2000)
    noise = evaluate.fid_to_test(torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    assert floor < 5.0 and noise > 50 * floor


@requires_checkpoint("dcgan-fmnist")
def test_shipped_dcgan_beats_untrained_by_a_wide_margin_and_covers_every_class():
    n = 3000
    samples = gan_core.generate("dcgan-fmnist", n, seed=123)
    fid_trained = evaluate.fid_to_test(samples)
    untrained = evaluate.untrained_twin("dcgan-fmnist")
    with torch.no_grad():
        noise_samples = untrained.decode(untrained.prior(n, torch.Generator().manual_seed(123)))
    fid_untrained = evaluate.fid_to_test(noise_samples)
    assert fid_trained < 0.1 * fid_untrained, (fid_trained, fid_untrained)
    coverage = evaluate.class_coverage(judge_predict(samples)[0])
    assert coverage["classes_covered"] == 10
    assert coverage["min_class_share"] >= 0.03, coverage["class_shares"]


@requires_checkpoint("dcgan-fmnist")
def test_shipped_dcgan_does_not_copy_its_training_set():
    samples = gan_core.generate("dcgan-fmnist", 500, seed=7)
    assert evaluate.memorisation(samples, n=500)["nn_ratio"] > 0.7
