"""Test-time rotation: a second look at upside-down bodies.

Pose networks are trained on upright people and lose inverted ones (the
paper's first failure mode: OpenPose on handstands and walkovers; BlazePose
likewise, see docs/pose.md). `RotatingBackend` wraps any backend: for every
frame it runs the backend as usual, and when nobody was found, or the
stream's previous skeleton was upside down, it also runs it on the frame
turned 180 degrees, maps those keypoints back into the original frame and
keeps whichever skeleton has the larger total confidence.

Mapping back. The frame is W x H pixels and keypoints are pixel coordinates
with pixel centres at integers (pixel (0, 0) is the top-left one), so
rotating by 180 degrees sends (x, y) to (W - 1 - x, H - 1 - y) and is its
own inverse. The labels stay as they are: a rotation is not a mirror image,
so the person's left wrist is still their left wrist. What changes is where
it appears: a person facing the camera has their left side on the image's
right; turned 180 degrees the same side is on the image's left, so the
backend sees an upright person seen from behind and labels the sides by
that, correctly. (A vertical flip, y -> H - 1 - y alone, would be a mirror
image and would need the left/right labels swapped; this module never
flips.) `tests/stream/pose/test_rotation.py` checks this on an exact
synthetic case.

The rotated frames go to the inner backend under their own stream id
(`stream_id + ROTATED_SUFFIX`), so a tracking backend keeps a separate
tracker for the rotated view instead of mixing the two orientations.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from skillstream.models.keypoints.skeleton import BODY25_INDEX

from .base import PoseBackend

# '@' is not allowed in stream ids (config.check_stream_id): no clash with a real stream.
ROTATED_SUFFIX = "@rot180"

HEAD_POINTS = tuple(BODY25_INDEX[name] for name in ("nose", "neck", "r_eye", "l_eye", "r_ear", "l_ear"))
HIP_POINTS = tuple(BODY25_INDEX[name] for name in ("mid_hip", "r_hip", "l_hip"))


def rotate_image_180(image: np.ndarray) -> np.ndarray:
    """`image` (H, W, C) turned by 180 degrees, a new contiguous array."""
    import cv2  # cv2.rotate: one pass, contiguous output (a [::-1, ::-1] view is not)

    return cv2.rotate(image, cv2.ROTATE_180)


def rotate_keypoints_180(keypoints: np.ndarray, width: int, height: int) -> np.ndarray:
    """Keypoints (..., 25, 3) of a `width` x `height` frame turned by 180
    degrees, expressed in the other orientation: (x, y) -> (W - 1 - x,
    H - 1 - y), confidence and labels unchanged, missing points (0, 0, 0)
    left missing. Its own inverse. Returns a new array."""
    out = keypoints.copy()
    present = out[..., 2] > 0
    out[..., 0] = np.where(present, width - 1 - out[..., 0], 0.0)
    out[..., 1] = np.where(present, height - 1 - out[..., 1], 0.0)
    return out


def is_upside_down(keypoints: np.ndarray) -> bool:
    """Whether the BODY_25 skeleton `keypoints` (25, 3) has its head below its
    hips in the image (mean y of the present head points greater than that of
    the present hip points). False when either group is missing."""
    present = keypoints[:, 2] > 0
    head = [i for i in HEAD_POINTS if present[i]]
    hips = [i for i in HIP_POINTS if present[i]]
    if not head or not hips:
        return False
    return float(keypoints[head, 1].mean()) > float(keypoints[hips, 1].mean())


class RotatingBackend(PoseBackend):
    """`backend` with test-time rotation (see the module's docstring).

    Same batching and threading as `backend`; opening a stream opens two in
    `backend` (the stream and its rotated view). Counters, for benchmarks:
    `frames` estimated, `rotated` frames also tried rotated, `chosen_rotated`
    frames whose answer came from the rotated view.
    """

    def __init__(self, backend: PoseBackend) -> None:
        self.backend = backend
        self.name = f"{backend.name}+rotation"
        self.max_batch = backend.max_batch
        self.workers = backend.workers
        self._upside_down: dict[str, bool] = {}
        self._lock = threading.Lock()  # guards the counters and _upside_down's keys
        self.frames = self.rotated = self.chosen_rotated = 0

    def open_stream(self, stream_id: str) -> None:
        self.backend.open_stream(stream_id)
        self.backend.open_stream(stream_id + ROTATED_SUFFIX)
        with self._lock:
            self._upside_down[stream_id] = False

    def close_stream(self, stream_id: str) -> None:
        with self._lock:
            self._upside_down.pop(stream_id, None)
        self.backend.close_stream(stream_id)
        self.backend.close_stream(stream_id + ROTATED_SUFFIX)

    def estimate(self, items: Sequence[tuple[str, np.ndarray]]) -> list[np.ndarray]:
        out = self.backend.estimate(items)
        retry = [i for i, (stream_id, _) in enumerate(items)
                 if not out[i][:, 2].any() or self._upside_down.get(stream_id, False)]
        if retry:
            rotated = self.backend.estimate([(items[i][0] + ROTATED_SUFFIX, rotate_image_180(items[i][1]))
                                             for i in retry])
            chosen = 0
            for i, keypoints in zip(retry, rotated):
                height, width = items[i][1].shape[:2]
                if keypoints[:, 2].sum() > out[i][:, 2].sum():
                    out[i] = rotate_keypoints_180(keypoints, width, height)
                    chosen += 1
        with self._lock:
            self.frames += len(items)
            if retry:
                self.rotated += len(retry)
                self.chosen_rotated += chosen
            for (stream_id, _), keypoints in zip(items, out):
                if stream_id in self._upside_down:
                    self._upside_down[stream_id] = is_upside_down(keypoints)
        return out

    def close(self) -> None:
        self.backend.close()
