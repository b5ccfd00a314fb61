"""The "Failure gallery" tab alone on a free port, wired as app.py wires it (shipped checkpoints), its
endpoints called by gradio_client: the recorded runs, the Dirac GAN, counting, a live case, the
far-from-the-data model on an upload, and a bad input answered with a message."""
from __future__ import annotations

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

import gan_core
from apps import inputs
from conftest import connect, free_port


@pytest.fixture(scope="module")
def client():
    import gradio as gr

    import app
    with gr.Blocks() as demo:
        app.mount_failure_gallery()
    inputs.harden(demo)  # as app.py serves it
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield connect(f"http://127.0.0.1:{port}/")
    demo.close()


def test_the_recorded_runs_and_the_dirac_gan(client):
    grads, d, table = client.predict(api_name="/gallery_imbalance_run")
    rows = grads["value"]["data"] if isinstance(grads, dict) and "value" in grads else grads["data"]
    assert len(rows) > 10 and "non-saturating / saturating" in table
    plot, text = client.predict(0.1, 300, api_name="/gallery_dirac")
    assert "simultaneous" in text and "circles, never converges" in text
    shares, table = client.predict(api_name="/gallery_collapse_run")
    assert "largest share of one class" in table


def test_counting_measures_the_shipped_gan_against_the_truth(client):
    hist, pic, text, shipped = client.predict(3, api_name="/gallery_counting")
    assert Image.open(pic).size[0] > 8 * 128 and "400 generated canvases" in text
    figures, _ = gan_core.failure_record(gan_core.FAILURES["counting"][0])
    assert f"| generated: count outside 1-3 | {figures['generated_impossible_count_share']:.4g} |" in shipped
    assert "| real: count outside 1-3 | 0 |" in shipped


def test_a_live_case_streams_to_its_end(client):
    grads, acc, frame, text = client.predict(1, api_name="/gallery_strong_d")
    assert "the non-saturating gradient was" in text and Image.open(frame).size[0] == 360


def test_far_from_the_data_on_an_upload_and_a_bad_one(client, tmp_path):
    digit = tmp_path / "digit.png"
    gan_core.far_examples(tmp_path)                                       # the drawn inputs, as PNG files
    Image.open(next(tmp_path.glob("vae-digit.png"))).save(digit)
    out, text = client.predict("VAE (16-D latent)", handle_file(str(digit)), api_name="/gallery_far")
    assert np.asarray(Image.open(out)).shape[:2] == (28, 28) and "on inputs like its training data" in text
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    with pytest.raises(Exception, match="picture|image|PNG"):
        client.predict("VAE (16-D latent)", handle_file(str(broken)), api_name="/gallery_far")
    with pytest.raises(Exception, match="seed must be a whole number"):
        client.predict(-5, api_name="/gallery_counting")


def test_the_other_cases_answer_with_their_measurements(client):
    frame, table = client.predict(2, api_name="/gallery_weak_d")
    assert Image.open(frame).size[0] > 100
    assert "| D too weak (lr 1e-5) |" in table and "| balanced (lr 1e-3) |" in table
    gif, coverage, text = client.predict(2, api_name="/gallery_cycling")
    assert Image.open(gif).format == "GIF" and "nearest to each of the 8 modes" in text
    rows = coverage["value"]["data"] if isinstance(coverage, dict) and "value" in coverage else coverage["data"]
    assert Image.open(gif).n_frames == 31 and len(rows) == 31 * 8
    pic, text, shipped = client.predict(2, api_name="/gallery_perspective")
    assert Image.open(pic).size[0] > 200 and "Fit error: real median" in text
    sym, pic, text = client.predict(2, api_name="/gallery_structure")
    assert "500 generated items vs 1,000 real test items" in text and Image.open(pic).size[0] > 100
    pic, text = client.predict(2, api_name="/gallery_memorisation")
    assert Image.open(pic).size[0] > 8 * 28 and "nearest of the 60,000 training items" in text
