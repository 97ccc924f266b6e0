"""Preprocessing: a window of BODY_25 keypoints -> the network's input.

A window is float32 (T, 25, 3): x, y, confidence in pixels; a point is
present where its confidence is positive, missing (0, 0, 0) otherwise. It
becomes features float32 (max_timesteps, F) and a validity mask bool
(max_timesteps,), True for the rows that hold real frames (in paper mode
too), as `PreprocessSettings` says:

- Length: a window of at most max_timesteps frames keeps them all, padding
  rows follow (zero); a longer one is resampled to exactly max_timesteps
  frames by nearest-frame selection spread over the whole window
  (`reference.frame_indices`: round(linspace(0, T - 1, max_timesteps)), ties
  to the later frame), so a long skill keeps its whole extent. T = 0 is an
  error.
- Min-max normalisation of x and y, per keypoint (each of the 50 columns
  over time) or per timestep (each frame's row of 50, x and y together).
  `padding="paper"` normalises the zero-padded array as the paper did:
  padding rows and missing points' zeros take part, and in keypoint mode
  padding rows get (0 - min) / (max - min). `padding="corrected"` (default)
  uses only the present points of the real frames; padding rows and missing
  points come out 0.
- A constant column or row (max == min), or one with no present value,
  comes out 0: there is no scale to normalise by, and 0 is what a missing
  value looks like.
- With `confidence=True` each point's confidence follows its x and y,
  copied unnormalised (0 in padding rows).

The kernels are Numba functions: `warm_up()` compiles them (or loads them
from the on-disk cache) and should run before the first real window, since
the first compilation takes seconds. `reference` holds the plain NumPy
specification that the tests hold the kernels to.

Bad input raises `KeypointDataError` naming the argument and the reason
(wrong shape or dtype, T = 0, NaN or infinity in a real frame). float64
arrays are accepted and converted to float32 (a copy, as is any
non-contiguous array): pixel coordinates lose nothing that matters, and
arrays built by hand are float64 by default. Any other dtype is an error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ..keypoints.clip import KeypointDataError
from ..keypoints.skeleton import N_BODY25
from .settings import NORMS, PADDINGS, PreprocessSettings

__all__ = ["NORMS", "PADDINGS", "PreprocessSettings", "pack_windows", "preprocess_batch",
           "preprocess_window", "warm_up"]


def warm_up() -> float:
    """Compile every kernel, or load it from Numba's cache; returns the seconds it took.

    Call it once at start-up; afterwards (in the same process) it returns at
    once. The wrappers below work without it, the first call then paying
    this time.
    """
    started = time.perf_counter()
    # Importing `kernels` compiles them (explicit signatures compile eagerly).
    # The import is deferred to here and to the wrappers so that importing the
    # package stays cheap and this call is where the time goes.
    from . import kernels  # noqa: F401
    return time.perf_counter() - started


def preprocess_window(window: np.ndarray, settings: PreprocessSettings) -> tuple[np.ndarray, np.ndarray]:
    """Features float32 (max_timesteps, F) and mask bool (max_timesteps,) of one window (T, 25, 3).

    Runs on the calling thread; the outputs are new arrays.
    """
    from . import kernels

    window = _keypoint_array(window, "window", 3, "(T, 25, 3)")  # (T, 25, 3)
    if len(window) == 0:
        raise KeypointDataError("window", "is empty (T = 0): there is no frame to preprocess")
    features = np.empty((settings.max_timesteps, settings.n_features), np.float32)  # (M, F)
    mask = np.empty(settings.max_timesteps, np.bool_)  # (M,)
    if not kernels._preprocess_window(window, len(window), features, mask, *_flags(settings)):
        raise KeypointDataError("window", "contains NaN or infinity")
    return features, mask


def preprocess_batch(windows: np.ndarray | Sequence[np.ndarray], settings: PreprocessSettings,
                     lengths: np.ndarray | Sequence[int] | None = None, *,
                     parallel: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Features float32 (B, max_timesteps, F) and masks bool (B, max_timesteps) of B windows.

    windows: a padded batch (B, T_max, 25, 3) with `lengths` (B,) the real
        frames of each window (1 <= lengths[b] <= T_max; frames past it are
        ignored, whatever they hold), or a sequence of B windows (T_i, 25, 3)
        with `lengths` None (they are packed first, see `pack_windows`).
    parallel: spread the windows over Numba's threads
        (`numba.set_num_threads`) instead of running on the calling thread.
        Only where those cores are otherwise idle (offline work): on 2 idle
        cores it halves the time, but while another thread or process keeps
        a core busy (pose estimation, torch) every call waits for the
        scheduler (`skillstream bench kernels` with one busy core: median
        8 ms against 0.8 ms on the calling thread, batch of 64). With
        Numba's fallback "workqueue" threading layer (neither OpenMP nor TBB
        found) a parallel call must not run in two threads at once.
    Result b equals `preprocess_window(windows[b][:lengths[b]], settings)`.
    """
    from . import kernels

    if isinstance(windows, np.ndarray):
        if lengths is None:
            raise KeypointDataError("lengths", "required with a padded batch array (the real frames of each window)")
        batch = _keypoint_array(windows, "windows", 4, "(B, T_max, 25, 3)")  # (B, T_max, 25, 3)
        lengths = _lengths(lengths, batch.shape[:2])  # (B,)
    else:
        if lengths is not None:
            raise KeypointDataError("lengths", "must be None with a sequence of windows (their lengths are known)")
        batch, lengths = pack_windows(windows)
    features = np.empty((len(batch), settings.max_timesteps, settings.n_features), np.float32)  # (B, M, F)
    masks = np.empty((len(batch), settings.max_timesteps), np.bool_)  # (B, M)
    finite = np.empty(len(batch), np.bool_)  # (B,)
    kernel = kernels._preprocess_batch_parallel if parallel else kernels._preprocess_batch
    kernel(batch, lengths, features, masks, finite, *_flags(settings))
    if not finite.all():
        raise KeypointDataError(f"windows[{np.flatnonzero(~finite)[0]}]", "contains NaN or infinity")
    return features, masks


