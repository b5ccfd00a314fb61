"""Tab "VAE latent map": Auto-Encoding Variational Bayes (Kingma & Welling 2013,
https://arxiv.org/abs/1312.6114) on Fashion-MNIST, next to the plain autoencoder it improves on.

The tab receives callables only and never builds a model; ``app.py`` wires them to the three
checkpoints of ``gan_core.VAES``: a 2-D VAE (β = 1), the same network as a plain autoencoder
(β = 0) and a 16-D VAE. Run alone: ``python -m apps.vae_tab``.

The two 2-D latent planes are drawn as pictures (``apps.latent_map``), so a click on a map
(``gr.Image.select``) decodes exactly that z.
"""
from __future__ import annotations

import hashlib
import math
import os
import threading
import zipfile
from pathlib import Path
from typing import Callable

import gradio as gr
import numpy as np
import torch
from PIL import Image

from gan_core import pictures

from . import inputs, latent_map, tab
from .inputs import canvas_value, item_from_picture
from .common import grid
from .latent_map import TAB10, MapGeometry, draw_marks, extent_for, render_codes, render_manifold

MAPPED = ("vae", "ae")                    # the two 2-D models drawn as maps
KEYS = ("vae", "ae", "vae16")             # the tab's three models: {key: (checkpoint, label)} arrives as ``models``
MAX_SEED = 2**31 - 1
Z_LIMIT = 100.0                           # |z| accepted by "decode z" (the maps span about ±20 at most)
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

EXPLANATION = r"""
A **variational autoencoder** (Kingma & Welling, 2013) is an autoencoder whose code is a
*distribution*. The encoder maps an item $x$ to $q(z\mid x) = \mathcal N(\mu, \operatorname{diag}\sigma^2)$;
training decodes a sample $z = \mu + \sigma \odot \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$
(the *reparameterisation*, which lets the gradient reach the encoder) through a Bernoulli decoder
$p(x\mid z)$, and maximises the **evidence lower bound**

$$\log p(x) \;\ge\; \text{ELBO} = \underbrace{\mathbb E_{q(z\mid x)}[\log p(x\mid z)]}_{-\,\text{reconstruction (binary cross-entropy)}} \;-\; \beta\,\underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal N(0, I)\big)}_{\text{KL}}, \qquad \beta = 1.$$

For a diagonal Gaussian the KL term has a closed form (the paper's Appendix B), and this is what the suite computes:

$$\mathrm{KL} = \tfrac12 \sum_j \big(\sigma_j^2 + \mu_j^2 - \log \sigma_j^2 - 1\big).$$

The lecture slide writes $\sum_j \big(\sigma_j^2 + \mu_j^2 - \log \sigma_j - 1\big)$. Dropping the $\tfrac12$
only doubles the weight of the KL term, but mixing $\log\sigma$ with $\sigma^2$ changes its minimum: the
slide's expression is smallest at $\sigma = 1/\sqrt2$ instead of $\sigma = 1$, where it is
$-0.153$ per dimension, a negative value no KL divergence can take. The loss table below shows both.

With $\beta = 0$ the same network is a **plain autoencoder**: nothing asks its codes to look like
$\mathcal N(0, I)$, so they spread out and leave holes, "what we may inadvertently end up with".
"""

SAMPLING_WHY = r"""
**Why the autoencoder's samples fail.** Sampling means decoding $z \sim \mathcal N(0, I)$. The VAE's
KL term pulls every $q(z\mid x)$ towards $\mathcal N(0, I)$: its codes fill the prior's circles, and the
noise in $z = \mu + \sigma \odot \varepsilon$ taught its decoder the space between codes too. The AE
($\beta = 0$) was never told about the prior. Its codes spread over whatever region and scale suited
reconstruction (about ±20 in the shipped checkpoint, against the prior's ±2), and its encoder shrank
$\sigma$ to $10^{-3}$ or less, so its decoder only ever saw the codes themselves. The prior's draws
(the black crosses on its code map) all land in a small patch near the origin, where classes meet and
between codes: faint hybrids, and classes whose codes lie far out (trousers) never appear. The 16-D
VAE has room for more detail than a 2-D code can hold, hence sharper, more varied samples.
"""


