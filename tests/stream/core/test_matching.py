"""match_segments: temporal IoU of inclusive frames, one-to-one matching, the scores."""

import pytest

from skillstream.stream.core.matching import match_segments, temporal_iou


def test_temporal_iou_counts_inclusive_frames():
    assert temporal_iou(0, 9, 0, 9) == 1.0
    assert temporal_iou(0, 9, 5, 14) == 5 / 15
    assert temporal_iou(0, 9, 10, 19) == 0.0
    assert temporal_iou(3, 3, 0, 9) == 1 / 10


def test_scores_and_labels():
    truth = [("leap", 0, 9), ("turn", 20, 29), ("walkover", 50, 69)]
    predicted = [("leap", 1, 10), ("leap", 20, 28), ("x", 35, 40), ("walkover", 60, 80)]
    m = match_segments(predicted, truth)
    assert [(i, j) for i, j, _ in m.matches] == [(0, 0), (1, 1)]
    assert m.matches[0][2] == pytest.approx(9 / 11) and m.matches[1][2] == pytest.approx(9 / 10)
    assert (m.true_positives, m.false_positives, m.false_negatives) == (2, 2, 1)
    assert (m.precision, m.recall) == (0.5, 2 / 3)
    assert m.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert m.label_accuracy == 0.5  # the turn came out as a leap
    assert match_segments(predicted, truth, min_iou=0.95).true_positives == 0


def test_one_to_one_best_first():
    # Two predictions overlap one truth: the better one takes it, the other is a false positive.
    m = match_segments([("a", 0, 12), ("a", 0, 9)], [("a", 0, 9)])
    assert [(i, j) for i, j, _ in m.matches] == [(1, 0)] and m.false_positives == 1


def test_empty_inputs():
    m = match_segments([], [])
    assert (m.precision, m.recall, m.f1, m.label_accuracy) == (1.0, 1.0, 1.0, 0.0)
    m = match_segments([("a", 0, 5)], [])
    assert (m.precision, m.recall, m.f1, m.false_positives) == (0.0, 1.0, 0.0, 1)


@pytest.mark.parametrize("predicted, min_iou, message", [
    ([("a", 5, 4)], 0.5, r"predicted\[0\]: end_frame 4 is before start_frame 5"),
    ([], 0.0, "min_iou"),
])
def test_bad_input(predicted, min_iou, message):
    with pytest.raises(ValueError, match=message):
        match_segments(predicted, [("a", 0, 1)], min_iou)
