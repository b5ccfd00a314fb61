"""The input layer of every tab: typed, range-checked arguments and one picture loader, so that
every bad request gets a one-line ``gr.Error`` saying what was wrong and what is accepted.

Two levels:

* ``harden(demo)`` runs once over a built app. It puts a check in front of the input
  components' own preprocessing (Gradio's would raise ``TypeError`` on ``"abc"`` sent to a
  slider, ``IndexError`` on an absurd example index, ``UnidentifiedImageError`` on a broken
  upload, or echo a 100,000-character choice back), and wraps every event handler so that an
  unexpected exception is logged with its traceback and reaches the user as a short message
  with an error id. The server keeps serving either way.
* Inside handlers, ``integer``, ``number``, ``choice`` and ``picture`` check one value each.

Messages never show more than ``SHOWN`` characters of what the user sent.
"""
from __future__ import annotations

import functools
import inspect
import logging
import math
import uuid

import gradio as gr
import numpy as np
import torch

from gan_core import pictures

log = logging.getLogger("gan_suite")
CANVAS = 280          # drawing canvas of an item: the 28x28 frame, 10x
SHOWN = 24            # characters of a user's value that a message may quote
MAX_TEXT = 2000       # characters a text field accepts


def shown(value) -> str:
    """A user's value as a message may quote it: short, whatever was sent."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int) and len(str(abs(value))) > 12:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e12:
        return f"{value:.3g}"
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" between {_num(low)} and {_num(high)}"
    if low is not None:
        return f" of at least {_num(low)}"
    return f" of at most {_num(high)}" if high is not None else ""


def number(value, name: str, low: float | None = None, high: float | None = None, *,
           whole: bool = False) -> float | int:
    """``value`` as a finite number in [low, high] (a whole number if ``whole``), else gr.Error."""
    kind = "a whole number" if whole else "a number"
    problem = f"{name} must be {kind}{_range(low, high)}; got {shown(value)}."
    if isinstance(value, bool) or value is None:
        raise gr.Error(problem)
    try:
        v = float(value.strip() if isinstance(value, str) and len(value) < 64 else value)
    except (TypeError, ValueError, OverflowError):
        raise gr.Error(problem) from None
    if not math.isfinite(v) or (low is not None and v < low) or (high is not None and v > high):
        raise gr.Error(problem)
    if whole:
        if v != int(v):
            raise gr.Error(problem)
        return int(v)
    return v


def integer(value, name: str, low: int | None = None, high: int | None = None) -> int:
    return number(value, name, low, high, whole=True)


def choice(value, name: str, options) -> object:
    """One of ``options`` (a list, or a dict whose keys are accepted), else gr.Error listing them."""
    keys = list(options)
    try:
        if value in keys:
            return options[value] if isinstance(options, dict) else value
    except TypeError:  # unhashable: a list or dict sent for a choice
        pass
    listed = ", ".join(map(str, keys)) if len(keys) <= 6 else ", ".join(map(str, keys[:6])) + ", …"
    raise gr.Error(f"{name} must be one of: {listed}; got {shown(value)}.")


def picture(value, name: str = "image", *, max_pixels: int, min_side: int = 1) -> pictures.Picture:
    """An upload (path, PIL image or array) decoded by ``gan_core.pictures`` within a tab's limits."""
    if isinstance(value, dict):  # an image editor's value: its composite
        value = value.get("composite")
    try:
        return pictures.open_picture(value, max_pixels=max_pixels, min_side=min_side, what=name)
    except pictures.PictureError as err:
        raise gr.Error(str(err)) from None
    except OSError:
        raise gr.Error(f"The {name} could not be read; upload it again as a PNG or JPEG file.") from None


def picture_input(**kwargs) -> gr.Image:
    """An upload field whose file reaches the handler untouched (a path), for ``picture`` to decode:
    Gradio's own conversion would turn 16-bit and float images white or black without a word."""
    return gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"], **kwargs)


# --- an item drawn or uploaded on a canvas (the VAE tab, the SGAN classifier) ---------------------

def item_from_picture(value) -> torch.Tensor:
    """An uploaded or drawn picture -> one item ``(1, 1, 28, 28)`` in [0, 1], white on black.

    ``value`` is an ``gr.ImageEditor`` value (its composite is used) or an array ``(H, W[, C])``;
    ``gan_core.pictures.item_28`` applies the suite's one rule (the image-to-image tab's too).
    """
    if isinstance(value, dict):
        value = value.get("composite")
    if value is None:
        raise gr.Error("No item yet: upload a picture, draw one, or load a test item first.")
    try:
        item = pictures.item_28(pictures.open_picture(value, what="picture").image, background=0)
    except pictures.PictureError as err:
        raise gr.Error(str(err)) from None
    return torch.from_numpy(item).view(1, 1, 28, 28)


