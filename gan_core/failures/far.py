"""Far from the training data: the suite's own models on inputs they never saw, with the drop measured.

Each model gets one figure, measured the same way on an input like its training data and on inputs
unlike it (drawn here by code, from a seed: no download):

| model | in distribution | far from it | figure |
|---|---|---|---|
| SRResNet x4 (photos) | scikit-image photos | text, a cartoon, noise | PSNR gain over bicubic (dB) |
| pix2pix edges -> clothing | Canny edges of test items | a drawn car, a drawn house | the judge's confidence in its class |
| CycleGAN sneaker -> boot | test sneakers | a test T-shirt | the judge's P(Ankle boot) |
| VAE (16-D) | test items | a handwritten digit | reconstruction error (mean |x - x'| per pixel) |
| pix2pix colourisation | scikit-image photos | a cartoon drawing | a/b histogram match with the original (pix2pix Table 5) |

``measure(model, picture)`` runs one model on any picture (an upload too) and returns the output and
the figure; ``reference(model)`` is the in-distribution figure (cached); ``examples()`` writes the
far inputs as PNG files.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from PIL import Image, ImageDraw

from .. import pictures, settings

MODELS = {"sr": "Super-resolution x4 (SRResNet)", "edges2clothing": "pix2pix: edges -> clothing",
          "sneaker2boot": "CycleGAN: sneaker -> ankle boot", "vae": "VAE (16-D latent)",
          "colorize": "pix2pix: colourisation"}
UNITS = {"sr": "dB gain over bicubic", "edges2clothing": "judge's confidence", "sneaker2boot": "judge's P(Ankle boot)",
         "vae": "mean |x - x'| per pixel", "colorize": "a/b histogram match with the original"}
HIGHER_IS_BETTER = {"sr": True, "edges2clothing": True, "sneaker2boot": True, "vae": False, "colorize": True}


# --- the far inputs, drawn by code ---------------------------------------------------------------

def text_image(size: int = 192) -> Image.Image:
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    for i, line in enumerate(("Generative", "Adversarial", "Networks", "fail far", "from home.", "0123456789")):
        d.text((8, 8 + 30 * i), line, fill="black", font_size=22)
    return img


def cartoon_image(size: int = 192) -> Image.Image:
    img = Image.new("RGB", (size, size), (120, 200, 255))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 140, size, size), fill=(80, 190, 60), outline="black", width=3)
    d.ellipse((120, 20, 170, 70), fill=(255, 220, 0), outline="black", width=3)
    d.rectangle((30, 80, 100, 150), fill=(230, 60, 50), outline="black", width=3)
    d.polygon([(25, 80), (65, 40), (105, 80)], fill=(140, 70, 30), outline="black", width=3)
    return img


def noise_image(size: int = 192, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def car_drawing(size: int = 280) -> Image.Image:
    img = Image.new("L", (size, size), 255)
    d = ImageDraw.Draw(img)
    d.line([(30, 180), (30, 140), (80, 140), (110, 100), (180, 100), (210, 140), (250, 140), (250, 180), (30, 180)],
           fill=0, width=6)
    for cx in (80, 200):
        d.ellipse((cx - 22, 158, cx + 22, 202), outline=0, width=6)
    return img


def house_drawing(size: int = 280) -> Image.Image:
    img = Image.new("L", (size, size), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((60, 120, 220, 240), outline=0, width=6)
    d.line([(50, 125), (140, 40), (230, 125)], fill=0, width=6)
    d.rectangle((120, 170, 160, 240), outline=0, width=6)
    return img


def digit_drawing(size: int = 280) -> Image.Image:
    """A handwritten-looking "4": white strokes on black, like MNIST."""
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    d.line([(170, 40), (70, 170), (210, 170)], fill=255, width=26, joint="curve")
    d.line([(165, 90), (160, 250)], fill=255, width=26)
    return img


FAR_INPUTS = {"sr": {"text": text_image, "cartoon": cartoon_image, "noise": noise_image},
              "edges2clothing": {"car": car_drawing, "house": house_drawing},
              "sneaker2boot": {"T-shirt": lambda: _test_items(0, 1)[0]},
              "vae": {"digit": digit_drawing},
              "colorize": {"drawing": cartoon_image}}


def examples(folder=None) -> dict[str, list[str]]:
    """The far inputs as PNG files (written once): model -> paths."""
    folder = settings.data_cache_dir() / "failure_gallery_far" if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[str]] = {}
    for model, inputs in FAR_INPUTS.items():
        for name, make in inputs.items():
            path = folder / f"{model}-{name.replace('/', '-')}.png"
            if not path.exists():
                try:
                    make().save(path)
                except Exception:  # noqa: BLE001 - e.g. Fashion-MNIST absent: that example is left out
                    continue
            out.setdefault(model, []).append(str(path))
    return out


# --- one model on one picture -----------------------------------------------------------------------

def _test_items(cls: int, n: int) -> list[Image.Image]:
    from ..fmnist import fashion_mnist_for_app
    images, labels = fashion_mnist_for_app(train=False)
    return [Image.fromarray(x.numpy()) for x in images[labels == cls][:n]]


def measure(model: str, picture: Image.Image) -> dict:
    """Run ``model`` (a key of ``MODELS``) on ``picture``: {"output": PIL, "value": figure, "unit": ...}."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "sr":  # the picture is the ground truth: downscale x4, upscale, score both ways
        from ..sr.api import compare
        c = compare(picture, "simulate", methods=("bicubic", "srresnet"))
        if c.outputs.get("srresnet") is None:
            raise RuntimeError(c.notes.get("srresnet", "SRResNet is not available"))
        value = c.scores["srresnet"].psnr - c.scores["bicubic"].psnr
        return {"output": Image.fromarray(c.outputs["srresnet"]), "value": float(value), "unit": UNITS[model]}
    if model in ("edges2clothing", "sneaker2boot"):
        from ..img2img.api import judge_item, translate
        out = translate(model, picture)
        label, p = judge_item(out)
        if model == "sneaker2boot":
            from ..fmnist import FMNIST_CLASSES, crop28
            from ..img2img.api import item_tensor
            from ..judge.api import judge_predict
            probs = torch.softmax(judge_predict(crop28(item_tensor(out)))[0], 1)[0]
            p, label = float(probs[FMNIST_CLASSES.index("Ankle boot")]), label
        return {"output": out, "value": float(p), "unit": UNITS[model], "judge": label}
    if model == "vae":
        from ..registry import VAES
        from ..sampling import decode
        from ..vae.api import encode
        name = VAES["vae16"][0]
        x = torch.from_numpy(pictures.item_28(picture)).view(1, 1, 28, 28)
        mu, _ = encode(name, x)
        rec = decode(name, mu)
        return {"output": pictures.to_pil(rec[0]), "value": float((rec - x).abs().mean()), "unit": UNITS[model]}
    from ..img2img.api import translate
    from ..img2img.metrics import ab_histogram_intersection
    out = translate("colorize", picture)
    match = ab_histogram_intersection(np.asarray(out.convert("RGB")), pictures.as_rgb(picture))
    return {"output": out, "value": float(np.mean(match)), "unit": UNITS[model]}


