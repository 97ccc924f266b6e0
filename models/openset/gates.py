"""Physical gates: what a skill must show in the keypoints before it is reported.

A network trained on ten beam skills answers one of them for any window,
and real everyday motion (walking, bending down, sitting, jumping) comes
out as a confident walkover or aerial. Each skill class can name criteria
that its windows must meet, measured on the window's keypoints (T, 25, 3)
in pixels; a window whose best skill fails one is no skill, with the reason
`gate:<criterion>`. Lengths are in torso lengths (neck to mid-hip: the
median over the window's upright frames, else over all its frames), so
distance and zoom do not matter; heights are image heights (y down), which
a camera's yaw around the body does not change.

Criteria (each measure is reached in at least `min_frames` frames of the
window: the min_frames-th highest per-frame value, so one stray frame of a
pose estimator does not pass a gate):
- `inversion`: the body turns over. The torso (mid-hip -> neck) leans at
  least `inversion_deg` from image-up (180 = upside down): walkovers,
  handsprings, aerials, cartwheels, saltos. Nobody's hips pass above the
  head when walking, bending down, sitting or jumping.
- `leg_raise`: a leg rises towards hip height. The higher ankle is at most
  `leg_raise` torso lengths below the mid-hip (negative: below; a standing
  ankle is about 1.6 below): leaps.
- `turn`: the body turns round. The signed width of the shoulders and hips
  (right minus left x, in torso lengths) is seen with both signs, each at
  least `turn_width`: the front and the back were both towards the camera
  (a full turn).

A point counts where its confidence is at least `min_confidence`; the neck
and the mid-hip fall back on the mean of the shoulders and of the hips. A
measure that cannot be taken (too few frames with the points it needs) is
NaN and fails its criterion: a gate passes on evidence only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..keypoints.skeleton import BODY25_INDEX
from ..preprocess.settings import N_CORE

CRITERIA = ("inversion", "leg_raise", "turn")
UPRIGHT_DEG = 30.0  # a torso leaning less than this is upright: its length is the scale

_NECK, _MID_HIP = BODY25_INDEX["neck"], BODY25_INDEX["mid_hip"]
_SHOULDERS = (BODY25_INDEX["r_shoulder"], BODY25_INDEX["l_shoulder"])
_HIPS = (BODY25_INDEX["r_hip"], BODY25_INDEX["l_hip"])
_ANKLES = (BODY25_INDEX["r_ankle"], BODY25_INDEX["l_ankle"])


@dataclass(frozen=True)
class GateSettings:
    """Which criteria each skill must meet, and their limits (see the module's docstring).

    skills: skill label -> the criteria its windows must meet; a label that
        is not a class of the model is ignored, a class without an entry has
        no gate.
    Construction checks every value and raises ValueError naming the field.
    """

    skills: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min_confidence: float = 0.1
    min_frames: int = 2
    inversion_deg: float = 120.0
    leg_raise: float = -0.5
    turn_width: float = 0.25

    def __post_init__(self) -> None:
        skills = {}
        for label, criteria in dict(self.skills).items():
            criteria = tuple(criteria)
            unknown = [name for name in criteria if name not in CRITERIA]
            if unknown:
                raise ValueError(f"skills.{label}: unknown criterion {unknown[0]!r} (known: {', '.join(CRITERIA)})")
            skills[label] = criteria
        object.__setattr__(self, "skills", skills)
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence: must be in [0, 1], got {self.min_confidence}")
        if isinstance(self.min_frames, bool) or not isinstance(self.min_frames, int) or self.min_frames < 1:
            raise ValueError(f"min_frames: must be a positive integer, got {self.min_frames!r}")
        if not 0.0 <= self.inversion_deg <= 180.0:
            raise ValueError(f"inversion_deg: must be in [0, 180], got {self.inversion_deg}")
        if not self.turn_width >= 0.0:
            raise ValueError(f"turn_width: must be at least 0, got {self.turn_width}")
        if not math.isfinite(self.leg_raise):
            raise ValueError(f"leg_raise: must be a number, got {self.leg_raise}")

    def limit(self, criterion: str) -> float:
        """The value a criterion's measure must reach."""
        return {"inversion": self.inversion_deg, "leg_raise": self.leg_raise, "turn": self.turn_width}[criterion]

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for reports)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["skills"] = {label: list(criteria) for label, criteria in self.skills.items()}
        return values