# --- the items a user brings ---------------------------------------------------------------------

# --- the tab's functions ---------------------------------------------------------------------------

def _fmt(v, spec: str = ".1f") -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def map_bases(encode: Callable, decode: Callable, names: dict, test_images: torch.Tensor,
              test_labels: torch.Tensor, cache: tuple[Path, str] | None = None) -> tuple[dict, dict, dict]:
    """The two maps before any mark: the codes μ of the test items ``{key: (N, 2)}``, each map's
    geometry, and its two base pictures ``{(key, "codes" | "manifold"): PIL}``.

    Encoding 10 000 items with both models and decoding the manifolds takes about 0.6 s of the
    suite's start-up, so with ``cache = (folder, digest of the weights)`` the result is kept in
    ``folder``, in a file named by a digest of the weights, the test items and the drawing code, and
    read from there while none of them changes.
    """
    file = None
    if cache is not None:
        h = hashlib.sha256(cache[1].encode())
        for part in (test_images.numpy().tobytes(), test_labels.numpy().tobytes(),
                     Path(__file__).read_bytes(), Path(latent_map.__file__).read_bytes(), repr(names).encode()):
            h.update(part)
        file = Path(cache[0]) / f"maps-{h.hexdigest()[:20]}.npz"
        if file.is_file():
            try:
                with np.load(file, allow_pickle=False) as f:
                    codes = {k: torch.from_numpy(f[f"codes_{k}"]) for k in MAPPED}
                    base = {(k, v): Image.fromarray(f[f"{k}_{v}"]) for k in MAPPED for v in ("codes", "manifold")}
                return codes, {k: MapGeometry(extent_for(codes[k])) for k in MAPPED}, base
            except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
                pass  # an unreadable cache file is recomputed and replaced
    # 1. the codes of the test items and the geometry of each map
    codes = {k: encode(names[k], test_images)[0] for k in MAPPED}                 # (N, 2) each
    for k in MAPPED:
        if codes[k].shape[1] != 2:
            raise ValueError(f"{names[k]} has a {codes[k].shape[1]}-D latent; the map needs 2-D")
    geoms = {k: MapGeometry(extent_for(codes[k])) for k in MAPPED}
    # 2. the two base pictures of each map
    base = {}
    for k in MAPPED:
        base[k, "codes"] = render_codes(geoms[k], codes[k], test_labels)
        base[k, "manifold"] = render_manifold(geoms[k], lambda z, k=k: decode(names[k], z))
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        np.savez(tmp, **{f"codes_{k}": codes[k].numpy() for k in MAPPED},
                 **{f"{k}_{v}": np.asarray(img) for (k, v), img in base.items()})
        os.replace(tmp, file)  # atomic: a second process starting at once reads a whole file or none
    return codes, geoms, base


