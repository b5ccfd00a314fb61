"""How long a super-resolution takes for a person in a browser: from the click to four panels drawn.

    python -m benchmarks.browser_latency                 # starts the app, 15 timed runs after 3 warm-ups
    python -m benchmarks.browser_latency --runs 30 --json runs/browser-sr.json
    python -m benchmarks.browser_latency --url http://host:7860/

``benchmarks/load.py`` times the same endpoint through ``gradio_client``, whose round trip has a
floor of its own: it polls its event queue every 50 ms and downloads the answer's pictures one after
the other, each on a new connection. A page does neither: it keeps one event stream open and fetches
the four panels at once. So this script drives Debian's chromium (as the browser tests do) through the
tab itself: each run uploads a 128-px photo never sent before (a different crop of scikit-image's
photos, so that no panel can come from the browser's cache), waits until its preview is shown, then
clicks "Super-resolve ×4" and measures, inside the page, the time until all four panels show the new
pictures, decoded (``img.complete`` with a new ``src``). It also reads the server's CPU seconds
per run when it started the server itself.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PANELS = ("bicubic", "srresnet", "srgan", "original")

# in the page: click the button, then poll (every 2 ms) until every panel shows a new, decoded picture
CLICK_AND_WAIT = """
async (previous) => {
  const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Super-resolve ×4');
  const panels = () => %s.map(k => document.querySelector(`#sr-panel-${k} img`));
  const t0 = performance.now();
  button.click();
  return await new Promise((resolve, reject) => {
    const tick = () => {
      const imgs = panels();
      if (imgs.every(i => i && i.complete && i.naturalWidth > 0 && !previous.includes(i.src))) {
        resolve({ms: performance.now() - t0, srcs: imgs.map(i => i.src)});
      } else if (performance.now() - t0 > 60000) {
        reject(new Error('no answer within 60 s'));
      } else {
        setTimeout(tick, 2);
      }
    };
    tick();
  });
}
""" % json.dumps(list(PANELS))


def photos(n: int, folder: Path) -> list[Path]:
    """``n`` different 128 x 128 crops of scikit-image's photos, written once."""
    import numpy as np
    from PIL import Image
    from skimage import data
    folder.mkdir(parents=True, exist_ok=True)
    sources = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    out = []
    for i in range(n):
        path = folder / f"crop{i:03d}.png"
        if not path.exists():
            src = sources[i % len(sources)]
            rng = np.random.default_rng(i)
            side = int(rng.integers(160, min(src.shape[:2]) + 1))
            y, x = (int(rng.integers(0, s - side + 1)) for s in src.shape[:2])
            Image.fromarray(src[y:y + side, x:x + side]).resize((128, 128), Image.BICUBIC).save(path)
        out.append(path)
    return out


def measure(url: str, runs: int, warmup: int, proc=None) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from browser import open_page, open_tab

    from benchmarks.load import proc_cpu_seconds
    files = photos(runs + warmup, REPO / "data_cache" / "load_inputs" / "browser")
    seconds, cpu = [], []
    with open_page(url) as page:
        open_tab(page, "Super-resolution")
        previous: list[str] = []
        for i, photo in enumerate(files):
            preview = page.locator("#sr-input img")
            before = preview.get_attribute("src") if preview.count() else None
            page.locator("#sr-input input[type=file]").set_input_files(str(photo))
            page.wait_for_function("(before) => { const i = document.querySelector('#sr-input img');"
                                   " return i && i.complete && i.naturalWidth > 0 && i.src !== before; }",
                                   arg=before)
            c0 = proc_cpu_seconds(proc.pid) if proc else None
            answer = page.evaluate(CLICK_AND_WAIT, previous)
            previous = answer["srcs"]
            if i >= warmup:
                seconds.append(answer["ms"] / 1000)
                if proc:
                    time.sleep(0.3)  # let the queue's bookkeeping after the answer finish
                    cpu.append(proc_cpu_seconds(proc.pid) - c0)
    t = sorted(seconds)
    out = {"runs": len(t), "p50_s": round(statistics.median(t), 3),
           "p95_s": round(t[min(len(t) - 1, int(0.95 * len(t)))], 3), "min_s": round(t[0], 3),
           "max_s": round(t[-1], 3), "seconds": [round(s, 3) for s in seconds]}
    if cpu:
        out["server_cpu_ms_per_run"] = round(1000 * statistics.median(cpu), 1)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--url", default=None, help="an app already running (default: start one)")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="start the app.py of this checkout")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    from benchmarks.common import machine
    from benchmarks.load import free_port, start_server
    proc = None
    url = args.url
    if url is None:
        proc, _ = start_server(free_port(), args.app_dir)
        url = proc.args and f"http://127.0.0.1:{proc.args[-1]}/"
    try:
        figures = measure(url, args.runs, args.warmup, proc)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    import os
    figures.update(machine=machine(), load_average_after=round(os.getloadavg()[0], 2))
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
