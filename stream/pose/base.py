"""The pose backend interface: images in, BODY_25 skeletons out.

A backend is blocking code that runs in worker threads (never in a
coroutine); `stream.pose.service.PoseService` feeds it from the event loop.
Only the backend modules import their libraries (mediapipe, pyopenpose), so
nothing else depends on which one is installed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class PoseBackendError(Exception):
    """A backend that cannot start (library missing, model not found): the message says how to fix it."""


class PoseBackend(ABC):
    """Estimates one person's BODY_25 skeleton per image.

    max_batch: images per `estimate` call that the backend handles as one
        batch (1: one at a time).
    workers: `estimate` calls that may run at once in different threads.
    """

    name: str = ""
    max_batch: int = 1
    workers: int = 1

    def open_stream(self, stream_id: str) -> None:
        """Prepare per-stream state (trackers); called before the stream's first frame."""

    def close_stream(self, stream_id: str) -> None:
        """Drop the stream's state; called when the stream ends or is removed."""

    @abstractmethod
    def estimate(self, items: Sequence[tuple[str, np.ndarray]]) -> list[np.ndarray]:
        """Skeletons of `items`, (stream id, uint8 (H, W, 3) BGR image) pairs,
        at most `max_batch`, in order: float32 (25, 3) x, y, confidence in
        the image's pixels, all zeros when nobody is found. Blocking. The
        frames of one stream never overlap in time (a stream sends its next
        frame after the previous one's answer)."""

    def close(self) -> None:
        """Release the models (idempotent)."""
