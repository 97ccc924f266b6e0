"""A 3D articulated gymnast: random proportions and forward kinematics to BODY_25.

World frame (shared by the whole `synth` package): metres, x along the beam,
y across it (left of a gymnast facing +x), z up. Body frame of the pelvis:
x forward, y left, z up. A pose is a vector of joint angles in degrees (the
`CHANNELS`), and the root (the mid-hip) has a rotation built from yaw, pitch
and roll (`root_rotation`).

Angle conventions, the same for both sides of the body (the right side is
mirrored inside `forward_kinematics`):
- `spine_flex` > 0 bends forward, < 0 arches back; `spine_bend` > 0 bends to
  the left; `spine_twist` > 0 turns the chest to the left. The spine is two
  segments that share the bend equally, so an arch shortens the hip-neck chord.
- `head_flex` > 0 nods forward.
- `*_shoulder_flex`: 0 arm down, 90 forward, 180 overhead, < 0 behind;
  `*_shoulder_abd`: sideways raise away from the body; `*_elbow` >= 0.
- `*_hip_flex`: 0 leg down, > 0 leg forward, < 0 leg behind;
  `*_hip_abd` > 0 away from the midline (< 0 crosses it);
  `*_hip_rot` > 0 turns the knee out (turn-out); `*_knee` >= 0 bends the
  shin backwards; `*_ankle` > 0 points the foot (plantar flexion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillstream.models.keypoints.skeleton import BODY25_INDEX, N_BODY25

_SIDE_CHANNELS = ("shoulder_flex", "shoulder_abd", "elbow", "hip_flex", "hip_abd", "hip_rot", "knee", "ankle")
CHANNELS: tuple[str, ...] = (
    "spine_flex", "spine_bend", "spine_twist", "head_flex",
    *(f"{side}_{name}" for side in ("r", "l") for name in _SIDE_CHANNELS),
)
CHANNEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(CHANNELS)}
N_CHANNELS = len(CHANNELS)

# The points that can rest on the beam (feet and hands), with the height of
# each above the beam's top surface when it does: the wrist sits a hand's
# thickness above the palm, the foot points are on the sole.
EFFECTORS: tuple[int, ...] = tuple(BODY25_INDEX[name] for name in (
    "r_wrist", "l_wrist", "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel"))
EFFECTOR_CLEARANCE: tuple[float, ...] = (0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01)


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths in metres. `height` is the standing height (soles to
    crown); the other fields are the distances between BODY_25 points."""

    height: float
    pelvis_width: float      # between the hip joints
    shoulder_width: float    # between the shoulder joints
    spine: float             # mid-hip to neck along the (straight) spine
    neck_to_head: float      # neck point to the centre of the head
    upper_arm: float
    forearm: float
    thigh: float
    shank: float
    ankle_height: float      # ankle joint above the sole
    foot: float              # ankle to the big toe, along the foot

    @property
    def leg(self) -> float:
        """Hip joint to sole with the leg straight and the foot flat."""
        return self.thigh + self.shank + self.ankle_height


# Mean segment lengths as fractions of standing height (Winter's
# anthropometric tables, rounded), and the spread of each between gymnasts.
_MEAN_RATIOS = {
    "pelvis_width": 0.115, "shoulder_width": 0.225, "spine": 0.290, "neck_to_head": 0.095,
    "upper_arm": 0.186, "forearm": 0.146, "thigh": 0.245, "shank": 0.246,
    "ankle_height": 0.039, "foot": 0.110,
}
_RATIO_SPREAD = {"pelvis_width": 0.07, "shoulder_width": 0.07}
_DEFAULT_SPREAD = 0.04
HEIGHT_RANGE = (1.45, 1.72)


def sample_body(rng: np.random.Generator) -> BodyShape:
    """A random gymnast: height uniform in HEIGHT_RANGE, each ratio to height
    scaled by a normal factor (sd 4%, 7% for the widths, clipped at 2 sd)."""
    height = rng.uniform(*HEIGHT_RANGE)
    lengths = {}
    for name, ratio in _MEAN_RATIOS.items():
        spread = _RATIO_SPREAD.get(name, _DEFAULT_SPREAD)
        lengths[name] = height * ratio * (1.0 + spread * np.clip(rng.standard_normal(), -2.0, 2.0))
    return BodyShape(height=height, **lengths)


def mean_body(height: float = 1.60) -> BodyShape:
    """The average proportions at `height` (tests, documentation)."""
    return BodyShape(height=height, **{name: height * ratio for name, ratio in _MEAN_RATIOS.items()})


