"""Skeleton layouts and their mapping into BODY_25.

BODY_25 is the project's one skeleton (OpenPose's order, documented in
`openpose/src/openpose/pose/poseParameters.cpp`). Every other layout that the
project reads (COCO-18 from old OpenPose files, COCO-17, MediaPipe's 33
BlazePose landmarks, JHMDB's 15 puppet joints) is mapped into it by
`to_body25`: points the layout has are copied, the neck and the mid-hip are
derived from the shoulders and hips when the layout lacks them, and every
other BODY_25 point is missing, i.e. (0, 0, 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BODY25_NAMES: tuple[str, ...] = (
    "nose", "neck",
    "r_shoulder", "r_elbow", "r_wrist",
    "l_shoulder", "l_elbow", "l_wrist",
    "mid_hip",
    "r_hip", "r_knee", "r_ankle",
    "l_hip", "l_knee", "l_ankle",
    "r_eye", "l_eye", "r_ear", "l_ear",
    "l_big_toe", "l_small_toe", "l_heel",
    "r_big_toe", "r_small_toe", "r_heel",
)
N_BODY25 = len(BODY25_NAMES)
BODY25_INDEX: dict[str, int] = {name: i for i, name in enumerate(BODY25_NAMES)}

# OpenPose's POSE_BODY_25_PAIRS_RENDER: the limbs drawn by overlays.
BODY25_LIMBS: tuple[tuple[int, int], ...] = (
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7),
    (8, 9), (9, 10), (10, 11), (8, 12), (12, 13), (13, 14),
    (1, 0), (0, 15), (15, 17), (0, 16), (16, 18),
    (14, 19), (19, 20), (14, 21), (11, 22), (22, 23), (11, 24),
)

# Index of each point's mirror image: a left/right flip of the body maps
# point i to BODY25_FLIP[i] (augmentation, swap detection).
BODY25_FLIP: tuple[int, ...] = tuple(
    BODY25_INDEX[{"r_": "l_", "l_": "r_"}[name[:2]] + name[2:]] if name[:2] in ("r_", "l_") else i
    for i, name in enumerate(BODY25_NAMES)
)

# Points that some layouts lack and that are the midpoint of two others.
DERIVED_POINTS: dict[int, tuple[int, int]] = {
    BODY25_INDEX["neck"]: (BODY25_INDEX["r_shoulder"], BODY25_INDEX["l_shoulder"]),
    BODY25_INDEX["mid_hip"]: (BODY25_INDEX["r_hip"], BODY25_INDEX["l_hip"]),
}


@dataclass(frozen=True)
class Layout:
    """A keypoint layout: its point names and where each lands in BODY_25.

    `body25_index[i]` is the BODY_25 index of the layout's point i, or -1 for
    a point that BODY_25 has no place for (it is dropped).
    """

    name: str
    point_names: tuple[str, ...]
    body25_index: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.point_names) != len(self.body25_index):
            raise ValueError(f"layout {self.name}: {len(self.point_names)} names "
                             f"but {len(self.body25_index)} indices")
        targets = [j for j in self.body25_index if j >= 0]
        if len(set(targets)) != len(targets) or not all(0 <= j < N_BODY25 for j in targets):
            raise ValueError(f"layout {self.name}: BODY_25 targets must be distinct and in range")

    @property
    def n_points(self) -> int:
        return len(self.point_names)


def _layout(name: str, pairs: tuple[tuple[str, str | None], ...]) -> Layout:
    return Layout(
        name=name,
        point_names=tuple(source for source, _ in pairs),
        body25_index=tuple(BODY25_INDEX[target] if target else -1 for _, target in pairs),
    )


BODY25 = Layout("body25", BODY25_NAMES, tuple(range(N_BODY25)))

# OpenPose's COCO model (18 points), written by OpenPose 1.0-1.1.
COCO18 = _layout("coco18", (
    ("nose", "nose"), ("neck", "neck"),
    ("r_shoulder", "r_shoulder"), ("r_elbow", "r_elbow"), ("r_wrist", "r_wrist"),
    ("l_shoulder", "l_shoulder"), ("l_elbow", "l_elbow"), ("l_wrist", "l_wrist"),
    ("r_hip", "r_hip"), ("r_knee", "r_knee"), ("r_ankle", "r_ankle"),
    ("l_hip", "l_hip"), ("l_knee", "l_knee"), ("l_ankle", "l_ankle"),
    ("r_eye", "r_eye"), ("l_eye", "l_eye"), ("r_ear", "r_ear"), ("l_ear", "l_ear"),
))

# The MS-COCO keypoint order (17 points): most detectors' output.
COCO17 = _layout("coco17", (
    ("nose", "nose"),
    ("left_eye", "l_eye"), ("right_eye", "r_eye"),
    ("left_ear", "l_ear"), ("right_ear", "r_ear"),
    ("left_shoulder", "l_shoulder"), ("right_shoulder", "r_shoulder"),
    ("left_elbow", "l_elbow"), ("right_elbow", "r_elbow"),
    ("left_wrist", "l_wrist"), ("right_wrist", "r_wrist"),
    ("left_hip", "l_hip"), ("right_hip", "r_hip"),
    ("left_knee", "l_knee"), ("right_knee", "r_knee"),
    ("left_ankle", "l_ankle"), ("right_ankle", "r_ankle"),
))

# MediaPipe BlazePose landmarks (33 points). Heels and foot indices map onto
# BODY_25's heels and big toes; BlazePose has no small toes, so those stay
# missing rather than invented.
MEDIAPIPE33 = _layout("mediapipe33", (
    ("nose", "nose"),
    ("left_eye_inner", None), ("left_eye", "l_eye"), ("left_eye_outer", None),
    ("right_eye_inner", None), ("right_eye", "r_eye"), ("right_eye_outer", None),
    ("left_ear", "l_ear"), ("right_ear", "r_ear"),
    ("mouth_left", None), ("mouth_right", None),
    ("left_shoulder", "l_shoulder"), ("right_shoulder", "r_shoulder"),
    ("left_elbow", "l_elbow"), ("right_elbow", "r_elbow"),
    ("left_wrist", "l_wrist"), ("right_wrist", "r_wrist"),
    ("left_pinky", None), ("right_pinky", None),
    ("left_index", None), ("right_index", None),
    ("left_thumb", None), ("right_thumb", None),
    ("left_hip", "l_hip"), ("right_hip", "r_hip"),
    ("left_knee", "l_knee"), ("right_knee", "r_knee"),
    ("left_ankle", "l_ankle"), ("right_ankle", "r_ankle"),
    ("left_heel", "l_heel"), ("right_heel", "r_heel"),
    ("left_foot_index", "l_big_toe"), ("right_foot_index", "r_big_toe"),
))

# JHMDB's puppet joints (15 points). The belly has no BODY_25 place; the face
# point stands in for the nose.
JHMDB15 = _layout("jhmdb15", (
    ("neck", "neck"), ("belly", None), ("face", "nose"),
    ("right_shoulder", "r_shoulder"), ("left_shoulder", "l_shoulder"),
    ("right_hip", "r_hip"), ("left_hip", "l_hip"),
    ("right_elbow", "r_elbow"), ("left_elbow", "l_elbow"),
    ("right_knee", "r_knee"), ("left_knee", "l_knee"),
    ("right_wrist", "r_wrist"), ("left_wrist", "l_wrist"),
    ("right_ankle", "r_ankle"), ("left_ankle", "l_ankle"),
))

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (BODY25, COCO18, COCO17, MEDIAPIPE33, JHMDB15)}


def to_body25(points: np.ndarray, layout: Layout) -> np.ndarray:
    """Map keypoints of `layout` into BODY_25.

    points: (..., N, 3) x, y, confidence, or (..., N, 2) x, y when the layout
    carries no confidence (every point is then taken as present, confidence 1).
    Returns a new float32 array (..., 25, 3). A point whose confidence is 0 is
    missing and comes out as (0, 0, 0). Derived points (neck, mid-hip) that the
    layout lacks are the midpoint of their two sources, with the smaller of
    their confidences, and missing when either source is missing.
    """
    points = np.asarray(points, dtype=np.float32)
    if points.ndim < 2 or points.shape[-2] != layout.n_points or points.shape[-1] not in (2, 3):
        raise ValueError(f"{layout.name}: expected points of shape (..., {layout.n_points}, 2|3), "
                         f"got {points.shape}")
    if points.shape[-1] == 2:
        points = np.concatenate([points, np.ones(points.shape[:-1] + (1,), np.float32)], axis=-1)
    out = np.zeros(points.shape[:-2] + (N_BODY25, 3), np.float32)  # (..., 25, 3)
    source = np.flatnonzero(np.asarray(layout.body25_index) >= 0)
    target = np.asarray(layout.body25_index)[source]
    out[..., target, :] = points[..., source, :]
    present = set(target.tolist())
    for derived, (a, b) in DERIVED_POINTS.items():
        if derived in present:
            continue
        confidence = np.minimum(out[..., a, 2], out[..., b, 2])  # (...)
        midpoint = 0.5 * (out[..., a, :2] + out[..., b, :2])  # (..., 2)
        out[..., derived, :2] = np.where(confidence[..., None] > 0, midpoint, 0.0)
        out[..., derived, 2] = confidence
    return clear_missing(out)


def clear_missing(keypoints: np.ndarray) -> np.ndarray:
    """Set every point whose confidence is not positive to (0, 0, 0), in place; returns it."""
    keypoints[keypoints[..., 2] <= 0] = 0.0
    return keypoints


def flip_left_right(keypoints: np.ndarray, width: float) -> np.ndarray:
    """Mirror BODY_25 keypoints (..., 25, 3) about the vertical centre line of an
    image `width` pixels wide: x -> width - x and left/right points swapped.
    Missing points stay (0, 0, 0). Returns a new array."""
    out = keypoints[..., list(BODY25_FLIP), :].copy()
    present = out[..., 2] > 0
    out[..., 0] = np.where(present, width - out[..., 0], 0.0)
    return out
