"""Classes, label indices, the stratified seeded split, chunked preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.keypoints.clip import KeypointDataError
from skillstream.models.preprocess import PreprocessSettings, preprocess_batch
from skillstream.models.training.data import (
    PREPROCESS_CHUNK, class_names, encode_labels, preprocess_windows, stratified_split,
)

from .toydata import toy_clips


def test_class_names_sort_skills_and_put_background_last() -> None:
    assert class_names(["wave", "background", "arms_up", "wave"]) == ("arms_up", "wave", "background")
    assert class_names(["b", "a"]) == ("a", "b")
    assert class_names(["b", "rest"], background="rest") == ("b", "rest")


def test_encode_labels_and_unknown_label() -> None:
    clips = toy_clips(1, seed=0)
    assert encode_labels(clips, ("wave", "arms_up", "background")).tolist() == [1, 0, 2]
    with pytest.raises(KeypointDataError, match=r"toy background: label 'background' is not one of the classes"):
        encode_labels(clips, ("arms_up", "wave"))


def test_split_is_stratified_and_covers_every_item() -> None:
    labels = np.repeat([0, 1, 2, 3, 4], [10, 25, 2, 1, 7])  # (45,)
    train, val = stratified_split(labels, 0.2, seed=3)
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(45))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
    # round(n * 0.2), at least one, at most n - 1; a single item stays in training
    assert np.bincount(labels[val], minlength=5).tolist() == [2, 5, 1, 0, 1]
    assert train.dtype == val.dtype == np.int64


def test_split_depends_on_the_seed_only() -> None:
    labels = np.repeat(np.arange(4), 30)
    first = stratified_split(labels, 0.2, seed=7)
    again = stratified_split(labels.copy(), 0.2, seed=7)
    other = stratified_split(labels, 0.2, seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_split_rejects_bad_fractions(fraction: float) -> None:
    with pytest.raises(ValueError, match="val_fraction"):
        stratified_split(np.zeros(4, int), fraction, seed=0)


def test_preprocess_windows_equals_one_batch_across_chunks() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 30, PREPROCESS_CHUNK + 3)
    windows = [rng.uniform(0, 500, (int(n), 25, 3)).astype(np.float32) for n in lengths]
    settings = PreprocessSettings(max_timesteps=32, confidence=True)
    features, masks = preprocess_windows(windows, settings)
    expected_features, expected_masks = preprocess_batch(windows, settings)
    assert np.array_equal(features, expected_features) and np.array_equal(masks, expected_masks)
