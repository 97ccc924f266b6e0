"""Evaluation figures: accuracy, per-class accuracy, the confusion matrix and the open-set ones.

`evaluate` is the one function that training (on its validation split) and
`skillstream eval` (on any dataset) both call, so both report the same
figures in the same JSON-ready form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..openset import open_set_decisions


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts int64 (C, C): row = true class, column = predicted class."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    if true.shape != predicted.shape or true.ndim != 1:
        raise ValueError(f"true and predicted must be equal 1-D shapes, got {true.shape} and {predicted.shape}")
    for name, values in (("true", true), ("predicted", predicted)):
        if len(values) and (values.min() < 0 or values.max() >= n_classes):
            raise ValueError(f"{name}: class indices must lie in 0..{n_classes - 1}")
    return np.bincount(true * n_classes + predicted, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def accuracy(confusion: np.ndarray) -> float | None:
    """trace / total of a confusion matrix; None when it counts nothing."""
    total = int(confusion.sum())
    return float(np.trace(confusion)) / total if total else None


def per_class_accuracy(confusion: np.ndarray, classes: Sequence[str]) -> dict[str, float | None]:
    """Each class's recall (diagonal / row sum), None for a class without items."""
    rows = confusion.sum(axis=1)  # (C,)
    return {name: (float(confusion[i, i]) / rows[i] if rows[i] else None) for i, name in enumerate(classes)}


def row_normalised(confusion: np.ndarray) -> np.ndarray:
    """float64 (C, C): each row divided by its sum (rows without items stay 0)."""
    rows = confusion.sum(axis=1, keepdims=True)  # (C, 1)
    return np.divide(confusion, rows, out=np.zeros(confusion.shape), where=rows > 0)


def evaluate(probabilities: np.ndarray, labels: Sequence[str], classes: Sequence[str],
             background: str | None, threshold: float, non_skill_label: str) -> dict[str, Any]:
    """The figures of a model's probabilities (N, C) against the items' true label names.

    classes: the model's classes (probability columns); background: the
    model's background class (None without one); threshold: its open-set
    threshold; non_skill_label: the label of items that are no skill (the
    model's background class, or the dataset's non-skill label when the model
    has none).

    Closed set, over the items whose label is one of `classes` (n): accuracy
    of the argmax, per-class accuracy, confusion (rows true, columns
    predicted, in `classes` order). Open set (the rule of
    `models.openset.open_set_decisions`): open_set_fpr, the fraction of
    non-skill items reported as a skill (None without such items);
    open_set_skill_accuracy, the fraction of skill items reported as their
    own skill (None without skill items); n_non_skill, n_skill.
    Labels that are neither a class nor `non_skill_label` raise ValueError.
    """
    probabilities = np.asarray(probabilities)
    labels = list(labels)
    if probabilities.shape != (len(labels), len(classes)):
        raise ValueError(f"probabilities: expected shape ({len(labels)}, {len(classes)}), got {probabilities.shape}")
    unknown = sorted({label for label in labels if label not in classes and label != non_skill_label})
    if unknown:
        raise ValueError(f"labels the model does not know: {', '.join(unknown)} (classes: {', '.join(classes)})")
    index = {name: i for i, name in enumerate(classes)}
    known = np.array([label in index for label in labels], bool)  # (N,)
    true = np.array([index.get(label, -1) for label in labels], np.int64)  # (N,)
    confusion = confusion_matrix(true[known], probabilities[known].argmax(axis=1), len(classes))
    background_index = None if background is None else index[background]
    best_skill, _, is_skill = open_set_decisions(probabilities, background_index, threshold)
    non_skill = np.array([label == non_skill_label for label in labels], bool)  # (N,)
    skill = ~non_skill
    return {
        "classes": list(classes),
        "n": int(known.sum()),
        "accuracy": accuracy(confusion),
        "per_class": per_class_accuracy(confusion, classes),
        "confusion": confusion.tolist(),
        "background": background,
        "threshold": float(threshold),
        "n_skill": int(skill.sum()),
        "n_non_skill": int(non_skill.sum()),
        "open_set_fpr": float(is_skill[non_skill].mean()) if non_skill.any() else None,
        "open_set_skill_accuracy": (float((is_skill & (best_skill == true))[skill].mean())
                                    if skill.any() else None),
    }
