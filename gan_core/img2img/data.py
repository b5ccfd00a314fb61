"""Paired (A, B) data for pix2pix, and unpaired class sets for CycleGAN.

Every builder returns uint8 tensors ``A (N, C_a, S, S)`` and ``B (N, C_b, S, S)``; the
training algorithm crops, flips and scales them to [-1, 1].

* ``ABFolder(root, split)`` / ``load_ab_folder(root, split)``: the standard "AB" format of the pix2pix datasets (facades,
  maps, cityscapes, night2day, edges2shoes, ...): ``root/{train,val,test}/*.jpg``, each file
  one image holding input | target side by side. ``direction="BtoA"`` swaps the halves
  (maps: AtoB is aerial -> map).
* ``edges2clothing(train)``: Fashion-MNIST items B and their Canny edge maps A, 32x32, white
  lines on black like the items themselves (the analogue of the paper's edges2shoes).
* ``colorize_crops(folder)``: grey A and colour B crops of natural photos, deterministic.
* ``sketch_pairs(split)``: BSDS500's human-drawn boundary maps A and their photos B (sketch -> photo).
* ``fmnist_class(name, train)``: the items of one Fashion-MNIST class, for CycleGAN.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import pictures, settings
from ..fmnist import FMNIST_CLASSES, MissingDataError, fashion_mnist


# --- the AB format -----------------------------------------------------------------------------

def split_ab(image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """One side-by-side image -> (left half, right half)."""
    w, h = image.size
    if w < 2 or w % 2:
        raise ValueError(f"an AB image must be two equal halves side by side; got width {w}")
    return image.crop((0, 0, w // 2, h)), image.crop((w // 2, 0, w, h))


class ABFolder:
    """The AB images of ``root/split``, read lazily (night2day's 17,823 pairs at 286 px would
    take 8.7 GB held in memory).

    ``folder.a`` and ``folder.b`` behave as uint8 tensors of shape ``(N, C, load_size, load_size)``
    for the trainer (``.shape`` and indexing by a tensor of indices): each half is resized to
    ``load_size`` (the paper's 286), the random 256 crop and the mirror are drawn per step by
    ``Pix2PixTraining``. A file is decoded once for both halves of a batch.
    """

    def __init__(self, root: str | Path, split: str = "train", *, load_size: int = 286, direction: str = "AtoB",
                 grey_a: bool = False, grey_b: bool = False, limit: int | None = None):
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        self.root, self.split, self.folder = Path(root), split, Path(root) / split
        files = pictures.photo_files(self.folder)
        if not files:
            raise MissingDataError(
                f"no AB images in {self.folder}. Expected the pix2pix layout: {self.root}/train/*.jpg (and val/, "
                "test/), each file the input and the target side by side, e.g. the official facades or maps sets.")
        self.files = files[:limit] if limit else files
        self.load_size, self.direction, self.grey = load_size, direction, (grey_a, grey_b)
        self._last: tuple[tuple, torch.Tensor, torch.Tensor] | None = None
        self.a, self.b = _ABSide(self, 0), _ABSide(self, 1)

    def __len__(self) -> int:
        return len(self.files)

    def pair(self, i: int) -> tuple[Image.Image, Image.Image]:
        """File ``i`` as (input, target) PIL images at their own size (``direction`` applied)."""
        with Image.open(self.files[i]) as im:
            a, b = split_ab(im.convert("RGB"))
        return (b, a) if self.direction == "BtoA" else (a, b)

    def batch(self, idx) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 ``A, B`` of the files ``idx`` (an int, a list or a tensor of indices)."""
        idx = [int(i) for i in (idx.reshape(-1).tolist() if torch.is_tensor(idx) else
                                 ([idx] if isinstance(idx, int) else idx))]
        if self._last is not None and self._last[0] == tuple(idx):
            return self._last[1], self._last[2]
        a_list, b_list = [], []
        for i in idx:
            a, b = self.pair(i)
            a_list.append(_to_uint8_chw(a, self.load_size, self.grey[0]))
            b_list.append(_to_uint8_chw(b, self.load_size, self.grey[1]))
        out = torch.stack(a_list), torch.stack(b_list)
        self._last = (tuple(idx), *out)
        return out


class _ABSide:
    """One half of an ``ABFolder`` as the trainer sees a tensor: ``.shape`` and ``side[idx]``."""

    def __init__(self, folder: ABFolder, side: int):
        self.folder, self.side = folder, side
        channels = 1 if folder.grey[side] else 3
        self.shape = (len(folder), channels, folder.load_size, folder.load_size)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx) -> torch.Tensor:
        return self.folder.batch(idx)[self.side]


