"""The VAE latent-map tab through the running app (gradio_client): encode a test item, decode its
code, interpolate, sample, and the app's own check of the model choice."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from conftest import VAES, requires_checkpoint, requires_fmnist


def _tiles(path: str, scale: int, pad: int, count: int) -> list[np.ndarray]:
    """The 28x28 items of a one-row grid picture (apps.common.grid) at their pixel centres."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("L"))
    c = scale // 2
    return [a[pad + c:pad + 28 * scale:scale, pad + k * (28 * scale + pad) + c::scale][:, :28] for k in range(count)]


@requires_fmnist
@requires_checkpoint(*VAES)
def test_encode_then_decode_through_the_app(client):
    import gan_core
    from gradio_client import handle_file
    from gan_core.fmnist import fashion_mnist
    editor = client.predict(5, api_name="/vae_load_test_item")
    picture = handle_file(editor["composite"]["path"] if isinstance(editor["composite"], dict) else editor["composite"])
    out = client.predict({"background": picture, "layers": [], "composite": picture, "id": None},
                         api_name="/vae_encode")
    strip, table, info, model, z1, z2 = out[:6]
    assert model == "vae2d-fmnist" and "ELBO" in table
    item = fashion_mnist(train=False)[0][5]
    mu, _ = gan_core.encode("vae2d-fmnist", item[None])
    assert [z1, z2] == pytest.approx(mu[0].tolist(), abs=1e-5)
    decoded, caption = client.predict(model, z1, z2, api_name="/vae_decode")[:2]
    assert "vae2d-fmnist" in caption
    recon_tile = _tiles(strip, 5, 2, 4)[1]                       # input | vae2d | ae2d | vae16
    with Image.open(decoded) as im:
        decoded_px = np.asarray(im.convert("L"))[3::6, 3::6]
    np.testing.assert_array_equal(decoded_px, recon_tile)       # the same μ decodes to the same item
    expected = gan_core.decode("vae2d-fmnist", mu).mul(255).round().byte()[0, 0].numpy()
    np.testing.assert_array_equal(decoded_px, expected)


@requires_fmnist
@requires_checkpoint(*VAES)
def test_other_vae_endpoints_through_the_app(client):
    strip = client.predict(0, 1, 6, False, None, api_name="/vae_interpolate")[0]
    with Image.open(strip) as im:
        assert im.size == (6 * 86 + 2, 3 * 86 + 2)
    grids = client.predict(3, 8, api_name="/vae_sample")[:3]
    assert len(grids) == 3 and all(g.endswith(".png") for g in grids)
    maps = client.predict(api_name="/vae_clear_marks")
    assert len(maps) == 4
    # Gradio's own check of the radio's choices, or ours behind it
    with pytest.raises(Exception, match="(not in the list of choices|Model must be one of)"):
        client.predict("dcgan-fmnist", 0.0, 0.0, api_name="/vae_decode")