@functools.lru_cache(maxsize=None)
def reference(model: str) -> float:
    """The in-distribution figure of ``model``: the mean over a few inputs like its training data."""
    if model in ("sr", "colorize"):
        from skimage import data as skdata
        photos = [Image.fromarray(getattr(skdata, n)()).resize((192, 192)) for n in ("astronaut", "coffee", "chelsea")]
        return float(np.mean([measure(model, p)["value"] for p in photos]))
    if model == "edges2clothing":
        from ..img2img.api import task_input
        items = [x for c in (0, 1, 7, 9) for x in _test_items(c, 3)]
        return float(np.mean([measure(model, task_input(model, x))["value"] for x in items]))
    if model == "sneaker2boot":
        return float(np.mean([measure(model, x)["value"] for x in _test_items(7, 10)]))
    return float(np.mean([measure(model, x)["value"] for c in range(10) for x in _test_items(c, 3)]))


def far_table() -> list[dict]:
    """Every model on its far inputs beside its in-distribution reference: one row per input."""
    rows = []
    for model, inputs in FAR_INPUTS.items():
        ref = reference(model)
        for name, make in inputs.items():
            r = measure(model, make())
            rows.append({"model": MODELS[model], "input": name, "value": r["value"], "in_distribution": ref,
                         "unit": UNITS[model], "judge": r.get("judge"), "output": r["output"]})
    return rows
