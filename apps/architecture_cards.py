"""Pictures of the "GAN architectures" tab, drawn with PIL: an architecture card per model (where
the label or code enters G and D, what D outputs) and the SGAN label-budget curve."""
from __future__ import annotations

import math

from PIL import Image, ImageDraw

W, H = 660, 250
BOX_W, BOX_H = 118, 40
NOISE, LABEL, NET, DATA, OUT = (225, 225, 235), (255, 214, 120), (120, 170, 235), (170, 220, 170), (240, 170, 170)

def _card(g: str, extra: dict, arrows: list) -> tuple[dict, list]:
    """Every card: z into G, G's fakes and real items into D; ``extra`` adds the rest."""
    boxes = {"z": (10, 20, "z ~ N(0, I)", NOISE), "G": (170, 60, g, NET), "fake": (320, 60, "fake 32x32", NOISE),
             "real": (320, 160, "real item x", DATA), **extra}
    return boxes, [("z", "G"), ("G", "fake"), ("fake", "D"), ("real", "D"), *arrows]


# model -> (boxes: name -> (x, y, text, colour), arrows: (from, to))
CARDS = {
    "cgan": _card("G(z | y)", {"y": (10, 100, "y: class, one-hot", LABEL), "out": (470, 200, "real or fake?", OUT),
                               "D": (470, 110, "D(x | y)\nx + 10 label planes", NET)},
                  [("y", "G"), ("y", "D"), ("D", "out")]),
    "cgan-projection": _card("G(z | y)", {"y": (10, 100, "y: class, one-hot", LABEL),
                                          "out": (470, 200, "real or fake?", OUT),
                                          "D": (470, 110, "D(x | y): x alone,\n+ <V_y, phi(x)>", NET)},
                             [("y", "G"), ("y", "D"), ("D", "out")]),
    "acgan": _card("G(z, c)", {"y": (10, 100, "c: class, one-hot", LABEL), "D": (470, 110, "D(x)\nno label in", NET),
                               "s": (530, 20, "P(S | X): real?", OUT), "c": (530, 200, "P(C | X): class", OUT)},
                   [("y", "G"), ("D", "s"), ("D", "c")]),
    "infogan": _card("G(z, c)", {"y": (10, 100, "c: c_cat (10),\nc1, c2 in [-1, 1]", LABEL),
                                 "real": (320, 160, "real item x\n(no labels)", DATA), "D": (470, 110, "D body", NET),
                                 "s": (530, 20, "D: real or fake?", OUT),
                                 "c": (530, 200, "Q(c | x): c_cat,\nmean of c1, c2", OUT)},
                     [("y", "G"), ("D", "s"), ("D", "c")]),
    "sgan": _card("G(z)\nfeature matching", {"real": (320, 130, "unlabelled x", DATA),
                                             "lab": (320, 200, "100 labelled (x, y)", LABEL),
                                             "D": (470, 110, "D: 10 logits l_k", NET),
                                             "s": (530, 20, "D(x) = Z / (Z + 1)", OUT),
                                             "c": (530, 200, "p(y | x): class", OUT)},
                  [("lab", "D"), ("D", "s"), ("D", "c")]),
}

def _centre(box) -> tuple[float, float]:
    x, y, *_ = box
    return x + BOX_W / 2, y + BOX_H / 2


def _edge(box, towards) -> tuple[float, float]:
    """Where the line from ``box``'s centre towards ``towards`` leaves the box."""
    cx, cy = _centre(box)
    dx, dy = towards[0] - cx, towards[1] - cy
    scale = min(BOX_W / 2 / abs(dx) if dx else math.inf, BOX_H / 2 / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _arrow(draw: ImageDraw.ImageDraw, a, b) -> None:
    draw.line([a, b], fill=(60, 60, 70), width=2)
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    head = [(b[0] - 9 * math.cos(angle + s), b[1] - 9 * math.sin(angle + s)) for s in (0.45, -0.45)]
    draw.polygon([b, *head], fill=(60, 60, 70))


def architecture_card(kind: str) -> Image.Image:
    """Boxes and arrows of one model: inputs (grey noise, yellow label or code), networks (blue),
    data (green), what D outputs (red)."""
    boxes, arrows = CARDS[kind]
    img = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for a, b in arrows:
        start = _edge(boxes[a], _centre(boxes[b]))
        _arrow(draw, start, _edge(boxes[b], start))
    for x, y, text, colour in boxes.values():
        draw.rounded_rectangle((x, y, x + BOX_W, y + BOX_H), radius=6, fill=colour, outline=(60, 60, 70))
        draw.multiline_text((x + BOX_W / 2, y + BOX_H / 2), text, fill=(0, 0, 0), anchor="mm", align="center")
    return img


def curve_picture(curve: dict, size=(520, 300)) -> Image.Image:
    """Test accuracy against the label budget (log scale), SGAN and supervised-only, mean ± std bars.

    ``curve`` is sgan-fmnist's ``label_curve``: budget (str; "0" = all) -> kind -> [mean, std, n]."""
    img = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = 56, 20, size[0] - 110, size[1] - 40
    draw.rectangle((left, top, right, bottom), outline=(80, 80, 80))
    budgets = sorted(int(b) if int(b) > 0 else 55000 for b in curve)
    if not budgets:
        draw.text((left + 10, top + 10), "no sweep figures yet", fill=(0, 0, 0))
        return img
    lo, hi = math.log10(min(budgets)) - 0.1, math.log10(max(budgets)) + 0.1
    means = [v[0] for kinds in curve.values() for v in kinds.values()]
    a_lo, a_hi = math.floor(min(means) * 10 - 0.5) / 10, min(1.0, math.ceil(max(means) * 10 + 0.5) / 10)
    px = lambda b: left + (math.log10(b) - lo) / (hi - lo) * (right - left)  # noqa: E731
    py = lambda a: bottom - (a - a_lo) / (a_hi - a_lo) * (bottom - top)  # noqa: E731
    for k in range(int(round(a_lo * 10)), int(round(a_hi * 10)) + 1):
        y = py(k / 10)
        draw.line((left, y, right, y), fill=(230, 230, 230))
        draw.text((left - 6, y), f"{k * 10}%", fill=(0, 0, 0), anchor="rm")
    for b in budgets:
        draw.text((px(b), bottom + 6), "all" if b == 55000 else str(b), fill=(0, 0, 0), anchor="ma")
    draw.text(((left + right) / 2, bottom + 22), "labelled items (log scale)", fill=(0, 0, 0), anchor="ma")
    for kind, colour in (("sgan", (200, 60, 40)), ("supervised", (40, 90, 200))):
        pts = [(px(int(b) if int(b) > 0 else 55000), curve[b][kind]) for b in curve if kind in curve[b]]
        pts.sort()
        for x, (m, s, _) in pts:
            draw.line((x, py(m - s), x, py(m + s)), fill=colour, width=1)
            draw.ellipse((x - 3, py(m) - 3, x + 3, py(m) + 3), fill=colour)
        if len(pts) > 1:
            draw.line([(x, py(m)) for x, (m, _, _) in pts], fill=colour, width=2)
        draw.text((right + 8, top + (0 if kind == "sgan" else 18)), "SGAN" if kind == "sgan" else "supervised only",
                  fill=colour)
    return img
