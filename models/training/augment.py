"""Keypoint-level augmentation: new training windows from old ones, before preprocessing.

Each transform works on a window float32 (T, 25, 3) of BODY_25 x, y,
confidence in pixels (any coordinate origin: JHMDB's are centred and may be
negative), returns a new array and never touches the input. A missing point
(confidence 0) stays exactly (0, 0, 0); a present point stays present
unless the transform drops it. Geometric transforms act about the body
centre, the mean of the window's present points, so the body stays where it
was in the frame. `augment_window` draws each transform's amount from
`AugmentSettings` with a caller's seeded generator and applies them in this
order:

1. `crop_edges`: drop up to `crop_fraction` of the frames at each end: the
   segmenter's windows do not start and end exactly where a skill does.
2. `change_speed`: resample time by a factor drawn from `speed_range` (with
   probability `speed_probability`; >1 faster, fewer frames): gymnasts
   perform at different tempos. A window that fits max_timesteps still fits.
3. `mirror` (with probability `mirror_probability`): left-right mirror about
   the body centre, left and right points swapped; a mirrored skill is the
   same skill performed on the other side.
4. `turn_body` (with probability `widen_probability`): the horizontal
   offsets of each left/right pair of points from the pair's midpoint
   scaled by a factor from `widen_range`: a camera moved round the body
   shows its shoulders, hips and legs wider apart (seen more from the front)
   or closer (more from the side), which `change_view`'s foreshortening of
   the whole body does not.
5. `change_view`: the camera-view approximation. Horizontal scaling of x by
   a factor from `foreshorten_range` (with probability
   `foreshorten_probability`) imitates the foreshortening of a camera yawed
   around the beam (cos 72 deg = 0.3); an in-plane rotation of up to
   `rotation_degrees` imitates a tilted camera; a horizontal shear of up to
   `shear` imitates a camera above or below the body.
6. `jitter`: Gaussian noise of `jitter` times the body size (the median
   per-frame extent of the present points) on each present point: the pose
   estimator's noise.
7. `drop_points`: each point missing with a rate drawn from [0,
   `point_drop`], each whole frame with a rate from [0, `frame_drop`]: the
   pose estimator's lost points and frames.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from ..keypoints.skeleton import BODY25_FLIP, BODY25_NAMES, flip_left_right

# The left/right pairs of BODY_25 points that `turn_body` moves apart or together.
_RIGHT_POINTS = np.array([i for i, name in enumerate(BODY25_NAMES) if name.startswith("r_")])
_LEFT_POINTS = np.array([BODY25_FLIP[i] for i in _RIGHT_POINTS])


@dataclass(frozen=True)
class AugmentSettings:
    """Amounts of each augmentation (see the module's docstring for what each imitates).

    Probabilities and fractions are in [0, 1]; ranges are (low, high) with
    0 < low <= high. Construction checks them and raises ValueError naming
    the field.
    """

    crop_fraction: float = 0.1
    min_frames: int = 8  # cropping and speeding up keep at least this many frames (or all there are)
    speed_probability: float = 0.5
    speed_range: tuple[float, float] = (0.7, 1.4)
    mirror_probability: float = 0.5
    widen_probability: float = 1.0
    widen_range: tuple[float, float] = (0.5, 3.0)
    foreshorten_probability: float = 0.5
    foreshorten_range: tuple[float, float] = (0.3, 1.0)
    rotation_degrees: float = 10.0
    shear: float = 0.1
    jitter: float = 0.005
    point_drop: float = 0.05
    frame_drop: float = 0.02

    def __post_init__(self) -> None:
        for name in ("crop_fraction", "speed_probability", "mirror_probability", "widen_probability",
                     "foreshorten_probability", "point_drop", "frame_drop"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"augment: {name}: expected a value in [0, 1], got {getattr(self, name)!r}")
        for name in ("speed_range", "widen_range", "foreshorten_range"):
            low, high = getattr(self, name)
            if not 0.0 < low <= high:
                raise ValueError(f"augment: {name}: expected (low, high) with 0 < low <= high, "
                                 f"got {getattr(self, name)!r}")
            object.__setattr__(self, name, (float(low), float(high)))
        for name in ("rotation_degrees", "shear", "jitter"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"augment: {name}: expected a value >= 0, got {getattr(self, name)!r}")
        if not (isinstance(self.min_frames, int) and self.min_frames >= 1):
            raise ValueError(f"augment: min_frames: expected a positive integer, got {self.min_frames!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (ranges as lists), for checkpoints and reports; `from_dict` inverts it."""
        return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AugmentSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"augment: unknown field {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        # Settings stored before the body turn existed did not turn the body.
        values = {"widen_probability": 0.0, **values}
        return cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in values.items()})


