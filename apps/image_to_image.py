"""Tab "Image-to-image": pix2pix (paired) and CycleGAN (unpaired) translation.

The tab receives callables only: ``translate(task, image, variant)``, ``task_input(task, image)``,
``prepare_input(task, image)`` (the picture the model actually sees), ``prepare_target(task, image)``
(a real target as the task represents it), optionally
``judge(*items) -> [(class, probability), ...]`` (one pass for several pictures), ``edge_density(edge_map)`` and
``color_scores(output, original)``; ``app.py`` wires them to ``gan_core``'s image-to-image API.
The tasks and their labels arrive as ``tasks = {task: (kind, label)}``, kind "pix2pix", "cyclegan" or
"pix2pix-paper" (the paper's data sets, 256x256, trained by whoever has the data: their section
appears only when one of them is among ``tasks``).
Run alone: ``python -m apps.image_to_image``.
"""
from __future__ import annotations

from typing import Callable

import gradio as gr
import numpy as np
from PIL import Image

from . import inputs, tab

UPLOAD_IS = ("the target (a real item or colour photo): derive the input", "the input itself (an edge map)")
PAPER = "pix2pix-paper"  # the kind of the tasks of the paper's data sets
DRAWING = "pix2pix-drawing"  # the kind of drawing -> photo (BSDS500 boundary maps -> photos)
PAPER_UPLOAD_IS = ("the input itself (a label map, an aerial photo, a day scene)",
                   "an A|B file of the data set: translate its input half, compare with the other")
ZOOM = 8                # 32x32 Fashion-MNIST images are shown 256x256, pixels kept sharp
MAX_SIDE = 512          # colourisation: larger uploads are shrunk first (CPU time)
MAX_PIXELS = {"photo": 4_000_000, "item": 1_000_000}   # uploads refused above these (pixels)
MIN_SIDE = {"photo": 32, "item": 8}                    # ... and below these (pixels on the shorter side)
EDGE_DENSITY = (0.05, 0.25)  # share of edge pixels in the training edge maps (mean ~0.12)

EXPLANATION = r"""
**pix2pix** (Isola et al., 2017) learns a mapping from an input image $A$ to an output image $B$
from *pairs* $(A, B)$. The generator $G$ is a U-Net: an encoder-decoder whose skip connections carry
the input's layout (edge positions, the grey levels of a photo) straight to the output. The
discriminator is a *conditional PatchGAN*: it sees the pair $(A, B)$ and judges every small patch as
real or fake. The objective is

$$G^* = \arg\min_G \max_D \; \mathcal L_{cGAN}(G, D) + \lambda\, \mathbb E\,\lVert B - G(A) \rVert_1, \quad \lambda = 100.$$

**The ablation.** With the L1 term alone, $G$ predicts the *median* of all outputs that fit the
input: safe, but blurry and greyish (a sandal could be any colour, so it comes out beige).
The adversarial term punishes outputs that do not *look* real, and the result gets sharp edges and
committed colours. The tab shows both models side by side: the same network and data, with and without $D$.
The colouriser weighs L1 by $\lambda = 400$: with the paper's 100 its colours came out more vivid than
the photos' and wrong often enough to score below the plain grey image per pixel (BENCHMARKS.md).

**CycleGAN** (Zhu et al., 2017) needs no pairs: two generators $G_{AB}, G_{BA}$ and two discriminators,
plus the cycle-consistency loss $\lVert G_{BA}(G_{AB}(a)) - a \rVert_1$ that makes the translation keep
the content of *this* item.

**The paper's data sets.** Labels → facade, labels → street scene, aerial photo → map and day → night
are the paper's own tasks, at 256×256 with its settings (batch 1, Adam 2·10⁻⁴, λ = 100, 200 epochs;
day → night 17 epochs at batch 4). Their data cannot be shipped here: each appears in this tab once
someone who has the data trained it (`python -m gan_core.train pix2pix-facades --data DIR`, README).
As in the paper, the generator normalises each picture with its own statistics at inference.
"""