def canvas_value(item_u8: torch.Tensor) -> dict:
    """A test item ``(28, 28)`` uint8 as the editor's value: the 28x28 frame enlarged 10x."""
    big = item_u8.numpy().repeat(CANVAS // 28, 0).repeat(CANVAS // 28, 1)
    rgb = np.stack([big] * 3, axis=-1)
    return {"background": rgb, "layers": [], "composite": rgb}


def item_editor(value=None, **kwargs) -> gr.ImageEditor:
    """The canvas for one item: the 28x28 frame enlarged 10x, white brushes (and greys, black to erase) on
    black, uploads and pastes accepted; its value goes to ``item_from_picture``."""
    blank = {"background": np.zeros((CANVAS, CANVAS, 3), np.uint8), "layers": [], "composite": None}
    return gr.ImageEditor(
        value=blank if value is None else value, type="numpy", image_mode="RGBA", sources=["upload", "clipboard"],
        canvas_size=(CANVAS, CANVAS), height=360,
        brush=gr.Brush(colors=["#ffffff", "#b0b0b0", "#606060", "#000000"], default_color="#ffffff", default_size=18),
        format="png", **kwargs)


# --- one pass over a built app ---------------------------------------------------------------------

def _label(component) -> str:
    return getattr(component, "label", None) or getattr(component, "elem_id", None) or type(component).__name__


def _check_payload(component, payload):
    """The component's payload checked before Gradio's own preprocessing sees it."""
    name = _label(component)
    if isinstance(component, (gr.Number, gr.Slider)):
        if payload is None and isinstance(component, gr.Number):
            raise gr.Error(f"{name} is empty: enter a number{_range(component.minimum, component.maximum)}.")
        whole = getattr(component, "precision", None) == 0
        return number(payload, name, component.minimum, component.maximum, whole=whole)
    if isinstance(component, (gr.Radio, gr.Dropdown, gr.CheckboxGroup)) and not getattr(
            component, "allow_custom_value", False):
        values = [c[1] if isinstance(c, (tuple, list)) else c for c in (component.choices or [])]
        many = isinstance(component, gr.CheckboxGroup) or getattr(component, "multiselect", False)
        items = payload if many and isinstance(payload, (list, tuple)) else [payload]
        if many and not isinstance(payload, (list, tuple)) and payload is not None:
            raise gr.Error(f"{name} must be a list of choices; got {shown(payload)}.")
        for item in items:
            if item is not None or not many:
                choice(item, name, values)
        return payload
    if isinstance(component, gr.Dataset):  # the index of a clicked example
        return integer(payload, "Example number", 0, max(len(component.samples) - 1, 0))
    if isinstance(component, gr.Textbox):
        if payload is not None and not isinstance(payload, str):
            raise gr.Error(f"{name} must be text; got {shown(payload)}.")
        if payload and len(payload) > MAX_TEXT:
            raise gr.Error(f"{name} takes at most {MAX_TEXT} characters; got {len(payload)}.")
    return payload


# Checked classes: the check sits on the class, not the instance, because Gradio rebuilds a
# component for a session whose properties a handler updated (e.g. new dropdown choices).
CHECKED = (gr.Number, gr.Slider, gr.Radio, gr.Dropdown, gr.CheckboxGroup, gr.Textbox, gr.Checkbox, gr.Dataset,
           gr.Image, gr.ImageEditor, gr.Gallery, gr.File)
PICTURES = (gr.Image, gr.ImageEditor, gr.Gallery, gr.File)


def _checked(original):
    @functools.wraps(original)
    def preprocess(component, payload, *args, **kwargs):
        payload = _check_payload(component, payload)
        try:
            return original(component, payload, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as err:  # noqa: BLE001 - a broken upload must become a message, not a crash
            what = _label(component)
            log.info("refused input for %s: %s: %s", what, type(err).__name__, str(err)[:200])
            if isinstance(component, PICTURES):
                raise gr.Error(f"{what}: the file is not a picture this demo can read (empty, damaged, or too "
                               "many pixels); use a PNG or JPEG.") from None
            raise gr.Error(f"{what}: this value cannot be used ({type(err).__name__}).") from None
    preprocess.checked = True
    return preprocess


def _check_classes() -> None:
    """Put ``_check_payload`` in front of the preprocessing of every input class (once per process)."""
    for cls in CHECKED:
        if "preprocess" in vars(cls) and not getattr(vars(cls)["preprocess"], "checked", False):
            cls.preprocess = _checked(vars(cls)["preprocess"])


def guard(fn, name: str | None = None):
    """``fn`` with unexpected exceptions logged (traceback, error id) and shown as a short gr.Error.

    ``gr.Error`` passes unchanged; ``PictureError`` becomes its own message. Works for plain,
    async and generator functions alike (Gradio looks at which kind it gets).
    """
    name = name or getattr(fn, "__name__", "handler")

    def report(err: Exception):
        if isinstance(err, gr.Error):
            return err
        if isinstance(err, pictures.PictureError):
            return gr.Error(str(err))
        error_id = uuid.uuid4().hex[:8]
        log.exception("error %s in %s", error_id, name)
        return gr.Error(f"Something went wrong on the server (error id {error_id}); it has been logged. "
                        "Try another input, or try again.")

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            try:
                async for item in fn(*args, **kwargs):
                    yield item
            except Exception as err:  # noqa: BLE001
                raise report(err) from None
    elif inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                raise report(err) from None
    elif inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            try:
                return await fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                raise report(err) from None
    else:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                raise report(err) from None
    wrapper.guarded = True
    return wrapper


def harden(demo: gr.Blocks) -> gr.Blocks:
    """Check every input component's payload and guard every event handler of ``demo`` (in place)."""
    _check_classes()
    for block_fn in demo.fns.values():
        if block_fn.fn is not None and not getattr(block_fn.fn, "guarded", False):
            block_fn.fn = guard(block_fn.fn, block_fn.api_name or getattr(block_fn.fn, "__name__", None))
    return demo
