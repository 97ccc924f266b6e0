"""The probability part of the open-set rule, and its threshold chosen on the validation split.

A window is a skill only when its best skill probability reaches the
threshold and the background class, if any, is not the most probable
(`open_set_decisions`). A higher threshold turns
away more non-skill windows but also some correct skill windows; the
calibration takes the highest threshold that costs the validation skill
windows at most `max_accuracy_loss` of accuracy (absolute).
"""

from __future__ import annotations

import math

import numpy as np


def open_set_decisions(probabilities: np.ndarray, background_index: int | None,
                       threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open-set rule for class probabilities (B, C).

    Returns best_skill int64 (B,), the most probable class other than the
    background; skill_probability float (B,), its probability; and is_skill
    bool (B,): the most probable class over all is not the background and
    skill_probability >= threshold. Without a background class
    (background_index None) only the threshold decides.
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(f"probabilities: expected shape (B, C) with C >= 2, got {probabilities.shape}")
    skills = probabilities.copy()  # (B, C)
    if background_index is not None:
        skills[:, background_index] = -np.inf
    best_skill = skills.argmax(axis=1)  # (B,)
    skill_probability = np.take_along_axis(probabilities, best_skill[:, None], axis=1)[:, 0]  # (B,)
    is_skill = skill_probability >= threshold  # (B,)
    if background_index is not None:
        is_skill &= probabilities.argmax(axis=1) != background_index
    return best_skill.astype(np.int64), skill_probability, is_skill


def calibrate_threshold(probabilities: np.ndarray, labels: np.ndarray, background_index: int | None,
                        max_accuracy_loss: float) -> float:
    """The threshold for validation probabilities (N, C) with true class indices `labels` (N,).

    Over the skill windows (label != background_index; n of them), a window
    is correct at threshold t when its best skill is its label, the
    background is not its most probable class and its best skill
    probability is >= t. Returns the largest t (one of the correct windows'
    probabilities, or 0) at which at most floor(max_accuracy_loss * n)
    windows that were correct at t = 0 are turned away; at least one stays
    correct. 0 when no skill window is correct.
    """
    if not 0.0 <= max_accuracy_loss <= 1.0:
        raise ValueError(f"max_accuracy_loss: expected a fraction in [0, 1], got {max_accuracy_loss!r}")
    labels = np.asarray(labels)
    best_skill, skill_probability, is_skill = open_set_decisions(probabilities, background_index, 0.0)
    skill = labels != background_index if background_index is not None else np.ones(len(labels), bool)  # (N,)
    correct = skill & is_skill & (best_skill == labels)  # (N,)
    if not correct.any():
        return 0.0
    # A small tolerance so that a budget of, e.g., 0.02 * 50 counts as one window despite rounding.
    allowed = math.floor(max_accuracy_loss * int(skill.sum()) + 1e-9)
    probabilities_sorted = np.sort(skill_probability[correct])  # (K,) ascending
    return float(probabilities_sorted[min(allowed, len(probabilities_sorted) - 1)])
