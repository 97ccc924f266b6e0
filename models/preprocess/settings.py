"""The preprocessing settings: one frozen value, stored in every checkpoint.

Training and serving must turn a window of keypoints into the network's input
in exactly the same way, so a checkpoint carries these settings
(`to_dict()`) and loading rebuilds them (`from_dict()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, NoReturn

from ..keypoints.skeleton import N_BODY25

NORMS = ("keypoint", "timestep", "body")
PADDINGS = ("paper", "corrected")
# The body's core points, BODY_25 0-14 (nose, neck, arms, hips, legs): what every
# layout the project reads has. Their centroid and spread give the body's centre
# and scale, and their pairwise distances are the distance features.
N_CORE = 15
N_DISTANCES = N_CORE * (N_CORE - 1) // 2
TRAJECTORY = 2  # the body centre's x, y relative to the window's
# Fields added by version 2 of the checkpoint format, with the values that
# reproduce what version 1 files were trained with.
_BEFORE_V2 = {"distances": False, "motion": ()}


@dataclass(frozen=True)
class PreprocessSettings:
    """How a window (T, 25, 3) becomes the network input (max_timesteps, F).

    max_timesteps: frames of the network input (the paper: 281). Shorter
        windows are padded with zero rows, longer ones resampled to exactly
        this many frames (nearest-frame selection over the whole window).
    norm: min-max normalisation per "keypoint" (each coordinate column over
        time) or per "timestep" (each frame's row: x and y of all its points
        together), as in the paper.
    padding: "paper" pads first and normalises the padded array, zeros of
        padding rows and missing points included (reproduces the paper);
        "corrected" normalises only real frames and present points.
    confidence: False: 50 coordinate features per frame, x0, y0, x1, y1, ...
        (the paper's input); True: 75, x0, y0, c0, x1, y1, c1, ... (OpenPose's
        own order), confidence copied unnormalised.
        With norm "body" (the project's default) the coordinates are centred
        on each frame's body centre and divided by the window's body scale,
        and more features follow them (see `models.preprocess`): the body
        centre's trajectory (2), then with `distances` the 105 distances
        between the 15 core points, then for each stride k of `motion` the
        50 differences of the window-centred coordinates between frames t
        and t - k.
    distances, motion: body norm only (ValueError otherwise).

    Every field is validated on construction; a bad value raises ValueError
    naming the field.
    """

    max_timesteps: int = 281
    norm: str = "timestep"
    padding: str = "corrected"
    confidence: bool = False
    distances: bool = False
    motion: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.max_timesteps, bool) or not isinstance(self.max_timesteps, int):
            _reject("max_timesteps", f"must be an integer, got {self.max_timesteps!r}")
        if self.max_timesteps < 1:
            _reject("max_timesteps", f"must be at least 1, got {self.max_timesteps}")
        if self.norm not in NORMS:
            _reject("norm", f"must be one of {NORMS}, got {self.norm!r}")
        if self.padding not in PADDINGS:
            _reject("padding", f"must be one of {PADDINGS}, got {self.padding!r}")
        if not isinstance(self.confidence, bool):
            _reject("confidence", f"must be true or false, got {self.confidence!r}")
        if not isinstance(self.distances, bool):
            _reject("distances", f"must be true or false, got {self.distances!r}")
        motion = tuple(self.motion) if isinstance(self.motion, (list, tuple)) else None
        if motion is None or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in motion) \
                or len(set(motion)) != len(motion):
            _reject("motion", f"must be distinct positive frame strides, got {self.motion!r}")
        object.__setattr__(self, "motion", motion)
        if self.norm == "body":
            if self.padding != "corrected":
                _reject("padding", "body normalisation takes only real frames: padding must be 'corrected'")
        elif self.distances or self.motion:
            _reject("distances" if self.distances else "motion", f"needs norm 'body', got {self.norm!r}")

    @property
    def values_per_point(self) -> int:
        """Features per keypoint: 2 (x, y) or 3 (x, y, confidence)."""
        return 3 if self.confidence else 2

    @property
    def n_coordinates(self) -> int:
        """The per-point features that open each frame: 50 or 75 (with confidence)."""
        return N_BODY25 * self.values_per_point

    @property
    def n_features(self) -> int:
        """F, the width of one frame of the network input (see the class's docstring)."""
        if self.norm != "body":
            return self.n_coordinates
        return (self.n_coordinates + TRAJECTORY + (N_DISTANCES if self.distances else 0)
                + 2 * N_BODY25 * len(self.motion))

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON- and checkpoint-safe; motion as a list); `from_dict` inverts it."""
        values = asdict(self)
        values["motion"] = list(self.motion)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], format_version: int = 2) -> PreprocessSettings:
        """Rebuild settings from `to_dict()` output of a checkpoint of `format_version`.

        Every field must be present and no other key: a checkpoint that
        lacks one must not silently take today's default. Version 1 files
        lack the fields added since, which take the values that reproduce
        their preprocessing. Raises ValueError naming the missing, unknown or
        bad field.
        """
        if not isinstance(values, Mapping):
            raise ValueError(f"preprocess settings: expected a mapping, got {type(values).__name__}")
        if format_version < 2:
            values = {**_BEFORE_V2, **values}
        names = [field.name for field in fields(cls)]
        for name in names:
            if name not in values:
                _reject(name, "missing")
        for key in values:
            if key not in names:
                _reject(key, f"unknown field (known: {', '.join(names)})")
        return cls(**values)


def _reject(name: str, reason: str) -> NoReturn:
    raise ValueError(f"preprocess settings: {name}: {reason}")
