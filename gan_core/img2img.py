"""Image-to-image translation: the Python API behind the "Image-to-image" tab.

    >>> import gan_core
    >>> gan_core.list_tasks()
    ['edges2clothing', 'colorize', 'sneaker2boot', 'boot2sneaker']
    >>> edges = gan_core.task_input("edges2clothing", item)        # PIL -> its Canny edge map
    >>> gan_core.translate("edges2clothing", edges)                # cGAN + L1 (pix2pix)
    >>> gan_core.translate("edges2clothing", edges, variant="l1")  # the L1-only ablation

``TASKS`` below is the one place that says which checkpoint serves which task and variant.
Fashion-MNIST tasks work on 32x32 grey images (the 28x28 items with a 2-pixel black border);
any other picture is fitted into that frame first. Colourisation works at the photo's own size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from . import models
from .device import get_runtime


@dataclass(frozen=True)
class Task:
    kind: str                    # "pix2pix" or "cyclegan"
    checkpoints: dict            # variant -> checkpoint name
    description: str
    direction: str = "AtoB"      # CycleGAN: which of its two generators
    classes: tuple = field(default_factory=tuple)  # CycleGAN: (source class, target class)


TASKS: dict[str, Task] = {
    "edges2clothing": Task("pix2pix", {"pix2pix": "pix2pix-edges2clothing", "l1": "l1-edges2clothing"},
                           "Canny edge map -> Fashion-MNIST item (like the paper's edges2shoes), 32x32"),
    "colorize": Task("pix2pix", {"pix2pix": "pix2pix-colorize", "l1": "l1-colorize"},
                     "black-and-white photo -> colour photo (trained on SunHays80 crops)"),
    "sneaker2boot": Task("cyclegan", {"cyclegan": "cyclegan-sneaker-boot"},
                         "CycleGAN, unpaired: Sneaker -> Ankle boot", "AtoB", ("Sneaker", "Ankle boot")),
    "boot2sneaker": Task("cyclegan", {"cyclegan": "cyclegan-sneaker-boot"},
                         "CycleGAN, unpaired: Ankle boot -> Sneaker", "BtoA", ("Ankle boot", "Sneaker")),
}

MAX_PIXELS = 4_000_000  # colourisation input limit (about 2300x1700)


def list_tasks() -> list[str]:
    """The task names ``translate`` accepts."""
    return list(TASKS)


def get_task(task: str) -> Task:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    return TASKS[task]


def checkpoint_for(task: str, variant: str = "pix2pix") -> str:
    """The checkpoint behind (task, variant). CycleGAN tasks have one model: 'pix2pix' (the
    default, i.e. the adversarially trained model) and 'cyclegan' both select it."""
    t = get_task(task)
    if t.kind == "cyclegan" and variant in ("pix2pix", "cyclegan"):
        return t.checkpoints["cyclegan"]
    if variant not in t.checkpoints:
        raise ValueError(f"task {task!r} has variants {', '.join(t.checkpoints)}, not {variant!r}")
    return t.checkpoints[variant]


def available_tasks() -> list[str]:
    """Tasks whose checkpoints are all present on this machine."""
    return [name for name, t in TASKS.items()
            if all((models.checkpoint_path(c) / "model.safetensors").exists() for c in t.checkpoints.values())]


def load(task: str, variant: str = "pix2pix") -> torch.nn.Module:
    """The model of (task, variant), loaded once and cached (raises MissingCheckpointError)."""
    return models.load(checkpoint_for(task, variant), get_runtime())


# --- pictures <-> tensors ----------------------------------------------------------------------

def _grey_array(image: Image.Image, background: int) -> np.ndarray:
    """PIL -> float (H, W) in [0, 1]; transparent pixels take the ``background`` grey level."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image, got {type(image).__name__}")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        canvas = Image.new("RGBA", image.size, (background,) * 3 + (255,))
        image = Image.alpha_composite(canvas, image.convert("RGBA"))
    return np.asarray(image.convert("L"), dtype=np.float32) / 255


def _dark_on_light(arr: np.ndarray) -> bool:
    border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    return float(np.median(border)) > 0.5


