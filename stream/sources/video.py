"""Video sources, decoded by OpenCV in threads (never in a coroutine).

- `file:PATH[?pace=realtime|max]`: a recorded video file, lossless. A
  decoder thread reads ahead at most `options.read_ahead` frames; frame i has
  ts = i / fps (the file's frame rate); `recv()` raises SourceEnded after the
  last frame. A missing or undecodable file raises SourceError naming it
  from `start()`.
- `camera:INDEX`, `rtsp://...`, `rtsps://...`, `http://...`, `https://...`:
  live. A reader thread reads frames as they come and keeps only the newest;
  one that is overwritten before `recv()` took it counts in
  `frames_dropped` (and leaves a gap in `Frame.index`). When opening or
  reading fails the state becomes "reconnecting" and the thread reopens the
  feed after a back-off that starts at `options.reconnect_min_s` and doubles
  up to `options.reconnect_max_s` (reset by the next frame). A live source
  never ends by itself; ts is the time since `start()`.

Both take the capture opener as an argument (default `open_capture`, i.e.
`cv2.VideoCapture`), so that tests can feed them without files or cameras.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from skillstream.config import SourceOptions

from .base import NETWORK_SCHEMES, PACES, Frame, Pacer, Source, SourceEnded, SourceError, SourceURI

STOP_POLL_S = 0.1  # how often a thread blocked on a full read-ahead checks for stop()
JOIN_TIMEOUT_S = 2.0  # stop() waits this long for a thread stuck in a read (it is a daemon)

# OpenCV's property ids (cv2.CAP_PROP_*), so that fakes need no cv2.
CAP_PROP_FRAME_WIDTH, CAP_PROP_FRAME_HEIGHT, CAP_PROP_FPS = 3, 4, 5


class Capture(Protocol):
    """What the sources use of `cv2.VideoCapture`."""

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def get(self, prop: int) -> float: ...

    def release(self) -> None: ...


Opener = Callable[[int | str], Capture]


def open_capture(target: int | str) -> Capture:
    """`cv2.VideoCapture(target)`, opened; SourceError when OpenCV cannot open it. Blocking."""
    import cv2

    capture = cv2.VideoCapture(target)
    if not capture.isOpened():
        capture.release()
        raise SourceError(f"OpenCV cannot open {target!r}")
    return capture


def create(uri: SourceURI, options: SourceOptions) -> Source:
    """The source for a file, camera or network video URI (not started)."""
    if uri.scheme == "file":
        return VideoFileSource(uri, options)
    if uri.scheme == "camera":
        uri.check_params(())
        try:
            index = int(uri.target)
        except ValueError:
            raise SourceError(f"{uri.text!r}: camera index must be an integer, got {uri.target!r}") from None
        return LiveVideoSource(uri, options, index)
    if uri.scheme in NETWORK_SCHEMES:
        return LiveVideoSource(uri, options, uri.target)
    raise SourceError(f"{uri.text!r}: not a video source scheme (file, camera, {', '.join(NETWORK_SCHEMES)})")


class VideoFileSource(Source):
    """A recorded video file (see the module's docstring)."""

    live = False

    def __init__(self, uri: SourceURI, options: SourceOptions, opener: Opener = open_capture) -> None:
        super().__init__(uri)
        uri.check_params(("pace",))
        if not uri.target:
            raise SourceError(f"{uri.text!r}: file: needs a path (file:PATH)")
        if options.read_ahead < 1:
            raise SourceError(f"{uri.text!r}: source_options.read_ahead must be at least 1")
        self.path = uri.target
        self._pacer = Pacer(uri.param("pace", "realtime", PACES))
        self._opener = opener
        self._frames: asyncio.Queue[Frame | SourceError | None] = asyncio.Queue(maxsize=options.read_ahead)
        # Taken by the decoder before it hands a frame over, given back by
        # recv(): at most read_ahead decoded frames wait (None: the end).
        self._room = threading.Semaphore(options.read_ahead)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ended = False

    async def start(self) -> None:
        if not os.path.isfile(self.path):
            raise SourceError(f"{self.uri.text!r}: no such video file {self.path!r}")
        capture, first = await asyncio.to_thread(self._open)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._decode, args=(capture, first),
                                        name=f"video-file:{self.path}", daemon=True)
        self._thread.start()
        self.state = "live"

    def _open(self) -> tuple[Capture, np.ndarray]:
        """Open the file and decode its first frame (proves it is a video)."""
        try:
            capture = self._opener(self.path)
        except SourceError as error:
            raise SourceError(f"{self.uri.text!r}: cannot open video file {self.path!r}: {error}") from None
        ok, first = capture.read()
        fps = capture.get(CAP_PROP_FPS)
        if not ok or first is None:
            capture.release()
            raise SourceError(f"{self.uri.text!r}: cannot decode a frame of {self.path!r}")
        if not fps > 0:
            capture.release()
            raise SourceError(f"{self.uri.text!r}: {self.path!r} has no frame rate")
        self.fps = float(fps)
        self.height, self.width = first.shape[:2]
        return capture, first

    def _decode(self, capture: Capture, image: np.ndarray | None) -> None:
        index = 0
        try:
            while image is not None:
                if not self._hand_over(Frame(index, index / self.fps, image)):
                    return
                index += 1
                ok, image = capture.read()
                if not ok:
                    image = None
            self._hand_over(None)
        except Exception as error:  # reported by recv(), in the pipeline's task
            self._hand_over(SourceError(f"{self.uri.text!r}: decoding frame {index} failed: {error}"))
        finally:
            capture.release()

    def _hand_over(self, item: Frame | SourceError | None) -> bool:
        """Queue `item` for recv() once there is room; False when stopped."""
        while not self._room.acquire(timeout=STOP_POLL_S):
            if self._stop.is_set():
                return False
        if self._stop.is_set():
            return False
        try:
            self._loop.call_soon_threadsafe(self._frames.put_nowait, item)
        except RuntimeError:  # the event loop is closed
            return False
        return True

    async def recv(self) -> Frame:
        if self._thread is None:
            raise SourceError(f"{self.uri.text!r}: recv() before start()")
        if self._ended:
            raise SourceEnded(self.uri.text)
        item = await self._frames.get()
        self._room.release()
        if not isinstance(item, Frame):
            self._ended = True
            self.state = "ended"
            raise item if item is not None else SourceEnded(self.uri.text)
        await self._pacer.wait(item.ts)
        return item

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, JOIN_TIMEOUT_S)
        while not self._frames.empty():  # decoded frames are large; an ended stream is kept for its history
            self._frames.get_nowait()
        self.state = "ended"


