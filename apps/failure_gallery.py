"""Tab "Failure gallery": every difficulty the lecture names, as a case a student can reproduce and measure.

Seven cases, each with what the lecture says, a button that reproduces it (live where it takes seconds,
else the shipped run and the command that regenerates it), the figure that measures it and why it
happens. Everything computed comes from ``gan_core.failures`` through the callables ``app.py`` hands
in; ``make_handlers`` returns the tab's functions as plain Python, so tests call them without a
browser. Run alone: ``python -m apps.failure_gallery``.
"""
from __future__ import annotations

import math
import tempfile
import uuid
from pathlib import Path
from typing import Callable

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import Image, ImageDraw

from . import inputs, tab
from .common import grid

MAX_SEED = 2**31 - 1
MAX_UPLOAD_PIXELS = 1_000_000   # an upload through SRResNet x4 stays within seconds
COUNTS_SHOWN = ("0", "1", "2", "3", "4", "5+")
FAR_MODELS = {"sr": "Super-resolution x4 (SRResNet)", "edges2clothing": "pix2pix: edges → clothing",
              "sneaker2boot": "CycleGAN: sneaker → ankle boot", "vae": "VAE (16-D latent)",
              "colorize": "pix2pix: colourisation"}

# case -> (the training command that regenerates its shipped artefacts, and the one that measures them)
def commands(train: str, name: str, extra: str = "") -> str:
    return (f"`python -m gan_core.train {train}{extra}` then `python -m gan_core.failures.measure {name}` "
            f"(on a GPU add `--device cuda`)")


TEXT = {
    "imbalance": """**The lecture:** the balance between generator and discriminator is delicate. If $D$ is too
strong, it rejects every sample with confidence and the minimax generator loss $\\log(1-D(G(z)))$
*saturates*: its gradient $-D(G(z))\\,\\nabla\\ell$ vanishes with $D(G(z))$, so $G$ stops learning. The
non-saturating loss $-\\log D(G(z))$ has gradient $-(1-D(G(z)))\\,\\nabla\\ell$, large exactly then. If $D$
is too weak, $D(x) \\approx D(G(z)) \\approx \\tfrac12$ everywhere: it has nothing to teach and $G$'s samples stay poor.""",
    "imbalance_why": """**Why:** $G$ learns only through $D$'s gradient. A perfect $D$ is flat (saturated) around
the samples; a useless $D$ is flat everywhere. Both curves come from the same batch through the same $D$:
only the loss differs (Goodfellow et al. 2014, Sec. 3).""",
    "instability": """**The lecture:** training is a game, not a minimisation; it need not converge. $G$ can
*collapse* onto a few modes that currently fool $D$, and $D$ and $G$ can *oscillate*: $D$ learns where the
samples are, $G$ moves them, and the pair circles instead of settling.""",
    "instability_why": """**Why:** simultaneous or alternating gradient steps on a min-max problem rotate around
the equilibrium instead of descending to it (the Dirac GAN below is the smallest example: the only
equilibrium is $(0, 0)$, simultaneous steps spiral outwards, alternating ones circle for ever); and
nothing in $G$'s loss rewards covering every mode, so moving all samples to the one $D$ likes least
to reject is a good move for $G$.""",
    "counting": """**The lecture:** GANs do not count (Goodfellow 2016: animals with the wrong number of eyes or
heads). Here the truth is known exactly: every training canvas holds 1, 2 or 3 separate shapes, and a
counter (connected components) counts any canvas exactly.""",
    "counting_why": """**Why:** $D$ judges local evidence (edges, blobs, textures) through convolutions; a canvas
with four shapes or half a shape is locally made of plausible parts, and nothing in the loss counts.""",
    "perspective": """**The lecture:** the model gets no information about 3-D shape. The training pictures are
rendered boxes seen through a pinhole camera; the check fits a box (sides, yaw, pitch, position) to each
picture: a true projection fits (error ≈ 0.03), a picture no camera could take does not.""",
    "perspective_why": """**Why:** $G$ maps noise to pixels; nothing ties three faces to one solid, so edges need
not meet at common vanishing points and shading need not agree with one light.""",
    "structure": """**The lecture:** no knowledge of the object's properties: parts right locally, wrong as a
whole. Measured on the shipped DCGAN against real test items, per class (the judge's class): left/right
symmetry, two legs on trousers, and the items the judge cannot place.""",
    "structure_why": """**Why:** a 4-layer $D$ sees the whole 32×32 item only in its last layers, with little
capacity; global constraints (symmetry, two legs, two sleeves) are learnt weakly if at all.""",
    "far": """**The lecture:** inputs that differ strongly from the training data. Each of the suite's models,
on an input like its training data and on inputs unlike it, scored the same way; upload your own.""",
    "far_why": """**Why:** a network is only fitted where the training data lives; elsewhere it still answers,
with the training domain's look (a car drawing becomes clothing, a T-shirt gets a boot's sole).""",
    "memorisation": """**Memorisation:** does the GAN copy its training items? Samples beside their nearest
training items (pixel distance), and the ratio the suite measures over 1,000 samples: the median
nearest-neighbour distance of samples over that of real test items (well below 1 would mean copying).""",
}