def make_handlers(encode: Callable, decode: Callable, latents: Callable, elbo_terms: Callable,
                  test_images: torch.Tensor, test_labels: torch.Tensor, models: dict,
                  cache: tuple[Path, str] | None = None) -> dict:
    """The tab's functions as plain Python (tested directly and through the app).

    ``encode(name, images) -> (μ, log σ²)``, ``decode(name, z) -> images``, ``latents(name, n, seed)``,
    ``elbo_terms(name, images, samples=, seed=) -> dict of per-image tensors``; ``test_images``
    uint8 ``(N, 28, 28)`` with ``test_labels`` ``(N,)`` give the codes drawn on the maps;
    ``models``: ``{key: (checkpoint, label)}`` for the keys "vae", "ae" (the 2-D maps) and "vae16";
    ``cache``: see ``map_bases``.
    """
    names, labels = {k: models[k][0] for k in KEYS}, {k: models[k][1] for k in KEYS}
    key_of = {names[k]: k for k in KEYS}
    n_test = int(test_images.shape[0])
    codes, geoms, base = map_bases(encode, decode, names, test_images, test_labels, cache)

    def empty_marks() -> dict:
        return {k: {} for k in MAPPED}

    def maps(marks: dict, only: str | None = None) -> list:
        """The four map pictures with their marks; with ``only``, the other model's maps are not sent
        again (``gr.skip()``): they have not changed."""
        marks = marks or empty_marks()
        return [draw_marks(base[k, view], geoms[k], marks.get(k, {}), show_prior=view == "codes")
                if only in (None, k) else gr.skip()
                for k in MAPPED for view in ("codes", "manifold")]

    def _decode_one(k: str, z1: float, z2: float):
        x = decode(names[k], torch.tensor([[z1, z2]], dtype=torch.float32))  # (1, 2) -> (1, 1, 28, 28)
        return pictures.to_pil(x[0], scale=6)

    def decode_z(model, z1, z2, marks):
        k = key_of[inputs.choice(model, "Model", [names[m] for m in MAPPED])]
        z1, z2 = inputs.number(z1, "z₁", -Z_LIMIT, Z_LIMIT), inputs.number(z2, "z₂", -Z_LIMIT, Z_LIMIT)
        marks = marks or empty_marks()
        marks = {**marks, k: {**marks.get(k, {}), "click": [z1, z2]}}
        caption = f"decoded z = ({z1:.3f}, {z2:.3f}) with **{model}** ({labels[k]})"
        return (_decode_one(k, z1, z2), caption, *maps(marks, only=k), marks)

    def click(k: str):
        def on_select(marks, evt: gr.SelectData):
            px, py = evt.index
            z1, z2 = geoms[k].pixel_to_z(px, py)
            return (names[k], z1, z2, *decode_z(names[k], z1, z2, marks))
        on_select.__name__ = f"click_{k}"
        return on_select

    def load_test_item(index):
        i = inputs.integer(index, "Test item", 0, n_test - 1)
        return canvas_value(test_images[i])

    def encode_item(picture, marks):
        x = item_from_picture(picture)  # (1, 1, 28, 28)
        marks = marks or empty_marks()
        rows, recons, info = [], [x], {}
        for k in KEYS:
            t = elbo_terms(names[k], x, samples=16, seed=0)
            mu, sigma = t["mu"][0], (0.5 * t["logvar"][0]).exp()
            recons.append(decode(names[k], t["mu"]))  # decode(μ): (1, 1, 28, 28)
            info[names[k]] = {"mu": [round(v, 4) for v in mu.tolist()],
                              "sigma": [round(v, 4) for v in sigma.tolist()],
                              "reconstruction": float(t["reconstruction"][0]), "kl": float(t["kl"][0]),
                              "elbo": float(t["elbo"][0]), "kl_lecture_slide": float(t["kl_lecture_slide"][0])}
            code = (f"μ = ({mu[0]:.2f}, {mu[1]:.2f}), σ = ({sigma[0]:.3g}, {sigma[1]:.3g})"
                    if k in MAPPED else f"{mu.numel()}-D, mean σ = {float(sigma.mean()):.3g}")
            rows.append(f"| {names[k]} | {_fmt(float(t['reconstruction'][0]))} | {_fmt(float(t['kl'][0]))} "
                        f"| {_fmt(float(t['elbo'][0]))} | {_fmt(float(t['kl_lecture_slide'][0]))} | {code} |")
            if k in MAPPED:
                marks = {**marks, k: {**marks.get(k, {}), "item": {"mu": mu.tolist(), "sigma": sigma.tolist()}}}
        table = ("| model | reconstruction | KL | ELBO | KL as on the slide | code |\n|---|---|---|---|---|---|\n"
                 + "\n".join(rows) + "\n\nnats per item; the reconstruction term is averaged over 16 draws "
                 "z ~ q(z|x); the ELBO always uses β = 1, also for the AE, which was trained without the KL term.")
        strip = grid(torch.cat(recons), nrow=len(recons), scale=5)
        z1, z2 = marks["vae"]["item"]["mu"]  # the VAE's exact μ, ready for "Decode z"
        return (strip, table, info, names["vae"], z1, z2, *maps(marks), marks)

    def interpolate(index_a, index_b, steps, from_picture, picture, marks):
        b = inputs.integer(index_b, "Test item B", 0, n_test - 1)
        steps = inputs.integer(steps, "Steps", 2, 16)
        if from_picture:
            xa = item_from_picture(picture)
        else:
            xa = test_images[inputs.integer(index_a, "Test item A", 0, n_test - 1)].float().div(255).view(1, 1, 28, 28)
        xb = test_images[b].float().div(255).view(1, 1, 28, 28)
        t = torch.linspace(0, 1, steps).view(-1, 1)
        rows = []
        marks = marks or empty_marks()
        for k in KEYS:
            mu, _ = encode(names[k], torch.cat([xa, xb]))      # (2, d)
            z = (1 - t) * mu[0] + t * mu[1]                     # (steps, d): the straight line μ_A -> μ_B
            rows.append(decode(names[k], z))
            if k in MAPPED:
                marks = {**marks, k: {**marks.get(k, {}), "path": z.tolist()}}
        return (grid(torch.cat(rows), nrow=steps, scale=3), *maps(marks), marks)

    def sample(seed, count, marks):
        seed = inputs.integer(seed, "Seed", 0, MAX_SEED)
        count = inputs.integer(count, "Number of samples", 1, 64)
        out = []
        marks = marks or empty_marks()
        for k in KEYS:
            z = latents(names[k], count, seed)                  # z ~ N(0, I): (count, d)
            out.append(grid(decode(names[k], z), nrow=min(8, count), scale=3))
            if k in MAPPED:
                marks = {**marks, k: {**marks.get(k, {}), "prior": z.tolist()}}
        return (*out, *maps(marks), marks)

    def clear(_marks=None):
        marks = empty_marks()
        return (*maps(marks), marks)

    return {"maps": maps, "empty_marks": empty_marks, "decode_z": decode_z, "click": click,
            "load_test_item": load_test_item, "encode_item": encode_item, "interpolate": interpolate,
            "sample": sample, "clear": clear, "geometry": geoms, "codes": codes, "names": names,
            "labels": labels}


