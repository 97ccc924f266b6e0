"""BlazePose (MediaPipe's `solutions.pose`, full model) as a `PoseBackend`.

Each stream gets its own `mediapipe.solutions.pose.Pose` in video mode: it
tracks the body from one frame to the next (detection only when tracking is
lost), so a stream's state must not leak into another's. The graphs of
different streams are independent, so several run at once in different
threads (`workers`); one stream's frames never overlap (the interface's
rule), so each graph is only ever used by one thread at a time.

Only `model_complexity=1` (BlazePose full) is used: it ships inside the
mediapipe wheel, while the lite (0) and heavy (2) models are downloaded on
first use, which this project never does.

Output: the 33 landmarks mapped into BODY_25 by
`skeleton.to_body25(..., MEDIAPIPE33)` (neck and mid-hip derived, small toes
missing), x and y in the image's pixels (x = x_norm * W, y = y_norm * H: pixel
centres at integers, as OpenPose has them; measured: turning frames by 180
degrees and back, this convention gives a median error of 0.9 px on the demo
video, a half-pixel shift 1.6 px), confidence = the landmark's visibility. A landmark that lies
outside the image (BlazePose extrapolates hidden limbs beyond the border) is
reported missing: BODY_25 consumers expect points inside the frame.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from skillstream.config import PoseSettings
from skillstream.models.keypoints.skeleton import MEDIAPIPE33, N_BODY25, to_body25

from .base import PoseBackend, PoseBackendError

MODEL_COMPLEXITY = 1  # BlazePose full: the only model in the wheel (0 and 2 are downloaded)


def landmarks_to_body25(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """BODY_25 float32 (25, 3) pixels of BlazePose landmarks `landmarks`
    (33, 3): normalised x, y in [0, 1] and visibility, in an image `width` x
    `height`, to pixels (x * W, y * H). Landmarks outside the image are
    missing (0, 0, 0)."""
    points = np.asarray(landmarks, np.float32).copy()  # (33, 3)
    if points.shape != (MEDIAPIPE33.n_points, 3):
        raise ValueError(f"expected BlazePose landmarks of shape (33, 3), got {points.shape}")
    points[:, 0] *= width
    points[:, 1] *= height
    outside = (points[:, 0] < 0) | (points[:, 0] > width - 1) | (points[:, 1] < 0) | (points[:, 1] > height - 1)
    points[outside, 2] = 0.0
    return to_body25(points, MEDIAPIPE33)


class MediaPipeBackend(PoseBackend):
    """BlazePose full on the CPU, one tracker per stream (see the module's docstring).

    min_detection_confidence: BlazePose's person-detection threshold, also
        used as its tracking threshold (below it, tracking gives up and the
        detector runs again).
    """

    name = "mediapipe"
    max_batch = 1  # BlazePose's graph takes one image per call
    workers = os.cpu_count() or 1

    def __init__(self, min_detection_confidence: float) -> None:
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as error:
            raise PoseBackendError(f"pose.backend = 'mediapipe' needs the mediapipe package "
                                   f"(pip install mediapipe==0.10.21): {error}") from None
        self._mp_pose = mp_pose
        self._min_confidence = min_detection_confidence
        self._poses: dict[str, object] = {}
        self._lock = threading.Lock()  # guards _poses (streams open and close from several threads)

    def open_stream(self, stream_id: str) -> None:
        """Start the stream's tracker (loads the graph: about 0.1 s; call it from a thread)."""
        pose = self._mp_pose.Pose(static_image_mode=False, model_complexity=MODEL_COMPLEXITY,
                                  smooth_landmarks=True, enable_segmentation=False,
                                  min_detection_confidence=self._min_confidence,
                                  min_tracking_confidence=self._min_confidence)
        with self._lock:
            previous = self._poses.pop(stream_id, None)
            self._poses[stream_id] = pose
        if previous is not None:
            previous.close()

    def close_stream(self, stream_id: str) -> None:
        with self._lock:
            pose = self._poses.pop(stream_id, None)
        if pose is not None:
            pose.close()

    def estimate(self, items: Sequence[tuple[str, np.ndarray]]) -> list[np.ndarray]:
        """See `PoseBackend.estimate`; every stream must have been opened.
        Raises KeyError naming a stream that is not open."""
        import cv2

        out = []
        for stream_id, image in items:
            with self._lock:
                pose = self._poses.get(stream_id)
            if pose is None:
                raise KeyError(f"pose stream {stream_id!r} is not open (open_stream first)")
            height, width = image.shape[:2]
            result = pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))  # BlazePose wants RGB
            if result.pose_landmarks is None:
                out.append(np.zeros((N_BODY25, 3), np.float32))
                continue
            landmarks = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark],
                                 np.float32)  # (33, 3)
            out.append(landmarks_to_body25(landmarks, width, height))
        return out

    def close(self) -> None:
        with self._lock:
            poses, self._poses = list(self._poses.values()), {}
        for pose in poses:
            pose.close()


def create(settings: PoseSettings) -> MediaPipeBackend:
    """The backend for `pose.backend = "mediapipe"`."""
    return MediaPipeBackend(settings.min_detection_confidence)
