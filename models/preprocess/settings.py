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

NORMS = ("keypoint", "timestep")
PADDINGS = ("paper", "corrected")


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
    confidence: False: F = 50 features per frame, x0, y0, x1, y1, ... (the
        paper's input); True: F = 75, x0, y0, c0, x1, y1, c1, ... (OpenPose's
        own order), confidence copied unnormalised.

    Every field is validated on construction; a bad value raises ValueError
    naming the field.
    """

    max_timesteps: int = 281
    norm: str = "timestep"
    padding: str = "corrected"
    confidence: bool = False

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

    @property
    def values_per_point(self) -> int:
        """Features per keypoint: 2 (x, y) or 3 (x, y, confidence)."""
        return 3 if self.confidence else 2

    @property
    def n_features(self) -> int:
        """F, the width of one frame of the network input: 50 or 75."""
        return N_BODY25 * self.values_per_point

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON- and checkpoint-safe); `from_dict` inverts it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PreprocessSettings:
        """Rebuild settings from `to_dict()` output.

        Every field must be present and no other key: a checkpoint that
        lacks one must not silently take today's default. Raises ValueError
        naming the missing, unknown or bad field.
        """
        if not isinstance(values, Mapping):
            raise ValueError(f"preprocess settings: expected a mapping, got {type(values).__name__}")
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