SKETCH_EXPLANATION = """
Both models learned from **200 photos** (BSDS500's training split: landscapes, animals, people,
buildings) and the outlines that people drew on them, 400 squares at 256×256, for about 25 passes over
the data on a CPU (the paper trains its tasks for 200). That teaches the *layout* of a scene: sky above
the horizon line, ground below, a textured region inside a closed outline, shading along an edge. It
cannot teach *what* a region is: an outline of a horse and of a rock look alike, so both get the same
brownish texture. Expect plausible materials and lighting, not recognisable objects. The L1 model
paints the average colour of everything that fits; pix2pix commits to one, sharper.
"""

OOD_EXPLANATION = """
**Why do some inputs fail?** A pix2pix model is a mapping *for its training distribution*, not a
renderer. The edges → clothing model only ever saw Canny edge maps of the ten Fashion-MNIST classes,
32×32, centred, 1-pixel lines. Draw a house, a face or a thick scribble and it still paints clothing
texture between your lines (its discriminator only knows what clothing looks like), or a grey smear
where no training item had edges like yours. The colouriser saw 280 photos (80 indoor and outdoor scenes,
200 BSDS500 photos of landscapes, animals, people and buildings): skies, grass, water and walls get
plausible colours, but objects whose colour the grey levels do not tell (a red car, a green shirt) come
out in the colour that was most common for that grey level and texture.
"""


def _zoom(img: Image.Image | None) -> Image.Image | None:
    if img is None or img.width > 64:
        return img
    return img.resize((img.width * ZOOM, img.height * ZOOM), Image.NEAREST)


def _require_image(image, what: str, *, max_pixels: int, min_side: int) -> tuple[Image.Image, list[str]]:
    """An upload (path, PIL or array) through the suite's picture loader: (RGB(A) image, notes)."""
    if image is None:
        raise gr.Error(f"Upload {what} first, pick an example, or draw one.")
    pic = inputs.picture(image, what.split(" ", 1)[-1], max_pixels=max_pixels, min_side=min_side)
    return pic.image, pic.notes


def _task(value: str, choices: dict, label: str) -> str:
    if isinstance(value, str) and value in choices.values():
        return value
    return inputs.choice(value, label, choices)


def _with(loaded: list[str], notes: str) -> str:
    """The picture loader's notes (first frame of an animation, bit depth scaled...) above the tab's."""
    return "\n\n".join([*(f"*Note: {n}.*" for n in loaded), notes])


def labels_of(tasks: dict, kind: str) -> dict[str, str]:
    """``{task: (kind, label)}`` -> ``{label: task}`` for the tasks of one kind."""
    return {label: task for task, (k, label) in tasks.items() if k == kind}