def _fit_32(arr: np.ndarray, threshold: float) -> np.ndarray:
    """Crop to the content (pixels > threshold), fit the longer side into 28 px, centre in 32x32."""
    ys, xs = np.nonzero(arr > threshold)
    if len(ys) == 0:
        raise ValueError("the image is empty: nothing to translate (draw or upload something)")
    arr = arr[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = arr.shape
    s = 28 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    small = np.asarray(Image.fromarray((arr * 255).astype(np.uint8)).resize((nw, nh), Image.BOX),
                       dtype=np.float32) / 255
    out = np.zeros((32, 32), np.float32)
    y0, x0 = (32 - nh) // 2, (32 - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = small
    return out


def item_tensor(image: Image.Image) -> torch.Tensor:
    """Any picture of a single item -> ``(1, 1, 32, 32)`` in [0, 1], light item on black like Fashion-MNIST.

    28x28 and 32x32 images are taken as they are (28x28 padded); anything else is cropped to
    its content and fitted into the 28x28 centre. Dark-on-light pictures are inverted.
    """
    arr = _grey_array(image, background=0)
    if _dark_on_light(arr):
        arr = 1 - arr
    if arr.shape == (28, 28):
        arr = np.pad(arr, 2)
    elif arr.shape != (32, 32):
        arr = _fit_32(arr, threshold=0.1)
    return torch.from_numpy(np.ascontiguousarray(arr)).view(1, 1, 32, 32)


def edge_tensor(image: Image.Image) -> torch.Tensor:
    """An edge map or a line drawing -> ``(1, 1, 32, 32)`` binary edges, white lines on black.

    A drawing with dark strokes on a light or transparent canvas (the sketchpad) is inverted,
    cropped to its strokes, fitted into 28x28 and thresholded to thin lines like Canny's.
    """
    arr = _grey_array(image, background=255)
    if _dark_on_light(arr):
        arr = 1 - arr
    if arr.shape != (32, 32):
        arr = np.pad(arr, 2) if arr.shape == (28, 28) else _fit_32(arr, threshold=0.2)
        arr = (arr > 0.2).astype(np.float32)
    else:
        arr = (arr > 0.5).astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr)).view(1, 1, 32, 32)


def to_pil(x: torch.Tensor) -> Image.Image:
    """``(1, C, H, W)`` or ``(C, H, W)`` in [0, 1] -> PIL ("L" or "RGB")."""
    x = x[0] if x.dim() == 4 else x
    arr = x.detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)


def grey_tensor(image: Image.Image) -> torch.Tensor:
    """A photo -> its BT.601 luma ``(1, 1, H, W)`` in [0, 1] (PIL's "L", the same weights as training)."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image, got {type(image).__name__}")
    if image.width * image.height > MAX_PIXELS:
        raise ValueError(f"the photo is {image.width}x{image.height}; colourisation takes at most "
                         f"{MAX_PIXELS / 1e6:.0f} megapixels: shrink it first")
    grey = np.asarray(_flatten(image).convert("L"), dtype=np.float32) / 255
    return torch.from_numpy(grey).view(1, 1, *grey.shape)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        canvas = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


# --- the API -----------------------------------------------------------------------------------

def task_input(task: str, target_image: Image.Image) -> Image.Image:
    """A real target -> the task's input: its Canny edge map, its grey version, or the item itself."""
    t = get_task(task)
    if task == "edges2clothing":
        from .paired_data import edge_map
        return to_pil(edge_map(item_tensor(target_image)[:, 0]).float().div(255))
    if task == "colorize":
        return to_pil(grey_tensor(target_image))
    if t.kind == "cyclegan":
        return to_pil(item_tensor(target_image))
    raise ValueError(f"no input rule for task {task!r}")  # pragma: no cover - a TASKS entry without one


def translate_tensor(task: str, x: torch.Tensor, variant: str = "pix2pix") -> torch.Tensor:
    """Batch form of ``translate``: prepared inputs ``(N, C, H, W)`` in [0, 1] -> outputs in [0, 1]."""
    t, model = get_task(task), load(task, variant)
    with get_runtime().autocast():
        out = model.translate(x, t.direction) if t.kind == "cyclegan" else model.translate(x)
    return out.float().cpu()


def prepare(task: str, image: Image.Image) -> torch.Tensor:
    """The tensor ``translate`` feeds the model for a PIL ``image``."""
    t = get_task(task)
    if task == "edges2clothing":
        return edge_tensor(image)
    if task == "colorize":
        return grey_tensor(image)
    if t.kind == "cyclegan":
        return item_tensor(image)
    raise ValueError(f"no input rule for task {task!r}")  # pragma: no cover


def prepare_input(task: str, image: Image.Image) -> Image.Image:
    """The picture the model sees for input ``image`` (a drawing fitted and thinned, a photo greyed)."""
    return to_pil(prepare(task, image))


def prepare_target(task: str, image: Image.Image) -> Image.Image:
    """A real target as the task represents it: a 32x32 item, or the colour photo as RGB."""
    if task == "colorize":
        return _flatten(image)
    get_task(task)
    return to_pil(item_tensor(image))


