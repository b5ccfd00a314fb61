"""Image-to-image translation: the Python API behind the "Image-to-image" tab.

    >>> import gan_core
    >>> gan_core.list_tasks()
    ['edges2clothing', 'colorize', 'sneaker2boot', 'boot2sneaker', 'sketch2photo']
    >>> edges = gan_core.task_input("edges2clothing", item)        # PIL -> its Canny edge map
    >>> gan_core.translate("edges2clothing", edges)                # cGAN + L1 (pix2pix)
    >>> gan_core.translate("edges2clothing", edges, variant="l1")  # the L1-only ablation

``gan_core.registry.TASKS`` is the one place that says which checkpoint serves which task and variant.
Fashion-MNIST tasks work on 32x32 grey images (the 28x28 items with a 2-pixel black border);
any other picture is fitted into that frame first. Colourisation works at the photo's own size.

The tasks of the pix2pix paper's data sets (kind "pix2pix-paper": labels -> facade, labels ->
street scene, aerial photo -> map, day -> night) are trained by the user who has the data
(``python -m gan_core.train pix2pix-facades --data DIR``) and are on offer once their checkpoint
exists. Their input is the uploaded picture itself, resized to the model's 256x256, as the
official test code does; an A|B file of the data set can be given whole as the "target":
``task_input`` then takes its input half and ``prepare_target`` its target half.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import checkpoints, pictures, settings
from ..fmnist import MissingDataError, crop28, fashion_mnist_for_app
from ..judge.api import judge_item as judge_28, judge_items as judge_28_all
from ..registry import TASKS, Task
from ..runtime import get_runtime
from . import data
from .data import edge_map

MAX_PIXELS = 4_000_000  # colourisation input limit (about 2300x1700)


PAPER = "pix2pix-paper"  # Task.kind of the paper's data sets: on offer only once trained here
DRAWING = "pix2pix-drawing"  # Task.kind of drawing -> photo on BSDS500: on offer once its checkpoints are here


def _present(task: Task) -> bool:
    return all((checkpoints.checkpoint_path(c) / "model.safetensors").exists() for c in task.checkpoints.values())


def list_tasks() -> list[str]:
    """The tasks on offer: the suite's own, and those of the pix2pix paper's data sets whose
    checkpoint is on this machine (``translate`` names the training command of a missing one)."""
    return [name for name, t in TASKS.items() if t.kind not in (PAPER, DRAWING) or _present(t)]


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
    return [name for name, t in TASKS.items() if _present(t)]


def load(task: str, variant: str = "pix2pix") -> torch.nn.Module:
    """The model of (task, variant), loaded once and cached (raises MissingCheckpointError)."""
    return checkpoints.load(checkpoint_for(task, variant), get_runtime())


# --- pictures <-> tensors (every rule lives in gan_core.pictures) -------------------------------

def item_tensor(image: Image.Image) -> torch.Tensor:
    """Any picture of a single item -> ``(1, 1, 32, 32)`` in [0, 1], light item on black like
    Fashion-MNIST (``pictures.item_32``: the same rule as the VAE tab's)."""
    return torch.from_numpy(pictures.item_32(image)).view(1, 1, 32, 32)


def edge_tensor(image: Image.Image) -> torch.Tensor:
    """An edge map or a line drawing -> ``(1, 1, 32, 32)`` binary edges, white lines on black.

    A drawing with dark strokes on a light or transparent canvas (the sketchpad) is inverted,
    cropped to its strokes, fitted into 28x28 and thresholded to thin lines like Canny's.
    """
    arr = pictures.grey(image, background=255)
    if pictures.dark_on_light(arr):
        arr = 1 - arr
    if arr.shape == (32, 32):
        return torch.from_numpy((arr > 0.5).astype(np.float32)).view(1, 1, 32, 32)
    arr = np.pad(arr, 2) if arr.shape == (28, 28) else np.pad(pictures.fit_to_frame(arr, 28, threshold=0.2), 2)
    return torch.from_numpy((arr > 0.2).astype(np.float32)).view(1, 1, 32, 32)


def grey_tensor(image: Image.Image) -> torch.Tensor:
    """A photo -> its BT.601 luma ``(1, 1, H, W)`` in [0, 1] (PIL's "L", the same weights as training)."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image, got {type(image).__name__}")
    if image.width * image.height > MAX_PIXELS:
        raise pictures.PictureError(f"the photo is {image.width}x{image.height}; colourisation takes at most "
                                    f"{MAX_PIXELS / 1e6:.0f} megapixels: shrink it first")
    grey = pictures.grey(image, background=255)
    return torch.from_numpy(grey).view(1, 1, *grey.shape)


to_pil = pictures.to_pil


def is_pair(image: Image.Image) -> bool:
    """Whether a picture looks like an A|B file of an AB data set: two squares side by side."""
    return image.width == 2 * image.height


def _pair_halves(task: str, image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """An A|B file -> (input half, target half), by the task's direction."""
    if not is_pair(image):
        raise pictures.PictureError(f"a {image.width}x{image.height} picture is not an A|B file of the data set (two "
                                    "squares side by side, twice as wide as high): upload the input itself")
    a, b = data.split_ab(image)
    return (b, a) if get_task(task).direction == "BtoA" else (a, b)


def paper_tensor(task: str, image: Image.Image) -> torch.Tensor:
    """A picture -> ``(1, C, S, S)`` in [0, 1]: flattened on white, resized (bicubic) to the model's
    training crop S (256), grey if the model takes one channel."""
    model = load(task)
    size = getattr(model, "resolution", 256)
    rgb = pictures.flatten(image).convert("RGB").resize((size, size), Image.BICUBIC)
    arr = np.asarray(rgb.convert("L") if model.in_channels == 1 else rgb, dtype=np.float32) / 255
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)     # (H, W[, 3]) -> (C, S, S)
    return torch.from_numpy(arr.copy()).unsqueeze(0)


