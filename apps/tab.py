"""The container a tab builds itself in.

Run alone (``python -m apps.sampling``), a tab is its own ``gr.Blocks`` app. Mounted by
``app.py`` inside a ``gr.Tab``, it must not be: every ``gr.Blocks`` builds a whole FastAPI
application when it closes (about 80 routes, a quarter of a second each time), and the suite's
nine tabs spent 5 of its 8 seconds of start-up doing so for apps nobody served. Mounted, a tab
therefore puts its components straight into the enclosing tab and attaches its page-load events
(``demo.load``) to the app being built.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import gradio as gr
from gradio.context import Context, get_render_context


@contextlib.contextmanager
def blocks() -> Iterator[gr.Blocks]:
    """``with tab.blocks() as demo:`` -- a new ``gr.Blocks`` when nothing is being built, else
    the app being built (so ``demo.load`` and ``demo.fns`` refer to the served app)."""
    if get_render_context() is None or Context.root_block is None:
        with gr.Blocks() as demo:
            yield demo
    else:
        yield Context.root_block
