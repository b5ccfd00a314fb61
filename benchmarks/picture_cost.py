"""What each picture of an answer costs a ``gradio_client`` call, with no work in the handler.

    python -m benchmarks.picture_cost            # median of 12 calls per row: the client's wait
    python -m benchmarks.picture_cost --server   # the server's own CPU per call (the app in its own process)

A stand-alone Gradio app with one button whose listeners return a text and 0, 1 or 4 random
128 × 128 PNG pictures; the same 4-picture call is also timed with ``Client(download_files=False)``.
The difference between the rows is the framework's own cost per picture (encoding, caching, the
client's download), which every endpoint of the suite pays on top of its handler.

``--server`` serves the same app from a child process and reads that process's CPU time (user +
system, /proc) around the calls of each row, and around the connection of new clients: what
Gradio itself costs a server per call, before any model runs (the floor under
``benchmarks/load.py``'s server CPU per call).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request

import numpy as np

from benchmarks.load import free_port, proc_cpu_seconds


def build_app():
    import gradio as gr
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 255, (128, 128, 3), dtype=np.uint8) for _ in range(4)]
    with gr.Blocks() as demo:
        outs, text, button = [gr.Image(format="png") for _ in range(4)], gr.Markdown(), gr.Button()
        for k in (0, 1, 4):
            button.click(lambda k=k: [*pictures[:k], *[None] * (4 - k), "done"], None, [*outs, text],
                         api_name=f"pictures{k}")
        button.click(lambda: "done", None, text, api_name="text")
    return demo


ROWS = [("text only", "text", True), ("0 pictures", "pictures0", True), ("1 picture", "pictures1", True),
        ("4 pictures", "pictures4", True), ("4 pictures, not downloaded", "pictures4", False)]


def client_wait(calls: int) -> None:
    from gradio_client import Client
    demo = build_app()
    port = free_port()
    demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        clients = {True: Client(url, verbose=False), False: Client(url, verbose=False, download_files=False)}
        print("| answer | median ms per call |\n|---|---|")
        for label, name, download in ROWS:
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


def server_cpu(calls: int, clients: int = 10) -> None:
    from gradio_client import Client
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.picture_cost", "--serve", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "config", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        cpu0 = proc_cpu_seconds(proc.pid)
        made = [Client(url, verbose=False) for _ in range(clients)]
        print(f"new client (config, API description, session): "
              f"{1000 * (proc_cpu_seconds(proc.pid) - cpu0) / clients:.1f} ms of server CPU each")
        print("| answer | server CPU per call (ms) |\n|---|---|")
        client = made[0]
        for label, name, _ in ROWS[:4]:  # the rows that download what they get
            client.predict(api_name=f"/{name}")  # warm-up
            cpu0 = proc_cpu_seconds(proc.pid)
            for _ in range(calls):
                client.predict(api_name=f"/{name}")
            print(f"| {label} | {1000 * (proc_cpu_seconds(proc.pid) - cpu0) / calls:.1f} |", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.picture_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--server", action="store_true", help="the server's CPU per call instead of the client's wait")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the child of --server
    args = parser.parse_args(argv)
    if args.serve:
        demo = build_app()
        demo.queue().launch(server_port=args.serve, prevent_thread_lock=True, quiet=True)
        demo.block_thread()
    elif args.server:
        server_cpu(max(args.calls, 30))
    else:
        client_wait(args.calls)


if __name__ == "__main__":
    main()
