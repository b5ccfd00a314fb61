"""Tab "VAE latent map": Auto-Encoding Variational Bayes (Kingma & Welling 2013,
https://arxiv.org/abs/1312.6114) on Fashion-MNIST, next to the plain autoencoder it improves on.

The tab receives callables only and never builds a model; ``app.py`` wires them to the three
checkpoints ``vae2d-fmnist`` (2-D latent, β = 1), ``ae2d-fmnist`` (the same network, β = 0) and
``vae16-fmnist`` (16-D latent). Run alone: ``python -m apps.vae_tab``.

The two 2-D latent planes are drawn as pictures (``MapGeometry`` converts between a pixel of
such a picture and z, both ways), so a click on a map (``gr.Image.select``) decodes that z.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .common import check_int, grid, to_pil

MAPPED = ("vae", "ae")                    # the two 2-D models drawn as maps
KEYS = ("vae", "ae", "vae16")
DEFAULT_NAMES = {"vae": "vae2d-fmnist", "ae": "ae2d-fmnist", "vae16": "vae16-fmnist"}
LABELS = {"vae": "VAE, 2-D, β = 1", "ae": "AE, 2-D, β = 0", "vae16": "VAE, 16-D, β = 1"}
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
MARK, PATH = "#ffd400", "#00e5ff"         # the item / click marks, the interpolation path
CANVAS = 280                              # drawing canvas: the 28x28 frame, 10x
TILES = 15                                # manifold: TILES x TILES decoded items
MAX_SEED = 2**31 - 1
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


# --- the map picture: pixel <-> z ---------------------------------------------------------------

@dataclass(frozen=True)
class MapGeometry:
    """Where the latent plane sits in a map picture.

    The plot area is ``size`` x ``size`` pixels starting at (``left``, ``top``). The centres of
    its corner pixels are the corners of ``extent`` = (z1_min, z1_max, z2_min, z2_max), z1 grows
    to the right and z2 upwards; ``size`` is odd, so the centre pixel is the extent's centre.
    """

    extent: tuple[float, float, float, float]
    size: int = 421
    left: int = 52
    top: int = 12
    right: int = 14
    bottom: int = 44

    def __post_init__(self):
        x0, x1, y0, y1 = self.extent
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"extent must be (z1_min, z1_max, z2_min, z2_max) with min < max, got {self.extent}")
        if self.size < 3 or self.size % 2 == 0:
            raise ValueError(f"size must be odd and >= 3 (a centre pixel), got {self.size}")

    @property
    def canvas(self) -> tuple[int, int]:
        return self.left + self.size + self.right, self.top + self.size + self.bottom

    def pixel_to_z(self, px: float, py: float) -> tuple[float, float]:
        """Picture pixel (x right, y down) -> z; a click in the margin counts as on the border."""
        u = min(max((px - self.left) / (self.size - 1), 0.0), 1.0)
        v = min(max((py - self.top) / (self.size - 1), 0.0), 1.0)
        x0, x1, y0, y1 = self.extent
        # a weighted mean, so that u, v in {0, 1/2, 1} give the extent's values exactly
        return x0 * (1 - u) + x1 * u, y1 * (1 - v) + y0 * v

    def z_to_pixel(self, z1: float, z2: float) -> tuple[float, float]:
        """z -> picture pixel (fractional; may lie outside the plot area)."""
        x0, x1, y0, y1 = self.extent
        return (self.left + (z1 - x0) / (x1 - x0) * (self.size - 1),
                self.top + (y1 - z2) / (y1 - y0) * (self.size - 1))

    def scale(self) -> tuple[float, float]:
        """Pixels per unit of z1 and of z2."""
        x0, x1, y0, y1 = self.extent
        return (self.size - 1) / (x1 - x0), (self.size - 1) / (y1 - y0)


def extent_for(codes: torch.Tensor, minimum: float = 3.0) -> tuple[float, float, float, float]:
    """A square extent centred on 0 holding 99.5% of ``codes`` (n, 2) and the prior's ±``minimum``."""
    r = max(minimum, float(codes.abs().flatten().quantile(0.995)) * 1.05)
    r = math.ceil(r * 2) / 2
    return (-r, r, -r, r)