def load_ab_folder(root: str | Path, split: str = "train", *, load_size: int = 286, direction: str = "AtoB",
                   grey_a: bool = False, grey_b: bool = False, limit: int | None = None):
    """Read ``root/split/*`` AB images -> uint8 ``A, B`` of shape ``(N, C, load_size, load_size)``, all
    in memory (``ABFolder`` reads them lazily).

    The paper resizes to 286 and random-crops 256 during training (``Pix2PixTraining`` does the
    crop); pass ``load_size = resolution`` to skip the jitter (e.g. for evaluation).
    """
    folder = ABFolder(root, split, load_size=load_size, direction=direction, grey_a=grey_a, grey_b=grey_b,
                      limit=limit)
    return folder.batch(range(len(folder)))


def ab_split_for_evaluation(root: str | Path) -> str:
    """The held-out split of an AB folder: ``test`` when it has one, else ``val`` (cityscapes and maps
    ship train/ and val/ only; the paper reports cityscapes on its validation set)."""
    for split in ("test", "val"):
        if pictures.photo_files(Path(root) / split):
            return split
    raise MissingDataError(f"{root} has no test/ or val/ folder of AB images to evaluate on")


def _to_uint8_chw(image: Image.Image, size: int, grey: bool) -> torch.Tensor:
    image = image.convert("L" if grey else "RGB").resize((size, size), Image.BICUBIC)
    arr = np.asarray(image)
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)     # (H, W[, 3]) -> (C, H, W)
    return torch.from_numpy(arr.copy())


def write_ab_image(a: Image.Image, b: Image.Image, path: str | Path) -> None:
    """The inverse of ``split_ab``: save A | B side by side (to build an AB folder of one's own)."""
    a, b = a.convert("RGB"), b.convert("RGB").resize(a.size)
    canvas = Image.new("RGB", (a.width * 2, a.height))
    canvas.paste(a, (0, 0))
    canvas.paste(b, (a.width, 0))
    canvas.save(path)


# --- edges -> clothing -------------------------------------------------------------------------