def augment_window(window: np.ndarray, rng: np.random.Generator, settings: AugmentSettings,
                   max_timesteps: int) -> np.ndarray:
    """A randomly augmented copy (T', 25, 3) of `window` (T, 25, 3), as the module's docstring says."""
    length = len(window)
    keep = min(settings.min_frames, length)
    limit = int(settings.crop_fraction * length)
    room = length - keep  # never crop below `keep` frames
    start = int(rng.integers(0, min(limit, room) + 1))
    end = int(rng.integers(0, min(limit, room - start) + 1))
    out = crop_edges(window, start, end)
    if rng.random() < settings.speed_probability:
        factor = rng.uniform(*settings.speed_range)
        # Speeding up keeps at least `keep` frames.
        factor = min(factor, (len(out) - 1) / (keep - 1)) if keep > 1 else factor
        out = change_speed(out, factor, max_timesteps)
    if rng.random() < settings.mirror_probability:
        out = mirror(out)
    if rng.random() < settings.widen_probability:
        out = turn_body(out, rng.uniform(*settings.widen_range))
    foreshorten = rng.uniform(*settings.foreshorten_range) if rng.random() < settings.foreshorten_probability else 1.0
    out = change_view(out, foreshorten=foreshorten,
                      rotation_degrees=rng.uniform(-settings.rotation_degrees, settings.rotation_degrees),
                      shear=rng.uniform(-settings.shear, settings.shear))
    if settings.jitter > 0:
        out = jitter(out, rng, settings.jitter)
    point_rate = rng.uniform(0.0, settings.point_drop)
    frame_rate = rng.uniform(0.0, settings.frame_drop)
    return drop_points(out, rng.random(out.shape[:2]) < point_rate, rng.random(len(out)) < frame_rate)


def body_centre(window: np.ndarray) -> np.ndarray | None:
    """The mean x, y (2,) of the present points of `window` (T, 25, 3), or None when none is present."""
    present = window[..., 2] > 0  # (T, 25)
    if not present.any():
        return None
    return window[..., :2][present].mean(axis=0, dtype=np.float64)  # (2,)


def body_size(window: np.ndarray) -> float:
    """The median over frames of the larger side of the present points' bounding box;
    frames with fewer than two present points are left out; 0 when no frame is left."""
    present = window[..., 2] > 0  # (T, 25)
    counted = present.sum(axis=1) >= 2  # (T,)
    if not counted.any():
        return 0.0
    points = window[counted][..., :2]  # (T', 25, 2)
    inside = present[counted][..., None]  # (T', 25, 1)
    extent = np.where(inside, points, -np.inf).max(axis=1) - np.where(inside, points, np.inf).min(axis=1)  # (T', 2)
    return float(np.median(extent.max(axis=1)))


def crop_edges(window: np.ndarray, start: int, end: int) -> np.ndarray:
    """`window` without its first `start` and last `end` frames (at least one frame must remain)."""
    if start < 0 or end < 0 or start + end >= len(window):
        raise ValueError(f"crop_edges: cannot drop {start} + {end} of {len(window)} frames")
    return window[start:len(window) - end].copy()


