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
from .settings import PreprocessSettings


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
    mask = np.arange(max_timesteps) < n  # (M,)
    return features.reshape(max_timesteps, settings.n_features), mask


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