def edge_map(items: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Canny edges (scikit-image) of grey images: float ``(N, H, W)`` in [0, 1] -> uint8 0/255, same shape."""
    from skimage.feature import canny
    arr = items.float().numpy()
    out = np.stack([canny(im, sigma=sigma, low_threshold=0.05, high_threshold=0.15) for im in arr])
    return torch.from_numpy(out.astype(np.uint8) * 255)


def edges2clothing(train: bool = True, *, images: torch.Tensor | None = None):
    """Fashion-MNIST items (B, padded to 32x32) and their Canny edge maps (A): uint8 ``(N, 1, 32, 32)`` each.

    The edge maps of the full splits are cached in the data cache (they take a few seconds).
    Pass ``images`` (uint8 ``(N, 28, 28)``) to build pairs from other items (tests, --dry-run).
    """
    cache = None
    if images is None:
        images, _ = fashion_mnist(train=train)
        cache = settings.data_cache_dir() / f"edges2clothing-{'train' if train else 'test'}.npy"
    b = torch.nn.functional.pad(images, (2, 2, 2, 2)).unsqueeze(1)   # (N, 28, 28) -> (N, 1, 32, 32)
    if cache is not None and cache.exists():
        a = torch.from_numpy(np.load(cache))
        if a.shape == b.shape:
            return a, b
    a = edge_map(b[:, 0].float() / 255).unsqueeze(1)                 # (N, 32, 32) -> (N, 1, 32, 32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, a.numpy())
    return a, b


# --- colourisation -----------------------------------------------------------------------------

def load_folder_photos(folder: str | Path) -> list[Image.Image]:
    """Every photo of ``folder`` as an RGB PIL image, sorted by name."""
    try:
        return [Image.fromarray(arr) for arr in pictures.load_photos(folder)]
    except FileNotFoundError:
        raise MissingDataError(f"no photos in {folder}; set GAN_SUITE_SHARED_DATA to the folder holding "
                               "sr/SunHays80 and sr/Set14 (see README, 'Tab: Image-to-image')") from None


def gray_u8(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 3, H, W)`` -> BT.601 luma, uint8 ``(N, 1, H, W)`` (the weights of PIL's "L")."""
    w = torch.tensor(pictures.LUMA).view(1, 3, 1, 1)
    return (rgb.float() * w).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def colorize_crops(photos: list[Image.Image], *, size: int = 64, per_photo: int = 64, downscale: int = 2,
                   seed: int = 0):
    """Grey A ``(N, 1, size, size)`` and colour B ``(N, 3, size, size)`` uint8 crops, N = photos x per_photo.

    Each photo is first shrunk by ``downscale`` (SunHays80 is ~1024 px wide, the Set14 test
    photos ~500 px, so objects then have similar sizes); crop positions come from ``seed``.
    """
    g = torch.Generator().manual_seed(seed)
    crops = []
    for photo in photos:
        if downscale > 1:
            photo = photo.resize((photo.width // downscale, photo.height // downscale), Image.BICUBIC)
        arr = torch.from_numpy(np.asarray(photo).copy()).permute(2, 0, 1)    # (3, H, W)
        h, w = arr.shape[1:]
        if h < size or w < size:
            raise ValueError(f"a {w}x{h} photo (after /{downscale}) is smaller than the {size} px crop")
        ys = torch.randint(0, h - size + 1, (per_photo,), generator=g).tolist()
        xs = torch.randint(0, w - size + 1, (per_photo,), generator=g).tolist()
        crops += [arr[:, y:y + size, x:x + size] for y, x in zip(ys, xs)]
    b = torch.stack(crops)
    return gray_u8(b), b


# colourisation's training photo sets (settings.TRAINING_PHOTOS): folder, and the shrink that gives objects
# about the size they have in the test photos (SunHays80 is ~1024 px wide; BSDS500 and Set14 ~500 px)
COLORIZE_PHOTOS = {key: (settings.TRAINING_PHOTOS[key][0], shrink) for key, shrink in (("sunhays80", 2), ("bsds500", 1))}


def colorize_train(size: int = 64, per_photo: int = 64, photos=("sunhays80",)):
    """The colourisation training set: crops of the named sets (never Set5/Set14 or bsds500/test); the
    shipped models use both sets (the training CLI's default). Each set's crops are drawn with seed 0, in
    the order of ``photos``."""
    a, b = [], []
    for key in photos:
        folder, shrink = COLORIZE_PHOTOS[key]
        grey, colour = colorize_crops(load_folder_photos(settings.shared_data_dir() / folder), size=size,
                                      per_photo=per_photo, downscale=shrink)
        a.append(grey)
        b.append(colour)
    return torch.cat(a), torch.cat(b)


def colorize_test_photos() -> dict[str, Image.Image]:
    """sr/Set14 by file name, colour photos only (the greyscale ones have no colour to recover)."""
    folder = settings.shared_data_dir() / "sr" / "Set14"
    names = [p.stem for p in pictures.photo_files(folder)]
    photos = dict(zip(names, load_folder_photos(folder)))
    return {k: v for k, v in photos.items() if not pictures.is_grey(v)}


# --- sketch -> photo: BSDS500's human-drawn boundaries ----------------------------------------

BSDS500_SPLITS = ("train", "test")  # the val split is deliberately absent from the shared data


def bsds500_dir() -> Path:
    """``bsds500/`` in the shared data folder (``GAN_SUITE_SHARED_DATA``, see gan_core.settings)."""
    return settings.shared_data_dir() / "bsds500"


def bsds500_pairs(split: str = "train", root: str | Path | None = None) -> list[tuple[Path, Path]]:
    """(photo, boundary map) files of BSDS500's ``split``, matched by name and sorted.

    ``images/*.jpg`` are the photos; ``boundaries/*.png`` the same size, 8-bit grey: the fraction
    of the human annotators who drew a boundary through each pixel. Train on ``train`` only.
    """
    if split not in BSDS500_SPLITS:
        raise ValueError(f"BSDS500 split must be one of {', '.join(BSDS500_SPLITS)}, got {split!r}")
    folder = Path(root) / split if root is not None else bsds500_dir() / split
    photos = {p.stem: p for p in pictures.photo_files(folder / "images")}
    maps = {p.stem: p for p in pictures.photo_files(folder / "boundaries")}
    if not photos:
        raise MissingDataError(f"no BSDS500 photos in {folder / 'images'}; set GAN_SUITE_SHARED_DATA to the folder "
                               "holding bsds500/{train,test}/{images,boundaries} (see ../shared/data/README.md)")
    unmatched = sorted(set(photos) ^ set(maps))
    if unmatched:
        raise MissingDataError(f"{folder}: {len(unmatched)} photo(s) without a boundary map or the reverse, "
                               f"e.g. {unmatched[0]}")
    return [(photos[k], maps[k]) for k in sorted(photos)]


def end_squares(image: Image.Image) -> list[Image.Image]:
    """The two squares at the ends of the long side (side = the short side; they overlap in the
    middle of a 481x321 photo): every pixel of the photo is in one of them, and nothing is squashed."""
    w, h = image.size
    s = min(w, h)
    boxes = [(0, 0, s, s), (w - s, 0, w, s)] if w >= h else [(0, 0, s, s), (0, h - s, s, h)]
    return [image.crop(box) for box in boxes]


def sketch_pairs(split: str = "train", *, load_size: int = 286, root: str | Path | None = None,
                 limit: int | None = None):
    """Boundary maps A ``(N, 1, S, S)`` and photos B ``(N, 3, S, S)``, uint8, S = ``load_size``:
    the two end squares of each BSDS500 photo of ``split``, resized (N = 2 x photos).

    Training passes ``load_size`` = resolution x 286/256 (the paper's jitter then crops), the
    evaluation ``load_size`` = resolution (the official test protocol: resized, not cropped).
    """
    a_list, b_list = [], []
    for photo, boundary in bsds500_pairs(split, root)[:limit]:
        with Image.open(photo) as im, Image.open(boundary) as bm:
            im, bm = im.convert("RGB"), bm.convert("L")
            if im.size != bm.size:
                raise ValueError(f"{photo.name} is {im.size}, its boundary map {bm.size}")
            for sq_im, sq_bm in zip(end_squares(im), end_squares(bm)):
                a_list.append(_to_uint8_chw(sq_bm, load_size, True))
                b_list.append(_to_uint8_chw(sq_im, load_size, False))
    return torch.stack(a_list), torch.stack(b_list)


# --- CycleGAN ----------------------------------------------------------------------------------

def class_index(name: str) -> int:
    """A Fashion-MNIST class by name (case-insensitive) -> its label."""
    names = [c.lower() for c in FMNIST_CLASSES]
    if name.lower() not in names:
        raise ValueError(f"unknown Fashion-MNIST class {name!r}; classes: {', '.join(FMNIST_CLASSES)}")
    return names.index(name.lower())


def fmnist_class(name: str, train: bool = True) -> torch.Tensor:
    """The items of one class, uint8 ``(N, 1, 32, 32)`` (28x28 padded)."""
    images, labels = fashion_mnist(train=train)
    items = images[labels == class_index(name)]
    return torch.nn.functional.pad(items, (2, 2, 2, 2)).unsqueeze(1)


# one word per class, for task and checkpoint names ("sneaker2boot", "cyclegan-sneaker-boot")
SHORT_NAMES = {"T-shirt/top": "tshirt", "Trouser": "trouser", "Pullover": "pullover", "Dress": "dress",
               "Coat": "coat", "Sandal": "sandal", "Shirt": "shirt", "Sneaker": "sneaker", "Bag": "bag",
               "Ankle boot": "boot"}


def short_name(name: str) -> str:
    return SHORT_NAMES[FMNIST_CLASSES[class_index(name)]]