def pack_windows(windows: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A padded batch float32 (B, T_max, 25, 3), zeros past each window's end, and
    its lengths int64 (B,), from B >= 1 windows (T_i, 25, 3) with T_i >= 1."""
    if len(windows) == 0:
        raise KeypointDataError("windows", "is empty (B = 0): there is no window to preprocess")
    arrays = [_keypoint_array(window, f"windows[{b}]", 3, "(T, 25, 3)") for b, window in enumerate(windows)]
    lengths = np.array([len(window) for window in arrays], np.int64)  # (B,)
    if (lengths == 0).any():
        raise KeypointDataError(f"windows[{np.flatnonzero(lengths == 0)[0]}]",
                                "is empty (T = 0): there is no frame to preprocess")
    batch = np.zeros((len(arrays), lengths.max(), N_BODY25, 3), np.float32)  # (B, T_max, 25, 3)
    for b, window in enumerate(arrays):
        batch[b, :len(window)] = window
    return batch, lengths


def _flags(settings: PreprocessSettings) -> tuple[int, bool, bool, bool, np.ndarray]:
    """The kernels' norm, paper, confidence, distances and motion arguments."""
    from . import kernels

    norm = {"keypoint": kernels.KEYPOINT, "timestep": kernels.TIMESTEP, "body": kernels.BODY}[settings.norm]
    return (norm, settings.padding == "paper", settings.confidence, settings.distances,
            np.array(settings.motion, np.int64))


def _keypoint_array(values: np.ndarray, name: str, ndim: int, shape: str) -> np.ndarray:
    """`values` as a C-contiguous float32 array of `ndim` dimensions ending in (25, 3)."""
    if not isinstance(values, np.ndarray):
        raise KeypointDataError(name, f"must be a NumPy array {shape}, got {type(values).__name__}")
    if values.dtype not in (np.float32, np.float64):
        raise KeypointDataError(name, f"must be float32 (float64 is converted), got {values.dtype}")
    if values.ndim != ndim or values.shape[-2:] != (N_BODY25, 3):
        raise KeypointDataError(name, f"must have shape {shape}, got {values.shape}")
    return np.ascontiguousarray(values, dtype=np.float32)


def _lengths(values: np.ndarray | Sequence[int], batch_shape: tuple[int, int]) -> np.ndarray:
    """`values` as int64 (B,) with 1 <= lengths <= T_max, B and T_max from `batch_shape`."""
    count, max_length = batch_shape
    if count == 0:
        raise KeypointDataError("windows", "is empty (B = 0): there is no window to preprocess")
    lengths = np.asarray(values)
    if lengths.dtype.kind not in "iu":
        raise KeypointDataError("lengths", f"must be integers, got {lengths.dtype}")
    if lengths.shape != (count,):
        raise KeypointDataError("lengths", f"must have shape ({count},) to match windows, got {lengths.shape}")
    if lengths.min() < 1 or lengths.max() > max_length:
        raise KeypointDataError("lengths", f"must lie in 1..{max_length} (T_max of windows), "
                                           f"got {lengths.min()}..{lengths.max()}")
    return np.ascontiguousarray(lengths, dtype=np.int64)