def measure(window: np.ndarray, settings: GateSettings, criteria: tuple[str, ...] = CRITERIA) -> dict[str, float]:
    """The measure of each of `criteria` on `window` float32 (T, 25, 3): degrees for
    inversion, torso lengths for leg_raise and turn; NaN where it cannot be taken."""
    # The criteria read core points only (the neck, shoulders, hips and ankles are all below N_CORE).
    points = np.asarray(window[:, :N_CORE], np.float64)  # (T, 15, 3)
    seen = points[..., 2] >= settings.min_confidence  # (T, 15)
    hip, hip_seen = _point_or_pair(points, seen, _MID_HIP, _HIPS)  # (T, 2), (T,)
    neck, neck_seen = _point_or_pair(points, seen, _NECK, _SHOULDERS)
    torso = neck - hip  # (T, 2)
    length = np.hypot(torso[:, 0], torso[:, 1])  # (T,)
    torso_seen = hip_seen & neck_seen & (length > 0)  # (T,)
    lean = np.degrees(np.arctan2(np.abs(torso[:, 0]), -torso[:, 1]))  # (T,) 0 upright .. 180 upside down
    scale = math.nan
    if "leg_raise" in criteria or "turn" in criteria:  # the lengths' scale (a median: not for inversion alone)
        upright = torso_seen & (lean < UPRIGHT_DEG)
        scale = np.median(length[upright]) if upright.any() else (np.median(length[torso_seen]) if torso_seen.any()
                                                                  else math.nan)
    values = {}
    for criterion in criteria:
        if criterion == "inversion":
            values[criterion] = _reached(lean[torso_seen], settings.min_frames)
        elif criterion == "leg_raise":
            ankle_y = np.where(seen[:, _ANKLES], points[:, _ANKLES, 1], np.inf).min(axis=1)  # (T,) the higher ankle
            usable = hip_seen & np.isfinite(ankle_y)
            values[criterion] = _reached((hip[usable, 1] - ankle_y[usable]) / scale, settings.min_frames)
        elif criterion == "turn":
            joints = list(_SHOULDERS + _HIPS)
            usable = seen[:, joints].all(axis=1)  # (T,)
            width = ((points[usable, _SHOULDERS[0], 0] - points[usable, _SHOULDERS[1], 0])
                     + (points[usable, _HIPS[0], 0] - points[usable, _HIPS[1], 0])) / (2 * scale)  # (T',)
            values[criterion] = min(_reached(width, settings.min_frames), _reached(-width, settings.min_frames))
        else:
            raise ValueError(f"unknown criterion {criterion!r} (known: {', '.join(CRITERIA)})")
    return values


def check(window: np.ndarray, label: str, settings: GateSettings) -> tuple[str | None, dict[str, float]]:
    """The first criterion of `label`'s gate that `window` fails (None: it passes
    them all, or `label` has none) and the measures of its criteria."""
    criteria = settings.skills.get(label, ())
    if not criteria:
        return None, {}
    values = measure(window, settings, criteria)
    failed = next((name for name in criteria if not values[name] >= settings.limit(name)), None)  # NaN fails
    return failed, values


def _point_or_pair(points: np.ndarray, seen: np.ndarray, index: int,
                   pair: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Point `index` (T, 2) where seen, else the mean of the seen points of `pair`; and where any was seen (T,)."""
    pair_seen = seen[:, list(pair)]  # (T, 2)
    count = pair_seen.sum(axis=1)  # (T,)
    mean = (points[:, list(pair), :2] * pair_seen[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]  # (T, 2)
    own = seen[:, index]
    return np.where(own[:, None], points[:, index, :2], mean), own | (count > 0)


def _reached(values: np.ndarray, min_frames: int) -> float:
    """The min_frames-th highest of `values` (the value held in at least that many frames); NaN when fewer."""
    if len(values) < min_frames:
        return math.nan
    return float(np.partition(values, len(values) - min_frames)[len(values) - min_frames])
