"""The physical gates, on bodies whose measures are known."""

import math

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_INDEX
from skillstream.models.openset.gates import GateSettings, check, measure
from tests.models.training.toydata import STANDING

TORSO = 0.7  # the toy body's neck is 0.7 body heights above its mid-hip


def standing(frames: int = 10, size: float = 300.0) -> np.ndarray:
    window = np.ones((frames, 25, 3), np.float32)  # (T, 25, 3)
    window[..., :2] = STANDING * size + (640, 400)
    return window


def turned_over(window: np.ndarray, frames: slice, degrees: float) -> np.ndarray:
    """The body rotated about its mid-hip by `degrees` in the given frames."""
    out = window.copy()
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
    hip = out[frames, BODY25_INDEX["mid_hip"], None, :2]
    out[frames, :, :2] = (out[frames, :, :2] - hip) @ rotation.T + hip
    return out


def test_inversion_is_the_lean_held_in_min_frames():
    settings = GateSettings(min_frames=2)
    window = turned_over(standing(), slice(4, 5), 170.0)  # upside down in one frame only
    assert measure(window, settings)["inversion"] == pytest.approx(0.0, abs=1e-3)
    window = turned_over(window, slice(5, 6), 150.0)
    assert measure(window, settings)["inversion"] == pytest.approx(150.0, abs=0.1)
    assert measure(window, GateSettings(min_frames=1))["inversion"] == pytest.approx(170.0, abs=0.1)


def test_leg_raise_in_torso_lengths_whatever_the_size():
    for size in (100.0, 600.0):
        window = standing(size=size)
        drop = (STANDING[BODY25_INDEX["r_ankle"], 1] - STANDING[BODY25_INDEX["mid_hip"], 1]) / TORSO
        assert measure(window, GateSettings())["leg_raise"] == pytest.approx(-drop, rel=1e-4)
        window[3:6, BODY25_INDEX["l_ankle"], 1] = window[3:6, BODY25_INDEX["mid_hip"], 1] - 0.1 * TORSO * size
        assert measure(window, GateSettings())["leg_raise"] == pytest.approx(0.1, rel=1e-3)


def test_turn_needs_both_sides_towards_the_camera():
    window = standing()
    assert measure(window, GateSettings())["turn"] < 0  # the front only: the width never changes sign
    turned = window.copy()
    for side in ("shoulder", "hip"):
        right, left = BODY25_INDEX[f"r_{side}"], BODY25_INDEX[f"l_{side}"]
        turned[5:, [right, left], 0] = turned[5:, [left, right], 0]  # the back to the camera
    width = 0.12 * 2 / 2 + 0.08 * 2 / 2  # right minus left x, shoulders and hips averaged, body heights
    assert measure(turned, GateSettings())["turn"] == pytest.approx(width / TORSO, rel=1e-4)


def test_check_names_the_first_failed_criterion_and_passes_on_evidence_only():
    settings = GateSettings(skills={"walkover": ("inversion",), "leap": ("leg_raise", "turn"), "pose": ()})
    window = standing()
    assert check(window, "walkover", settings)[0] == "inversion"
    assert check(turned_over(window, slice(2, 6), 160.0), "walkover", settings) == (None, {"inversion": pytest.approx(160.0, abs=0.1)})
    assert check(window, "leap", settings)[0] == "leg_raise"
    assert check(window, "pose", settings) == (None, {}) and check(window, "unknown", settings) == (None, {})
    nobody = np.zeros((10, 25, 3), np.float32)
    failed, values = check(nobody, "walkover", settings)
    assert failed == "inversion" and math.isnan(values["inversion"])


@pytest.mark.parametrize("field, value, message", [
    ("skills", {"x": ("flip",)}, "skills.x: unknown criterion 'flip'"),
    ("min_frames", 0, "min_frames: must be a positive integer"),
    ("inversion_deg", 200.0, "inversion_deg: must be in"),
    ("min_confidence", 1.5, "min_confidence: must be in"),
    ("turn_width", -1.0, "turn_width: must be at least 0"),
])
def test_bad_settings_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        GateSettings(**{field: value})
