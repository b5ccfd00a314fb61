"""The ab-error AuC of Zhang, Isola & Efros 2016 (Table 1), raw and class-rebalanced, on synthetic
arrays whose figures are known in closed form (``gan_core.img2img.metrics``)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gan_core.img2img.metrics import (AB_N_BINS, AUC_THRESHOLDS, ab_bins, ab_error_auc, ab_error_curve, ab_prior,
                                      rebalancing_weights)

N_T = len(AUC_THRESHOLDS)  # 151 thresholds, 0..150


def ab_image(values, shape=(10, 10)) -> np.ndarray:
    """An ``(H, W, 2)`` (a, b) array of the given per-pixel values, in raster order."""
    return np.asarray(values, dtype=np.float64).reshape(*shape, 2)


def test_a_perfect_output_scores_one_raw_and_rebalanced():
    rgb = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    prior = ab_prior([np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)])
    assert ab_error_auc(rgb, rgb) == 1.0
    assert ab_error_auc(rgb, rgb, rebalancing_weights(rgb, prior)) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("d, expected", [(30, 121 / 151), (30.5, 120 / 151), (0.2, 150 / 151), (150, 1 / 151),
                                         (151, 0.0)])
def test_a_constant_ab_offset_d_scores_the_share_of_thresholds_at_or_above_d(d, expected):
    # the curve is 0 for t < d and 1 for t >= d: AuC = #{t in 0..150 : t >= d} / 151
    original = np.random.default_rng(2).integers(-60, 60, (12, 9, 2)).astype(np.float64)
    along_a = original + [d, 0.0]
    assert ab_error_auc(along_a, original) == pytest.approx(expected, abs=1e-12)
    diagonal = original + np.array([3.0, 4.0]) / 5 * d      # the same Euclidean distance, another direction
    assert ab_error_auc(diagonal, original) == pytest.approx(expected, abs=1e-12)


def test_the_curve_counts_a_distance_at_thresholds_at_or_above_it():
    original = np.zeros((1, 4, 2))
    output = ab_image([[0, 0], [3, 4], [6, 8], [200, 0]], (1, 4))       # distances 0, 5, 10, 200
    curve = ab_error_curve(output, original)
    assert curve[[0, 4, 5, 9, 10, 150]] == pytest.approx([0.25, 0.25, 0.5, 0.5, 0.75, 0.75])
    assert ab_error_auc(output, original) == pytest.approx((151 + 146 + 141 + 0) / (4 * N_T))


def test_grey_output_on_a_grey_original_is_perfect():
    grey = np.random.default_rng(3).integers(0, 256, (20, 20), dtype=np.uint8)
    original = np.repeat(grey[..., None], 3, 2)
    output = np.repeat(np.asarray(Image.fromarray(original).convert("L"))[..., None], 3, 2)  # the grey baseline
    prior = ab_prior([original])
    assert ab_error_auc(output, original) == 1.0
    assert ab_error_auc(output, original, rebalancing_weights(original, prior)) == pytest.approx(1.0, abs=1e-12)


def test_rebalancing_weighs_a_rare_colour_by_its_inverse_prior():
    # training: 99 % grey, 1 % of the colour (60, 0); test photo: 90 grey pixels and 10 of that colour
    prior = ab_prior([ab_image([[0, 0]] * 99 + [[60, 0]])])
    original = ab_image([[0, 0]] * 90 + [[60, 0]] * 10)
    w = rebalancing_weights(original, prior)
    assert w.sum() == pytest.approx(1.0)
    rare_share = (10 / 0.01) / (10 / 0.01 + 90 / 0.99)                  # = 0.9167: the rare pixels' total weight
    assert w.ravel()[90:].sum() == pytest.approx(rare_share)
    at_60 = (150 - 60 + 1) / N_T                                         # a pixel 60 off: its area under the curve

    grey_output = np.zeros_like(original)                                # right on the common, 60 off on the rare
    raw, rebal = ab_error_auc(grey_output, original), ab_error_auc(grey_output, original, w)
    assert raw == pytest.approx(0.9 + 0.1 * at_60)                       # 0.9603
    assert rebal == pytest.approx((1 - rare_share) + rare_share * at_60)  # 0.6358
    assert rebal < raw

    all_rare = np.broadcast_to([60.0, 0.0], original.shape)             # right on the rare, 60 off on the common
    raw, rebal = ab_error_auc(all_rare, original), ab_error_auc(all_rare, original, w)
    assert raw == pytest.approx(0.1 + 0.9 * at_60)
    assert rebal == pytest.approx(rare_share + (1 - rare_share) * at_60)
    assert rebal > raw


def test_the_prior_uses_a_grid_of_ten_and_unseen_bins_take_the_rarest_seen_probability():
    prior = ab_prior([ab_image([[4.9, -5.1], [0, -10], [-4, -14.9], [30, 30]], (2, 2))])
    assert prior.shape == (AB_N_BINS,) and prior.sum() == pytest.approx(1.0)
    assert prior[ab_bins(np.array([0.0, -10.0]))] == pytest.approx(0.75)  # three pixels in the bin centred on (0, -10)
    assert prior[ab_bins(np.array([30.0, 30.0]))] == pytest.approx(0.25)
    original = ab_image([[0, -10], [30, 30], [-80, 70]], (1, 3))        # the last bin was never seen
    w = rebalancing_weights(original, prior).ravel()
    assert w == pytest.approx(np.array([1 / 0.75, 4, 4]) / (1 / 0.75 + 8))


def test_weights_of_the_wrong_size_are_refused():
    with pytest.raises(ValueError, match="weights"):
        ab_error_auc(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), np.ones(3))