def make_handlers(translate: Callable, task_input: Callable, prepare_input: Callable, prepare_target: Callable,
                  tasks: dict, judge: Callable | None = None, edge_density: Callable | None = None,
                  color_scores: Callable | None = None) -> dict:
    """The tab's functions, as plain Python (tested directly and through the app).

    ``tasks``: ``{task: (kind, label)}`` of the tasks this tab serves."""
    pix2pix_tasks, cycle_tasks = labels_of(tasks, "pix2pix"), labels_of(tasks, "cyclegan")
    paper_tasks, scene_tasks = labels_of(tasks, PAPER), labels_of(tasks, DRAWING)

    def _call(fn, *args):
        try:
            return fn(*args)
        except ValueError as err:  # bad input (empty drawing, huge photo): say so, keep serving
            raise gr.Error(str(err)) from None

    def _clothing_notes(model_input, l1_out, p2p_out, target) -> str:
        lines = []
        if judge is not None:  # one pass of the judge for every picture it names
            verdicts = judge(l1_out, p2p_out, *([] if target is None else [target]))
            (c1, p1), (c2, p2) = verdicts[:2]
            lines.append(f"The judge classifier sees: L1 only → **{c1}** ({p1:.0%}), pix2pix → **{c2}** ({p2:.0%}).")
            if target is not None:
                lines.append(f"Target: **{verdicts[2][0]}**.")
        if target is not None:
            t = np.asarray(target, dtype=np.float32) / 255
            l1 = [float(np.abs(np.asarray(o, dtype=np.float32) / 255 - t).mean()) for o in (l1_out, p2p_out)]
            lines.append(f"Mean |output − target|: L1 only {l1[0]:.3f}, pix2pix {l1[1]:.3f} "
                         "(L1 wins this number by design; look at the sharpness).")
        unusual = []
        if edge_density is not None:
            d = edge_density(model_input)
            if not EDGE_DENSITY[0] <= d <= EDGE_DENSITY[1]:
                unusual.append(f"{d:.0%} of its pixels are edges (training edge maps: "
                               f"{EDGE_DENSITY[0]:.0%}–{EDGE_DENSITY[1]:.0%})")
        if judge is not None and p2 < 0.6:
            unusual.append("the judge is unsure what the output is")
        if unusual:
            lines.append("**This input is unlike the training data**: " + "; ".join(unusual) + ". The model "
                         "only learned to turn Canny edges of clothing into clothing, so it paints clothing "
                         "texture where it can and smears elsewhere — see *Why do some inputs fail?* below.")
        return "\n\n".join(lines)

    def _color_notes(original: Image.Image, grey: Image.Image, l1_out, p2p_out) -> str:
        if color_scores is None:
            return ""
        orig = np.asarray(original.convert("RGB"))
        rows = [("grey input (baseline)", np.asarray(grey.convert("RGB"))),
                ("L1 only", np.asarray(l1_out)), ("pix2pix (L1 + cGAN)", np.asarray(p2p_out))]
        scores = [(name, color_scores(arr, orig)) for name, arr in rows]
        if scores[0][1]["colorfulness_original"] < 1.0:
            return ("The uploaded photo is already grey: there is no colour to compare with, so no PSNR/SSIM. "
                    "The outputs are the models' guesses.")
        table = ["| image | PSNR (dB) ↑ | SSIM ↑ | colourfulness | colour histogram match a / b ↑ |",
                 "|---|---|---|---|---|"]
        table += [f"| {name} | {s['psnr']:.2f} | {s['ssim']:.3f} | {s['colorfulness']:.1f} | "
                  f"{s['hist_a']:.2f} / {s['hist_b']:.2f} |" for name, s in scores]
        table.append(f"| original | ∞ | 1 | {scores[0][1]['colorfulness_original']:.1f} | 1 / 1 |")
        return ("Against the original colour photo:\n\n" + "\n".join(table) +
                "\n\nPer-pixel scores (PSNR, SSIM) punish a plausible but wrong colour more than no colour, "
                "so the grey image is hard to beat on them. The histogram match (pix2pix paper, Table 5) asks "
                "whether the output has the original's kind of colours, wherever they are: that is where "
                "the cGAN's vivid colours pay off.")

    def run_pix2pix(task_label, image, upload_is=UPLOAD_IS[0]):
        task = _task(task_label, pix2pix_tasks, "Task")
        kind = "photo" if task == "colorize" else "item"
        image, loaded = _require_image(image, "an image", max_pixels=MAX_PIXELS[kind], min_side=MIN_SIDE[kind])
        inputs.choice(upload_is, "'The uploaded image is'", UPLOAD_IS)
        target = None
        if task == "colorize":
            if image.width > MAX_SIDE or image.height > MAX_SIDE:
                image = image.copy()
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
            target = _call(prepare_target, task, image)
            model_input = _call(task_input, task, target)
        elif upload_is == UPLOAD_IS[0]:
            target = _call(prepare_target, task, image)  # the item, fitted to 32x32
            model_input = _call(task_input, task, target)
        else:
            model_input = _call(prepare_input, task, image)
        l1_out = _call(translate, task, model_input, "l1")
        p2p_out = _call(translate, task, model_input, "pix2pix")
        if task == "colorize":
            notes = _color_notes(target, model_input, l1_out, p2p_out)
        else:
            notes = _clothing_notes(model_input, l1_out, p2p_out, target)
        return _zoom(model_input), _zoom(l1_out), _zoom(p2p_out), _zoom(target), _with(loaded, notes)

    def run_sketch(sketch):
        composite = sketch.get("composite") if isinstance(sketch, dict) else sketch
        image, _ = _require_image(composite, "a drawing", max_pixels=MAX_PIXELS["item"], min_side=MIN_SIDE["item"])
        model_input = _call(prepare_input, "edges2clothing", image)
        l1_out = _call(translate, "edges2clothing", model_input, "l1")
        p2p_out = _call(translate, "edges2clothing", model_input, "pix2pix")
        notes = _clothing_notes(model_input, l1_out, p2p_out, None)
        return _zoom(model_input), _zoom(l1_out), _zoom(p2p_out), None, notes

    def run_cyclegan(task_label, image):
        task = _task(task_label, cycle_tasks, "Direction")
        back = "boot2sneaker" if task == "sneaker2boot" else "sneaker2boot"
        image, loaded = _require_image(image, "an item", max_pixels=MAX_PIXELS["item"], min_side=MIN_SIDE["item"])
        item = _call(task_input, task, image)
        there = _call(translate, task, item, "cyclegan")
        home = _call(translate, back, there, "cyclegan")
        a = np.asarray(item, dtype=np.float32) / 255
        cyc = float(np.abs(np.asarray(home, dtype=np.float32) / 255 - a).mean())
        notes = [f"Cycle L1 |F(G(a)) − a| = {cyc:.3f} (mean over pixels in [0, 1])."]
        if judge is not None:
            (ca, pa), (cb, pb), (cr, pr) = judge(item, there, home)
            notes.append(f"The judge sees: input **{ca}** ({pa:.0%}) → translated **{cb}** ({pb:.0%}) → "
                         f"back **{cr}** ({pr:.0%}).")
            if ca not in ("Sneaker", "Ankle boot"):
                notes.append("**This input is neither a sneaker nor an ankle boot.** The generators only learned to "
                             "map between those two classes, so the output keeps the silhouette and borrows "
                             "textures — the cycle can still close, which shows cycle consistency alone does not "
                             "make a translation meaningful.")
        return _zoom(item), _zoom(there), _zoom(home), _with(loaded, "\n\n".join(notes))

    def run_paper(task_label, image, upload_is=PAPER_UPLOAD_IS[0]):
        task = _task(task_label, paper_tasks, "Task")
        image, loaded = _require_image(image, "an image", max_pixels=MAX_PIXELS["photo"], min_side=MIN_SIDE["photo"])
        inputs.choice(upload_is, "'The uploaded image is'", PAPER_UPLOAD_IS)
        target = None
        if upload_is == PAPER_UPLOAD_IS[1]:
            model_input = _call(task_input, task, image)     # the input half of the A|B file
            target = _call(prepare_target, task, image)      # ... and its other half
        else:
            model_input = _call(prepare_input, task, image)
        out = _call(translate, task, model_input, "pix2pix")
        notes = [f"The model saw the picture resized to {model_input.width}×{model_input.height}, as it was trained."]
        if target is not None:
            t = np.asarray(target.convert("RGB"), dtype=np.float32) / 255
            err = float(np.abs(np.asarray(out.convert("RGB"), dtype=np.float32) / 255 - t).mean())
            notes.append(f"Mean |output − target| = {err:.3f} (pixels in [0, 1]).")
            if color_scores is not None:
                sc = color_scores(np.asarray(out.convert("RGB")), np.asarray(target.convert("RGB")))
                notes.append(f"PSNR {sc['psnr']:.2f} dB, SSIM {sc['ssim']:.3f}, colour histogram match a / b "
                             f"{sc['hist_a']:.2f} / {sc['hist_b']:.2f}. Many outputs fit one input (a facade's "
                             "colours, a street's cars): a plausible output can score low on these.")
        return model_input, out, target, _with(loaded, "\n\n".join(notes))

    def run_scene(image, task_label=None):
        task = _task(task_label, scene_tasks, "Task") if task_label is not None else next(iter(scene_tasks.values()), None)
        if task is None:
            raise gr.Error("No drawing → photo model is on this server.")
        if isinstance(image, dict):  # the sketchpad's value: its composite
            image = image.get("composite")
        image, loaded = _require_image(image, "a drawing", max_pixels=MAX_PIXELS["photo"], min_side=MIN_SIDE["photo"])
        model_input = _call(prepare_input, task, image)
        l1_out = _call(translate, task, model_input, "l1")
        p2p_out = _call(translate, task, model_input, "pix2pix")
        arr = np.asarray(model_input.convert("L"), dtype=np.float32) / 255
        notes = [f"The model saw the drawing as white lines on black, {model_input.width}×{model_input.height} "
                 f"(a picture that is not square gives its central square). {float((arr > 0.2).mean()):.0%} of its "
                 "pixels are lines."]
        if (arr > 0.2).mean() > 0.3:
            notes.append("**This drawing is unlike the training maps**: people drew thin outlines that cover a few "
                         "percent of a photo, not filled areas. Thinner lines will do better.")
        return model_input, l1_out, p2p_out, _with(loaded, "\n\n".join(notes))

    return {"run_pix2pix": run_pix2pix, "run_sketch": run_sketch, "run_cyclegan": run_cyclegan,
            "run_paper": run_paper, "run_scene": run_scene}