def sketch_tensor(task: str, image: Image.Image) -> torch.Tensor:
    """A drawing or a boundary map -> ``(1, 1, S, S)`` in [0, 1], white lines on black as BSDS500's maps.

    Dark strokes on a light (or transparent) canvas, the sketchpad's, are inverted. A picture that is not
    square gives its central square (the model was trained on squares), resized (bicubic) to its size S.
    """
    size = getattr(load(task), "resolution", 256)
    arr = pictures.grey(image, background=255)
    if pictures.dark_on_light(arr):
        arr = 1 - arr
    if float(arr.max()) - float(arr.min()) < 0.05:
        raise pictures.PictureError("The drawing is empty: draw the outlines of a scene (or upload a boundary map).")
    h, w = arr.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray((arr[top:top + side, left:left + side] * 255).round().astype(np.uint8))
    out = np.asarray(square.resize((size, size), Image.BICUBIC), dtype=np.float32) / 255
    return torch.from_numpy(out.copy()).view(1, 1, size, size)


# --- the API -----------------------------------------------------------------------------------

def task_input(task: str, target_image: Image.Image) -> Image.Image:
    """A real target -> the task's input: its Canny edge map, its grey version, or the item itself."""
    t = get_task(task)
    if task == "edges2clothing":
        return to_pil(edge_map(item_tensor(target_image)[:, 0]).float().div(255))
    if task == "colorize":
        return to_pil(grey_tensor(target_image))
    if t.kind == "cyclegan":
        return to_pil(item_tensor(target_image))
    if t.kind == PAPER:  # the target of a paper task comes with its input: an A|B file of the data set
        return to_pil(paper_tensor(task, _pair_halves(task, target_image)[0]))
    if t.kind == DRAWING:
        raise ValueError("a photo's outlines as a person would draw them cannot be derived from the photo: "
                         "draw them, or upload a boundary map")
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
    if t.kind == PAPER:
        return paper_tensor(task, image)
    if t.kind == DRAWING:
        return sketch_tensor(task, image)
    raise ValueError(f"no input rule for task {task!r}")  # pragma: no cover