def change_speed(window: np.ndarray, factor: float, max_timesteps: int) -> np.ndarray:
    """`window` (T, 25, 3) played `factor` times as fast: its T - 1 frame intervals
    become round((T - 1) / factor), so T' = round((T - 1) / factor) + 1 frames.

    A window of at most max_timesteps frames is kept within max_timesteps
    (the preprocessing would otherwise resample it to a different speed).
    Output frame i samples input time i * (T - 1) / (T' - 1): a point
    present in both neighbouring input frames is interpolated linearly
    (confidence too), otherwise it is the nearer frame's point, so a missing
    point is never invented.
    """
    if not factor > 0:
        raise ValueError(f"change_speed: factor must be positive, got {factor!r}")
    length = len(window)
    new_length = round((length - 1) / factor) + 1
    if length <= max_timesteps:
        new_length = min(new_length, max_timesteps)
    times = np.linspace(0.0, length - 1, new_length) if new_length > 1 else np.zeros(1)  # (T',)
    before = np.floor(times).astype(np.int64)  # (T',)
    after = np.minimum(before + 1, length - 1)  # (T',)
    weight = (times - before).astype(np.float32)[:, None, None]  # (T', 1, 1)
    a, b = window[before], window[after]  # (T', 25, 3) each
    nearest = np.where(weight < 0.5, a, b)  # (T', 25, 3)
    both = ((a[..., 2] > 0) & (b[..., 2] > 0))[..., None]  # (T', 25, 1)
    return np.where(both, (1 - weight) * a + weight * b, nearest).astype(np.float32)


def mirror(window: np.ndarray) -> np.ndarray:
    """`window` mirrored left-right about the vertical line through its body centre
    (`skeleton.flip_left_right`: x -> 2 cx - x, left and right points swapped)."""
    centre = body_centre(window)
    if centre is None:
        return window.copy()
    return flip_left_right(window, 2.0 * centre[0]).astype(np.float32)


def turn_body(window: np.ndarray, width_factor: float) -> np.ndarray:
    """`window` with the x offset of each left and right point from its pair's
    midpoint (`skeleton.BODY25_FLIP`) times `width_factor`, in the frames
    where both points of the pair are present; the other points unchanged."""
    out = window.copy()
    both = (out[:, _RIGHT_POINTS, 2] > 0) & (out[:, _LEFT_POINTS, 2] > 0)  # (T, pairs)
    middle = (out[:, _RIGHT_POINTS, 0] + out[:, _LEFT_POINTS, 0]) / 2  # (T, pairs)
    for side in (_RIGHT_POINTS, _LEFT_POINTS):
        out[:, side, 0] = np.where(both, middle + width_factor * (out[:, side, 0] - middle), out[:, side, 0])
    return out


def change_view(window: np.ndarray, foreshorten: float = 1.0, rotation_degrees: float = 0.0,
                shear: float = 0.0) -> np.ndarray:
    """`window` seen from a moved camera, about its body centre (cx, cy): x scaled by
    `foreshorten`, then x += shear * (y - cy), then rotated by `rotation_degrees`
    (image axes: y down, so positive turns clockwise on screen)."""
    centre = body_centre(window)
    if centre is None:
        return window.copy()
    angle = math.radians(rotation_degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    linear = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([foreshorten, 1.0])  # (2, 2)
    out = window.copy()
    present = out[..., 2] > 0  # (T, 25)
    offsets = out[..., :2][present] - centre  # (P, 2)
    out[..., :2][present] = (offsets @ linear.T + centre).astype(np.float32)
    return out


def jitter(window: np.ndarray, rng: np.random.Generator, relative_std: float) -> np.ndarray:
    """`window` with Gaussian noise of std relative_std * `body_size` on every present point's x, y."""
    out = window.copy()
    present = out[..., 2] > 0  # (T, 25)
    std = relative_std * body_size(window)
    out[..., :2][present] += rng.normal(0.0, std, (int(present.sum()), 2)).astype(np.float32)
    return out


def drop_points(window: np.ndarray, points: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """`window` with the points where `points` bool (T, 25) is True and every
    point of the frames where `frames` bool (T,) is True set to (0, 0, 0)."""
    out = window.copy()
    out[points | frames[:, None]] = 0.0
    return out