def create_demo(translate: Callable, task_input: Callable, prepare_input: Callable, prepare_target: Callable, *,
                judge: Callable | None = None, edge_density: Callable | None = None,
                color_scores: Callable | None = None, examples: dict | None = None,
                tasks: dict, metrics: dict | None = None, scene_metrics: dict | None = None) -> gr.Blocks:
    """``tasks``: ``{task: (kind, label)}`` for the tasks whose checkpoints exist; ``examples``: task ->
    image paths; ``metrics``: checkpoint name -> its measured figures (shown in the explanation);
    ``scene_metrics``: drawing -> photo's {variant ("l1", "pix2pix"): its card's figures}."""
    h = make_handlers(translate, task_input, prepare_input, prepare_target, tasks, judge, edge_density, color_scores)
    examples = examples or {}
    pix2pix_tasks, cycle_tasks = labels_of(tasks, "pix2pix"), labels_of(tasks, "cyclegan")
    paper_tasks, scene_tasks = labels_of(tasks, PAPER), labels_of(tasks, DRAWING)
    p2p_labels, cyc_labels, paper_labels = list(pix2pix_tasks), list(cycle_tasks), list(paper_tasks)
    latex = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
    with tab.blocks() as demo:
        with gr.Accordion("What is going on here? pix2pix, its ablation, CycleGAN", open=False):
            gr.Markdown(EXPLANATION, latex_delimiters=latex)
            if metrics:
                gr.Markdown(_metrics_table(metrics))

        if p2p_labels:
            gr.Markdown("### 1. pix2pix: input → L1 only → L1 + cGAN → target")
            with gr.Row():
                with gr.Column():
                    task = gr.Radio(p2p_labels, value=p2p_labels[0], label="Task")
                    upload = inputs.picture_input(label="Upload (colourisation: any colour photo)", height=260,
                                                  elem_id="i2i-upload")
                    upload_is = gr.Radio(list(UPLOAD_IS), value=UPLOAD_IS[0], label="The uploaded image is")
                    go = gr.Button("Translate", variant="primary")
                    rows = [[label, path, UPLOAD_IS[0]] for label, key in pix2pix_tasks.items()
                            for path in examples.get(key, [])]
                    if rows:
                        gr.Examples(rows, [task, upload, upload_is], label="Examples (test items, bundled photos)")
                with gr.Column():
                    with gr.Accordion("…or draw edges (edges → clothing)", open="edges2clothing" in tasks):
                        sketch = gr.Sketchpad(type="pil", canvas_size=(280, 280), label="Draw an outline",
                                              brush=gr.Brush(default_size=6, colors=["#000000"],
                                                             color_mode="fixed"))
                        go_sketch = gr.Button("Translate drawing", variant="primary",
                                              interactive="edges2clothing" in tasks)
            with gr.Row():
                out_in = gr.Image(label="Input (what the model sees)", type="pil", format="png", elem_id="i2i-input")
                out_l1 = gr.Image(label="L1 only", type="pil", format="png", elem_id="i2i-l1")
                out_p2p = gr.Image(label="pix2pix (L1 + cGAN)", type="pil", format="png", elem_id="i2i-pix2pix")
                out_target = gr.Image(label="Target (when known)", type="pil", format="png")
            notes = gr.Markdown(elem_id="i2i-notes")
            outputs = [out_in, out_l1, out_p2p, out_target, notes]
            go.click(h["run_pix2pix"], [task, upload, upload_is], outputs, api_name="translate",
                     concurrency_id="heavy")  # colourisation of a 512-px photo takes a second
            go_sketch.click(h["run_sketch"], sketch, outputs, api_name="translate_sketch")

        if cyc_labels:
            gr.Markdown("### 2. CycleGAN, unpaired: a → G(a) → F(G(a))")
            with gr.Row():
                with gr.Column():
                    direction = gr.Radio(cyc_labels, value=cyc_labels[0], label="Direction")
                    item = inputs.picture_input(label="Upload an item", height=200)
                    go_cyc = gr.Button("Translate and back", variant="primary")
                    rows = [[label, path] for label, key in cycle_tasks.items()
                            for path in examples.get(key, [])]
                    if rows:
                        gr.Examples(rows, [direction, item], label="Examples (test items)")
                cyc_a = gr.Image(label="a (input)", type="pil", format="png")
                cyc_b = gr.Image(label="G(a) (translated)", type="pil", format="png", elem_id="i2i-cyclegan")
                cyc_rec = gr.Image(label="F(G(a)) (reconstruction)", type="pil", format="png")
            cyc_notes = gr.Markdown()
            go_cyc.click(h["run_cyclegan"], [direction, item], [cyc_a, cyc_b, cyc_rec, cyc_notes], api_name="cyclegan")

        if paper_labels:
            gr.Markdown("### 3. pix2pix on the paper's data sets (256×256, the published settings)")
            with gr.Row():
                with gr.Column():
                    paper_task = gr.Radio(paper_labels, value=paper_labels[0], label="Task")
                    paper_upload = inputs.picture_input(label="Upload the input, or an A|B file of the data set",
                                                        height=260, elem_id="i2i-paper-upload")
                    paper_is = gr.Radio(list(PAPER_UPLOAD_IS), value=PAPER_UPLOAD_IS[0], label="The uploaded image is")
                    go_paper = gr.Button("Translate", variant="primary")
                    rows = [[label, path, PAPER_UPLOAD_IS[1]] for label, key in paper_tasks.items()
                            for path in examples.get(key, [])]
                    if rows:
                        gr.Examples(rows, [paper_task, paper_upload, paper_is],
                                    label="Examples (held-out A|B files of the training folder)")
                paper_in = gr.Image(label="Input (what the model sees)", type="pil", format="png")
                paper_out = gr.Image(label="pix2pix (L1 + cGAN)", type="pil", format="png", elem_id="i2i-paper")
                paper_target = gr.Image(label="Target (A|B file)", type="pil", format="png")
            paper_notes = gr.Markdown()
            go_paper.click(h["run_paper"], [paper_task, paper_upload, paper_is],
                           [paper_in, paper_out, paper_target, paper_notes], api_name="translate_paper",
                           concurrency_id="heavy")  # a 256x256 U-Net with 64 channels: about a second on a CPU

        if scene_tasks:
            gr.Markdown("### 4. Drawing → photo: natural scenes from people's outlines (BSDS500, 256×256)")
            gr.Markdown(SKETCH_EXPLANATION + _scene_figures(scene_metrics or {}))
            with gr.Row():
                with gr.Column():
                    scene_upload = inputs.picture_input(label="Upload a boundary map or a line drawing", height=260,
                                                        elem_id="i2i-scene-upload")
                    go_scene = gr.Button("Translate the upload", variant="primary")
                    rows = [[path] for key in scene_tasks.values() for path in examples.get(key, [])]
                    if rows:
                        gr.Examples(rows, [scene_upload], label="Examples (BSDS500 test maps, never trained on)")
                with gr.Column():
                    scene_draw = gr.Sketchpad(type="pil", canvas_size=(320, 320), label="…or draw a scene's outlines",
                                              brush=gr.Brush(default_size=3, colors=["#000000"], color_mode="fixed"))
                    go_scene_draw = gr.Button("Translate the drawing", variant="primary")
            with gr.Row():
                scene_in = gr.Image(label="Input (what the model sees)", type="pil", format="png")
                scene_l1 = gr.Image(label="L1 only", type="pil", format="png", elem_id="i2i-scene-l1")
                scene_p2p = gr.Image(label="pix2pix (L1 + cGAN)", type="pil", format="png", elem_id="i2i-scene-pix2pix")
            scene_notes = gr.Markdown(elem_id="i2i-scene-notes")
            scene_outputs = [scene_in, scene_l1, scene_p2p, scene_notes]
            go_scene.click(h["run_scene"], scene_upload, scene_outputs, api_name="translate_scene",
                           concurrency_id="heavy")  # two 256x256 U-Nets: about a second on a CPU
            go_scene_draw.click(h["run_scene"], scene_draw, scene_outputs, api_name="translate_scene_drawing",
                                concurrency_id="heavy")

        with gr.Accordion("Why do some inputs fail?", open=False):
            gr.Markdown(OOD_EXPLANATION)
    return demo


