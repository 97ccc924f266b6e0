"""Plain NumPy reference of the preprocessing: the specification of the kernels.

Same contract as the public functions of `skillstream.models.preprocess`,
for input that has passed their checks (finite float32 windows (T, 25, 3)
with T >= 1; a point is present where its confidence is positive). Written
for clarity, not speed:
the tests compare the Numba kernels against these functions and the
benchmark measures how much faster the kernels are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..keypoints.skeleton import N_BODY25
from .settings import N_CORE, PreprocessSettings

# The distance features' point pairs (i, j), i < j, in row-major order.
CORE_PAIRS = np.array([(i, j) for i in range(N_CORE) for j in range(i + 1, N_CORE)], np.int64)


def frame_indices(n_frames: int, max_timesteps: int) -> np.ndarray:
    """The source frame of each output frame, int64 (min(n_frames, max_timesteps),).

    A window that fits keeps every frame. A longer one is resampled
    uniformly over its whole extent: output frame k takes the frame nearest
    to k (T - 1) / (M - 1), ties going to the later frame, i.e.
    round(linspace(0, T - 1, M)) computed exactly in integers (so that the
    kernels agree to the frame). The first and the last frame are always
    kept; with M = 1 only the first.
    """
    if n_frames <= max_timesteps:
        return np.arange(n_frames, dtype=np.int64)
    if max_timesteps == 1:
        return np.zeros(1, dtype=np.int64)
    k = np.arange(max_timesteps, dtype=np.int64)
    return (2 * k * (n_frames - 1) + (max_timesteps - 1)) // (2 * (max_timesteps - 1))


def preprocess_window(window: np.ndarray, settings: PreprocessSettings) -> tuple[np.ndarray, np.ndarray]:
    """Features float32 (max_timesteps, F) and mask bool (max_timesteps,) of one window (T, 25, 3)."""
    max_timesteps = settings.max_timesteps
    frames = window[frame_indices(len(window), max_timesteps)]  # (n, 25, 3)
    n = len(frames)
    mask = np.arange(max_timesteps) < n  # (M,)
    if settings.norm == "body":
        features = np.zeros((max_timesteps, settings.n_features), np.float32)  # (M, F)
        features[:n] = body_features(frames, settings)
        return features, mask
    xy = frames[:, :, :2].reshape(n, 2 * N_BODY25)  # (n, 50) x0, y0, x1, y1, ...
    axis = 0 if settings.norm == "keypoint" else 1  # a column over time, or one frame's row

    normalised = np.zeros((max_timesteps, 2 * N_BODY25), np.float32)  # (M, 50)
    if settings.padding == "paper":
        # Pad first, then normalise everything: padding rows and the zeros of
        # missing points take part in the min and the max.
        normalised[:n] = xy
        normalised = _min_max(normalised, normalised.min(axis, keepdims=True),
                              normalised.max(axis, keepdims=True))
    else:
        present = np.repeat(frames[:, :, 2] > 0, 2, axis=1)  # (n, 50) both coordinates of a point
        lo = np.where(present, xy, np.inf).min(axis, keepdims=True)  # +inf where nothing is present
        hi = np.where(present, xy, -np.inf).max(axis, keepdims=True)
        normalised[:n] = np.where(present, _min_max(xy, lo, hi), 0.0)

    features = np.zeros((max_timesteps, N_BODY25, settings.values_per_point), np.float32)  # (M, 25, 2|3)
    features[:, :, :2] = normalised.reshape(max_timesteps, N_BODY25, 2)
    if settings.confidence:
        features[:n, :, 2] = frames[:, :, 2]
    return features.reshape(max_timesteps, settings.n_features), mask


def body_centre_and_scale(frames: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Each frame's body centre (n, 2), the window's centre (cx, cy) and its body scale, of frames (n, 25, 3).

    A frame's centre is the mean of its present core points (BODY_25 0-14);
    its spread is their root-mean-square distance from that centre (frames
    with at least two present core points). The scale is the median spread
    over the frames; the window's centre the mean of the frames' centres. A
    frame without a present core point takes the window's centre. Without
    any frame that has a spread (or with a spread of 0) the scale is 0 and
    every feature that it divides comes out 0.
    """
    xy = frames[:, :N_CORE, :2].astype(np.float64)  # (n, 15, 2)
    present = frames[:, :N_CORE, 2] > 0  # (n, 15)
    count = present.sum(axis=1)  # (n,)
    seen = count > 0
    centres = np.zeros((len(frames), 2))  # (n, 2)
    centres[seen] = (xy * present[..., None]).sum(axis=1)[seen] / count[seen, None]
    window_centre = centres[seen].mean(axis=0) if seen.any() else np.zeros(2)  # (2,)
    centres[~seen] = window_centre
    spread_frames = count >= 2
    squared = (((xy - centres[:, None]) ** 2).sum(axis=-1) * present).sum(axis=1)  # (n,)
    spreads = np.sqrt(squared[spread_frames] / count[spread_frames])
    scale = float(np.median(spreads)) if len(spreads) else 0.0
    return centres, window_centre, scale