def _measured(metrics: dict, names: dict) -> str:
    """The checkpoints' measured figures (metrics.json) as a Markdown table."""
    cols = (("test_elbo_nats", "test ELBO", ".1f"), ("test_reconstruction_nats", "reconstruction", ".1f"),
            ("test_kl_nats", "KL", ".1f"), ("test_recon_mse", "recon. MSE", ".4f"),
            ("judge_fid", "judge FID of prior samples", ".1f"), ("kl_to_uniform", "class KL to uniform", ".3f"),
            ("knn5_accuracy", "kNN-5 accuracy of μ", ".3f"))
    rows = []
    for k in KEYS:
        m = metrics.get(names[k]) or {}
        rows.append(f"| {names[k]} | " + " | ".join(_fmt(m.get(c), f) for c, _, f in cols) + " |")
    text = ("**Measured on these checkpoints** (10,000 test items; nats per item; "
            "`python -m gan_core.evaluate_vae`):\n\n"
            "| model | " + " | ".join(h for _, h, _ in cols) + " |\n|---|" + "---|" * len(cols) + "\n"
            + "\n".join(rows))
    vae, ae = metrics.get(names["vae"]) or {}, metrics.get(names["ae"]) or {}
    paired = ae.get(f"test_reconstruction_minus_{names['vae']}_nats")
    stderr = ae.get(f"test_reconstruction_minus_{names['vae']}_stderr", float("nan"))
    if paired is not None and "judge_fid" in vae and "judge_fid" in ae:
        text += (f"\n\nThe lecture's claim, in numbers: the AE reconstructs better, by {-paired:.1f} ± "
                 f"{stderr:.1f} nats per item (a small gain: the 2-D code is the bottleneck of both), but its "
                 "prior samples are far worse: judge FID "
                 f"{ae['judge_fid']:.0f} against {vae['judge_fid']:.0f}, class KL to uniform "
                 f"{ae.get('kl_to_uniform', float('nan')):.2f} against {vae.get('kl_to_uniform', float('nan')):.2f}.")
    return text


