"""Keyframed motion on the beam: joint-angle keys in, grounded 3D points out.

A `Timeline` collects keys: each key says, some seconds after the previous
one, which channels (joint angles of `body.CHANNELS` plus the root's yaw,
pitch and roll) reach which values, and how the body is supported during
that interval (which feet/hands rest on the beam, or none: flight). A
channel that a key does not mention holds its value through that key, so a
motion only moves what it keys, when it keys it; a somersault therefore keys
its pitch at every key of the rotation. Channels are interpolated through
the keys with a monotone cubic (PCHIP): no overshoot, smooth through a
steady rotation, easing in and out where a value stops.

The root (mid-hip) position is not keyed: `render` solves it, so that the
motion stays on the beam and feet do not slide:
- in contact, the lowest of the keyed support points rests on the beam's
  top surface (`BEAM_HEIGHT` plus the point's clearance; no other foot or
  hand over the beam goes below that surface), and the supports stay where
  they were put down (a foot holds its place by its ankle, about which it
  may turn; a hand by its wrist): supports newly put down are placed on the
  beam line (y = 0), those that stay down through a change of support keep
  their place (pulled halfway back to the line, against drift);
- in flight, the root follows a ballistic arc, z(t) = lerp(z0, z1) +
  g (t - t0)(t1 - t) / 2, from the take-off position to the landing position
  `travel` metres further along the beam, where the landing support is put
  down on the beam line.
Where the support changes, the new anchor may disagree with the old one by
a few centimetres (the feet are put back on the beam line); that step is
spread over `BLEND_FRAMES` frames, so the root never teleports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from skillstream.models.keypoints.skeleton import BODY25_INDEX

from .body import (
    CHANNELS, EFFECTOR_CLEARANCE, EFFECTORS, BodyShape, forward_kinematics, root_rotation,
)

BEAM_HEIGHT = 1.25   # metres, top surface
BEAM_LENGTH = 5.0    # metres, centred on x = 0
BEAM_WIDTH = 0.10    # metres
GRAVITY = 9.81       # m/s^2
BLEND_FRAMES = 6

ROOT_CHANNELS = ("yaw", "pitch", "roll")
ALL_CHANNELS: tuple[str, ...] = CHANNELS + ROOT_CHANNELS

# A support is the tuple of BODY_25 points that rest on the beam during an
# interval; the empty tuple is flight.
Support = tuple[int, ...]
FLIGHT: Support = ()


def foot(side: str) -> Support:
    """The sole points (big toe, small toe, heel) of side 'l' or 'r'."""
    return tuple(BODY25_INDEX[f"{side}_{name}"] for name in ("big_toe", "small_toe", "heel"))


def hand(side: str) -> Support:
    return (BODY25_INDEX[f"{side}_wrist"],)


FEET: Support = foot("l") + foot("r")
HANDS: Support = hand("l") + hand("r")


@dataclass
class _Key:
    time: float
    values: dict[str, float]  # every channel
    support: Support        # during the interval that ends at this key
    travel_x: float         # flight intervals: root displacement along x


@dataclass
class Motion:
    """A rendered timeline.

    points: float64 (T, 25, 3) world positions; root: (T, 3) mid-hip;
    angles: (T, len(ALL_CHANNELS)) degrees; contact: bool (T,) False in
    flight; segments: (label, first frame, last frame) of each skill proper,
    inclusive.
    """

    points: np.ndarray
    root: np.ndarray
    angles: np.ndarray
    contact: np.ndarray
    fps: float
    segments: list[tuple[str, int, int]]

    def __len__(self) -> int:
        return len(self.points)

    def window(self, first: int, stop: int) -> Motion:
        """Frames [first, stop), with the segments that lie inside, renumbered."""
        return Motion(self.points[first:stop], self.root[first:stop], self.angles[first:stop],
                      self.contact[first:stop], self.fps,
                      [(label, a - first, b - first) for label, a, b in self.segments if first <= a and b < stop])

    def moved_along_beam(self, dx: float) -> Motion:
        """The same motion `dx` metres further along the beam (x)."""
        shift = np.array([dx, 0.0, 0.0])
        return Motion(self.points + shift, self.root + shift, self.angles, self.contact, self.fps,
                      list(self.segments))


def pchip(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Monotone piecewise-cubic Hermite interpolation (Fritsch-Carlson).

    times strictly increasing (K,), values (K,), at (N,): returns (N,); holds
    the end values outside [times[0], times[-1]]. Overshoot-free: between two
    keys the curve stays within their values, and a key that is a local
    extremum gets a zero slope (the motion eases in and out of it).
    """
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    at = np.clip(np.asarray(at, dtype=np.float64), times[0], times[-1])
    if len(times) == 1:
        return np.full(at.shape, values[0])
    h = np.diff(times)  # (K-1,)
    delta = np.diff(values) / h  # (K-1,)
    slopes = np.zeros(len(times))
    # Interior slopes: weighted harmonic mean where the neighbours agree in sign.
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    same = delta[:-1] * delta[1:] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / delta[:-1] + w2 / delta[1:])
    slopes[1:-1] = np.where(same, harmonic, 0.0)
    # End slopes: zero, so that a motion starts and ends at rest.
    k = np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(times) - 2)
    s = (at - times[k]) / h[k]
    h00 = (1 + 2 * s) * (1 - s) ** 2
    h10 = s * (1 - s) ** 2
    h01 = s * s * (3 - 2 * s)
    h11 = s * s * (s - 1)
    return h00 * values[k] + h10 * h[k] * slopes[k] + h01 * values[k + 1] + h11 * h[k] * slopes[k + 1]


