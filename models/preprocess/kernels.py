"""Numba kernels of the preprocessing. Private: call the package's functions.

Every kernel has an explicit signature, so importing this module compiles
them all (or loads them from Numba's cache in `__pycache__` beside this
file) and a call with any other argument types fails instead of compiling
again. The package's wrappers pass exactly these types; `warm_up()` times
the import. The arithmetic is the reference's (`reference.py`), operation
for operation in float32, so that the results agree exactly.

How they stay fast: x and y are first gathered into the first 50 values of
each output row (F = 75 is interleaved with the confidence at the end), a
missing point written as NaN, so that the normalisation is a plain loop over
50 contiguous values that LLVM vectorises, and a NaN result (a missing
point, or a NaN scale where there is nothing to scale by) becomes 0 by a
select rather than a branch on random data. The input is checked finite
first, so NaN means nothing else. error_model="numpy" lets a division by
NaN happen without Python's zero check before every division.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..keypoints.skeleton import N_BODY25

_COORDINATES = 2 * N_BODY25  # x0, y0, x1, y1, ...: the values that are normalised
_INF = np.float32(np.inf)
_ZERO = np.float32(0)
_NAN = np.float32(np.nan)  # marks a missing point until it is written as 0
_MISSING = np.array([np.nan, 0], np.float32)  # [used]: added to x and y, NaN marks a missing point
_EXPONENT_BITS = np.uint32(0x7F800000)  # all ones in a float32: infinity or NaN


@njit("int64(int64, int64, int64)", cache=True)
def _source_frame(k, n_frames, max_timesteps):
    """The window frame that output frame k takes: `reference.frame_indices`, one at a time."""
    if n_frames <= max_timesteps:
        return k
    if max_timesteps == 1:
        return 0
    return (2 * k * (n_frames - 1) + (max_timesteps - 1)) // (2 * (max_timesteps - 1))


@njit("boolean(float32[:, :, ::1], int64)", cache=True)
def _all_finite(window, n_frames):
    """Whether the first n_frames frames hold no NaN or infinity."""
    # An integer max over the exponent bits vectorises; an early-exit loop
    # over np.isfinite does not (twice the time).
    bits = window.reshape(-1).view(np.uint32)
    exponent = np.uint32(0)
    for i in range(n_frames * N_BODY25 * 3):
        exponent = max(exponent, bits[i] & _EXPONENT_BITS)
    return exponent != _EXPONENT_BITS


@njit("void(float32[:, :, ::1], int64, float32[:, ::1], boolean)", cache=True, error_model="numpy")
def _normalise_rows(window, n_frames, features, paper):
    """Per-timestep min-max of each real row's x, y values, into features[k, :50].

    Padding rows are left as they are (zero): in paper mode a padding row is
    a constant row, whose normalised value is 0 too.
    """
    max_timesteps = features.shape[0]
    for k in range(min(n_frames, max_timesteps)):
        src = _source_frame(k, n_frames, max_timesteps)
        row = features[k]
        lo = _INF
        hi = -_INF
        for j in range(N_BODY25):
            # A table lookup, not `0 if used else NaN`: here that compiles to
            # a branch on random data, twice as slow (measured; in
            # _normalise_columns the conditional measured faster).
            missing = _MISSING[np.intp(paper | (window[src, j, 2] > 0))]
            x = window[src, j, 0] + missing
            y = window[src, j, 1] + missing
            row[2 * j] = x
            row[2 * j + 1] = y
            # NaN compares false: a missing point leaves lo and hi as they are
            lo = x if x < lo else lo
            lo = y if y < lo else lo
            hi = x if x > hi else hi
            hi = y if y > hi else hi
        span = hi - lo
        scale = span if span > 0 else _NAN  # NaN: a constant or empty row, all 0
        for i in range(_COORDINATES):
            scaled = (row[i] - lo) / scale
            row[i] = scaled if scaled == scaled else _ZERO  # NaN: a missing point or no scale


@njit("void(float32[:, :, ::1], int64, float32[:, ::1], boolean)", cache=True, error_model="numpy")
def _normalise_columns(window, n_frames, features, paper):
    """Per-keypoint min-max of each x, y column over time, into features[:, :50].

    Paper mode: over all max_timesteps rows, padding zeros included, and the
    padding rows get their normalised value. Corrected: over the real rows
    where the point is present; everything else stays 0.
    """
    max_timesteps = features.shape[0]
    n_out = min(n_frames, max_timesteps)
    padded = paper and n_out < max_timesteps
    # lo and hi of the rows so far, ping-pong: row k reads bounds[k % 2] and
    # writes bounds[(k + 1) % 2]. Updated in place, `lo[i] = value if value <
    # lo[i] else lo[i]` vectorises to a masked store (vmaskmovps, microcoded
    # on AMD Zen), slower than the scalar update fused into the gather (paper
    # 1.04 against 0.94 ms, corrected 0.98 against 0.78). Written to the other
    # buffer it is a plain vminps/vmaxps and store: 0.61 and 0.57 ms
    # (`skillstream bench kernels`, batch of 64, calling thread).
    bounds = np.empty((2, 2, _COORDINATES), np.float32)  # (2, lo|hi, 50) per column x0, y0, x1, ...
    bounds[0, 0] = _ZERO if padded else _INF  # the padding rows' zeros take part
    bounds[0, 1] = _ZERO if padded else -_INF
    for k in range(n_out):
        src = _source_frame(k, n_frames, max_timesteps)
        for j in range(N_BODY25):
            missing = _ZERO if paper or window[src, j, 2] > 0 else _NAN
            for c in range(2):
                features[k, 2 * j + c] = window[src, j, c] + missing
        # A separate loop over the row's 50 contiguous values vectorises; the
        # gather above, strided by 3 in the window, does not.
        old = bounds[k & 1]
        new = bounds[(k + 1) & 1]
        for i in range(_COORDINATES):
            value = features[k, i]
            # NaN compares false: a missing point leaves lo and hi as they are
            new[0, i] = value if value < old[0, i] else old[0, i]
            new[1, i] = value if value > old[1, i] else old[1, i]
    lo = bounds[n_out & 1, 0]  # (50,)
    hi = bounds[n_out & 1, 1]  # (50,)
    span = hi - lo  # (50,)
    scale = np.where(span > 0, span, _NAN)  # (50,) NaN: a constant or empty column, all 0
    for k in range(max_timesteps if padded else n_out):
        for i in range(_COORDINATES):
            scaled = (features[k, i] - lo[i]) / scale[i]
            features[k, i] = scaled if scaled == scaled else _ZERO  # NaN: a missing point or no scale


@njit("void(float32[:, :, ::1], int64, float32[:, ::1])", cache=True)
def _interleave_confidence(window, n_frames, features):
    """Spread each row's x, y from [:50] to x, y, c triples over [:75], the
    confidence copied unnormalised (it is 0..1 already; 0 in padding rows)."""
    max_timesteps = features.shape[0]
    n_out = min(n_frames, max_timesteps)
    for k in range(max_timesteps):
        src = _source_frame(k, n_frames, max_timesteps) if k < n_out else -1
        row = features[k]
        for j in range(N_BODY25 - 1, -1, -1):  # backwards: every slot is read before it is written
            row[3 * j + 2] = window[src, j, 2] if src >= 0 else _ZERO
            row[3 * j + 1] = row[2 * j + 1]
            row[3 * j] = row[2 * j]


@njit("boolean(float32[:, :, ::1], int64, float32[:, ::1], boolean[::1], boolean, boolean)", cache=True)
def _preprocess_window(window, n_frames, features, mask, per_timestep, paper):
    """Fill features (M, F) and mask (M,) from the first n_frames (>= 1) frames of window (T, 25, 3);
    F = 75 interleaves the confidence, F = 50 has none.

    Returns False, leaving the outputs unspecified, when one of those
    frames holds a NaN or an infinity.
    """
    if not _all_finite(window, n_frames):
        return False
    max_timesteps = features.shape[0]
    n_out = min(n_frames, max_timesteps)
    for k in range(max_timesteps):
        mask[k] = k < n_out
    features[n_out:, :] = 0  # padding rows; every real row's values are written below
    if per_timestep:
        _normalise_rows(window, n_frames, features, paper)
    else:
        _normalise_columns(window, n_frames, features, paper)
    if features.shape[1] == 3 * N_BODY25:
        _interleave_confidence(window, n_frames, features)
    return True


_BATCH_SIGNATURE = ("void(float32[:, :, :, ::1], int64[::1], float32[:, :, ::1], boolean[:, ::1], boolean[::1], "
                    "boolean, boolean)")


@njit(_BATCH_SIGNATURE, cache=True)
def _preprocess_batch(windows, lengths, features, masks, finite, per_timestep, paper):
    """`_preprocess_window` of windows[b] (T_max, 25, 3) with lengths[b] real frames, for every b;
    finite[b] is its return value."""
    for b in range(windows.shape[0]):
        finite[b] = _preprocess_window(windows[b], lengths[b], features[b], masks[b], per_timestep, paper)


@njit(_BATCH_SIGNATURE, cache=True, parallel=True)
def _preprocess_batch_parallel(windows, lengths, features, masks, finite, per_timestep, paper):
    """`_preprocess_batch` with the windows spread over Numba's threads."""
    for b in prange(windows.shape[0]):
        finite[b] = _preprocess_window(windows[b], lengths[b], features[b], masks[b], per_timestep, paper)
