"""The evaluation maths on cases with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_core import evaluate


def test_frechet_distance_closed_forms():
    d = 4
    eye = np.eye(d)
    mu = np.zeros(d)
    assert evaluate.frechet_distance(mu, eye, mu, eye) == pytest.approx(0.0, abs=1e-8)
    shift = np.array([1.0, 2.0, 0.0, 0.0])
    assert evaluate.frechet_distance(mu, eye, shift, eye) == pytest.approx(5.0)
    # N(0, I) vs N(0, 4I): Tr(I + 4I - 2*2I) = d
    assert evaluate.frechet_distance(mu, eye, mu, 4 * eye) == pytest.approx(float(d))


def test_fid_on_samples_grows_with_the_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 8, generator=g)
    b = torch.randn(4000, 8, generator=g)
    near, far = evaluate.fid(a, b), evaluate.fid(a, b + 1.0)
    assert near < 0.05
    assert far == pytest.approx(8.0, rel=0.05)


def test_class_coverage_uniform_and_collapsed():
    uniform = torch.eye(10).repeat(30, 1)            # every class 30 times
    collapsed = torch.eye(10)[[3] * 300]
    u, c = evaluate.class_coverage(uniform), evaluate.class_coverage(collapsed)
    assert u["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12) and u["min_class_share"] == pytest.approx(0.1)
    assert c["kl_to_uniform"] == pytest.approx(math.log(10)) and c["classes_covered"] == 1


def test_nearest_train_distance_finds_copies():
    train = torch.rand(50, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    queries = train[[7, 19]] + 0.0
    d, idx = evaluate.nearest_train_distance(queries, train)
    assert idx.tolist() == [7, 19]
    assert d.max().item() < 0.05  # vs ~11 between distinct random images