def body_features(frames: np.ndarray, settings: PreprocessSettings) -> np.ndarray:
    """The body-normalised features (n, F) of the n real frames (n, 25, 3), as
    `PreprocessSettings` lays them out: per point x, y (and the confidence)
    relative to the frame's body centre over the scale; the frame's centre
    relative to the window's over the scale; the core points' distances over
    the scale; per stride k the differences of (point - window centre) /
    scale between frames t and t - k where the point is present in both.
    Missing points, and everything before the first frame of a stride, are 0."""
    n = len(frames)
    present = frames[:, :, 2] > 0  # (n, 25)
    xy = frames[:, :, :2].astype(np.float64)  # (n, 25, 2)
    centres, window_centre, scale = body_centre_and_scale(frames)
    inverse = 1.0 / scale if scale > 0 else 0.0
    posture = np.where(present[..., None], (xy - centres[:, None]) * inverse, 0.0)  # (n, 25, 2)
    if settings.confidence:
        posture = np.concatenate([posture, frames[:, :, 2:3]], axis=-1)  # (n, 25, 3)
    parts = [posture.reshape(n, -1), (centres - window_centre) * inverse]  # (n, 50|75), (n, 2)
    if settings.distances:
        a, b = CORE_PAIRS[:, 0], CORE_PAIRS[:, 1]
        both = present[:, a] & present[:, b]  # (n, 105)
        parts.append(np.where(both, np.linalg.norm(xy[:, a] - xy[:, b], axis=-1) * inverse, 0.0))  # (n, 105)
    placed = np.where(present[..., None], (xy - window_centre) * inverse, 0.0)  # (n, 25, 2)
    for stride in settings.motion:
        motion = np.zeros((n, N_BODY25, 2))  # (n, 25, 2)
        both = (present[stride:] & present[:-stride])[..., None]  # (n - k, 25, 1)
        motion[stride:] = np.where(both, placed[stride:] - placed[:-stride], 0.0)
        parts.append(motion.reshape(n, -1))  # (n, 50)
    return np.concatenate(parts, axis=1).astype(np.float32)


def preprocess_batch(windows: Sequence[np.ndarray], settings: PreprocessSettings) -> tuple[np.ndarray, np.ndarray]:
    """`preprocess_window` of each window, stacked: (B, max_timesteps, F) and (B, max_timesteps)."""
    results = [preprocess_window(window, settings) for window in windows]
    return np.stack([features for features, _ in results]), np.stack([mask for _, mask in results])


def _min_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(values - lo) / (hi - lo), float32, and 0 wherever hi - lo is not positive:
    a constant column or row (max == min) or one with no present value."""
    span = hi - lo
    scaled = (values - lo) / np.where(span > 0, span, np.float32(1))
    return np.where(span > 0, scaled, np.float32(0))