def _font(size: int = 12):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    span = hi - lo
    step = next(s * 10**e for e in range(-2, 6) for s in (1, 2, 5) if span / (s * 10**e) <= most)
    first = math.ceil(lo / step - 1e-9)
    return [k * step for k in range(first, int(math.floor(hi / step + 1e-9)) + 1)]


def _frame(geom: MapGeometry, plot_bg: str) -> Image.Image:
    """White picture with the plot area filled, ticks and tick labels in the margins."""
    img = Image.new("RGB", geom.canvas, "white")
    d, font = ImageDraw.Draw(img), _font(12)
    a, b = geom.left, geom.left + geom.size - 1
    t, bt = geom.top, geom.top + geom.size - 1
    d.rectangle((a, t, b, bt), fill=plot_bg)
    x0, x1, y0, y1 = geom.extent
    for v in _ticks(x0, x1):
        px = round(geom.z_to_pixel(v, 0)[0])
        d.line((px, bt + 1, px, bt + 5), fill="black")
        d.text((px, bt + 7), f"{v:g}", fill="black", font=font, anchor="mt")
    for v in _ticks(y0, y1):
        py = round(geom.z_to_pixel(0, v)[1])
        d.line((a - 5, py, a - 1, py), fill="black")
        d.text((a - 7, py), f"{v:g}", fill="black", font=font, anchor="rm")
    d.text(((a + b) // 2, bt + 24), "z1", fill="black", font=font, anchor="mt")
    d.text((2, (t + bt) // 2), "z2", fill="black", font=font, anchor="lm")
    return img


def _prior_circles(d: ImageDraw.ImageDraw, geom: MapGeometry, colour: str) -> None:
    cx, cy = geom.z_to_pixel(0.0, 0.0)
    sx, sy = geom.scale()
    for r in (1, 2):  # 1σ and 2σ circles of the prior N(0, I)
        d.ellipse((cx - r * sx, cy - r * sy, cx + r * sx, cy + r * sy), outline=colour, width=1)


def render_codes(geom: MapGeometry, codes: torch.Tensor, labels: torch.Tensor) -> Image.Image:
    """Scatter of the codes μ ``(n, 2)`` coloured by class, with the prior's 1σ and 2σ circles."""
    img = _frame(geom, "white")
    d = ImageDraw.Draw(img)
    a, t, b = geom.left, geom.top, geom.left + geom.size - 1
    d.rectangle((a, t, b, t + geom.size - 1), outline="#999999")
    for (z1, z2), y in zip(codes.tolist(), labels.tolist()):
        px, py = geom.z_to_pixel(z1, z2)
        if a <= px <= b and t <= py <= t + geom.size - 1:
            d.ellipse((px - 1.2, py - 1.2, px + 1.2, py + 1.2), fill=TAB10[int(y) % 10])
    _prior_circles(d, geom, "#333333")
    return img


def manifold_grid(geom: MapGeometry, tiles: int = TILES) -> tuple[list[int], torch.Tensor]:
    """Pixel offsets (within the plot area) of the tile centres, and their z ``(tiles², 2)``, row-major
    from the top-left: each tile is decoded at the z of its own centre pixel."""
    if 28 * tiles > geom.size:
        raise ValueError(f"{tiles} tiles of 28 px do not fit a {geom.size} px plot area")
    pad = (geom.size - 28 * tiles) // 2
    centres = [pad + 14 + 28 * j for j in range(tiles)]
    z = [geom.pixel_to_z(geom.left + cx, geom.top + cy) for cy in centres for cx in centres]
    return centres, torch.tensor(z, dtype=torch.float32)


def render_manifold(geom: MapGeometry, decode: Callable[[torch.Tensor], torch.Tensor],
                    tiles: int = TILES) -> Image.Image:
    """The learned manifold (Kingma & Welling, Fig. 4): items decoded over a grid of the plane."""
    img = _frame(geom, "black")
    centres, z = manifold_grid(geom, tiles)
    x = decode(z)  # (tiles², 2) -> (tiles², 1, 28, 28)
    for k, (cy, cx) in enumerate((cy, cx) for cy in centres for cx in centres):
        img.paste(to_pil(x[k]).convert("RGB"), (geom.left + cx - 14, geom.top + cy - 14))
    return img


def _ring(d: ImageDraw.ImageDraw, box, colour: str, width: int = 2) -> None:
    x0, y0, x1, y1 = box
    d.ellipse((x0 - 1, y0 - 1, x1 + 1, y1 + 1), outline="black", width=width + 2)
    d.ellipse(box, outline=colour, width=width)


def draw_marks(base: Image.Image, geom: MapGeometry, marks: dict, *, show_prior: bool) -> Image.Image:
    """``base`` with this model's marks: prior samples, interpolation path, encoded item
    (μ with its 1σ and 2σ ellipses), clicked z."""
    img = base.copy()
    d = ImageDraw.Draw(img)
    sx, sy = geom.scale()
    if show_prior and marks.get("prior"):
        for z in marks["prior"]:
            px, py = geom.z_to_pixel(*z)
            d.line((px - 3, py - 3, px + 3, py + 3), fill="black", width=2)
            d.line((px - 3, py + 3, px + 3, py - 3), fill="black", width=2)
    if marks.get("path"):
        pts = [geom.z_to_pixel(*z) for z in marks["path"]]
        d.line(pts, fill="black", width=5)
        d.line(pts, fill=PATH, width=3)
        for px, py in pts:
            d.ellipse((px - 3, py - 3, px + 3, py + 3), fill=PATH, outline="black")
    if marks.get("item"):
        (m1, m2), (s1, s2) = marks["item"]["mu"], marks["item"]["sigma"]
        px, py = geom.z_to_pixel(m1, m2)
        for r in (2, 1):
            _ring(d, (px - r * s1 * sx, py - r * s2 * sy, px + r * s1 * sx, py + r * s2 * sy), MARK)
        d.ellipse((px - 4, py - 4, px + 4, py + 4), fill=MARK, outline="black", width=2)
    if marks.get("click"):
        px, py = geom.z_to_pixel(*marks["click"])
        for w, c in ((5, "black"), (3, MARK)):
            d.line((px - 9, py, px + 9, py), fill=c, width=w)
            d.line((px, py - 9, px, py + 9), fill=c, width=w)
    return img


# --- the items a user brings ---------------------------------------------------------------------

def item_from_picture(value) -> torch.Tensor:
    """An uploaded or drawn picture -> one item ``(1, 1, 28, 28)`` in [0, 1], white on black.

    ``value`` is an ``gr.ImageEditor`` value (its composite is used) or an array ``(H, W[, C])``.
    A light background is inverted. A square picture whose side is a multiple of 28 (the drawing
    canvas) is the 28x28 frame itself and is averaged down; any other picture is cropped to the
    item, padded to a square and scaled to fill the frame, as Fashion-MNIST items do.
    """
    if isinstance(value, dict):
        value = value.get("composite")
    if value is None:
        raise gr.Error("No item yet: upload a picture, draw one, or load a test item first.")
    a = np.asarray(value)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    if a.ndim == 3:
        rgb = a[..., :3] * a[..., 3:4] if a.shape[2] == 4 else a[..., :3]  # transparent = black
        g = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if rgb.shape[2] == 3 else rgb[..., 0]
    elif a.ndim == 2:
        g = a
    else:
        raise gr.Error(f"Expected a picture (H, W) or (H, W, 3/4), got shape {a.shape}.")
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if np.median(border) > 0.5:  # dark items on a light background: Fashion-MNIST is the reverse
        g = 1.0 - g
    if g.max() < 0.05:
        raise gr.Error("The picture is empty: draw in white on the black canvas, or upload an item.")
    h, w = g.shape
    if h == w and h % 28 == 0:
        k = h // 28  # the frame itself: average each k x k block
        g = g.reshape(28, k, 28, k).mean(axis=(1, 3))
    else:
        ys, xs = np.nonzero(g > 0.05)
        g = g[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        side = max(g.shape)
        sq = np.zeros((side, side), np.float32)
        oy, ox = (side - g.shape[0]) // 2, (side - g.shape[1]) // 2
        sq[oy:oy + g.shape[0], ox:ox + g.shape[1]] = g
        filt = Image.BOX if side > 28 else Image.BICUBIC
        g = np.asarray(Image.fromarray(sq, mode="F").resize((28, 28), filt))
    return torch.from_numpy(np.clip(g, 0, 1).astype(np.float32)).view(1, 1, 28, 28)


def canvas_value(item_u8: torch.Tensor) -> dict:
    """A test item ``(28, 28)`` uint8 as the editor's value: the 28x28 frame enlarged 10x."""
    big = item_u8.numpy().repeat(CANVAS // 28, 0).repeat(CANVAS // 28, 1)
    rgb = np.stack([big] * 3, axis=-1)
    return {"background": rgb, "layers": [], "composite": rgb}


# --- the tab's functions ---------------------------------------------------------------------------

def _fmt(v, spec: str = ".1f") -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def make_handlers(encode: Callable, decode: Callable, latents: Callable, elbo_terms: Callable,
                  test_images: torch.Tensor, test_labels: torch.Tensor, names: dict | None = None) -> dict:
    """The tab's functions as plain Python (tested directly and through the app).

    ``encode(name, images) -> (μ, log σ²)``, ``decode(name, z) -> images``, ``latents(name, n, seed)``,
    ``elbo_terms(name, images, samples=, seed=) -> dict of per-image tensors``; ``test_images``
    uint8 ``(N, 28, 28)`` with ``test_labels`` ``(N,)`` give the codes drawn on the maps.
    """
    names = {**DEFAULT_NAMES, **(names or {})}
    key_of = {names[k]: k for k in KEYS}
    n_test = int(test_images.shape[0])

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

    def empty_marks() -> dict:
        return {k: {} for k in MAPPED}

    def maps(marks: dict) -> list[Image.Image]:
        marks = marks or empty_marks()
        return [draw_marks(base[k, view], geoms[k], marks.get(k, {}), show_prior=view == "codes")
                for k in MAPPED for view in ("codes", "manifold")]

    def _decode_one(k: str, z1: float, z2: float):
        x = decode(names[k], torch.tensor([[z1, z2]], dtype=torch.float32))  # (1, 2) -> (1, 1, 28, 28)
        return to_pil(x[0], scale=6)

    def decode_z(model, z1, z2, marks):
        if model not in key_of or key_of[model] not in MAPPED:
            raise gr.Error(f"Model must be one of {', '.join(names[k] for k in MAPPED)}, got {model!r}.")
        try:
            z1, z2 = float(z1), float(z2)
        except (TypeError, ValueError):
            raise gr.Error(f"z₁ and z₂ must be numbers, got {z1!r} and {z2!r}.") from None
        if not (math.isfinite(z1) and math.isfinite(z2)):
            raise gr.Error("z₁ and z₂ must be finite numbers.")
        k = key_of[model]
        marks = marks or empty_marks()
        marks = {**marks, k: {**marks.get(k, {}), "click": [z1, z2]}}
        caption = f"decoded z = ({z1:.3f}, {z2:.3f}) with **{model}** ({LABELS[k]})"
        return (_decode_one(k, z1, z2), caption, *maps(marks), marks)

    def click(k: str):
        def on_select(marks, evt: gr.SelectData):
            px, py = evt.index
            z1, z2 = geoms[k].pixel_to_z(px, py)
            return (names[k], z1, z2, *decode_z(names[k], z1, z2, marks))
        on_select.__name__ = f"click_{k}"
        return on_select

    def load_test_item(index):
        i = check_int(index, "Test item", 0, n_test - 1)
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
        b = check_int(index_b, "Test item B", 0, n_test - 1)
        steps = check_int(steps, "Steps", 2, 16)
        if from_picture:
            xa = item_from_picture(picture)
        else:
            xa = test_images[check_int(index_a, "Test item A", 0, n_test - 1)].float().div(255).view(1, 1, 28, 28)
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
        seed = check_int(seed, "Seed", 0, MAX_SEED)
        count = check_int(count, "Number of samples", 1, 64)
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
            "sample": sample, "clear": clear, "geometry": geoms, "codes": codes, "names": names}


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
                names: dict | None = None, metrics: dict | None = None) -> gr.Blocks:
    h = make_handlers(encode, decode, latents, elbo_terms, test_images, test_labels, names)
    names = h["names"]
    class_names = class_names or [str(i) for i in range(10)]
    legend = " ".join(f'<span style="color:{TAB10[i]}">●</span>&nbsp;{c}&emsp;' for i, c in enumerate(class_names))
    with gr.Blocks() as demo:
        marks = gr.State(h["empty_marks"]())
        with gr.Accordion("What is going on here? The ELBO, and the KL term", open=True):
            gr.Markdown(EXPLANATION, latex_delimiters=LATEX)
            if metrics:
                gr.Markdown(_measured(metrics, names))

        gr.Markdown("### 1. The 2-D latent plane\nTop: the codes μ of the 10,000 test items, coloured by "
                    "class, with the prior's 1σ and 2σ circles. Bottom: the learned manifold, an item decoded "
                    "at the centre of each tile. **Click anywhere on a map to decode that z.**")
        gr.HTML(f"<div style='font-size:0.9em'>{legend}</div>")
        pictures, initial = {}, h["maps"](None)
        with gr.Row():
            for k in MAPPED:
                with gr.Column():
                    x0, x1, _, _ = h["geometry"][k].extent
                    for view, title in (("codes", "codes μ of the test items"), ("manifold", "learned manifold")):
                        pictures[k, view] = gr.Image(
                            initial[2 * MAPPED.index(k) + (view == "manifold")],
                            label=f"{names[k]} ({LABELS[k]}): {title}, z ∈ [{x0:g}, {x1:g}]²",
                            type="pil", format="png", interactive=False, elem_id=f"vae-map-{k}-{view}")
        map_outputs = [pictures[k, v] for k in MAPPED for v in ("codes", "manifold")]
        with gr.Row():
            with gr.Column(scale=1):
                z_model = gr.Radio([names[k] for k in MAPPED], value=names["vae"], label="Model")
                z1 = gr.Number(value=0.0, label="z₁")
                z2 = gr.Number(value=0.0, label="z₂")
                go_z = gr.Button("Decode z")
                clear = gr.Button("Clear the marks", size="sm")
            with gr.Column(scale=1):
                decoded = gr.Image(label="Decoded item", type="pil", format="png", interactive=False,
                                   elem_id="vae-decoded")
                decoded_caption = gr.Markdown()
        for k in MAPPED:
            for v in ("codes", "manifold"):
                pictures[k, v].select(h["click"](k), marks,
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
                editor = gr.ImageEditor(
                    value=canvas_value(test_images[0]), type="numpy", image_mode="RGBA",
                    sources=["upload", "clipboard"], canvas_size=(CANVAS, CANVAS), height=360,
                    brush=gr.Brush(colors=["#ffffff", "#b0b0b0", "#606060", "#000000"], default_color="#ffffff",
                                   default_size=18), label="Your item", format="png")
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
        strip = gr.Image(label="From A to B; rows: " + ", ".join(LABELS[k] for k in KEYS), type="pil",
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
            grids = [gr.Image(label=f"{names[k]} ({LABELS[k]})", type="pil", format="png", interactive=False)
                     for k in KEYS]
        gr.Markdown(SAMPLING_WHY, latex_delimiters=LATEX)
        go_s.click(h["sample"], [seed, count, marks], [*grids, *map_outputs, marks], api_name="vae_sample")
    return demo


if __name__ == "__main__":
    import gan_core
    from gan_core import models
    from gan_core.data import FMNIST_CLASSES, fashion_mnist_for_app
    from gan_core.evaluate_vae import elbo_terms
    images, labels = fashion_mnist_for_app(train=False)
    create_demo(gan_core.encode, gan_core.decode, gan_core.latents, elbo_terms, images, labels,
                class_names=FMNIST_CLASSES,
                metrics={n: models.read_json(n, "metrics.json") for n in DEFAULT_NAMES.values()}).launch()
