"""Scoring segments against ground truth: one-to-one matching at a temporal IoU.

A segment is (label, start_frame, end_frame) with inclusive frames. Pairs
are matched greedily by decreasing IoU (ties: the earlier prediction, then
the earlier truth), each prediction and each truth at most once, and only
at IoU >= min_iou; with min_iou > 0.5 and non-overlapping truths the
matching is the only one possible. Labels do not take part in the matching:
`label_accuracy` says how many matched pairs agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Span = tuple[str, int, int]


@dataclass(frozen=True)
class SegmentMatch:
    """matches: (prediction index, truth index, IoU), by prediction index.
    precision = TP / predictions (1.0 without predictions), recall = TP /
    truths (1.0 without truths), f1 their harmonic mean (0.0 when both are
    0), label_accuracy = matched pairs with equal labels / TP (0.0 without
    matches)."""

    matches: tuple[tuple[int, int, float], ...]
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    label_accuracy: float


def temporal_iou(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    """IoU of the inclusive frame ranges a_start..a_end and b_start..b_end (each non-empty)."""
    inter = max(0, min(a_end, b_end) - max(a_start, b_start) + 1)
    union = (a_end - a_start + 1) + (b_end - b_start + 1) - inter
    return inter / union


def match_segments(predicted: Sequence[Span], truth: Sequence[Span], min_iou: float = 0.5) -> SegmentMatch:
    """Match `predicted` to `truth` segments (see the module's docstring).
    Raises ValueError for a segment that ends before it starts or a
    min_iou outside (0, 1]."""
    if not 0 < min_iou <= 1:
        raise ValueError(f"min_iou: must be in (0, 1], got {min_iou}")
    for name, spans in (("predicted", predicted), ("truth", truth)):
        for i, (_, start, end) in enumerate(spans):
            if end < start:
                raise ValueError(f"{name}[{i}]: end_frame {end} is before start_frame {start}")
    pairs = sorted(
        ((temporal_iou(p[1], p[2], t[1], t[2]), i, j)
         for i, p in enumerate(predicted) for j, t in enumerate(truth)
         if p[1] <= t[2] and t[1] <= p[2]),
        key=lambda pair: (-pair[0], pair[1], pair[2]))
    used_p: set[int] = set()
    used_t: set[int] = set()
    matches = []
    for iou, i, j in pairs:
        if iou >= min_iou and i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matches.append((i, j, iou))
    matches.sort()
    tp = len(matches)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    correct = sum(predicted[i][0] == truth[j][0] for i, j, _ in matches)
    return SegmentMatch(tuple(matches), tp, len(predicted) - tp, len(truth) - tp, precision, recall, f1,
                        correct / tp if tp else 0.0)