def translate(task: str, image: Image.Image, variant: str = "pix2pix") -> Image.Image:
    """Translate a PIL image with the task's model: "pix2pix" (cGAN + L1) or "l1" (L1 only).

    edges2clothing: an edge map or a drawing -> a 32x32 item. colorize: any photo (greyed
    first) -> a colour photo of the same size. sneaker2boot / boot2sneaker: an item -> an item.
    """
    return to_pil(translate_tensor(task, prepare(task, image), variant))


# --- figures shared by the tab and the benchmark ------------------------------------------------

def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of an ``(H, W, 3) uint8`` image (0 = grey)."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


AB_BINS = np.linspace(-128, 128, 129)  # CIELAB a and b, 2 units per bin


def ab_histogram_intersection(output: np.ndarray, original: np.ndarray) -> tuple[float, float]:
    """How well the colours' distribution matches the original's: the intersection of the marginal
    histograms of CIELAB a and of b (1 = same distribution, 0 = disjoint), as pix2pix's Table 5.

    Per-pixel scores (PSNR) punish a plausible but wrong colour more than no colour at all; this one
    asks whether the output has the original's *kind* of colours, wherever they are. A grey image
    puts every pixel at a = b = 0 and scores only the original's share of near-grey pixels.
    """
    from skimage.color import rgb2lab
    lab_out, lab_orig = rgb2lab(output), rgb2lab(original)
    scores = []
    for c in (1, 2):
        h_out, _ = np.histogram(lab_out[..., c], AB_BINS)
        h_orig, _ = np.histogram(lab_orig[..., c], AB_BINS)
        scores.append(float(np.minimum(h_out / h_out.sum(), h_orig / h_orig.sum()).sum()))
    return scores[0], scores[1]


def color_scores(output: np.ndarray, original: np.ndarray) -> dict:
    """PSNR (dB) and SSIM on RGB, the colourfulness of both and the a/b histogram intersections
    (``ab_histogram_intersection``): ``(H, W, 3) uint8`` arrays."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    with np.errstate(divide="ignore"):  # identical images: PSNR = inf
        psnr = float(peak_signal_noise_ratio(original, output, data_range=255))
    hist_a, hist_b = ab_histogram_intersection(output, original)
    return {"psnr": psnr,
            "ssim": float(structural_similarity(original, output, data_range=255, channel_axis=2,
                                                gaussian_weights=True, sigma=1.5, use_sample_covariance=False)),
            "colorfulness": colorfulness(output), "colorfulness_original": colorfulness(original),
            "hist_a": hist_a, "hist_b": hist_b}


def judge_item(image: Image.Image) -> tuple[str, float]:
    """The judge classifier's class for a 32x32 (or 28x28) item, and its probability."""
    from .data import FMNIST_CLASSES, crop28
    from .evaluate import judge_predict
    logits, _ = judge_predict(crop28(item_tensor(image)))
    p = torch.softmax(logits[0], 0)
    return FMNIST_CLASSES[int(p.argmax())], float(p.max())


def edge_density(image: Image.Image) -> float:
    """Share of edge pixels in an edge map as the model sees it (Canny maps of the items: ~12%)."""
    return float(edge_tensor(image).mean())


def example_images(folder=None) -> dict[str, list[str]]:
    """PNG files for the tab's examples, written once: test items and bundled photos (never training data)."""
    from . import settings
    folder = (settings.data_cache_dir() / "image_to_image_examples") if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[str]] = {"edges2clothing": [], "colorize": [], "sneaker2boot": [], "boot2sneaker": []}
    try:
        from .data import MissingDataError, fashion_mnist_for_app
        images, labels = fashion_mnist_for_app(train=False)
        picks = {"edges2clothing": [(0, c) for c in (9, 2, 1, 3, 8)],  # (k-th item of, class)
                 "sneaker2boot": [(k, 7) for k in range(3)], "boot2sneaker": [(k, 9) for k in range(3)]}
        for task, items in picks.items():
            for k, c in items:
                path = folder / f"fmnist-test-class{c}-{k}.png"
                if not path.exists():
                    Image.fromarray(images[labels == c][k].numpy()).save(path)
                out[task].append(str(path))
    except (MissingDataError, OSError):
        pass
    from skimage import data as skdata
    for name in ("astronaut", "coffee", "chelsea"):
        path = folder / f"{name}.png"
        if not path.exists():
            img = Image.fromarray(getattr(skdata, name)())
            img.thumbnail((384, 384))
            img.save(path)
        out["colorize"].append(str(path))
    return out
