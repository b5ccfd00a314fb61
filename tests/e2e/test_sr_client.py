"""The super-resolution tab launched on its own (a tiny SRResNet, 'srgan-x4' missing), through
gradio_client: every endpoint, the scores of the pixels served, the limit on the input size."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import gan_core
from conftest import free_port
from gan_core.sr import api as sr_api, metrics as sr_metrics
from gan_core.testing import fake_photos

METHODS = {method: label for method, (_, label) in gan_core.SR_METHODS.items()}  # as app.py passes them


@pytest.fixture
def sr_tab_client(tiny_sr_checkpoint):
    from gradio_client import Client

    from apps.super_resolution import create_demo
    demo = create_demo(sr_api.compare, sr_metrics.error_map, METHODS, notes=sr_api.available_methods())
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    demo.close()


def test_endpoints_through_gradio_client(sr_tab_client, tmp_path):
    from gradio_client import handle_file
    photo = fake_photos(1, 64)[0]
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    out = sr_tab_client.predict(handle_file(str(path)), "simulate", api_name="/super_resolve")
    bicubic, srresnet, srgan, original = out[:4]
    assert srgan is None
    with Image.open(bicubic) as im:
        assert im.size == (64, 64)
        expected = sr_metrics.psnr(np.asarray(im.convert("RGB")), photo)   # png: the pixels shown are measured
    table = out[8]
    assert table["data"][0][0] == "Bicubic" and float(table["data"][0][1]) == pytest.approx(expected, abs=0.01)
    assert "not trained yet" in out[6]

    heat, pair, crops, x, y = sr_tab_client.predict(16, api_name="/sr_extras")
    assert len(heat) == 2 and len(crops) == 3 and (x, y) == (32, 32)
    left, right = sr_tab_client.predict("Original", "SRResNet (MSE)", api_name="/sr_slider")
    with Image.open(left) as a, Image.open(right) as b:
        assert a.size == b.size == (64, 64)
    crops = sr_tab_client.predict(10, 10, 16, api_name="/sr_zoom")
    assert len(crops) == 3
    # the click listener needs the browser's click position: it is reachable but not documented
    assert "/sr_click" not in sr_tab_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    with pytest.raises(Exception, match="at most"):
        big = tmp_path / "big.png"
        Image.new("RGB", (700, 600)).save(big)
        sr_tab_client.predict(handle_file(str(big)), "upscale", api_name="/super_resolve")
