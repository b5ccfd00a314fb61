"""Tab "Super-resolution": bicubic vs SRResNet (MSE) vs SRGAN, ×4, with PSNR/SSIM (Ledig et al. 2017, Fig. 2).

The tab receives callables only:

    compare(image, mode, progress=fn) -> result  result.outputs {method: (H, W, 3) uint8 or None},
                                                result.notes {method: why no output},
                                                result.scores {method: .psnr .ssim .sharpness},
                                                result.original (or None), result.lr, result.mode
    error_map(sr, hr) -> (H, W, 3) uint8        per-pixel |Y error| heatmap

and ``methods = {method: label}`` in panel order (bicubic first). ``app.py`` wires them to
``gan_core.compare_sr`` and ``gan_core.SR_METHODS``. Run alone: ``python -m apps.super_resolution``.
"""
from __future__ import annotations

from typing import Callable, Sequence

import gradio as gr
import numpy as np
from PIL import Image

from . import inputs, tab

MODES = [("simulate: downscale ×4 first, then compare with the original (PSNR/SSIM shown)", "simulate"),
         ("upscale as is: no ground truth, so no metrics", "upscale")]
ZOOM = 48  # side of the zoomed window, in output pixels; shown 4x larger
MAX_UPLOAD_PIXELS = 2048 * 2048  # simulate mode shrinks x4 first; the networks then see at most 512 x 512
STATE_TTL_S = 900                # seconds a session's panels are kept after its last run
NO_RESULT = f"Super-resolve an image first (a result is kept for {STATE_TTL_S // 60} minutes after the run)."

EXPLANATION = r"""
**Single-image super-resolution** recovers a high-resolution (HR) image from a low-resolution (LR)
one, here ×4: every LR pixel becomes 16. Many HR images downscale to the same LR image, so the
problem is ill-posed, and *which* answer a network gives depends on its loss:

* **Bicubic** interpolation: smooth, no learning.
* **SRResNet** (16 residual blocks, 1.55 M parameters) trained to minimise the **MSE**. MSE is
  minimised by the *average* of all plausible HR images: the best PSNR, but blurry textures.
* **SRGAN**: the same network fine-tuned with a content loss plus $10^{-3}\times$ an **adversarial
  loss** from a discriminator trained to tell its outputs from real photos. The average of the
  plausible images is not itself plausible, so the discriminator pushes the output onto the
  manifold of sharp natural images: it *invents* high frequencies. PSNR drops, sharpness rises.

That is the **perception–distortion trade-off** (Blau & Michaeli 2018). PSNR and SSIM are computed
as in the paper: on the luminance Y (ITU-R BT.601), 4 border pixels shaved. *Sharpness* is the
high-frequency (Laplacian) energy of an output relative to the original's: 1 means as much fine
detail as the original (not necessarily the *right* detail — look at the error maps).
"""


def _caption(label: str, method: str, result) -> str:
    if result.outputs.get(method) is None:
        return f"**{label}**: not trained yet; the note at the top says how to train it."
    s = result.scores.get(method)
    if s is None:
        return f"**{label}**: no ground truth, no metrics"
    return f"**{label}**: {s.psnr:.2f} dB / {s.ssim:.4f} · sharpness {s.sharpness:.2f}"


def _table(labels: dict, result) -> list[list]:
    rows = []
    for m, label in labels.items():
        if m == "original":
            continue
        s = result.scores.get(m)
        if s is not None:
            rows.append([label, round(s.psnr, 2), round(s.ssim, 4), round(s.sharpness, 3)])
        else:
            why = "not trained yet" if result.outputs.get(m) is None else "no ground truth"
            rows.append([label, why, "", ""])
    if result.original is not None:
        rows.append([labels["original"], "∞", 1.0, 1.0])
    return rows


def panel_labels(methods: dict) -> dict:
    """``{method: label}`` -> the panels in order, the original last: ``{key: label}``."""
    return {**methods, "original": "Original"}


def _nearest(lr: np.ndarray, scale: int = 4) -> np.ndarray:
    h, w = lr.shape[:2]
    return np.asarray(Image.fromarray(lr).resize((w * scale, h * scale), Image.NEAREST))


