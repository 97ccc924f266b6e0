"""The open-set threshold calibration."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.openset import calibrate_threshold


def skill_windows(best: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Windows of class 0 (of classes 0, 1) whose class-0 probability is `best`: correct when > 0.5."""
    p = np.array(best, np.float32)
    return np.stack([p, 1 - p], axis=1), np.zeros(len(p), np.int64)


def test_zero_budget_keeps_every_correct_window() -> None:
    probabilities, labels = skill_windows([0.9, 0.7, 0.55, 0.95, 0.3])
    assert calibrate_threshold(probabilities, labels, None, 0.0) == pytest.approx(0.55)


def test_budget_allows_turning_away_the_least_confident_correct_windows() -> None:
    probabilities, labels = skill_windows([0.9, 0.7, 0.55, 0.95, 0.3, 0.8, 0.6, 0.99, 0.85, 0.75])
    assert calibrate_threshold(probabilities, labels, None, 0.1) == pytest.approx(0.6)  # 1 of 10
    assert calibrate_threshold(probabilities, labels, None, 0.2) == pytest.approx(0.7)  # 2 of 10
    assert calibrate_threshold(probabilities, labels, None, 0.25) == pytest.approx(0.7)
    # at least one correct window stays correct
    assert calibrate_threshold(probabilities, labels, None, 1.0) == pytest.approx(0.99)


def test_background_windows_do_not_count_and_background_wins_are_not_correct() -> None:
    probabilities = np.array([
        [0.8, 0.1, 0.1],   # skill 0, correct
        [0.6, 0.1, 0.3],   # skill 0, correct
        [0.3, 0.2, 0.5],   # skill 0, background most probable: not correct at any threshold
        [0.05, 0.05, 0.9],  # background window: not counted
        [0.45, 0.1, 0.45],  # background window
    ], np.float32)
    labels = np.array([0, 0, 0, 2, 2])
    assert calibrate_threshold(probabilities, labels, 2, 0.0) == pytest.approx(0.6)
    assert calibrate_threshold(probabilities, labels, 2, 1 / 3) == pytest.approx(0.8)


def test_nothing_correct_gives_zero_and_bad_budget_is_refused() -> None:
    probabilities, labels = skill_windows([0.2, 0.4])
    assert calibrate_threshold(probabilities, labels, None, 0.05) == 0.0
    with pytest.raises(ValueError, match="max_accuracy_loss"):
        calibrate_threshold(probabilities, labels, None, 1.5)
