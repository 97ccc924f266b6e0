"""Keypoint clips as streams: `openpose:DIR` and `npz:PATH`, and the replay
machinery that `synth:` and `record:` share (`Track`, `ReplaySource`).

    openpose:DIR[?pace=realtime|max][&fps=F][&loop=true]   an OpenPose --write_json folder
                                                           (or `skillstream synth --routine` output)
    npz:PATH[?pace=realtime|max][&fps=F][&loop=true]       a .npz clip

The whole clip is read in a worker thread by `start()`; `recv()` then gives
Frame(index, ts=index/fps, keypoints=float32 (25, 3)) paced by `Pacer`, and
SourceEnded after the last frame; with `loop=true` the clip starts again
after its last frame, index and ts going on increasing, and never ends
(demonstrations, soak runs). fps is the clip's own (sidecar or .npz),
else `fps=`, else 30. A clip that cannot be read: SourceError naming the URI
and the reader's reason (file and field).
"""

from __future__ import annotations

import asyncio
import math
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skillstream.config import SourceOptions
from skillstream.models.keypoints.clip import Clip, KeypointDataError
from skillstream.models.keypoints.npz import read_npz
from skillstream.models.keypoints.openpose_json import read_openpose_folder

from .base import PACES, Frame, Pacer, Source, SourceEnded, SourceError, SourceURI

DEFAULT_FPS = 30.0  # OpenPose JSON carries no frame rate; 30 is what cameras and the synthetic data use
FPS_RANGE = (0.1, 1000.0)  # what `fps=` may say


@dataclass(frozen=True)
class Track:
    """The frames a replay source gives, in order.

    index: int64 (T,) increasing frame indices. ts: float64 (T,) stream
    times, never decreasing. keypoints: float32 (T, 25, 3), made read-only
    (frames hand out views of it). fps, width, height: as `Source` (0: unknown).
    """

    index: np.ndarray
    ts: np.ndarray
    keypoints: np.ndarray
    fps: float
    width: int
    height: int

    @classmethod
    def from_clip(cls, clip: Clip) -> Track:
        """A clip's frames: index 0..T-1, ts = index / fps."""
        index = np.arange(len(clip), dtype=np.int64)  # (T,)
        return cls(index, index / clip.fps, clip.keypoints, float(clip.fps), int(clip.width), int(clip.height))

    def __post_init__(self) -> None:
        self.keypoints.setflags(write=False)  # a consumer that writes into a frame would corrupt the replay


class ReplaySource(Source):
    """A keypoint source whose frames are all known once started.

    Subclasses give `_load()`, blocking (it runs in a worker thread), which
    returns the `Track` or raises SourceError. With `loop`, the track
    (regular: index 0..T-1, ts = index / fps) repeats forever, index and ts
    going on increasing (frame k: index k, ts k / fps); without, SourceEnded
    follows the last frame. Lossless (`live` False): frames wait for the
    pipeline; `pace` "realtime" releases each at its ts, "max" at once.
    """

    live = False

    def __init__(self, uri: SourceURI, pace: str, loop: bool = False) -> None:
        super().__init__(uri)
        self._pacer = Pacer(pace)
        self._loop = loop
        self._track: Track | None = None
        self._sent = 0  # frames given so far

    @abstractmethod
    def _load(self) -> Track:
        """Read or make the frames (blocking, in a worker thread); SourceError naming the URI."""

    async def start(self) -> None:
        track = await asyncio.to_thread(self._load)
        self._track = track
        self.fps, self.width, self.height = track.fps, track.width, track.height
        await super().start()

    async def recv(self) -> Frame:
        row, index, ts = self._next()
        await self._pacer.wait(ts)
        return self._take(row, index, ts)  # only now: a recv() cancelled while waiting loses no frame

    @property
    def steppable(self) -> bool:
        return self._pacer.realtime

    def poll(self, now: float) -> Frame | None:
        row, index, ts = self._next()
        return self._take(row, index, ts) if self._pacer.due_time(ts) <= now else None

    def next_due(self) -> float:
        return self._pacer.due_time(self._next()[2])

    def _next(self) -> tuple[int, int, float]:
        """The next frame's row in the track, index and ts; SourceEnded after the last."""
        if self.state == "starting":
            raise RuntimeError(f"{self.uri.text!r}: recv() before start()")
        track = self._track
        if track is None:  # stopped
            raise SourceEnded
        k = self._sent
        if self._loop:
            return k % len(track.index), k, k / track.fps
        if k < len(track.index):
            return k, int(track.index[k]), float(track.ts[k])
        self.state = "ended"
        raise SourceEnded

    def _take(self, row: int, index: int, ts: float) -> Frame:
        track = self._track
        if track is None:  # stopped while waiting
            raise SourceEnded
        self._sent += 1
        return Frame(index, ts, keypoints=track.keypoints[row])  # (25, 3) read-only view

    async def stop(self) -> None:
        self._track = None  # frees the frames of a long clip
        await super().stop()


def pace_param(uri: SourceURI) -> str:
    """The `pace` query parameter (default realtime)."""
    return uri.param("pace", "realtime", PACES)


def number_param(uri: SourceURI, key: str, default: float, low: float, high: float = math.inf) -> float:
    """The query parameter `key` as a number in [low, high] (`default` where absent); SourceError otherwise."""
    text = uri.params.get(key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not low <= value <= high:
        bounds = f"from {low:g} to {high:g}" if high < math.inf else f"at least {low:g}"
        raise SourceError(f"{uri.text!r}: {key} must be a number {bounds}, got {text!r}")
    return value


def path_target(uri: SourceURI, what: str) -> Path:
    """The URI's target as a path (`~` expanded); SourceError when it is empty."""
    if not uri.target:
        raise SourceError(f"{uri.text!r}: no path: expected {uri.scheme}:{what}")
    return Path(uri.target).expanduser()


class KeypointClipSource(ReplaySource):
    """`openpose:DIR` or `npz:PATH` (see the module's docstring)."""

    def __init__(self, uri: SourceURI, path: Path, pace: str, fps: float, loop: bool) -> None:
        super().__init__(uri, pace, loop)
        self.path = path
        self._default_fps = fps

    def _load(self) -> Track:
        read = read_openpose_folder if self.uri.scheme == "openpose" else read_npz
        try:
            return Track.from_clip(read(self.path, fps=self._default_fps))
        except KeypointDataError as error:
            raise SourceError(f"{self.uri.text!r}: {error}") from error
        except OSError as error:  # FileNotFoundError: the readers name no file of their own
            raise SourceError(f"{self.uri.text!r}: {self.path}: {error.strerror or error}") from error


def create(uri: SourceURI, options: SourceOptions) -> KeypointClipSource:
    """The source for `openpose:DIR` or `npz:PATH` (not started); SourceError for bad options."""
    uri.check_params(("pace", "fps", "loop"))
    path = path_target(uri, "DIR" if uri.scheme == "openpose" else "PATH")
    fps = number_param(uri, "fps", DEFAULT_FPS, low=FPS_RANGE[0], high=FPS_RANGE[1])
    loop = uri.param("loop", "false", ("true", "false")) == "true"
    return KeypointClipSource(uri, path, pace_param(uri), fps, loop)
