"""The lab's live figure, drawn with PIL (no plotting library, a frame in a few milliseconds).

Top: D's output as a heat map (green = "real", purple = "fake", as in GAN Lab, Kahng et al., 2018,
https://arxiv.org/abs/1809.01587), the 3σ circle of each mode, real points (green), generated points
(purple), the generator's manifold (where a grid of z lands, grey) and G's gradient arrows (where
each sample is pushed). Below: the losses, D(x) and D(G(z)), and both players' gradient norms.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

from . import losses, metrics

SIZE = 360          # the field is SIZE × SIZE pixels
HEAT = 48           # D is evaluated on HEAT × HEAT points
STRIP = 64          # height of each curve strip
REAL, FAKE = np.array([16, 150, 72]), np.array([140, 60, 170])
CURVES = (("loss", ("loss_d", "loss_g")), ("D(x), D(G(z))", ("d_real", "d_fake")),
          ("log10 gradient norm", ("grad_d", "grad_g")))


@torch.no_grad()
def _heat(lab, context: torch.Tensor) -> np.ndarray:
    e = lab.data.extent
    axis = torch.linspace(-e, e, HEAT)
    yy, xx = torch.meshgrid(-axis, axis, indexing="ij")                   # row 0 is the top (y = +e)
    pts = torch.stack([xx, yy], -1).reshape(-1, 2)                        # (HEAT², 2)
    pts = pts.repeat_interleave(lab.config.pack, 0)                       # a packed D sees (x, x, ...)
    out = lab.D(pts, context=context if lab.D.mbd is not None else None)
    v = losses.d_prob(lab.config.loss, out)
    if lab.config.loss not in ("minimax", "nonsaturating"):               # scores: scale to [0, 1]
        v = (v - v.min()) / (v.max() - v.min()).clamp_min(1e-8)
    return v.reshape(HEAT, HEAT).numpy()


def _manifold(lab) -> list[torch.Tensor]:
    c = lab.config
    r = 2.5 if c.noise == "gaussian" else 1.0
    t = torch.linspace(-r, r, 60)
    if c.noise_dim == 1:
        return [t[:, None]]                                               # one line (60, 1)
    lines = []
    for v in torch.linspace(-r, r, 9):
        lines += [torch.stack([t, v.expand(60)], 1), torch.stack([v.expand(60), t], 1)]
    return lines                                                          # 18 × (60, 2)


def snapshot(lab, n_show: int = 512, n_arrows: int = 64) -> dict:
    """Everything one frame needs, as numpy arrays (taken under the lab's lock by the caller)."""
    gen = torch.Generator().manual_seed(4242)
    real = lab.data.sample(n_show, gen)                                   # (n_show, 2)
    with torch.no_grad():
        fake = lab.G(lab.noise(n_show, gen))                              # (n_show, 2)
        lines = [lab.G(z).numpy() for z in _manifold(lab)]
    x = fake[:n_arrows].clone().requires_grad_(True)                      # where G's loss pushes samples
    (grad,) = torch.autograd.grad(losses.g_loss(lab.config.loss, lab.D(x)) * n_arrows, x)
    evaluation = metrics.evaluate(lab.samples().numpy(), lab.data)
    return {"real": real.numpy(), "fake": fake.numpy(), "lines": lines, "heat": _heat(lab, fake[:64]),
            "arrows": (x.detach().numpy(), -grad.numpy()), "extent": lab.data.extent,
            "modes": lab.data.modes, "sigma": lab.data.sigma, "history": list(lab.history),
            "metrics": evaluation, "step": lab.g_steps, "d_steps": lab.d_steps}


def _to_px(p: np.ndarray, e: float) -> np.ndarray:
    """Data coordinates ``(N, 2)`` -> pixel coordinates in the field (y up)."""
    return np.stack([(p[:, 0] + e) / (2 * e) * SIZE, (e - p[:, 1]) / (2 * e) * SIZE], 1)


def from_px(x: float, y: float, extent: float) -> tuple[float, float]:
    """A click on the field at pixel (x, y) -> data coordinates."""
    return x / SIZE * 2 * extent - extent, extent - y / SIZE * 2 * extent


def field(snap: dict) -> Image.Image:
    e = snap["extent"]
    h = snap["heat"][..., None]                                           # (HEAT, HEAT, 1) in [0, 1]
    strength = np.abs(h - 0.5) * 2 * 0.55
    colour = np.where(h > 0.5, REAL, FAKE)
    rgb = (255 * (1 - strength) + colour * strength).astype(np.uint8)
    img = Image.fromarray(rgb).resize((SIZE, SIZE), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    if snap["modes"] is not None:                                         # the high-quality zone
        r = 3 * snap["sigma"] / (2 * e) * SIZE
        for cx, cy in _to_px(snap["modes"], e):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(90, 90, 90))
    for line in snap["lines"]:
        draw.line([tuple(p) for p in _to_px(line, e)], fill=(120, 120, 120), width=1)
    for pts, col in ((snap["real"], tuple(REAL - 10)), (snap["fake"], tuple(FAKE))):
        for cx, cy in _to_px(pts, e):
            draw.ellipse((cx - 1.5, cy - 1.5, cx + 1.5, cy + 1.5), fill=col)
    start, push = snap["arrows"]
    length = np.linalg.norm(push, axis=1, keepdims=True)
    push = push / max(float(length.max()), 1e-12) * 0.12 * 2 * e         # longest arrow: 12% of the field
    for (x0, y0), (x1, y1) in zip(_to_px(start, e), _to_px(start + push, e)):
        draw.line((x0, y0, x1, y1), fill=(230, 120, 0), width=2)
        draw.ellipse((x1 - 2, y1 - 2, x1 + 2, y1 + 2), fill=(230, 120, 0))
    return img


def curves(history: list[dict], width: int = SIZE) -> Image.Image:
    img = Image.new("RGB", (width, STRIP * len(CURVES)), (252, 252, 252))
    draw = ImageDraw.Draw(img)
    recent = history[-1000:]
    for row, (title, keys) in enumerate(CURVES):
        top = row * STRIP
        draw.line((0, top, width, top), fill=(200, 200, 200))
        series = [np.array([h[k] for h in recent], dtype=np.float64) for k in keys]
        if row == 2:
            series = [np.log10(np.maximum(s, 1e-8)) for s in series]
        finite = np.concatenate([s[np.isfinite(s)] for s in series]) if recent else np.zeros(0)
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            hi = hi if hi > lo else lo + 1.0
            for s, col in zip(series, (tuple(REAL), tuple(FAKE))):
                xs = np.linspace(0, width - 1, len(s)) if len(s) > 1 else np.zeros(1)
                ys = top + STRIP - 4 - (np.nan_to_num(s, nan=lo) - lo) / (hi - lo) * (STRIP - 18)
                draw.line(list(zip(xs, ys)), fill=col, width=2) if len(s) > 1 else None
            draw.text((width - 120, top + 2), f"{lo:.3g} .. {hi:.3g}", fill=(90, 90, 90))
        draw.text((4, top + 2), f"{title}: D green, G purple", fill=(40, 40, 40))
    return img


def frame(snap: dict, title: str = "") -> Image.Image:
    """One lab's panel: a title line, the field and the curves, stacked."""
    m = snap["metrics"]
    stats = f"iter {snap['step']}  D-steps {snap['d_steps']}  rev. KL {m['reverse_kl']:.2f}"
    if "modes" in m:
        stats += f"  modes {m['modes']}/{m['n_modes']}  HQ {100 * m['hq']:.1f}%"
    top, bottom = field(snap), curves(snap["history"])
    img = Image.new("RGB", (SIZE, 34 + SIZE + bottom.height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((4, 2), title, fill=(0, 0, 0))
    draw.text((4, 18), stats, fill=(0, 0, 0))
    img.paste(top, (0, 34))
    img.paste(bottom, (0, 34 + SIZE))
    return img


def side_by_side(panels: list[Image.Image], gap: int = 12) -> Image.Image:
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    img = Image.new("RGB", (width, max(p.height for p in panels)), (255, 255, 255))
    x = 0
    for p in panels:
        img.paste(p, (x, 0))
        x += p.width + gap
    return img