def _rot(axis: int, degrees: np.ndarray) -> np.ndarray:
    """Rotation matrices (T, 3, 3) about the x (0), y (1) or z (2) axis."""
    a = np.radians(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    out = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def root_rotation(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """World-from-pelvis rotations (T, 3, 3) = Rz(yaw) Ry(pitch) Rx(roll), degrees.

    yaw turns the body about the vertical (0 faces +x, 90 faces +y); pitch > 0
    rotates head-forward (a front somersault), < 0 backward; roll > 0 tips the
    head towards the body's right (a cartwheel to the right)."""
    return _rot(2, yaw) @ _rot(1, pitch) @ _rot(0, roll)


def _apply(rotations: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Rotate one 3-vector by each of (T, 3, 3): returns (T, 3)."""
    return rotations @ np.asarray(vector, dtype=np.float64)


def forward_kinematics(shape: BodyShape, angles: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """BODY_25 points relative to the root, in world axes.

    angles: (T, N_CHANNELS) degrees in CHANNELS order; rotation: (T, 3, 3)
    world-from-pelvis (`root_rotation`). Returns float64 (T, 25, 3): the
    points minus the mid-hip position (so the mid-hip row is zero).
    """
    angles = np.asarray(angles, dtype=np.float64)
    if angles.ndim != 2 or angles.shape[1] != N_CHANNELS or rotation.shape != (len(angles), 3, 3):
        raise ValueError(f"expected angles (T, {N_CHANNELS}) and rotation (T, 3, 3), "
                         f"got {angles.shape} and {rotation.shape}")
    h = shape.height
    ch = {name: angles[:, i] for name, i in CHANNEL_INDEX.items()}  # each (T,)
    out = np.zeros((len(angles), N_BODY25, 3))  # (T, 25, 3)
    p = BODY25_INDEX

    half_spine = _rot(1, ch["spine_flex"] / 2) @ _rot(0, -ch["spine_bend"] / 2) @ _rot(2, ch["spine_twist"] / 2)
    lower = rotation @ half_spine  # (T, 3, 3)
    chest = lower @ half_spine
    out[:, p["neck"]] = _apply(lower, [0, 0, 0.45 * shape.spine]) + _apply(chest, [0, 0, 0.55 * shape.spine])

    head = chest @ _rot(1, ch["head_flex"])
    centre = out[:, p["neck"]] + _apply(head, [0.01 * h, 0, shape.neck_to_head])
    out[:, p["nose"]] = centre + _apply(head, [0.060 * h, 0, -0.012 * h])
    for side, sign in (("r", -1.0), ("l", 1.0)):
        out[:, p[f"{side}_eye"]] = centre + _apply(head, [0.050 * h, sign * 0.020 * h, 0.008 * h])
        out[:, p[f"{side}_ear"]] = centre + _apply(head, [0.0, sign * 0.045 * h, 0.0])

        shoulder = out[:, p["neck"]] + _apply(chest, [0, sign * shape.shoulder_width / 2, -0.012 * h])
        upper = chest @ _rot(1, -ch[f"{side}_shoulder_flex"]) @ _rot(0, sign * ch[f"{side}_shoulder_abd"])
        elbow = shoulder + _apply(upper, [0, 0, -shape.upper_arm])
        fore = upper @ _rot(1, -ch[f"{side}_elbow"])
        out[:, p[f"{side}_shoulder"]] = shoulder
        out[:, p[f"{side}_elbow"]] = elbow
        out[:, p[f"{side}_wrist"]] = elbow + _apply(fore, [0, 0, -shape.forearm])

        hip = _apply(rotation, [0, sign * shape.pelvis_width / 2, 0])
        # Abduction outermost: it tilts the leg's whole flexion plane, so a
        # leg bent in its own plane stays in that plane when abducted.
        thigh = (rotation @ _rot(0, sign * ch[f"{side}_hip_abd"]) @ _rot(1, -ch[f"{side}_hip_flex"])
                 @ _rot(2, sign * ch[f"{side}_hip_rot"]))
        knee = hip + _apply(thigh, [0, 0, -shape.thigh])
        shin = thigh @ _rot(1, ch[f"{side}_knee"])
        ankle = knee + _apply(shin, [0, 0, -shape.shank])
        foot = shin @ _rot(1, ch[f"{side}_ankle"])
        sole = -shape.ankle_height
        out[:, p[f"{side}_hip"]] = hip
        out[:, p[f"{side}_knee"]] = knee
        out[:, p[f"{side}_ankle"]] = ankle
        out[:, p[f"{side}_heel"]] = ankle + _apply(foot, [-0.035 * h, 0, sole])
        # The big toe is on the inside of the foot (towards the midline).
        out[:, p[f"{side}_big_toe"]] = ankle + _apply(foot, [shape.foot, -sign * 0.012 * h, sole])
        out[:, p[f"{side}_small_toe"]] = ankle + _apply(foot, [0.8 * shape.foot, sign * 0.025 * h, sole])
    return out