# --- pictures and tables ---------------------------------------------------------------------------

def labelled_grid(images: torch.Tensor, labels: list[str], nrow: int = 8, scale: int = 2,
                  colours: list[tuple] | None = None) -> Image.Image:
    """A grid of ``(N, 1, H, W)`` images in [0, 1] with one short label under each."""
    pic = grid(images, nrow=nrow, scale=scale, pad=2)
    h, w = images.shape[-2] * scale + 2, images.shape[-1] * scale + 2
    rows = math.ceil(len(labels) / nrow)
    out = Image.new("RGB", (pic.width, pic.height + rows * 12), (40, 40, 48))
    draw = ImageDraw.Draw(out)
    for i, label in enumerate(labels):
        r, c = divmod(i, nrow)
        out.paste(pic.crop((c * w, r * h, c * w + w + 2, r * h + h + 2)), (c * w, r * (h + 12)))
        colour = colours[i] if colours else (255, 230, 80)
        draw.text((c * w + 4, r * (h + 12) + h + 1), label, fill=colour)
    return out


def history_frame(history: list[dict], series: dict[str, str], log10: bool = False) -> pd.DataFrame:
    """Long-form rows (step, value, series) of a run's history for ``gr.LinePlot``."""
    rows = []
    for r in history:
        for key, label in series.items():
            if key in r and r[key] is not None:
                v = float(r[key])
                rows.append({"step": int(r["step"]), "value": math.log10(max(v, 1e-12)) if log10 else v,
                             "series": label})
    return pd.DataFrame(rows, columns=["step", "value", "series"])


def figures_table(figures: dict, keys: dict[str, str]) -> str:
    """Markdown table of the shipped figures ``keys`` (key -> label) that are present."""
    lines = ["| figure | value |", "|---|---|"]
    for key, label in keys.items():
        if key in figures:
            v = figures[key]
            lines.append(f"| {label} | {v:.4g} |" if isinstance(v, float) else f"| {label} | {v} |")
    return "\n".join(lines) if len(lines) > 2 else "*Not measured yet: run the command below.*"


def save_gif(frames: list[Image.Image], ms: int = 120) -> str:
    """Frames -> an animated GIF in the temp folder (a path Gradio serves)."""
    folder = Path(tempfile.gettempdir()) / "gan-suite-failure-gallery"
    folder.mkdir(exist_ok=True)
    path = folder / f"cycling-{uuid.uuid4().hex[:12]}.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms, loop=0)
    return str(path)