def create_demo(encode: Callable, decode: Callable, latents: Callable, elbo_terms: Callable,
                test_images: torch.Tensor, test_labels: torch.Tensor, *, class_names=None,
                models: dict, metrics: dict | None = None, cache: tuple[Path, str] | None = None) -> gr.Blocks:
    """``models``: ``{key: (checkpoint, label)}`` (see ``make_handlers``); ``metrics``: checkpoint -> figures;
    ``cache``: where the maps' base pictures are kept between starts (see ``map_bases``)."""
    h = make_handlers(encode, decode, latents, elbo_terms, test_images, test_labels, models, cache)
    names, labels = h["names"], h["labels"]
    class_names = class_names or [str(i) for i in range(10)]
    legend = " ".join(f'<span style="color:{TAB10[i]}">●</span>&nbsp;{c}&emsp;' for i, c in enumerate(class_names))
    with tab.blocks() as demo:
        marks = gr.State(h["empty_marks"]())
        with gr.Accordion("What is going on here? The ELBO, and the KL term", open=True):
            gr.Markdown(EXPLANATION, latex_delimiters=LATEX)
            if metrics:
                gr.Markdown(_measured(metrics, names))

        gr.Markdown("### 1. The 2-D latent plane\nTop: the codes μ of the 10,000 test items, coloured by "
                    "class, with the prior's 1σ and 2σ circles. Bottom: the learned manifold, an item decoded "
                    "at the centre of each tile. **Click anywhere on a map to decode that z.**")
        gr.HTML(f"<div style='font-size:0.9em'>{legend}</div>")
        map_images, initial = {}, h["maps"](None)
        with gr.Row():
            for k in MAPPED:
                with gr.Column():
                    x0, x1, _, _ = h["geometry"][k].extent
                    for view, title in (("codes", "codes μ of the test items"), ("manifold", "learned manifold")):
                        map_images[k, view] = gr.Image(
                            initial[2 * MAPPED.index(k) + (view == "manifold")],
                            label=f"{names[k]} ({labels[k]}): {title}, z ∈ [{x0:g}, {x1:g}]²",
                            type="pil", format="png", interactive=False, elem_id=f"vae-map-{k}-{view}")
        map_outputs = [map_images[k, v] for k in MAPPED for v in ("codes", "manifold")]
        with gr.Row():
            with gr.Column(scale=1):
                z_model = gr.Radio([names[k] for k in MAPPED], value=names["vae"], label="Model")
                z1 = gr.Number(value=0.0, label="z₁", minimum=-Z_LIMIT, maximum=Z_LIMIT)
                z2 = gr.Number(value=0.0, label="z₂", minimum=-Z_LIMIT, maximum=Z_LIMIT)
                go_z = gr.Button("Decode z")
                clear = gr.Button("Clear the marks", size="sm")
            with gr.Column(scale=1):
                decoded = gr.Image(label="Decoded item", type="pil", format="png", interactive=False,
                                   elem_id="vae-decoded")
                decoded_caption = gr.Markdown()
        for k in MAPPED:
            for v in ("codes", "manifold"):
                map_images[k, v].select(h["click"](k), marks,
                                      [z_model, z1, z2, decoded, decoded_caption, *map_outputs, marks],
                                      api_name=f"vae_click_{k}_{v}", api_visibility="undocumented")
        go_z.click(h["decode_z"], [z_model, z1, z2, marks], [decoded, decoded_caption, *map_outputs, marks],
                   api_name="vae_decode")
        clear.click(h["clear"], marks, [*map_outputs, marks], api_name="vae_clear_marks")

        gr.Markdown("### 2. Encode an item\nDraw in white on the black canvas (it is the 28×28 frame, enlarged), "
                    "upload a picture (cropped to the item and scaled to fill the frame), or load a test item. "
                    "**Encode** shows its μ and its 1σ/2σ ellipse on both maps, its reconstructions decode(μ) "
                    "and the loss terms.")
        with gr.Row():
            with gr.Column(scale=1):
                editor = inputs.item_editor(canvas_value(test_images[0]), label="Your item")
                with gr.Row():
                    test_index = gr.Number(value=0, precision=0, minimum=0, maximum=len(test_images) - 1,
                                           label=f"Test item (0-{len(test_images) - 1})")
                    load = gr.Button("Load test item")
                go_enc = gr.Button("Encode", variant="primary")
            with gr.Column(scale=2):
                recon = gr.Image(label="input (as the model sees it) | reconstruction: "
                                 + " | ".join(names[k] for k in KEYS), type="pil", format="png", interactive=False)
                losses = gr.Markdown()
                codes_json = gr.JSON(label="codes and loss terms", open=False)
        load.click(h["load_test_item"], test_index, editor, api_name="vae_load_test_item")
        go_enc.click(h["encode_item"], [editor, marks],
                     [recon, losses, codes_json, z_model, z1, z2, *map_outputs, marks], api_name="vae_encode")

        gr.Markdown("### 3. Interpolate in latent space\nDecodes the straight line from μ of item A to μ of "
                    "item B (drawn on the maps). Rows: " + ", ".join(f"{names[k]}" for k in KEYS) + ".")
        with gr.Row():
            index_a = gr.Number(value=0, precision=0, label="Test item A")
            index_b = gr.Number(value=1, precision=0, label="Test item B")
            steps = gr.Slider(2, 16, value=10, step=1, label="Steps")
            from_picture = gr.Checkbox(False, label="A = your item from section 2")
            go_i = gr.Button("Interpolate", variant="primary")
        strip = gr.Image(label="From A to B; rows: " + ", ".join(labels[k] for k in KEYS), type="pil",
                         format="png", interactive=False)
        go_i.click(h["interpolate"], [index_a, index_b, steps, from_picture, editor, marks],
                   [strip, *map_outputs, marks], api_name="vae_interpolate")

        gr.Markdown("### 4. Sample from the prior z ~ N(0, I)\nThe same seed for all three models; the 2-D "
                    "draws appear as black crosses on the code maps.")
        with gr.Row():
            seed = gr.Number(value=0, precision=0, label="Seed", minimum=0, maximum=MAX_SEED)
            count = gr.Slider(1, 64, value=32, step=1, label="Number of samples")
            go_s = gr.Button("Sample", variant="primary")
        with gr.Row():
            grids = [gr.Image(label=f"{names[k]} ({labels[k]})", type="pil", format="png", interactive=False)
                     for k in KEYS]
        gr.Markdown(SAMPLING_WHY, latex_delimiters=LATEX)
        go_s.click(h["sample"], [seed, count, marks], [*grids, *map_outputs, marks], api_name="vae_sample")
    return demo


if __name__ == "__main__":
    import gan_core
    from gan_core import checkpoints
    images, labels = gan_core.fashion_mnist_for_app(train=False)
    create_demo(gan_core.encode, gan_core.decode, gan_core.latents, gan_core.elbo_terms, images, labels,
                class_names=gan_core.FMNIST_CLASSES, models=gan_core.VAES,
                metrics={n: checkpoints.read_json(n, "metrics.json") for n, _ in gan_core.VAES.values()}).launch()
