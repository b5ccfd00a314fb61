"""The super-resolution tab's functions, called directly on a tiny SRResNet ('srgan-x4' missing)."""
from __future__ import annotations

import gradio as gr
import numpy as np
import pytest

import gan_core
from apps.super_resolution import make_handlers
from gan_core.sr import api as sr_api, metrics as sr_metrics
from gan_core.testing import fake_photos

METHODS = {method: label for method, (_, label) in gan_core.SR_METHODS.items()}  # as app.py passes them


# --- the handlers ---------------------------------------------------------------------------------------

def _tab_handlers():
    return make_handlers(sr_api.compare, sr_metrics.error_map, METHODS)


def test_tab_handlers_show_scores_and_missing_models(tiny_sr_checkpoint):
    h = _tab_handlers()
    photo = fake_photos(1, 64)[0]
    out = h["run"](photo, "simulate", progress=lambda *a, **k: None)
    panels, captions, table, state = out[:4], out[4:8], out[8], out[-1]
    assert len(out) == 12  # panels, captions, table, the two slider choices, state: no other picture
    assert [p is None for p in panels] == [False, False, True, False]                 # SRGAN not trained
    bic = sr_metrics.psnr(panels[0], photo)
    assert table[0][0] == "Bicubic" and table[0][1] == round(bic, 2)
    assert f"{bic:.2f} dB" in captions[0] and "not trained yet" in captions[2]
    heat, pair, zoomed, x, y = h["extras"](state, 48)
    assert len(heat) == 2 and heat[0][0].shape == (64, 64, 3)
    assert np.array_equal(heat[0][0], sr_metrics.error_map(panels[0], photo))
    assert len(zoomed) == 3 and zoomed[0][0].shape == (4 * 48, 4 * 48, 3)
    assert pair[0] is panels[0] and pair[1] is panels[1] and (x, y) == (32, 32)

    up = h["run"](photo[:20, :24], "upscale", progress=lambda *a, **k: None)
    assert up[0].shape == (80, 96, 3) and up[8][0][1] == "no ground truth"
    assert h["extras"](up[-1])[0] == []  # no original: no heat maps
    with pytest.raises(gr.Error, match="first"):
        h["extras"](None)

    x, y, crops = h["click"](state, 16, gr.SelectData(None, {"index": [60, 2], "value": None}))
    assert (x, y) == (60, 2) and crops[-1][0].shape == (64, 64, 3)
    with pytest.raises(gr.Error, match="not trained yet"):
        h["slide"](state, "Bicubic", "SRGAN")
    with pytest.raises(gr.Error, match="at most"):
        h["run"](np.zeros((600, 600, 3), np.uint8), "upscale", progress=lambda *a, **k: None)
    with pytest.raises(gr.Error, match="Upload"):
        h["run"](None, "simulate")
