"""The one source interface: every feed is a `Source` with `async recv()`.

A source is opened by `start()`, yields `Frame`s from `recv()` and is
closed by `stop()`. It does no processing beyond producing frames (no pose,
no buffering beyond its own bounded read-ahead): the pipeline pulls frames
when it is ready for them.

Two kinds (`live`):
- recorded sources (files, keypoint folders, recordings) are lossless: the
  pipeline's pace is theirs. `?pace=realtime` (default) releases frame i at
  its own time (`Pacer`), `?pace=max` as soon as it is asked for;
- live sources (cameras, network video, WebRTC) keep only the newest frame
  when the pipeline falls behind, count what they drop (`frames_dropped`),
  and reconnect with back-off when the feed fails (`state` "reconnecting").

A finite source raises `SourceEnded` from `recv()` after its last frame. A
source that cannot be opened raises `SourceError` from `start()` with a
message naming the URI and the reason.

A source whose frames are known in advance and released by the clock (a
keypoint replay at `pace=realtime`) is `steppable`: besides `recv()` it
answers `poll(now)` (the next frame if it is due, without waiting) and
`next_due()` (when that is), so that the server steps every such stream in
one task each tick instead of waking a task per frame
(`stream.server.stepper`).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import numpy as np

PACES = ("realtime", "max")


class SourceError(Exception):
    """A source that cannot be opened or read: the message names the URI and the reason."""


class SourceEnded(Exception):
    """Raised by `recv()` of a finite source after its last frame."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a stream.

    index: the frame's number in the source, from 0; a gap means frames the
        source dropped (live) or that were missing (files).
    ts: seconds on the stream's own clock: index / fps for recorded sources,
        time since the stream started for live ones.
    image: uint8 (H, W, 3) BGR for image sources, else None.
    keypoints: float32 (25, 3) BODY_25 x, y, confidence in pixels for
        keypoint sources (missing point = 0, 0, 0), else None.
    """

    index: int
    ts: float
    image: np.ndarray | None = None
    keypoints: np.ndarray | None = None


@dataclass(frozen=True)
class SourceURI:
    """A parsed source URI `scheme:target?key=value&...`.

    `target` is what follows the scheme (a path, a camera index, or the whole
    URL for network schemes); `params` the query, parsed.
    """

    text: str
    scheme: str
    target: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> SourceURI:
        scheme, sep, rest = text.partition(":")
        if not sep or not scheme:
            raise SourceError(f"{text!r}: a source URI is SCHEME:TARGET (for example openpose:DIR or camera:0)")
        scheme = scheme.lower()
        if scheme in NETWORK_SCHEMES:
            return cls(text, scheme, text, {})  # the URL goes to the decoder untouched
        target, _, query = rest.partition("?")
        try:
            params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
        except ValueError:
            raise SourceError(f"{text!r}: bad query {query!r} (expected key=value&...)") from None
        return cls(text, scheme, target, params)

    def param(self, key: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.params.get(key, default)
        if choices is not None and value not in choices:
            raise SourceError(f"{self.text!r}: {key} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def check_params(self, known: tuple[str, ...]) -> None:
        """Raise SourceError for a query key the source does not take."""
        for key in self.params:
            if key not in known:
                raise SourceError(f"{self.text!r}: unknown option {key!r} "
                                  f"(this source takes: {', '.join(known) or 'none'})")


NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https")


class Source(ABC):
    """A feed of frames (see the module's docstring)."""

    live: bool = False

    def __init__(self, uri: SourceURI) -> None:
        self.uri = uri
        self.fps = 0.0          # nominal frame rate; 0: unknown
        self.width = 0          # frame size in pixels; 0: unknown
        self.height = 0
        self.frames_dropped = 0
        self.state = "starting"  # "live", "reconnecting" or "ended"

    async def start(self) -> None:
        """Open the source; raise SourceError naming the URI when it cannot be opened."""
        self.state = "live"

    @abstractmethod
    async def recv(self) -> Frame:
        """The next frame; SourceEnded after the last one of a finite source."""

    async def stop(self) -> None:
        """Release the source (idempotent)."""
        self.state = "ended"

    @property
    def steppable(self) -> bool:
        """Whether `poll` and `next_due` may be used instead of `recv` (see the module's docstring)."""
        return False

    def poll(self, now: float) -> Frame | None:
        """The next frame if it is due at time.monotonic() `now`, else None, without
        waiting; SourceEnded after the last. Only where `steppable`."""
        raise NotImplementedError(f"{type(self).__name__} is not steppable")

    def next_due(self) -> float:
        """The time.monotonic() at which `poll` gives the next frame. Only where `steppable`."""
        raise NotImplementedError(f"{type(self).__name__} is not steppable")


class Pacer:
    """Releases the frames of a recorded source at their own times (`realtime`)
    or at once (`max`). `await wait(ts)` returns when frame time `ts` is due
    on a clock started by the first call, and always suspends at least once:
    a source that is behind (or at max pace) would otherwise run without
    ever giving the loop a turn and starve the other streams."""

    def __init__(self, pace: str) -> None:
        if pace not in PACES:
            raise ValueError(f"pace must be one of {PACES}, got {pace!r}")
        self.realtime = pace == "realtime"
        self._origin: float | None = None

    async def wait(self, ts: float) -> None:
        if not self.realtime:
            await asyncio.sleep(0)
            return
        await asyncio.sleep(max(self.due_time(ts) - time.monotonic(), 0.0))  # sleep(0): one turn of the loop

    def due_time(self, ts: float) -> float:
        """The time.monotonic() at which frame time `ts` is due (realtime pace;
        the first call starts the clock: that frame is due now)."""
        if self._origin is None:
            self._origin = time.monotonic() - ts
        return self._origin + ts