def make_handlers(*, live: Callable, dirac: Callable, samples: Callable, record: Callable, count: Callable,
                  canvases: Callable, boxes: Callable, box_fit: Callable, generate: Callable,
                  judge_probabilities: Callable, structure: Callable, least_confident: Callable,
                  class_names, nearest: Callable, far_measure: Callable, far_reference: Callable,
                  real_structure: Callable, failures: dict, impossible: float) -> dict:
    """The tab's event handlers, testable without a browser.

    ``live(case, seed=)`` yields progress dicts then the result (gan_core.failure_live);
    ``samples(name, n, seed)`` pictures from a gallery GAN; ``record(name)`` -> (figures, history);
    ``count(images)`` the counter; ``canvases(n, seed)`` / ``boxes(n, seed)`` the synthetic sets;
    ``box_fit(pictures)`` -> (fitted renderings, errors); ``generate(name, n, seed)`` Fashion-MNIST items;
    ``structure(items, probabilities)``; ``nearest(items)`` -> (training items, distances);
    ``far_measure(model, picture)``, ``far_reference(model)``; ``real_structure()`` the structure figures of
    real test items; ``failures`` the registry's FAILURES; ``impossible`` the box-fit error above which no
    box explains a picture.
    """
    names = {case: name for case, (name, _) in failures.items()}

    def _seed(seed):
        return inputs.integer(seed, "seed", 0, MAX_SEED)

    def _progress(update: dict, what: str) -> str:
        return f"{what}: iteration {update['done']} of {update['of']} …"

    # 1. imbalance
    def strong_d(seed):
        seed = _seed(seed)
        for update in live("strong_d", seed=seed):
            if "records" not in update:
                yield None, None, None, _progress(update, "D too strong")
                continue
            recs = update["records"]
            grads = pd.DataFrame(
                [{"iteration": r["iteration"], "log10_grad_norm": math.log10(max(r[k], 1e-12)), "loss": label}
                 for r in recs for k, label in (("grad_saturating", "saturating log(1 − D(G(z)))"),
                                                ("grad_nonsaturating", "non-saturating −log D(G(z))"))])
            acc = pd.DataFrame([{"iteration": r["iteration"], "value": r[k], "series": label} for r in recs
                                for k, label in (("d_accuracy", "D's accuracy"), ("d_fake", "D(G(z))"))])
            strong = [r for r in recs if r["d_accuracy"] >= 0.9]
            ratio = (np.median([r["grad_nonsaturating"] / max(r["grad_saturating"], 1e-12) for r in strong])
                     if strong else float("nan"))
            text = (f"**Seed {seed}.** D's accuracy reached ≥ 0.9 at {len(strong)} of {len(recs)} measured "
                    f"iterations; there the non-saturating gradient was **{ratio:.3g}×** the saturating one "
                    "(median), same batch, same D.")
            yield grads, acc, update["frame"], text

    def weak_d(seed):
        seed = _seed(seed)
        for update in live("weak_d", seed=seed):
            if "weak" not in update:
                yield None, _progress(update, "D too weak and its balanced twin")
                continue
            w, b = update["weak"], update["balanced"]
            rows = "\n".join(f"| {label} | {s['d_real']:.3f} | {s['d_fake']:.3f} | {s['modes']}/{s['n_modes']} | "
                             f"{100 * s['hq']:.1f} % | {s['reverse_kl']:.2f} |"
                             for label, s in (("D too weak (lr 1e-5)", w), ("balanced (lr 1e-3)", b)))
            yield update["frame"], ("| run | D(x) | D(G(z)) | modes covered | high quality | reverse KL |\n"
                                    "|---|---|---|---|---|---|\n" + rows)

    def imbalance_recorded():
        figures, history = record(names["imbalance"])
        grads = history_frame(history, {"grad_G_saturating": "saturating", "grad_G_nonsaturating": "non-saturating"},
                              log10=True)
        d = history_frame(history, {"D_accuracy": "D's accuracy", "D(x)": "D(x)", "D(G(z))": "D(G(z))"})
        table = figures_table(figures, {
            "d_accuracy_median": "D's accuracy, median over the run",
            "grad_ratio_when_d_accuracy_ge_0.9": "non-saturating / saturating ‖∇G‖ where D's accuracy ≥ 0.9 (median)",
            "grad_saturating_median": "‖∇G‖ saturating (median)", "grad_nonsaturating_median": "‖∇G‖ non-saturating (median)",
            "d_of_g_z_last": "D(G(z)) at the end"})
        return grads, d, table

    # 2. instability
    def collapse_recorded():
        figures, history = record(names["collapse"])
        shares = history_frame([r for r in history if "share_0" in r],
                               {f"share_{k}": class_names[k] for k in range(len(class_names))})
        table = figures_table(figures, {
            "max_single_class_share": "largest share of one class at a probe", "min_classes_covered":
            "fewest classes present at a probe", "dominant_class_changes": "changes of the most frequent class",
            "last_classes_covered": "classes present at the end", "last_classes_kl": "KL(classes ‖ uniform) at the end"})
        return shares, table

    def cycling(seed):
        seed = _seed(seed)
        for update in live("cycling", seed=seed):
            if "frames" not in update:
                yield None, None, _progress(update, "G chased around the ring")
                continue
            shares = pd.DataFrame([{"iteration": it, "share": s, "mode": f"mode {m}"}
                                   for it, row in zip(update["iterations"], update["shares"]) for m, s in enumerate(row)])
            held, visits = update["held"], update["visits"]
            hops = max(len(visits) - 1, 0)
            yield save_gif(update["frames"]), shares, (
                f"**Seed {seed}.** Share of 1,000 samples nearest to each of the 8 modes, every "
                f"{update['iterations'][1]} iterations. In {len(held)} of {len(update['iterations'])} frames one mode "
                f"holds more than {update['hold']:.0%} of the samples; that mode changed **{hops} "
                f"time{'' if hops == 1 else 's'}**: " + (" → ".join(f"mode {m}" for m in visits) or "none held") + ". This G is an affine map of "
                "the noise, so it can draw one blob and never eight modes; wherever the blob sits, D learns that the "
                "samples there are fake (eight times too many for one mode) and pushes them off, and G slides to "
                "another mode. The game circles instead of settling.")

    def dirac_game(lr, steps):
        lr = inputs.number(lr, "learning rate", 0.001, 1.0)
        steps = inputs.integer(steps, "steps", 10, 2000)
        r = dirac(steps=steps, lr=lr)
        df = pd.DataFrame([{"theta": th, "psi": ps, "update": mode}
                           for mode in ("simultaneous", "alternating") for th, ps in r[mode]])
        return df, (f"Start at distance {r['start_distance']:.2f} from the equilibrium (0, 0). After {steps} steps "
                    f"of size {lr:g}: simultaneous **{r['simultaneous_final_distance']:.2f}** (spirals out), "
                    f"alternating **{r['alternating_final_distance']:.2f}** (circles, never converges).")

    # 3. counting
    def counting(seed):
        seed = _seed(seed)
        fake = samples(names["counting"], 400, seed)
        real, _ = canvases(400, seed + 1)
        df_rows = []
        for label, x in (("real", real), ("generated", fake)):
            c = count(x)
            hist = np.bincount(np.minimum(c["count"], 5), minlength=6) / len(c["count"])
            df_rows += [{"objects": f"{k} ({label})", "share": float(v), "set": label} for k, v in zip(COUNTS_SHOWN, hist)]
            if label == "generated":
                verdict = c
        labels, colours = [], []
        for i in range(16):
            k, frag, merged = int(verdict["count"][i]), int(verdict["fragments"][i]), int(verdict["merged"][i])
            bad = k not in (1, 2, 3) or frag or merged
            labels.append(f"{k}" + (" frag" if frag else "") + (" merged" if merged else ""))
            colours.append((255, 90, 90) if bad else (140, 230, 140))
        pic = labelled_grid(fake[:16], labels, nrow=8, scale=2, colours=colours)
        share = float(np.mean(~np.isin(verdict["count"], (1, 2, 3))))
        text = (f"**Seed {seed}, 400 generated canvases:** {100 * share:.1f} % have a count that never occurs in the "
                f"data (0 or ≥ 4), {100 * np.mean(verdict['fragments'] > 0):.1f} % hold a fragment, "
                f"{100 * np.mean(verdict['merged'] > 0):.1f} % a merged blob. Red labels: the counter's complaints.")
        figures, _ = record(names["counting"])
        shipped = figures_table(figures, {
            "real_impossible_count_share": "real: count outside 1-3", "generated_impossible_count_share":
            "generated: count outside 1-3", "generated_fragment_share": "generated: with a fragment",
            "generated_merged_share": "generated: with a merged blob", "generated_n": "generated canvases measured"})
        return pd.DataFrame(df_rows), pic, text, shipped

    # 4. perspective
    def perspective(seed, n: int = 6):
        seed = _seed(seed)
        fake = samples(names["perspective"], n, seed)[:, 0]                     # (n, 64, 64)
        real, _ = boxes(n, seed + 1)
        real = real.float() / 255
        pictures = torch.cat([real, fake])
        fitted, err = box_fit(pictures)
        rows = torch.stack([pictures, fitted], 1).reshape(-1, 1, 64, 64)       # picture, its fit, ...
        labels = []
        for i in range(2 * n):
            labels += [f"{'real' if i < n else 'gen'} {err[i]:.2f}", "its box"]
        colours = [(255, 90, 90) if float(err[i // 2]) > impossible else (140, 230, 140) for i in range(4 * n)]
        pic = labelled_grid(rows, labels, nrow=8, scale=2, colours=colours)
        figures, _ = record(names["perspective"])
        shipped = figures_table(figures, {
            "real_fit_error_median": "real: fit error (median)", "generated_fit_error_median": "generated: fit error (median)",
            "real_impossible_share": "real: no box fits", "generated_impossible_share": "generated: no box fits",
            "impossible_threshold": "'no box fits' above this error", "generated_n": "generated pictures measured"})
        text = (f"**Seed {seed}:** {n} real pictures (first) and {n} generated ones, each beside the best box found "
                f"for it. Fit error: real median {np.median(err[:n].numpy()):.3f}, generated median "
                f"{np.median(err[n:].numpy()):.3f}; red = above {impossible} (no box explains it).")
        return pic, text, shipped

    # 5. global structure
    def global_structure(seed):
        seed = _seed(seed)
        fake = generate(names["structure"], 500, seed)
        p_fake = judge_probabilities(fake)
        f = structure(fake, p_fake)
        real = real_structure()
        df = pd.DataFrame([{"class": f"{c} ({label})", "symmetry": v, "items": label} for label, fig in (("real", real),
                           ("generated", f)) for c, v in fig.get("symmetry_median", {}).items()])
        order = least_confident(p_fake, 16)
        conf = p_fake.max(1).values
        labels = [f"{class_names[int(p_fake[i].argmax())][:7]} {float(conf[i]):.2f}" for i in order]
        pic = labelled_grid(fake[torch.as_tensor(order)], labels, nrow=8, scale=3)
        legs = lambda fig: fig.get("parts_ok_share", {}).get("Trouser", float("nan"))  # noqa: E731
        text = (f"**Seed {seed}, 500 generated items vs 1,000 real test items.** Median symmetry "
                f"{f['symmetry_overall_median']:.3f} vs {real.get('symmetry_overall_median', float('nan')):.3f}; trousers "
                f"with two legs at 80 % of their height {100 * legs(f):.0f} % vs {100 * legs(real):.0f} %; items the "
                f"judge gives less than 0.5 {100 * f['unsure_share']:.1f} % vs {100 * real.get('unsure_share', float('nan')):.1f} %. "
                "Below: the 16 generated items the judge is least sure of.")
        return df, pic, text

    # 6. far from the training data
    def far(model, upload):
        key = inputs.choice(model, "model", {label: k for k, label in FAR_MODELS.items()})
        pic = inputs.picture(upload, "picture", max_pixels=MAX_UPLOAD_PIXELS, min_side=16).image
        r = far_measure(key, pic)
        ref = far_reference(key)
        extra = f" (the judge says: {r['judge']})" if "judge" in r else ""
        return r["output"], (f"**{FAR_MODELS[key]}**: {r['unit']} = **{r['value']:.3f}** on this picture{extra}; "
                             f"on inputs like its training data: **{ref:.3f}**.")

    # 7. memorisation
    def memorisation(seed):
        seed = _seed(seed)
        fake = generate(names["structure"], 8, seed)
        near, dist = nearest(fake)
        pic = labelled_grid(torch.cat([fake, near]), [f"sample {i}" for i in range(8)] +
                            [f"d = {float(d):.2f}" for d in dist], nrow=8, scale=3)
        return pic, (f"**Seed {seed}:** top, 8 DCGAN samples; below, the nearest of the 60,000 training items to each "
                     "(d: pixel distance, to compare with a real test item's distance to its nearest training item above).")

    return {"strong_d": strong_d, "weak_d": weak_d, "imbalance_recorded": imbalance_recorded,
            "collapse_recorded": collapse_recorded, "cycling": cycling, "dirac": dirac_game, "counting": counting,
            "perspective": perspective, "global_structure": global_structure, "far": far, "memorisation": memorisation}


def create_demo(*, far_examples: dict, memorisation_metrics: dict, **fns) -> gr.Blocks:
    """Build the tab. ``fns`` are ``make_handlers``' callables; ``far_examples`` maps a model key to
    example picture paths; ``memorisation_metrics`` is the DCGAN's metrics.json (its nn_ratio)."""
    h = make_handlers(**fns)
    latex = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
    md = lambda text: gr.Markdown(text, latex_delimiters=latex)  # noqa: E731
    with tab.blocks() as demo:
        gr.Markdown("## Failure gallery\nWhat GANs get wrong, each case reproduced and measured. "
                    "Live cases train small networks for a few seconds on this server.")
        with gr.Tabs():
            with gr.Tab("1. Imbalance"):
                md(TEXT["imbalance"])
                with gr.Row():
                    seed1 = gr.Number(0, precision=0, label="seed", minimum=0, maximum=MAX_SEED)
                    go_strong = gr.Button("Reproduce: D too strong (live, 2-D)", variant="primary",
                                          elem_id="gallery-strong-d")
                    go_weak = gr.Button("Reproduce: D too weak (live, 2-D)")
                    go_rec = gr.Button("Show the recorded Fashion-MNIST run")
                status1 = gr.Markdown(elem_id="gallery-strong-d-status")
                with gr.Row():
                    grads = gr.LinePlot(x="iteration", y="log10_grad_norm", color="loss", elem_id="gallery-strong-d-grads",
                                        label="log10 of G's gradient norm, same batch, same D")
                    acc = gr.LinePlot(x="iteration", y="value", color="series", label="D's accuracy and D(G(z))")
                frame1 = gr.Image(type="pil", format="png", label="the 2-D game at the end", interactive=False,
                                  elem_id="gallery-strong-d-frame")
                weak_frame = gr.Image(type="pil", format="png", label="D too weak beside a balanced D", interactive=False)
                weak_table = gr.Markdown()
                with gr.Row():
                    rec_grads = gr.LinePlot(x="step", y="value", color="series", label="recorded: log10 ‖∇G‖")
                    rec_d = gr.LinePlot(x="step", y="value", color="series", label="recorded: D's accuracy, D(x), D(G(z))")
                rec_table = gr.Markdown()
                md("Regenerate the recorded run: " + commands("imbalance", fns["failures"]["imbalance"][0]))
                md(TEXT["imbalance_why"])
                go_strong.click(h["strong_d"], seed1, [grads, acc, frame1, status1], api_name="gallery_strong_d")
                go_weak.click(h["weak_d"], seed1, [weak_frame, weak_table], api_name="gallery_weak_d")
                go_rec.click(h["imbalance_recorded"], None, [rec_grads, rec_d, rec_table], api_name="gallery_imbalance_run")
            with gr.Tab("2. Instability"):
                md(TEXT["instability"])
                with gr.Row():
                    go_col = gr.Button("Show the recorded collapse (Fashion-MNIST)", variant="primary")
                    seed2 = gr.Number(0, precision=0, label="seed", minimum=0, maximum=MAX_SEED)
                    go_cyc = gr.Button("Reproduce: the ring, animated (live, 2-D)")
                col_plot = gr.LinePlot(x="step", y="value", color="series", label="judge's class shares of 500 fixed samples")
                col_table = gr.Markdown()
                md("Regenerate: " + commands("collapse", fns["failures"]["collapse"][0]))
                with gr.Row():
                    gif = gr.Image(type="filepath", label="G's samples (purple) on the ring (green)", interactive=False)
                    cov = gr.LinePlot(x="iteration", y="share", color="mode", label="share of samples at each mode")
                cyc_text = gr.Markdown()
                with gr.Row():
                    lr = gr.Slider(0.01, 0.5, 0.1, step=0.01, label="Dirac GAN: step size")
                    steps = gr.Slider(10, 2000, 400, step=10, label="steps")
                    go_dirac = gr.Button("Run the Dirac GAN")
                dirac_plot = gr.ScatterPlot(x="theta", y="psi", color="update", label="(θ of G, ψ of D) over the steps")
                dirac_text = gr.Markdown()
                md(TEXT["instability_why"])
                go_col.click(h["collapse_recorded"], None, [col_plot, col_table], api_name="gallery_collapse_run")
                go_cyc.click(h["cycling"], seed2, [gif, cov, cyc_text], api_name="gallery_cycling")
                go_dirac.click(h["dirac"], [lr, steps], [dirac_plot, dirac_text], api_name="gallery_dirac")
            with gr.Tab("3. Counting"):
                md(TEXT["counting"])
                with gr.Row():
                    seed3 = gr.Number(0, precision=0, label="seed", minimum=0, maximum=MAX_SEED)
                    go_count = gr.Button("Sample and count", variant="primary")
                hist = gr.BarPlot(x="objects", y="share", color="set", label="objects per canvas: real vs generated",
                                  x_label_angle=-30)
                count_pic = gr.Image(type="pil", format="png", label="generated canvases, as the counter sees them",
                                     interactive=False)
                count_text, count_shipped = gr.Markdown(), gr.Markdown()
                md("Regenerate the model and its figures: " + commands("counting", fns["failures"]["counting"][0]))
                md(TEXT["counting_why"])
                go_count.click(h["counting"], seed3, [hist, count_pic, count_text, count_shipped], api_name="gallery_counting")
            with gr.Tab("4. Perspective"):
                md(TEXT["perspective"])
                with gr.Row():
                    seed4 = gr.Number(0, precision=0, label="seed", minimum=0, maximum=MAX_SEED)
                    go_persp = gr.Button("Sample and fit boxes", variant="primary")
                persp_pic = gr.Image(type="pil", format="png", label="each picture beside the box fitted to it",
                                     interactive=False)
                persp_text, persp_shipped = gr.Markdown(), gr.Markdown()
                md("Regenerate: " + commands("perspective", fns["failures"]["perspective"][0]))
                md(TEXT["perspective_why"])
                go_persp.click(h["perspective"], seed4, [persp_pic, persp_text, persp_shipped], api_name="gallery_perspective")
            with gr.Tab("5. Global structure"):
                md(TEXT["structure"])
                with gr.Row():
                    seed5 = gr.Number(0, precision=0, label="seed", minimum=0, maximum=MAX_SEED)
                    go_struct = gr.Button("Sample and measure", variant="primary")
                sym = gr.BarPlot(x="class", y="symmetry", color="items", label="median left/right symmetry per class",
                                 x_label_angle=-45)
                struct_pic = gr.Image(type="pil", format="png", label="the judge's least sure samples", interactive=False)
                struct_text = gr.Markdown()
                md(TEXT["structure_why"])
                go_struct.click(h["global_structure"], seed5, [sym, struct_pic, struct_text], api_name="gallery_structure")
            with gr.Tab("6. Far from the data"):
                md(TEXT["far"])
                with gr.Row():
                    model = gr.Dropdown(list(FAR_MODELS.values()), value=FAR_MODELS["sr"], label="model")
                    upload = inputs.picture_input(label="input (an example below, or your own)")
                    far_out = gr.Image(type="pil", format="png", label="what the model makes of it", interactive=False)
                go_far = gr.Button("Run and measure", variant="primary")
                far_text = gr.Markdown()
                paths = [[FAR_MODELS[k], p] for k, ps in far_examples.items() for p in ps]
                if paths:
                    gr.Examples(paths, [model, upload], label="far inputs drawn by code")
                md(TEXT["far_why"])
                go_far.click(h["far"], [model, upload], [far_out, far_text], api_name="gallery_far",
                             concurrency_id="heavy")
            with gr.Tab("7. Memorisation"):
                md(TEXT["memorisation"])
                ratio = memorisation_metrics.get("nn_ratio")
                md(f"Shipped DCGAN: nearest-neighbour ratio **{ratio:.2f}** (median sample-to-training distance "
                   f"{memorisation_metrics.get('nn_dist_samples', float('nan')):.2f} vs test-to-training "
                   f"{memorisation_metrics.get('nn_dist_test', float('nan')):.2f}); measured by "
                   "`python -m gan_core.evaluate dcgan-fmnist`." if ratio is not None else
                   "*The DCGAN's memorisation ratio is not measured yet: `python -m gan_core.evaluate dcgan-fmnist`.*")
                with gr.Row():
                    seed7 = gr.Number(0, precision=0, label="seed", minimum=0, maximum=MAX_SEED)
                    go_mem = gr.Button("Samples and their nearest training items", variant="primary")
                mem_pic = gr.Image(type="pil", format="png", label="samples (top) and nearest training items", interactive=False)
                mem_text = gr.Markdown()
                go_mem.click(h["memorisation"], seed7, [mem_pic, mem_text], api_name="gallery_memorisation")
    return demo


if __name__ == "__main__":
    import app
    with gr.Blocks() as alone:
        app.mount_failure_gallery()
    inputs.harden(alone).queue().launch()