def _scene_figures(from_card: dict) -> str:
    """The measured L1-vs-pix2pix figures of drawing -> photo on BSDS500's test split ({variant: the card's
    metrics}), when both are there."""
    from_card = {variant: from_card.get(variant, {}) for variant in ("l1", "pix2pix")}
    keys = ("sharpness_vs_target", "hist_a", "hist_b", "l1_to_target")
    if not all(all(k in m for k in keys) for m in from_card.values()):
        return ""
    l1, p2p = from_card["l1"], from_card["pix2pix"]
    return (f"\n\nMeasured on the {p2p.get('n_test', 400)} test squares (`python -m benchmarks.eval_paired sketch`): "
            f"sharpness against the photos {l1['sharpness_vs_target']:.2f} (L1) vs {p2p['sharpness_vs_target']:.2f} "
            f"(pix2pix), colour histogram match a / b {l1['hist_a']:.2f} / {l1['hist_b']:.2f} vs "
            f"{p2p['hist_a']:.2f} / {p2p['hist_b']:.2f}, mean |output − photo| {l1['l1_to_target']:.3f} vs "
            f"{p2p['l1_to_target']:.3f}.")


def _metrics_table(metrics: dict) -> str:
    lines = ["**The checkpoints, measured** (`python -m benchmarks.eval_image_to_image`):", "",
             "| checkpoint | figures |", "|---|---|"]
    for name, m in metrics.items():
        shown = {k: v for k, v in m.items() if isinstance(v, (int, float)) and not k.startswith("n_")}
        if shown:
            lines.append(f"| {name} | " + ", ".join(f"{k} {v:.3g}" for k, v in list(shown.items())[:6]) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import gan_core
    inputs.harden(create_demo(gan_core.translate, gan_core.task_input, gan_core.prepare_input, gan_core.prepare_target,
                judge=gan_core.judge_pictures, edge_density=gan_core.edge_density, color_scores=gan_core.color_scores,
                examples=gan_core.img2img_examples(),
                tasks={t: (gan_core.TASKS[t].kind, gan_core.TASKS[t].label) for t in gan_core.available_tasks()})).launch()
