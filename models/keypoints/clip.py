"""The in-memory keypoint clip: what every reader returns and every writer takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .skeleton import N_BODY25


class KeypointDataError(ValueError):
    """Bad keypoint input. The message names the file (or field) and the reason."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass
class Clip:
    """One person's BODY_25 keypoints over time.

    keypoints: float32 (T, 25, 3) = x, y, confidence, in pixels of a
        `width` x `height` frame; a missing point is (0, 0, 0); a frame with no
        person is all zeros (it is kept, so that time stays regular).
    width, height: frame size in pixels; 0 where the source does not say
        (OpenPose JSON carries no frame size).
    people: int16 (T,) how many people the source saw in each frame (the
        reader follows one of them); -1 where unknown.
    layout: the layout the source was written in before mapping to BODY_25.
    """

    keypoints: np.ndarray
    fps: float
    width: int
    height: int
    label: str | None = None
    source: str = ""
    layout: str = "body25"
    people: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        where = self.source or "clip"
        self.keypoints = np.ascontiguousarray(self.keypoints, dtype=np.float32)
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (N_BODY25, 3):
            raise KeypointDataError(where, f"keypoints must have shape (T, {N_BODY25}, 3), "
                                           f"got {self.keypoints.shape}")
        if not np.isfinite(self.keypoints).all():
            raise KeypointDataError(where, "keypoints contain NaN or infinity")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise KeypointDataError(where, f"fps must be a positive number, got {self.fps!r}")
        if self.width < 0 or self.height < 0:
            raise KeypointDataError(where, f"frame size must not be negative, got {self.width}x{self.height}")
        if self.people is None:
            self.people = np.full(len(self.keypoints), -1, np.int16)
        self.people = np.asarray(self.people, dtype=np.int16)
        if self.people.shape != (len(self.keypoints),):
            raise KeypointDataError(where, f"people must have shape ({len(self.keypoints)},), "
                                           f"got {self.people.shape}")

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def duration(self) -> float:
        """Seconds covered by the clip."""
        return len(self) / self.fps
