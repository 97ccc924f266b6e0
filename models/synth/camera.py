"""A random pinhole camera around the beam, projecting world points to pixels.

The camera stands on a tripod at `distance` metres from the middle of the
motion, `yaw` degrees around the beam (0 = looking perpendicular at the
beam from its side, +-90 = looking along it) and `pitch` degrees above it
(> 0 looks down). It may pan after the gymnast (a camera operator with some
lag) and zoom slowly; its focal length is drawn so that the gymnast stays in
the 1280 x 720 frame as far as the drawn range allows. Pixel axes: x right,
y down, origin at the top-left corner (OpenPose's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillstream.models.keypoints.skeleton import BODY25_INDEX

WIDTH, HEIGHT = 1280, 720
DEFAULT_YAW_RANGES: tuple[tuple[float, float], ...] = ((-75.0, 75.0),)
PITCH_RANGE = (-5.0, 20.0)
DISTANCE_RANGE = (5.0, 12.0)
FOCAL_RANGE = (800.0, 2000.0)
# The gymnast's points stay within this fraction of the half-frame from the
# centre when the focal length allows it.
FILL = 0.9


@dataclass(frozen=True)
class Camera:
    """One camera over a clip of T frames.

    position: (3,) world metres; rotation: (T, 3, 3) camera-from-world rows
    (right, down, forward); focal: (T,) pixels; yaw, pitch, distance: the
    drawn placement (degrees, degrees, metres); follow: how much the camera
    pans after the gymnast (0 = fixed).
    """

    position: np.ndarray
    rotation: np.ndarray
    focal: np.ndarray
    yaw: float
    pitch: float
    distance: float
    follow: float
    width: int = WIDTH
    height: int = HEIGHT

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (T, N, 3) -> pixels (T, N, 2) and depth along the
        optical axis (T, N) in metres (> 0 in front of the camera)."""
        local = np.einsum("tij,tnj->tni", self.rotation, points - self.position)  # (T, N, 3)
        depth = local[..., 2]  # (T, N)
        safe = np.where(depth > 1e-6, depth, 1e-6)
        pixels = self.focal[:, None, None] * local[..., :2] / safe[..., None]  # (T, N, 2)
        pixels += np.array([self.width / 2, self.height / 2])
        return pixels, depth


def parse_yaw_ranges(text: str) -> tuple[tuple[float, float], ...]:
    """'MIN:MAX[,MIN:MAX...]' in degrees -> ((min, max), ...). Raises
    ValueError naming the bad part: not two numbers, min > max, or beyond
    +-180 degrees."""
    ranges = []
    for part in text.split(","):
        pieces = part.strip().split(":")
        try:
            low, high = (float(piece) for piece in pieces)
        except ValueError:
            raise ValueError(f"yaw range {part.strip()!r} is not MIN:MAX in degrees") from None
        if not (np.isfinite(low) and np.isfinite(high)) or low > high or low < -180 or high > 180:
            raise ValueError(f"yaw range {part.strip()!r} must have -180 <= MIN <= MAX <= 180")
        ranges.append((low, high))
    return tuple(ranges)


def sample_yaw(rng: np.random.Generator, ranges: tuple[tuple[float, float], ...]) -> float:
    """Uniform over the union of `ranges` (each weighted by its width; a
    zero-width range is a fixed angle, taken when all ranges are points)."""
    widths = np.array([high - low for low, high in ranges])
    weights = widths / widths.sum() if widths.sum() > 0 else np.full(len(ranges), 1 / len(ranges))
    low, high = ranges[rng.choice(len(ranges), p=weights)]
    return float(rng.uniform(low, high))


def _look_at(position: np.ndarray, targets: np.ndarray, roll: float) -> np.ndarray:
    """Camera-from-world rotations (T, 3, 3) looking from `position` at
    `targets` (T, 3), world z up, rolled by `roll` degrees."""
    forward = targets - position  # (T, 3)
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    down = np.cross(forward, right)
    c, s = np.cos(np.radians(roll)), np.sin(np.radians(roll))
    return np.stack([c * right + s * down, -s * right + c * down, forward], axis=1)


def _follow(track: np.ndarray, fps: float, lag: float) -> np.ndarray:
    """An operator's pan: `track` (T, 3) through a one-sided exponential
    smoothing with time constant `lag` seconds (the camera lags behind)."""
    alpha = 1.0 - np.exp(-1.0 / (lag * fps))
    out = np.empty_like(track)
    out[0] = track[0]
    for t in range(1, len(track)):
        out[t] = out[t - 1] + alpha * (track[t] - out[t - 1])
    return out


def sample_camera(rng: np.random.Generator, points: np.ndarray, fps: float,
                  yaw_ranges: tuple[tuple[float, float], ...] = DEFAULT_YAW_RANGES,
                  follow: float | None = None) -> Camera:
    """A random camera filming the world `points` (T, 25, 3).

    yaw from `yaw_ranges` (see `sample_yaw`), pitch and distance uniform in
    PITCH_RANGE and DISTANCE_RANGE, roll within +-3 degrees. The camera aims
    at the middle of the motion plus an offset of up to 0.3 m; with
    `follow` > 0 (drawn when None: fixed half of the time) it pans that
    fraction of the way after the gymnast's hips with a lag of 0.15-0.5 s.
    The focal length is uniform between FOCAL_RANGE's low end and the
    largest that keeps every point within FILL of the frame (capped at the
    high end; below the low end when even that does not fit), and zooms by
    up to +-5% over the clip.
    """
    yaw = sample_yaw(rng, yaw_ranges)
    pitch = float(rng.uniform(*PITCH_RANGE))
    distance = float(rng.uniform(*DISTANCE_RANGE))
    if follow is None:
        follow = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.3, 1.0))
    low, high = points.reshape(-1, 3).min(axis=0), points.reshape(-1, 3).max(axis=0)
    centre = 0.5 * (low + high) + rng.uniform(-0.3, 0.3, size=3) * [1.0, 0.0, 1.0]
    hips = points[:, BODY25_INDEX["mid_hip"]]  # (T, 3)
    tracked = _follow(hips, fps, float(rng.uniform(0.15, 0.5)))
    aim = centre + follow * (tracked - tracked.mean(axis=0)) * [1.0, 1.0, 0.3]  # (T, 3)
    yaw_r, pitch_r = np.radians(yaw), np.radians(pitch)
    position = centre + distance * np.array([np.sin(yaw_r) * np.cos(pitch_r), -np.cos(yaw_r) * np.cos(pitch_r),
                                             np.sin(pitch_r)])
    rotation = _look_at(position, aim, float(rng.uniform(-3, 3)))
    zoom = 1.0 + float(rng.uniform(-0.05, 0.05)) * np.linspace(0.0, 1.0, len(points))  # (T,)
    unit = Camera(position, rotation, zoom, yaw, pitch, distance, follow)
    pixels, _ = unit.project(points)  # at focal 1 x zoom: (T, 25, 2) offsets from the centre
    offsets = np.abs(pixels - [WIDTH / 2, HEIGHT / 2]).reshape(-1, 2).max(axis=0)
    fits = FILL * min(WIDTH / 2 / max(offsets[0], 1e-9), HEIGHT / 2 / max(offsets[1], 1e-9))
    cap = min(FOCAL_RANGE[1], fits)
    focal = float(rng.uniform(FOCAL_RANGE[0], cap)) if cap > FOCAL_RANGE[0] else cap
    return Camera(position, rotation, focal * zoom, yaw, pitch, distance, follow)
