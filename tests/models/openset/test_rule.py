"""The open-set rule: the order of its checks and the reason it gives."""

import numpy as np
import pytest

from skillstream.models.openset import EmbeddingDetector, GateSettings, OpenSetRule
from tests.models.openset.test_gates import standing, turned_over

CLASSES = ("walkover", "leap", "background")


def test_the_first_failed_check_is_the_reason():
    detector = EmbeddingDetector(np.array([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0]]), np.eye(2), limit=1.0)
    rule = OpenSetRule(CLASSES, threshold=0.5, background_index=2, detector=detector, ood_margin=2.0,
                       gates=GateSettings(skills={"walkover": ("inversion",)}))
    probabilities = np.array([
        [0.2, 0.1, 0.7],  # background
        [0.4, 0.3, 0.3],  # below the threshold
        [0.9, 0.05, 0.05],  # far from the walkovers
        [0.9, 0.05, 0.05],  # near, but never upside down
        [0.9, 0.05, 0.05],  # a walkover
        [0.1, 0.8, 0.1],  # a leap: no gate
    ])
    embeddings = np.array([[0, 0], [0, 0], [3, 0], [1.5, 0], [0.5, 0], [10, 11]], float)
    upright, inverted = standing(), turned_over(standing(), slice(3, 7), 170.0)
    windows = [upright, upright, inverted, upright, inverted, upright]
    verdicts = rule.decide(probabilities, embeddings, windows)
    assert [v.reason for v in verdicts] == ["background", "below_threshold", "out_of_distribution",
                                           "gate:inversion", None, None]
    assert [v.is_skill for v in verdicts] == [False, False, False, False, True, True]
    assert [v.distance for v in verdicts] == pytest.approx([0.0, 0.0, 3.0, 1.5, 0.5, 1.0])
    assert verdicts[2].distance_limit == 2.0
    assert verdicts[3].gates["inversion"] < 10 and verdicts[5].gates == {}
    assert [v.best_skill for v in verdicts] == [0, 0, 0, 0, 0, 1]


def test_without_a_detector_or_gates_only_the_probabilities_decide():
    rule = OpenSetRule(CLASSES, threshold=0.5, background_index=2)
    verdicts = rule.decide(np.array([[0.9, 0.05, 0.05]]), None, [standing()])
    assert verdicts[0].is_skill and verdicts[0].distance is None and verdicts[0].gates == {}
    with pytest.raises(ValueError, match="embeddings: required"):
        OpenSetRule(CLASSES, 0.5, 2, EmbeddingDetector(np.zeros((3, 2)), np.eye(2), 1.0)).decide(
            np.array([[0.9, 0.05, 0.05]]), None, [standing()])