class LiveVideoSource(Source):
    """A camera or network video feed (see the module's docstring).

    target: what the opener opens (a camera index or the URL).
    reconnects: how many times the feed was reopened; last_error: why it
    last failed ("" if it never did).
    """

    live = True

    def __init__(self, uri: SourceURI, options: SourceOptions, target: int | str,
                 opener: Opener = open_capture) -> None:
        super().__init__(uri)
        if not 0 < options.reconnect_min_s <= options.reconnect_max_s:
            raise SourceError(f"{uri.text!r}: need 0 < source_options.reconnect_min_s <= reconnect_max_s")
        self.target = target
        self.reconnects = 0
        self.last_error = ""
        self._options = options
        self._opener = opener
        self._newest: Frame | None = None  # the one-frame buffer: a newer frame replaces it
        self._lock = threading.Lock()  # guards _newest and frames_dropped
        self._wake = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._origin = 0.0

    async def start(self) -> None:
        """Start the reader thread; returns at once (the feed opens in the thread, state "starting")."""
        self._loop = asyncio.get_running_loop()
        self._origin = time.monotonic()
        self._thread = threading.Thread(target=self._read, name=f"video-live:{self.uri.text}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        delay = self._options.reconnect_min_s
        index = 0
        while not self._stop.is_set():
            try:
                capture = self._opener(self.target)
            except Exception as error:  # OpenCV, the network: the feed is retried, never given up
                self.last_error = f"cannot open: {error}"
            else:
                self.state = "live"
                self.fps = float(capture.get(CAP_PROP_FPS) or 0.0)
                try:
                    while not self._stop.is_set():
                        ok, image = capture.read()
                        if not ok or image is None:
                            self.last_error = "read failed (feed ended or broke)"
                            break
                        delay = self._options.reconnect_min_s  # frames come again: start over
                        self.height, self.width = image.shape[:2]
                        self._publish(Frame(index, time.monotonic() - self._origin, image))
                        index += 1
                except Exception as error:
                    self.last_error = f"read failed: {error}"
                finally:
                    capture.release()
            if self._stop.is_set():
                break
            self.state = "reconnecting"
            if self._stop.wait(delay):
                break
            delay = min(2 * delay, self._options.reconnect_max_s)
            self.reconnects += 1

    def _publish(self, frame: Frame) -> None:
        with self._lock:
            if self._newest is not None:
                self.frames_dropped += 1
            self._newest = frame
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the event loop is closed: nobody is waiting
            self._stop.set()

    async def recv(self) -> Frame:
        """The newest frame not yet returned, waiting for one if needed;
        SourceEnded once stopped."""
        if self._thread is None:
            raise SourceError(f"{self.uri.text!r}: recv() before start()")
        while not self._stop.is_set():
            with self._lock:
                frame, self._newest = self._newest, None
            if frame is not None:
                return frame
            # A frame published after the check sets the event after this clear.
            self._wake.clear()
            await self._wake.wait()
        raise SourceEnded(self.uri.text)

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()  # a waiting recv() ends
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, JOIN_TIMEOUT_S)
        with self._lock:
            self._newest = None
        self.state = "ended"
