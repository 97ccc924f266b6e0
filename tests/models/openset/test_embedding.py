"""The out-of-distribution detector: Mahalanobis distances, their fit and their calibration."""

import math

import numpy as np
import pytest
import torch

from skillstream.models.openset import EmbeddingDetector, calibrate_limit, fit_statistics


def test_distances_are_mahalanobis_to_the_class_mean():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    scale = np.array([1.0, 10.0])  # the second dimension varies ten times more
    embeddings = rng.normal(size=(1000, 2)) * scale + np.where(labels[:, None] == 0, 0.0, 50.0)
    means, precision = fit_statistics(embeddings, labels, 3, shrinkage=1e-6)
    assert np.allclose(means[:2], [[0, 0], [50, 50]], atol=1.0) and np.isnan(means[2]).all()  # no windows of 2
    detector = EmbeddingDetector(means, precision, limit=3.0)
    near = detector.distances(np.array([[0.0, 20.0], [52.0, 50.0]]), np.array([0, 1]))
    assert near == pytest.approx([2.0, 2.0], rel=0.1)  # two standard deviations either way
    assert math.isnan(detector.distances(np.zeros((1, 2)), np.array([2]))[0])


def test_shrinkage_keeps_few_windows_invertible():
    embeddings = np.random.default_rng(1).normal(size=(5, 64))  # fewer windows than dimensions
    _, precision = fit_statistics(embeddings, np.zeros(5, int), 1)
    assert np.isfinite(precision).all()
    with pytest.raises(ValueError, match="shrinkage"):
        fit_statistics(embeddings, np.zeros(5, int), 1, shrinkage=0.0)


def test_limit_turns_away_at_most_the_budget_of_correct_windows():
    distances = np.arange(1.0, 11.0)  # 10 correct windows at 1..10, and one wrong at 100
    correct = np.ones(11, bool)
    distances = np.append(distances, 100.0)
    correct[-1] = False
    assert calibrate_limit(distances, correct, 0.0) == 10.0
    assert calibrate_limit(distances, correct, 0.1) == 9.0  # one of ten may go
    assert calibrate_limit(distances, correct, 0.25) == 8.0  # two of ten
    assert calibrate_limit(distances, correct, 1.0) == 1.0  # one always stays
    assert calibrate_limit(distances, np.zeros(11, bool), 0.1) == math.inf


def test_round_trip_and_bad_fields():
    rng = np.random.default_rng(2)
    detector = EmbeddingDetector(*fit_statistics(rng.normal(size=(20, 4)), np.arange(20) % 2, 2), limit=2.5)
    stored = detector.to_dict()
    assert isinstance(stored["means"], torch.Tensor)
    again = EmbeddingDetector.from_dict(stored)
    assert np.array_equal(again.means, detector.means) and again.limit == 2.5
    with pytest.raises(ValueError, match="limit: expected a positive number"):
        EmbeddingDetector(detector.means, detector.precision, limit=0.0)
    with pytest.raises(ValueError, match="precision: expected"):
        EmbeddingDetector(detector.means, detector.precision[:2], limit=1.0)
    with pytest.raises(ValueError, match="means: expected a tensor"):
        EmbeddingDetector.from_dict({**stored, "means": [1, 2]})