@dataclass
class Timeline:
    """Keys of one continuous motion (a clip or a whole routine).

    start: a value for every channel of ALL_CHANNELS (the pose at time 0);
    the body starts on both feet. `direction` (+1 or -1) is the way along x
    that "forward" means for travel; motions that turn round flip it.
    """

    start: dict[str, float]
    fps: float = 30.0
    direction: float = 1.0
    keys: list[_Key] = field(init=False)
    pose: dict[str, float] = field(init=False)  # every channel's value at the last key
    segments: list[tuple[str, float, float]] = field(init=False)  # label, start and end time
    _open: tuple[str, float] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        missing = set(ALL_CHANNELS) - set(self.start)
        if missing:
            raise ValueError(f"start pose lacks channels {sorted(missing)}")
        self.keys = [_Key(0.0, dict(self.start), FEET, 0.0)]
        self.pose = dict(self.start)
        self.segments = []

    @property
    def time(self) -> float:
        return self.keys[-1].time

    @property
    def frame(self) -> int:
        """The frame index at the current (last key's) time."""
        return self.frame_at(self.time)

    def frame_at(self, seconds: float) -> int:
        return int(round(seconds * self.fps))

    def key(self, seconds: float, support: Support, travel: float = 0.0, **values: float) -> None:
        """Reach `values` (degrees, channel names) `seconds` after the last key,
        supported by `support` in between. `travel` (metres, forward along
        `direction`) is the root's displacement over a flight interval."""
        if seconds <= 0:
            raise ValueError(f"key interval must be positive, got {seconds}")
        unknown = set(values) - set(ALL_CHANNELS)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}")
        if travel and support != FLIGHT:
            raise ValueError("travel is only for flight intervals")
        self.pose.update(values)
        self.keys.append(_Key(self.time + seconds, dict(self.pose), support, self.direction * travel))

    def begin(self, label: str) -> None:
        """Mark the current time as the start of skill `label`."""
        if self._open is not None:
            raise ValueError(f"skill {self._open[0]} is still open")
        self._open = (label, self.time)

    def end(self) -> None:
        """Mark the current time as the end of the open skill."""
        if self._open is None:
            raise ValueError("no skill is open")
        label, start = self._open
        self.segments.append((label, start, self.time))
        self._open = None

    def extend(self, other: Timeline) -> None:
        """Append `other`, a timeline that starts in this one's final pose
        (on both feet), after this one's last key; its segments come along
        and its final direction becomes this one's."""
        if self._open is not None or other._open is not None:
            raise ValueError("cannot join timelines with an open skill")
        if self.keys[-1].support != FEET:
            raise ValueError("a timeline can only be extended from a stance on both feet")
        offset = self.time
        self.keys.extend(_Key(k.time + offset, k.values, k.support, k.travel_x) for k in other.keys[1:])
        self.segments.extend((label, start + offset, end + offset) for label, start, end in other.segments)
        self.pose = dict(other.pose)
        self.direction = other.direction

    def render(self, shape: BodyShape) -> Motion:
        """Interpolate the keys at `fps` and solve the root (see the module doc)."""
        if self._open is not None:
            raise ValueError(f"skill {self._open[0]} was never ended")
        if self.keys[-1].support == FLIGHT:
            raise ValueError("a motion must end in contact with the beam")
        n = self.frame + 1
        t = np.arange(n) / self.fps  # (T,)
        angles = np.empty((n, len(ALL_CHANNELS)))  # (T, C)
        times = np.array([k.time for k in self.keys])  # (K,)
        for c, name in enumerate(ALL_CHANNELS):
            angles[:, c] = pchip(times, np.array([k.values[name] for k in self.keys]), t)
        yaw, pitch, roll = (angles[:, len(CHANNELS) + i] for i in range(3))
        rel = forward_kinematics(shape, angles[:, :len(CHANNELS)], root_rotation(yaw, pitch, roll))  # (T, 25, 3)
        # Frame t lies in the interval (key i-1, key i]; a frame exactly at a
        # key that ends a flight is the landing, so it counts as contact.
        interval = np.clip(np.searchsorted(times, t - 1e-9), 0, len(self.keys) - 1)
        at_key = np.abs(times[interval] - t) < 1e-9
        ends_flight = np.array([self.keys[i].support == FLIGHT for i in interval]) & at_key
        interval = np.where(ends_flight & (interval + 1 < len(self.keys)), interval + 1, interval)
        interval[0] = 0
        root = _solve_root(rel, [self.keys[i].support for i in interval], self._flight_travel(interval), self.fps)
        return Motion(points=root[:, None, :] + rel, root=root, angles=angles,
                      contact=np.array([bool(self.keys[i].support) for i in interval]), fps=self.fps,
                      segments=[(label, self.frame_at(start), self.frame_at(end))
                                for label, start, end in self.segments])

    def _flight_travel(self, interval: np.ndarray) -> np.ndarray:
        """Per frame (T,): the total travel of the flight that the frame is
        in (the sum over its consecutive flight keys), 0 in contact."""
        total = np.zeros(len(interval))
        i = 0
        while i < len(interval):
            if self.keys[interval[i]].support != FLIGHT:
                i += 1
                continue
            j = i
            while self.keys[interval[j]].support == FLIGHT:
                j += 1
            total[i:j] = sum(self.keys[k].travel_x for k in np.unique(interval[i:j]))
            i = j
        return total


