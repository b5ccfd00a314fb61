"""How long a super-resolution takes for a person in a browser: from the click to four panels drawn.

    python -m benchmarks.browser_latency                 # starts the app, 15 timed runs after 3 warm-ups
    python -m benchmarks.browser_latency --runs 30 --json runs/browser-sr.json
    python -m benchmarks.browser_latency --url http://host:7860/
    python -m benchmarks.browser_latency --tabs "Super-resolution"   # the suite serving this one tab
    python -m benchmarks.browser_latency --bare panels   # four panels and no work: Gradio's own cost
    python -m benchmarks.browser_latency --bare page     # ... with the captions, table and choosers too

``benchmarks/load.py`` times the same endpoint through ``gradio_client``, whose round trip has a
floor of its own: it polls its event queue every 50 ms and downloads the answer's pictures one after
the other, each on a new connection. A page does neither: it keeps one event stream open and fetches
the four panels at once. So this script drives Debian's chromium (as the browser tests do) through the
tab itself: each run uploads a 128-px photo never sent before (a different crop of scikit-image's
photos, so that no panel can come from the browser's cache), waits until its preview is shown, then
clicks "Super-resolve ×4" and measures, inside the page, the time until all four panels show the new
pictures, decoded (``img.complete`` with a new ``src``). It also reads the server's CPU seconds
per run when it started the server itself (the page's follow-up event, the heat maps, zoom and slider,
included), and splits each run with the page's resource timings: click to the request, the request
to the end of its event stream (queue and server), the end of the stream to the first panel's
request (the page's own work on the answer), and the panels' downloads.
"""
from __future__ import annotations

import argparse
import json
import os
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


RESOURCES = "performance.getEntriesByType('resource').map(e => [e.name, e.startTime, e.responseEnd])"


def split(entries: list, panels: list[str], t_click: float) -> dict | None:
    """One run's resource timings -> ms from the click to the request, to the end of the event stream,
    to the first panel's request, and to the last panel's arrival (None if an entry is missing)."""
    join = [e for e in entries if "/queue/join" in e[0]]
    stream = [e for e in entries if "/queue/data" in e[0]]
    imgs = [e for e in entries if e[0] in panels]
    if not (join and stream and len(imgs) == len(panels)):
        return None
    request, stream_end = join[0][1], stream[0][2]
    first_img, last_img = min(e[1] for e in imgs), max(e[2] for e in imgs)
    return {"click_to_request": request - t_click, "request_to_stream_end": stream_end - request,
            "stream_end_to_panel_requests": first_img - stream_end, "panel_downloads": last_img - first_img}


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


def bare_app(shape: str = "panels"):
    """A Gradio page shaped like the tab's first answer, with no work in the handler: an upload, the
    button, and four 128 x 128 panels with the tab's element ids (a tab "Super-resolution" holds them),
    each a cheap function of the upload so that every run shows new pictures. ``shape="page"`` also
    answers what the tab's first event answers besides the panels: four captions, the metrics table
    and the two panel choosers."""
    import gradio as gr
    import numpy as np

    def answer(image):
        x = np.asarray(image, dtype=np.uint8)[:128, :128]
        panels = [np.roll(x, k, axis=1) for k in range(len(PANELS))]
        if shape == "panels":
            return panels
        captions = [f"**{k}**: {float(x.mean()):.2f} dB / 0.9000 · sharpness 1.00" for k in PANELS]
        table = [[k, round(float(x.mean()), 2), 0.9, 1.0] for k in PANELS]
        return (*panels, *captions, table, gr.Dropdown(choices=list(PANELS), value=PANELS[0]),
                gr.Dropdown(choices=list(PANELS), value=PANELS[-1]))

    with gr.Blocks() as demo:
        with gr.Tab("Super-resolution"):
            image = gr.Image(type="numpy", elem_id="sr-input", label="Photo")
            button = gr.Button("Super-resolve ×4")
            outs = [gr.Image(type="numpy", format="png", elem_id=f"sr-panel-{k}", interactive=False) for k in PANELS]
            if shape == "page":
                outs += [gr.Markdown() for _ in PANELS]
                outs.append(gr.Dataframe(headers=["method", "PSNR", "SSIM", "sharpness"], interactive=False))
                outs += [gr.Dropdown(list(PANELS), value=PANELS[0]), gr.Dropdown(list(PANELS), value=PANELS[-1])]
        button.click(answer, image, outs)
    return demo


def measure(url: str, runs: int, warmup: int, proc=None) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from browser import open_page, open_tab

    from benchmarks.load import proc_cpu_seconds
    files = photos(runs + warmup, REPO / "data_cache" / "load_inputs" / "browser")
    seconds, cpu, parts = [], [], []
    with open_page(url) as page:
        page.wait_for_selector("#sr-input, [role=tab]")  # the page has rendered its first tab
        if page.get_by_role("tab", name="Super-resolution").count():  # the suite (a tab run alone has none)
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
            page.evaluate("performance.clearResourceTimings()")
            t_click = page.evaluate("performance.now()")
            answer = page.evaluate(CLICK_AND_WAIT, previous)
            previous = answer["srcs"]
            if i >= warmup:
                seconds.append(answer["ms"] / 1000)
                parts.append(split(page.evaluate(RESOURCES), answer["srcs"], t_click))
                if proc:
                    time.sleep(0.3)  # let the queue's bookkeeping after the answer finish
                    cpu.append(proc_cpu_seconds(proc.pid) - c0)
    t = sorted(seconds)
    out = {"runs": len(t), "p50_s": round(statistics.median(t), 3),
           "p95_s": round(t[min(len(t) - 1, int(0.95 * len(t)))], 3), "min_s": round(t[0], 3),
           "max_s": round(t[-1], 3), "seconds": [round(s, 3) for s in seconds]}
    if cpu:
        out["server_cpu_ms_per_run"] = round(1000 * statistics.median(cpu), 1)
    parts = [p for p in parts if p]
    if parts:
        out["median_split_ms"] = {k: round(statistics.median(p[k] for p in parts)) for k in parts[0]}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--url", default=None, help="an app already running (default: start one)")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="start the app.py of this checkout")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--tabs", default=None,
                        help="serve only these tabs, in this order (GAN_SUITE_TABS), e.g. "
                             "'Super-resolution' or 'GAN training lab,Super-resolution'")
    parser.add_argument("--bare", choices=["panels", "page"],
                        help="measure a bare Gradio page instead of the suite (no model, no work): the four panels "
                             "alone, or with the captions, table and choosers of the tab's first answer")
    args = parser.parse_args(argv)
    from benchmarks.common import machine
    from benchmarks.load import free_port, start_server
    proc, demo = None, None
    url = args.url
    if args.bare:
        port = free_port()
        demo = bare_app(args.bare)
        demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True)
        url = f"http://127.0.0.1:{port}/"
    elif url is None:
        port = free_port()
        proc, _ = start_server(port, args.app_dir, {"GAN_SUITE_TABS": args.tabs} if args.tabs else None)
        url = f"http://127.0.0.1:{port}/"
    try:
        figures = measure(url, args.runs, args.warmup, proc)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        if demo is not None:
            demo.close()
    figures.update(app=f"bare Gradio page ({args.bare})" if args.bare else (args.url or str(args.app_dir)),
                   tabs=args.tabs or "all",
                   machine=machine(), load_average_after=round(os.getloadavg()[0], 2))
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
