"""Confusion matrix, accuracies and the open-set figures of `evaluate`, against hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.training.metrics import (
    accuracy, confusion_matrix, evaluate, per_class_accuracy, row_normalised,
)


def test_confusion_matrix_counts_rows_true_columns_predicted() -> None:
    confusion = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 4)
    assert confusion.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    assert accuracy(confusion) == pytest.approx(4 / 6)
    assert per_class_accuracy(confusion, "abcd") == {"a": 0.5, "b": 1.0, "c": pytest.approx(2 / 3), "d": None}
    np.testing.assert_allclose(row_normalised(confusion)[2], [1 / 3, 0, 2 / 3, 0])
    assert row_normalised(confusion)[3].tolist() == [0, 0, 0, 0]
    assert accuracy(np.zeros((2, 2), np.int64)) is None
    with pytest.raises(ValueError, match="predicted: class indices must lie in 0..1"):
        confusion_matrix(np.array([0]), np.array([2]), 2)


# Classes a, b, background; threshold 0.6.
PROBABILITIES = np.array([
    [0.90, 0.05, 0.05],  # a -> a, reported
    [0.50, 0.40, 0.10],  # a -> a, below the threshold: no skill
    [0.20, 0.70, 0.10],  # a -> b, reported (wrong)
    [0.10, 0.80, 0.10],  # b -> b, reported
    [0.30, 0.20, 0.50],  # background -> background: no skill
    [0.65, 0.05, 0.30],  # background -> a, reported: a false positive
    [0.35, 0.25, 0.40],  # background -> background
], np.float32)
LABELS = ["a", "a", "a", "b", "background", "background", "background"]


def test_evaluate_with_a_background_class() -> None:
    result = evaluate(PROBABILITIES, LABELS, ("a", "b", "background"), "background", 0.6, "background")
    assert result["n"] == 7 and result["classes"] == ["a", "b", "background"]
    assert result["confusion"] == [[2, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert result["accuracy"] == pytest.approx(5 / 7)
    assert result["accuracy"] == pytest.approx(np.trace(result["confusion"]) / result["n"])
    assert result["per_class"] == {"a": pytest.approx(2 / 3), "b": 1.0, "background": pytest.approx(2 / 3)}
    assert (result["n_skill"], result["n_non_skill"]) == (4, 3)
    assert result["open_set_fpr"] == pytest.approx(1 / 3)
    assert result["open_set_skill_accuracy"] == pytest.approx(2 / 4)
    assert result["threshold"] == pytest.approx(0.6) and result["background"] == "background"


def test_evaluate_without_a_background_class_counts_non_skill_items_apart() -> None:
    two_class = PROBABILITIES[:, :2] / PROBABILITIES[:, :2].sum(axis=1, keepdims=True)
    result = evaluate(two_class, LABELS, ("a", "b"), None, 0.59, "background")
    assert result["n"] == 4 and result["confusion"] == [[2, 1], [0, 1]]
    assert result["accuracy"] == pytest.approx(3 / 4)
    # background rows renormalised: a 0.6, 0.929, 0.583 -> two of three reach 0.59
    assert result["open_set_fpr"] == pytest.approx(2 / 3)
    # skill rows: a 0.947, a 0.556 (turned away), b 0.778 (wrong), b 0.889
    assert result["open_set_skill_accuracy"] == pytest.approx(2 / 4)
    only_skills = evaluate(two_class[:4], LABELS[:4], ("a", "b"), None, 0.0, "background")
    assert only_skills["open_set_fpr"] is None and only_skills["open_set_skill_accuracy"] == pytest.approx(3 / 4)


def test_evaluate_rejects_labels_the_model_does_not_know() -> None:
    with pytest.raises(ValueError, match="labels the model does not know: cartwheel"):
        evaluate(PROBABILITIES[:2], ["a", "cartwheel"], ("a", "b", "background"), "background", 0.5, "background")
    with pytest.raises(ValueError, match=r"probabilities: expected shape \(2, 3\)"):
        evaluate(PROBABILITIES[:3], ["a", "b"], ("a", "b", "background"), "background", 0.5, "background")