_CLEARANCE = np.zeros(25)
_CLEARANCE[list(EFFECTORS)] = EFFECTOR_CLEARANCE
_OVER_BEAM = BEAM_WIDTH / 2 + 0.04  # a foot or hand this close to the line is above the beam


_ANKLE_OF = {q: BODY25_INDEX[f"{side}_ankle"] for side in "lr" for q in foot(side)}


def _anchor_points(support: Support) -> list[int]:
    """The points that hold a support's place on the beam: the ankle of each
    foot in it (a foot that tips or turns on the beam pivots about its
    ankle, not about its toes), and the wrists."""
    return sorted({_ANKLE_OF.get(q, q) for q in support})


def _height(rel: np.ndarray, support: list[int], root_y: float) -> float:
    """Root height at one frame (`rel` (25, 3) points relative to the root):
    the lowest `support` point rests on the beam, and no foot or hand that
    is over the beam (by its y) is below the beam's top surface."""
    needed = _CLEARANCE - rel[:, 2]  # (25,) root height at which each point would touch
    over = [e for e in EFFECTORS if abs(root_y + rel[e, 1]) < _OVER_BEAM]
    return BEAM_HEIGHT + max([needed[e] for e in (*support, *over)], default=-np.inf)


def _solve_root(rel: np.ndarray, supports: list[Support], travel: np.ndarray, fps: float) -> np.ndarray:
    """Root positions (T, 3) for points `rel` (T, 25, 3) relative to the root,
    the support of each frame and each frame's flight travel (T,)."""
    n = len(rel)
    root = np.zeros((n, 3))  # (T, 3)
    correction = np.zeros(3)
    blend_left = 0
    anchor = np.zeros(2)
    points = _anchor_points(supports[0])
    i = 0
    while i < n:
        support = supports[i]
        if support == FLIGHT:
            # Ballistic from the take-off frame i - 1 to the landing frame j.
            j = i
            while supports[j] == FLIGHT:
                j += 1
            points = _anchor_points(supports[j])
            anchor = np.array([root[i - 1, 0] + travel[i] + rel[j, points, 0].mean(), 0.0])
            land_xy = anchor - rel[j, points, :2].mean(axis=0)
            land = np.array([*land_xy, _height(rel[j], list(supports[j]), land_xy[1])])
            t0, t1 = (i - 1) / fps, j / fps
            tk = np.arange(i, j) / fps  # (F,)
            s = ((tk - t0) / (t1 - t0))[:, None]  # (F, 1)
            root[i:j] = (1 - s) * root[i - 1] + s * land
            root[i:j, 2] += GRAVITY * (tk - t0) * (t1 - tk) / 2
            # A foot or hand reaching down before the landing frame must not
            # pass through the beam.
            for k in range(i, j):
                root[k, 2] = max(root[k, 2], _height(rel[k], [], root[k, 1]))
            root[j] = land
            blend_left = 0
            i = j + 1
            continue
        if i > 0 and supports[i - 1] != support:
            # Points already on the beam stay put, up to half their offset
            # from the beam line (the body drifts back onto the line, which
            # keeps long routines on the beam); a support made only of new
            # points is put down where it is, on the beam line.
            kept = [q for q in support if q in supports[i - 1]]
            points = _anchor_points(tuple(kept) or support)
            anchor = root[i - 1, :2] + rel[i - 1, points, :2].mean(axis=0)
            anchor[1] *= 0.5 if kept else 0.0
            xy = anchor - rel[i, points, :2].mean(axis=0)
            raw = np.array([*xy, _height(rel[i], list(support), xy[1])])
            # Carry on at the previous velocity, then ease onto the new
            # anchor (the height eases from where it was).
            velocity = root[i - 1] - root[i - 2] if i > 1 else np.zeros(3)
            correction = root[i - 1] + velocity - raw
            correction[2] = root[i - 1, 2] - raw[2]
            blend_left = BLEND_FRAMES
        elif i == 0:
            anchor = np.array([rel[0, points, 0].mean(), 0.0])
        weight = blend_left / BLEND_FRAMES
        xy = anchor - rel[i, points, :2].mean(axis=0) + weight * correction[:2]
        # Easing the height never lets a point sink into the beam.
        z = _height(rel[i], list(support), xy[1])
        root[i] = [*xy, max(z + weight * correction[2], _height(rel[i], [], xy[1]))]
        blend_left = max(blend_left - 1, 0)
        i += 1
    return root
