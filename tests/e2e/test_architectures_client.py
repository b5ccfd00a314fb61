"""The "GAN architectures" tab through the running app (gradio_client): every endpoint, real
checkpoints, and the app's one-line answer to bad inputs."""
from __future__ import annotations

import pytest
from PIL import Image

from conftest import requires_checkpoint, requires_fmnist

CELL = 28 * 3 + 2
pytestmark = [requires_fmnist, requires_checkpoint("cgan-fmnist", "acgan-fmnist", "infogan-fmnist", "sgan-fmnist",
                                                   "supervised-fmnist", "fmnist-classifier")]


def _size(path: str) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_class_dial_and_matrix(client):
    picture, table = client.predict("Conditional GAN", 7, 0, 8, api_name="/arch_class_dial")
    assert _size(picture) == (8 * CELL + 2, CELL + 2) and "of 8 cells" in table and "| Sneaker | 0 |" in table
    picture, table = client.predict("AC-GAN", 0, 3, api_name="/arch_class_matrix")
    assert _size(picture) == (3 * CELL + 2, 10 * CELL + 2) and "AC-GAN's P(requested)" in table
    truncated, _ = client.predict("AC-GAN", 0, 3, 0.5, api_name="/arch_class_matrix")
    with Image.open(picture) as full, Image.open(truncated) as half:
        assert full.size == half.size and full.tobytes() != half.tobytes()


@pytest.mark.parametrize("api_name", ["/arch_traverse", "/arch_traverse_code", "/arch_traverse_cat",
                                      "/arch_traverse_c1", "/arch_traverse_c2"])
def test_infogan_traversals(client, api_name):
    picture, caption = client.predict("continuous c2", 4, 0.5, -0.5, 0, 2, api_name=api_name)
    assert _size(picture) == (9 * CELL + 2, 2 * CELL + 2) and "c2 from -2 to 2" in caption


def test_sgan_classifies_an_upload(client, tmp_path):
    from gradio_client import handle_file
    import gan_core
    from gan_core.fmnist import fashion_mnist
    from gan_core.pictures import to_pil
    items, labels = fashion_mnist(train=False)
    to_pil(items[0].float().div(255)[None]).save(tmp_path / "item.png")
    seen, p_sgan, p_base = client.predict(handle_file(str(tmp_path / "item.png")), api_name="/arch_sgan_classify")
    assert _size(seen) == (168, 168)
    for p in (p_sgan, p_base):
        assert len(p["confidences"]) == 3 and p["label"] in gan_core.FMNIST_CLASSES


def test_sgan_classifies_a_drawing(client, tmp_path):
    from gradio_client import handle_file
    import gan_core
    canvas = Image.new("RGB", (280, 280), "black")
    canvas.paste((255, 255, 255), (90, 30, 190, 250))   # a tall white block: a trouser's silhouette
    canvas.save(tmp_path / "drawn.png")
    drawing = {"background": handle_file(str(tmp_path / "drawn.png")), "layers": [],
               "composite": handle_file(str(tmp_path / "drawn.png"))}
    seen, p_sgan, p_base = client.predict(drawing, api_name="/arch_sgan_classify_drawing")
    assert _size(seen) == (168, 168)
    for p in (p_sgan, p_base):
        assert len(p["confidences"]) == 3 and p["label"] in gan_core.FMNIST_CLASSES


def test_bad_inputs_get_one_line_and_the_server_keeps_serving(client):
    with pytest.raises(Exception, match=r"(maximum value 9|between 0 and 9)"):
        client.predict("Conditional GAN", 12, 0, 8, api_name="/arch_class_dial")
    with pytest.raises(Exception, match=r"(minimum value -1|between -1 and 1)"):
        client.predict("continuous c1", 0, -3.0, 0.0, 0, 2, api_name="/arch_traverse")
    with pytest.raises(Exception, match=r"(minimum value 0.1|between 0.1 and 1)"):
        client.predict("Conditional GAN", 1, 0, 2, 0.0, api_name="/arch_class_dial")
    assert client.predict("Conditional GAN", 1, 0, 2, api_name="/arch_class_dial")[0].endswith(".png")
