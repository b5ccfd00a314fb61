"""What each picture of an answer costs a ``gradio_client`` call, with no work in the handler.

    python -m benchmarks.picture_cost            # median of 12 calls per row

A stand-alone Gradio app with one button whose listeners return a text and 0, 1 or 4 random
128 × 128 PNG pictures; the same 4-picture call is also timed with ``Client(download_files=False)``.
The difference between the rows is the framework's own cost per picture (encoding, caching, the
client's download), which every endpoint of the suite pays on top of its handler.
"""
from __future__ import annotations

import statistics
import time

import gradio as gr
import numpy as np
from gradio_client import Client

from benchmarks.load import free_port


def main(calls: int = 12) -> None:
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 255, (128, 128, 3), dtype=np.uint8) for _ in range(4)]
    with gr.Blocks() as demo:
        outs, text, button = [gr.Image(format="png") for _ in range(4)], gr.Markdown(), gr.Button()
        for k in (0, 1, 4):
            button.click(lambda k=k: [*pictures[:k], *[None] * (4 - k), "done"], None, [*outs, text],
                         api_name=f"pictures{k}")
        button.click(lambda: "done", None, text, api_name="text")
    port = free_port()
    demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    rows = [("text only", "text", True), ("0 pictures", "pictures0", True), ("1 picture", "pictures1", True),
            ("4 pictures", "pictures4", True), ("4 pictures, not downloaded", "pictures4", False)]
    try:
        clients = {True: Client(url, verbose=False), False: Client(url, verbose=False, download_files=False)}
        print("| answer | median ms per call |\n|---|---|")
        for label, name, download in rows:
            client = clients[download]
            client.predict(api_name=f"/{name}")  # warm-up
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                client.predict(api_name=f"/{name}")
                times.append(time.perf_counter() - t0)
            print(f"| {label} | {1000 * statistics.median(times):.0f} |", flush=True)
    finally:
        demo.close()


if __name__ == "__main__":
    main()
