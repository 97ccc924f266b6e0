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
from .settings import N_CORE, TRAJECTORY

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


@njit("void(float32[:, :, ::1], int64, float32[:, ::1], boolean, boolean, int64[::1])", cache=True)
def _body_features(window, n_frames, features, confidence, distances, motion):
    """`reference.body_features` of the real rows: features[:n_out] from the window's
    selected frames; the layout's widths from confidence, distances and motion.

    Sums are taken in float64, as the reference's, so that the two agree to
    float32 rounding (the tests allow 1e-5 of the scale).
    """
    max_timesteps = features.shape[0]
    n_out = min(n_frames, max_timesteps)
    centres = np.empty((n_out, 2))  # (n, 2) each frame's body centre
    seen = np.empty(n_out, np.bool_)
    spreads = np.empty(n_out)  # (n,) of the frames with two or more core points, packed
    n_spreads = 0
    window_x = 0.0
    window_y = 0.0
    n_seen = 0
    for k in range(n_out):
        src = _source_frame(k, n_frames, max_timesteps)
        count = 0
        sx = 0.0
        sy = 0.0
        for j in range(N_CORE):
            if window[src, j, 2] > 0:
                count += 1
                sx += window[src, j, 0]
                sy += window[src, j, 1]
        seen[k] = count > 0
        if count > 0:
            cx, cy = sx / count, sy / count
            centres[k, 0], centres[k, 1] = cx, cy
            window_x += cx
            window_y += cy
            n_seen += 1
            if count >= 2:
                squared = 0.0
                for j in range(N_CORE):
                    if window[src, j, 2] > 0:
                        dx = window[src, j, 0] - cx
                        dy = window[src, j, 1] - cy
                        squared += dx * dx + dy * dy
                spreads[n_spreads] = np.sqrt(squared / count)
                n_spreads += 1
    if n_seen > 0:
        window_x /= n_seen
        window_y /= n_seen
    scale = np.median(spreads[:n_spreads]) if n_spreads > 0 else 0.0
    inverse = 1.0 / scale if scale > 0 else 0.0
    per_point = 3 if confidence else 2
    trajectory = N_BODY25 * per_point
    distance_start = trajectory + TRAJECTORY
    motion_start = distance_start + (N_CORE * (N_CORE - 1) // 2 if distances else 0)
    for k in range(n_out):
        src = _source_frame(k, n_frames, max_timesteps)
        row = features[k]
        cx = centres[k, 0] if seen[k] else window_x
        cy = centres[k, 1] if seen[k] else window_y
        for j in range(N_BODY25):
            present = window[src, j, 2] > 0
            row[per_point * j] = (window[src, j, 0] - cx) * inverse if present else 0.0
            row[per_point * j + 1] = (window[src, j, 1] - cy) * inverse if present else 0.0
            if confidence:
                row[per_point * j + 2] = window[src, j, 2]
        row[trajectory] = (cx - window_x) * inverse
        row[trajectory + 1] = (cy - window_y) * inverse
        if distances:
            pair = distance_start
            for i in range(N_CORE):
                for j in range(i + 1, N_CORE):
                    if window[src, i, 2] > 0 and window[src, j, 2] > 0:
                        dx = np.float64(window[src, i, 0]) - window[src, j, 0]
                        dy = np.float64(window[src, i, 1]) - window[src, j, 1]
                        row[pair] = np.sqrt(dx * dx + dy * dy) * inverse
                    else:
                        row[pair] = 0.0
                    pair += 1
        for m in range(len(motion)):
            stride = motion[m]
            start = motion_start + 2 * N_BODY25 * m
            if k < stride:
                row[start:start + 2 * N_BODY25] = 0.0
                continue
            before = _source_frame(k - stride, n_frames, max_timesteps)
            for j in range(N_BODY25):
                if window[src, j, 2] > 0 and window[before, j, 2] > 0:
                    # (x_t - C) / s - (x_t-k - C) / s, as the reference computes it
                    row[start + 2 * j] = ((window[src, j, 0] - window_x) * inverse
                                          - (window[before, j, 0] - window_x) * inverse)
                    row[start + 2 * j + 1] = ((window[src, j, 1] - window_y) * inverse
                                              - (window[before, j, 1] - window_y) * inverse)
                else:
                    row[start + 2 * j] = 0.0
                    row[start + 2 * j + 1] = 0.0


# norm codes of `_preprocess_window` (the wrapper's `_flags` maps the settings' names)
KEYPOINT, TIMESTEP, BODY = 0, 1, 2
_WINDOW_SIGNATURE = ("boolean(float32[:, :, ::1], int64, float32[:, ::1], boolean[::1], int64, boolean, boolean, "
                     "boolean, int64[::1])")


@njit(_WINDOW_SIGNATURE, cache=True)
def _preprocess_window(window, n_frames, features, mask, norm, paper, confidence, distances, motion):
    """Fill features (M, F) and mask (M,) from the first n_frames (>= 1) frames of window (T, 25, 3).
    norm: KEYPOINT, TIMESTEP (with the confidence interleaved where F = 75) or
    BODY (`_body_features`).

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
    if norm == BODY:
        _body_features(window, n_frames, features, confidence, distances, motion)
        return True
    if norm == TIMESTEP:
        _normalise_rows(window, n_frames, features, paper)
    else:
        _normalise_columns(window, n_frames, features, paper)
    if confidence:
        _interleave_confidence(window, n_frames, features)
    return True


_BATCH_SIGNATURE = ("void(float32[:, :, :, ::1], int64[::1], float32[:, :, ::1], boolean[:, ::1], boolean[::1], "
                    "int64, boolean, boolean, boolean, int64[::1])")


@njit(_BATCH_SIGNATURE, cache=True)
def _preprocess_batch(windows, lengths, features, masks, finite, norm, paper, confidence, distances, motion):
    """`_preprocess_window` of windows[b] (T_max, 25, 3) with lengths[b] real frames, for every b;
    finite[b] is its return value."""
    for b in range(windows.shape[0]):
        finite[b] = _preprocess_window(windows[b], lengths[b], features[b], masks[b], norm, paper, confidence,
                                       distances, motion)


@njit(_BATCH_SIGNATURE, cache=True, parallel=True)
def _preprocess_batch_parallel(windows, lengths, features, masks, finite, norm, paper, confidence, distances,
                               motion):
    """`_preprocess_batch` with the windows spread over Numba's threads."""
    for b in prange(windows.shape[0]):
        finite[b] = _preprocess_window(windows[b], lengths[b], features[b], masks[b], norm, paper, confidence,
                                       distances, motion)
