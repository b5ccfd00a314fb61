"""What a new visitor costs the server: the page description once, not once per visitor.

Every new visitor (a browser opening the page, a ``gradio_client.Client``) first asks for the
app's description: ``GET /config`` (617 kB of JSON for the suite's ~470 components) and
``GET /gradio_api/info`` (270 kB), or the page ``GET /`` with the description inside. Gradio
rebuilds each answer from scratch every time: a deep copy of the whole configuration, a walk
over it to rewrite every file URL against this request's root, and a JSON encoding; 60, 26 and
84 ms of server CPU respectively on the 2-core machine here (with other work running). The
first call of a session then builds the session's state, which in Gradio 6 starts with a copy
of every component's configuration (``SessionState.config_values``, about 40 ms for the suite),
kept only for "deep links", a feature the suite does not use. On a quiet machine a new
``gradio_client`` user cost the server 71 ms to connect and 67 ms for its first call (31 ms for a
later one); with both changes 25 and 23 ms (BENCHMARKS.md, "What a visitor and a call cost the server").

* ``CachedPages``: ASGI middleware that answers those three GETs from memory once it has seen
  Gradio's answer for the same request origin (host, forwarded headers, root path). Requests
  with a query string (pages, deep links), other methods, non-200 answers and answers that set
  cookies are never cached. The configuration does not change after ``launch()`` in this suite
  (no ``gr.render``), so nothing goes stale.
* ``LeanSessionState``: Gradio's ``SessionState`` with ``config_values`` filled on first use,
  block by block, instead of for all components when the session starts. Every read gives what
  the eager copy gave: a block's entry is built from the same block object, and entries Gradio
  writes (after an event changes a component) are stored as before.

``install()`` puts the session state in place; ``launch_kwargs()`` is what ``Blocks.launch``
needs for the middleware (app.py's ``serve``).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from gradio import state_holder

CACHED_PATHS = ("/", "/config", "/gradio_api/info")
MAX_ENTRIES = 32  # request origins remembered (a Space sees one or two)


class CachedPages:
    """Serve ``GET`` of ``CACHED_PATHS`` (no query string) from memory after Gradio's first answer."""

    def __init__(self, app):
        self.app = app
        self.store: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def key(scope) -> tuple | None:
        if (scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string")
                or scope["path"] not in CACHED_PATHS):
            return None
        origin = tuple(sorted((k, v) for k, v in scope.get("headers", ())
                              if k in (b"host", b"forwarded") or k.startswith(b"x-forwarded")))
        return scope["path"], scope.get("root_path", ""), scope.get("scheme", "http"), origin

    async def __call__(self, scope, receive, send):
        key = self.key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        with self.lock:
            hit = self.store.get(key)
            if hit is not None:
                self.store.move_to_end(key)
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start, chunks = {}, []

        async def recording_send(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, recording_send)
        headers = list(start.get("headers", ()))
        if start.get("status") == 200 and not any(k.lower() == b"set-cookie" for k, _ in headers):
            with self.lock:
                self.store[key] = (200, headers, b"".join(chunks))
                while len(self.store) > MAX_ENTRIES:
                    self.store.popitem(last=False)


def launch_kwargs() -> dict:
    """Keyword arguments of ``Blocks.launch`` that put ``CachedPages`` in front of Gradio's routes."""
    from starlette.middleware import Middleware
    return {"app_kwargs": {"middleware": [Middleware(CachedPages)]}}


class _LazyConfigValues(dict):
    """``SessionState.config_values``, each block's entry built when first read."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self._blocks_config, self._pending = blocks_config, set(ids)

    def _fill(self, key) -> None:
        if key in self._pending:
            self._pending.discard(key)
            blocks = self._blocks_config.blocks
            super().__setitem__(key, self._blocks_config.config_for_block(key, [], blocks[key]))

    def _fill_all(self) -> None:
        for key in sorted(self._pending):
            self._fill(key)

    def __getitem__(self, key):
        self._fill(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._fill(key)
        return super().get(key, default)

    def __setitem__(self, key, value):
        self._pending.discard(key)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._pending.discard(key)
        super().__delitem__(key)

    def __contains__(self, key):
        return key in self._pending or super().__contains__(key)

    def __len__(self):
        return len(self._pending) + super().__len__()

    def _reading_all(name):  # noqa: N805 - makes the methods below (the reads of the whole copy)
        def read_all(self):
            self._fill_all()
            return getattr(dict, name)(self)
        return read_all

    __iter__, keys, values, items = (_reading_all("__iter__"), _reading_all("keys"), _reading_all("values"),
                                     _reading_all("items"))
    del _reading_all


class _WithoutComponents:
    """What ``SessionState.__init__`` reads of a ``Blocks``, with no components to copy the configuration of."""

    def __init__(self, blocks):
        self.default_config = blocks.default_config
        self.blocks = {}


class LeanSessionState(state_holder.SessionState):
    """Gradio's per-session state, without the up-front copy of every component's configuration."""

    def __init__(self, blocks):
        super().__init__(_WithoutComponents(blocks))  # Gradio's own __init__; its component loop finds none
        self.config_values = _LazyConfigValues(self.blocks_config,
                                               [k for k in self.blocks_config.blocks if k in blocks.blocks])


def install() -> None:
    """New sessions get ``LeanSessionState`` (idempotent)."""
    state_holder.SessionState = LeanSessionState