def prepare_input(task: str, image: Image.Image) -> Image.Image:
    """The picture the model sees for input ``image`` (a drawing fitted and thinned, a photo greyed)."""
    return to_pil(prepare(task, image))


def prepare_target(task: str, image: Image.Image) -> Image.Image:
    """A real target as the task represents it: a 32x32 item, or the colour photo as RGB."""
    if task == "colorize":
        return pictures.flatten(image)
    if get_task(task).kind == PAPER:  # an A|B file: its target half, at the model's size
        target = pictures.flatten(_pair_halves(task, image)[1]).convert("RGB")
        size = getattr(load(task), "resolution", 256)
        return target.resize((size, size), Image.BICUBIC)
    return to_pil(item_tensor(image))


def translate(task: str, image: Image.Image, variant: str = "pix2pix") -> Image.Image:
    """Translate a PIL image with the task's model: "pix2pix" (cGAN + L1) or "l1" (L1 only).

    edges2clothing: an edge map or a drawing -> a 32x32 item. colorize: any photo (greyed
    first) -> a colour photo of the same size. sneaker2boot / boot2sneaker: an item -> an item.
    The paper's data sets: the picture, resized to 256x256 -> a 256x256 photo or map. sketch2photo: a
    drawing (dark on light or light on dark; its central square) -> a 256x256 photo.
    """
    return to_pil(translate_tensor(task, prepare(task, image), variant))


# --- figures shared by the tab and the benchmark ------------------------------------------------

def judge_item(image: Image.Image) -> tuple[str, float]:
    """The judge classifier's class for a 32x32 (or 28x28) item, and its probability."""
    return judge_28(crop28(item_tensor(image)))


def judge_items(*images: Image.Image) -> list[tuple[str, float]]:
    """``judge_item`` of several pictures, in one pass of the judge (what one answer of the tab needs)."""
    return judge_28_all(torch.cat([crop28(item_tensor(im)) for im in images]))


def edge_density(image: Image.Image) -> float:
    """Share of edge pixels in an edge map as the model sees it (Canny maps of the items: ~12%)."""
    return float(edge_tensor(image).mean())


def example_images(folder=None) -> dict[str, list[str]]:
    """PNG files for the tab's examples, written once: test items and bundled photos (never training data)."""
    folder = (settings.data_cache_dir() / "image_to_image_examples") if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[str]] = {"edges2clothing": [], "colorize": [], "sneaker2boot": [], "boot2sneaker": []}
    out.update(paper_examples())
    out.update(sketch_examples())
    try:
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


def paper_examples(per_task: int = 3) -> dict[str, list[str]]:
    """A|B files of the held-out split (test/, else val/) of the folder each trained paper task
    was trained from, when that folder is on this machine (its training.json records it)."""
    out = {}
    for name, t in TASKS.items():
        if t.kind != PAPER or not _present(t):
            continue
        try:
            root = checkpoints.read_json(t.checkpoints["pix2pix"], "training.json").get("data_root")
            split = data.ab_split_for_evaluation(root) if root else None
        except (OSError, ValueError, MissingDataError):
            continue
        if split:
            out[name] = [str(p) for p in pictures.photo_files(Path(root) / split)[:per_task]]
    return out


def sketch_examples(per_task: int = 3) -> dict[str, list[str]]:
    """Human boundary maps of BSDS500's test split (never trained on) for drawing -> photo, when the
    model and the shared data are on this machine."""
    out = {}
    for name, t in TASKS.items():
        if t.kind != DRAWING or not _present(t):
            continue
        try:
            pairs = data.bsds500_pairs("test")
        except (OSError, MissingDataError):
            continue
        out[name] = [str(boundary) for _, boundary in pairs[:per_task]]
    return out
