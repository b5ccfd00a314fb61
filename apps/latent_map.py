"""Pictures of a 2-D latent plane: where the test items' codes fall, what the decoder paints
at each z (the manifold), and marks on top (an item, a click, an interpolation path).

Plain PIL, no Gradio: ``MapGeometry`` converts between a pixel of such a picture and z, both
ways, so a click on a map (``gr.Image.select`` in the VAE tab) decodes exactly that z.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from PIL import Image, ImageDraw, ImageFont

from gan_core.pictures import to_pil

TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
MARK, PATH = "#ffd400", "#00e5ff"         # the item / click marks, the interpolation path
TILES = 15                                # manifold: TILES x TILES decoded items


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
