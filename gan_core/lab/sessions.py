"""Per-browser-session labs and the server-wide cap on labs that train at the same time.

Each session owns a ``LabSession`` (kept in the tab's ``gr.State``): lab A, optionally its A/B twin B,
and the id of the stream allowed to train it (pressing play again, or pause, ends older streams).
Training happens only while a "play" request holds a slot of ``LiveLabs``; a slot is released when
the stream ends, is paused, or its client disconnects (Gradio closes the generator), and a slot whose
holder has not reported for ``stale_s`` seconds is reclaimed by the next request.
"""
from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from dataclasses import dataclass, field

from . import losses
from .train import DECAY, HIST_AVG, R1_GAMMA, SMOOTH, STRUCTURAL, Lab, LabConfig

# the A/B partner B is A with one switch changed: label -> (field, value when on, value when off)
AB = {"off": None, "feature matching": ("feature_matching", True, False),
      "minibatch discrimination": ("minibatch", True, False), "historical averaging": ("hist_avg", HIST_AVG, 0.0),
      "label smoothing": ("label_smooth", SMOOTH, 0.0), "virtual batch norm": ("vbn", True, False),
      "packing (4)": ("pack", 4, 1), "unrolled D (5)": ("unroll", 5, 0),
      "learning-rate decay": ("lr_decay", DECAY, 0.0), "average of G's weights": ("g_ema", True, False),
      "R1 penalty": ("r1", R1_GAMMA, 0.0),
      **{f"loss: {name}": ("loss", name, "minimax" if name == "nonsaturating" else "nonsaturating")
         for name in losses.LOSSES}}


@dataclass
class LabSession:
    a: Lab
    b: Lab | None = None                 # the A/B twin, None when A/B is off
    ab: str = "off"                      # which switch B flips
    run_id: int = 0                      # a stream runs while this equals its own id; pause bumps it
    paused: int = -1                     # the id of the stream that pause ended
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def labs(self) -> list[Lab]:
        return [self.a] if self.b is None else [self.a, self.b]


class LiveLabs:
    """At most ``cap`` labs train at once, server-wide."""

    def __init__(self, cap: int, stale_s: float = 30.0):
        self.cap, self.stale_s = cap, stale_s
        self._held: dict[str, float] = {}    # session key -> time of its last heartbeat
        self._lock = threading.Lock()

    def acquire(self, key: str) -> bool:
        with self._lock:
            now = time.monotonic()
            for k, seen in list(self._held.items()):
                if now - seen > self.stale_s:
                    del self._held[k]
            if key not in self._held and len(self._held) >= self.cap:
                return False
            self._held[key] = now
            return True

    def heartbeat(self, key: str) -> None:
        with self._lock:
            if key in self._held:
                self._held[key] = time.monotonic()

    def release(self, key: str) -> None:
        with self._lock:
            self._held.pop(key, None)

    def live(self) -> int:
        with self._lock:
            return len(self._held)


def partner(config: LabConfig, ab: str) -> LabConfig | None:
    """B's config: A's with the switch ``ab`` turned on, or turned off where A already has it on."""
    if AB[ab] is None:
        return None
    name, on, off = AB[ab]
    return dataclasses.replace(config, **{name: off if getattr(config, name) == on else on})


def sync(session: LabSession | None, config: LabConfig, ab: str) -> LabSession:
    """Keep the session's labs if only live settings changed, else build new ones (and B's twin)."""
    same = (session is not None and session.ab == ab
            and all(getattr(session.a.config, f) == getattr(config, f) for f in STRUCTURAL))
    b_config = partner(config, ab)
    if same:
        session.a.update_config(config)
        if session.b is not None:
            session.b.update_config(b_config)
        return session
    a = Lab(config)
    fresh = LabSession(a=a, b=None if b_config is None else Lab(b_config), ab=ab)
    if session is not None:
        fresh.key, fresh.run_id = session.key, session.run_id + 1  # ends a stream of the old labs
    return fresh