def zoom_crops(panels: dict, x: float, y: float, size: int = ZOOM,
               labels: dict | None = None) -> list[tuple[np.ndarray, str]]:
    """The same ``size``-pixel window around (x, y) from every panel (in the order of ``panels``),
    enlarged 4x (nearest); ``labels`` names them (default: the panel keys)."""
    shown = {k: v for k, v in panels.items() if v is not None}
    if not shown:
        return []
    h, w = next(iter(shown.values())).shape[:2]
    size = max(8, min(int(size), h, w))
    x0 = int(np.clip(round(x) - size // 2, 0, w - size))
    y0 = int(np.clip(round(y) - size // 2, 0, h - size))
    out = []
    for key, img in shown.items():
        crop = img[y0:y0 + size, x0:x0 + size]
        name = (labels or {}).get(key, key)
        out.append((_nearest(crop, 4), f"{name} · x {x0}..{x0 + size}, y {y0}..{y0 + size}"))
    return out


def make_handlers(compare: Callable, error_map: Callable, methods: dict) -> dict:
    """The tab's functions, as plain Python (tested directly and through the app).

    ``methods``: ``{method: label}`` in panel order."""
    labels = panel_labels(methods)

    def run(image, mode, progress=gr.Progress()):
        # 1. check the request: the picture through the suite's loader, within this tab's limits
        if image is None:
            raise gr.Error("Upload a photo or pick one of the examples first.")
        mode = inputs.choice(mode, "Mode", [m for _, m in MODES])
        pic = inputs.picture(image, "photo", max_pixels=MAX_UPLOAD_PIXELS, min_side=16)
        rgb = np.asarray(pic.image.convert("RGB"))
        # 2. run every method (slow parts report progress)
        try:
            result = compare(rgb, mode, progress=lambda f, d: progress(f, desc=d))
        except ValueError as err:  # too large, too small, wrong pixel type: say so
            raise gr.Error(str(err)) from None
        # 3. panels, captions, table
        panels = {m: result.outputs.get(m) for m in methods}
        panels["original"] = result.original if result.original is not None else _nearest(result.lr)
        captions = [_caption(label, m, result) for m, label in methods.items()]
        captions.append(f"**{labels['original']}** ({panels['original'].shape[1]}×{panels['original'].shape[0]})"
                        if result.original is not None else
                        f"**Input** {result.lr.shape[1]}×{result.lr.shape[0]}, shown with nearest-neighbour ×4")
        captions[-1] += "".join(f"  \n*Note: {n}.*" for n in pic.notes)
        shown = [k for k in labels if panels[k] is not None]
        choices = [labels[k] for k in shown]
        left = shown[0]
        right = next(k for k in [*reversed(list(methods)), "original"] if panels[k] is not None and k != left)
        state = {"panels": panels, "known_original": result.original is not None, "pair": (left, right)}
        # the heat maps, the slider and the zoom follow in a second event (``extras``): the panels
        # and their scores reach the page without waiting for eight more pictures
        return (*[panels[k] for k in labels], *captions, _table(labels, result),
                gr.Dropdown(choices=choices, value=labels[left]), gr.Dropdown(choices=choices, value=labels[right]),
                state)

    def extras(state, size=ZOOM):
        """What the page shows below the panels, from the last result: error heat maps against the
        original (simulate mode), the two-panel slider and the zoom window at the centre."""
        if not state:
            raise gr.Error(NO_RESULT)
        panels = state["panels"]
        heatmaps = []
        if state["known_original"]:
            heatmaps = [(error_map(panels[m], panels["original"]), f"|error| of {label} (Y; white ≥ 32 levels)")
                        for m, label in methods.items() if panels[m] is not None]
        left, right = state["pair"]
        h, w = panels["original"].shape[:2]
        size = ZOOM if size is None else inputs.integer(size, "Window", 16, 128)
        return (heatmaps, (panels[left], panels[right]), zoom_crops(panels, w / 2, h / 2, size, labels),
                round(w / 2), round(h / 2))

    def slide(state, left, right):
        if not state:
            raise gr.Error(NO_RESULT)
        keys = {label: k for k, label in labels.items()}
        pair = []
        for label in (left, right):
            if label not in keys:
                raise gr.Error(f"Unknown panel {label!r}; choose one of {', '.join(keys)}.")
            img = state["panels"].get(keys[label])
            if img is None:
                raise gr.Error(f"{label} has no output (the model is not trained yet).")
            pair.append(img)
        return tuple(pair)

    def zoom(state, x, y, size):
        if not state:
            raise gr.Error(NO_RESULT)
        return zoom_crops(state["panels"], float(x or 0), float(y or 0), int(size or ZOOM), labels)

    def click(state, size, evt: gr.SelectData):
        x, y = evt.index[0], evt.index[1]
        return x, y, zoom(state, x, y, size)

    return {"run": run, "extras": extras, "slide": slide, "zoom": zoom, "click": click}


def create_demo(compare: Callable, error_map: Callable, methods: dict, *, examples: Sequence[str] = (),
                notes: dict | None = None) -> gr.Blocks:
    """``methods``: ``{method: label}`` in panel order; ``notes``: method -> message for models that are
    unavailable (shown at the top)."""
    h = make_handlers(compare, error_map, methods)
    labels = panel_labels(methods)
    with tab.blocks() as demo:
        with gr.Accordion("What is going on here? MSE vs adversarial loss", open=False):
            gr.Markdown(EXPLANATION, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        for message in (notes or {}).values():
            if message:
                gr.Markdown(f"> {message}")

        with gr.Row():
            image = inputs.picture_input(label="Photo", height=320, elem_id="sr-input")
            with gr.Column():
                mode = gr.Radio(MODES, value="simulate", label="Mode")
                go = gr.Button("Super-resolve ×4", variant="primary")
                gr.Markdown("Large inputs run in overlapping tiles; inputs above 512×512 px "
                            "(after the ×4 downscale in *simulate*) are refused.")
        if examples:
            gr.Examples([[p] for p in examples], inputs=[image], label="Examples (scikit-image's photos)")

        with gr.Row(equal_height=True):
            panel_imgs, panel_caps = [], []
            for key, label in labels.items():
                with gr.Column(min_width=180):
                    panel_imgs.append(gr.Image(label=label, type="numpy", format="png", interactive=False,
                                               elem_id=f"sr-panel-{key}"))
                    panel_caps.append(gr.Markdown())
        table = gr.Dataframe(headers=["method", "PSNR (dB, Y)", "SSIM (Y)", "sharpness (HF energy / original)"],
                             label="Metrics (paper's protocol)", interactive=False)

        gr.Markdown("### Compare any two panels")
        with gr.Row():
            choices = list(labels.values())
            left = gr.Dropdown(choices, value=choices[0], label="Left")
            right = gr.Dropdown(choices, value=choices[-2], label="Right")
        slider = gr.ImageSlider(label="Drag to compare", type="numpy", format="png")

        gr.Markdown("### Zoom: click on any panel above, or type the centre")
        with gr.Row():
            zx = gr.Number(label="x", precision=0, value=0, elem_id="sr-zoom-x")
            zy = gr.Number(label="y", precision=0, value=0, elem_id="sr-zoom-y")
            zsize = gr.Slider(16, 128, value=ZOOM, step=8, label="window (output pixels)")
        zoomed = gr.Gallery(label="Same window in every panel, 4× nearest", columns=4, format="png", height=300,
                            elem_id="sr-zoomed")

        gr.Markdown("### Where the errors are (simulate mode)")
        heat = gr.Gallery(label="Per-pixel |Y error| against the original", columns=3, format="png", height=320,
                          elem_id="sr-heat")
        # the panels, kept for the heat maps, slider and zoom: up to 4 x 2048 x 2048 pixels, so they are
        # dropped STATE_TTL_S after the last run (the zoom then asks for a new run)
        state = gr.State(None, time_to_live=STATE_TTL_S)

        go.click(h["run"], [image, mode], [*panel_imgs, *panel_caps, table, left, right, state],
                 api_name="super_resolve", concurrency_id="heavy").success(
            h["extras"], [state, zsize], [heat, slider, zoomed, zx, zy], api_name="sr_extras")
        gr.on([left.change, right.change], h["slide"], [state, left, right], slider, api_name="sr_slider",
              trigger_mode="always_last")
        gr.on([zx.submit, zy.submit, zsize.release], h["zoom"], [state, zx, zy, zsize], zoomed,
              api_name="sr_zoom", trigger_mode="always_last")
        gr.on([p.select for p in panel_imgs], h["click"], [state, zsize], [zx, zy, zoomed],
              api_name="sr_click", api_visibility="undocumented")
    return demo


if __name__ == "__main__":
    import gan_core
    inputs.harden(create_demo(gan_core.compare_sr, gan_core.sr_error_map, {m: label for m, (_, label) in gan_core.SR_METHODS.items()},
                examples=gan_core.sr_examples(), notes=gan_core.sr_status())).queue().launch()
