"""The lab's live figure, drawn with numpy and PIL (no plotting library, a frame in a few milliseconds).

Top: D's output as a heat map (green = "real", purple = "fake", as in GAN Lab, Kahng et al., 2018,
https://arxiv.org/abs/1809.01587), the 3σ circle of each mode, real points (green), generated points
(purple), the generator's manifold (where a grid of z lands, grey) and G's gradient arrows (where
each sample is pushed). Below: the losses, D(x) and D(G(z)), and both players' gradient norms.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from . import losses, metrics

SIZE = 360          # the field is SIZE × SIZE pixels
HEAT = 36           # D is evaluated on HEAT × HEAT points, upsampled bilinearly to the field
ARROWS = 32         # samples that carry a gradient arrow
STRIP = 64          # height of each curve strip
REAL, FAKE = np.array([16, 150, 72]), np.array([140, 60, 170])
FONT = ImageFont.load_default_imagefont()  # PIL's bitmap font: ~0.03 ms a label, FreeType ~3 ms
DOT = np.array([(dx, dy) for dx in range(-1, 2) for dy in range(-1, 2)])  # a point: 3 × 3 pixels
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


def _manifold(lab) -> torch.Tensor:
    """Noise vectors along the lines of a grid in z: ``(lines, 60, noise_dim)``."""
    c = lab.config
    r = 2.5 if c.noise == "gaussian" else 1.0
    t = torch.linspace(-r, r, 60)
    if c.noise_dim == 1:
        return t[None, :, None]                                           # one line (1, 60, 1)
    v = torch.linspace(-r, r, 9)[:, None].expand(9, 60)                   # (9, 60)
    across = torch.stack([t.expand(9, 60), v], -1)                        # (9, 60, 2): z_2 fixed
    return torch.cat([across, across.flip(-1)])                           # (18, 60, 2)


def snapshot(lab, n_show: int = 512, n_arrows: int = ARROWS) -> dict:
    """Everything one frame needs, as numpy arrays (taken under the lab's lock by the caller)."""
    gen = torch.Generator().manual_seed(4242)
    real = lab.data.sample(n_show, gen)                                   # (n_show, 2)
    with torch.no_grad():
        fake = lab.shown(lab.noise(n_show, gen))                          # (n_show, 2)
        z = _manifold(lab)
        lines = lab.shown(z.reshape(-1, z.shape[-1])).reshape(len(z), -1, 2).numpy()  # one pass for all lines
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


def _dots(rgb: np.ndarray, pts: np.ndarray, colour) -> None:
    """Stamp a 3 × 3 dot of ``colour`` at each pixel position ``(N, 2)`` of ``rgb`` ``(H, W, 3)``, in place."""
    centre = np.rint(pts).astype(np.int64)                                 # (N, 2)
    px = (centre[:, None, :] + DOT[None]).reshape(-1, 2)                    # (N · 9, 2)
    inside = (px >= 0).all(1) & (px[:, 0] < rgb.shape[1]) & (px[:, 1] < rgb.shape[0])
    rgb[px[inside, 1], px[inside, 0]] = colour


def field(snap: dict) -> Image.Image:
    e = snap["extent"]
    h = snap["heat"][..., None]                                           # (HEAT, HEAT, 1) in [0, 1]
    strength = np.abs(h - 0.5) * 2 * 0.55
    colour = np.where(h > 0.5, REAL, FAKE)
    rgb = (255 * (1 - strength) + colour * strength).astype(np.uint8)
    rgb = np.array(Image.fromarray(rgb).resize((SIZE, SIZE), Image.BILINEAR))  # (SIZE, SIZE, 3)
    _dots(rgb, _to_px(snap["real"], e), REAL - 10)                        # real under generated
    _dots(rgb, _to_px(snap["fake"], e), FAKE)
    img = Image.fromarray(rgb)
    draw = ImageDraw.Draw(img)
    if snap["modes"] is not None:                                         # the high-quality zone
        r = 3 * snap["sigma"] / (2 * e) * SIZE
        for cx, cy in _to_px(snap["modes"], e):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(90, 90, 90))
    for line in snap["lines"]:
        draw.line(_to_px(line, e).ravel().tolist(), fill=(120, 120, 120), width=1)
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
            draw.text((width - 120, top + 2), f"{lo:.3g} .. {hi:.3g}", fill=(90, 90, 90), font=FONT)
        draw.text((4, top + 2), f"{title}: D green, G purple", fill=(40, 40, 40), font=FONT)
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
    draw.text((4, 2), title, fill=(0, 0, 0), font=FONT)
    draw.text((4, 18), stats, fill=(0, 0, 0), font=FONT)
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
