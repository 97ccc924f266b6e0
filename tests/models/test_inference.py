"""The serving API: the open-set rule, predictions, batching, loading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from skillstream.models import inference
from skillstream.models.checkpoint import Checkpoint, save_checkpoint
from skillstream.models.inference import Classifier, Prediction
from skillstream.models.openset import (EmbeddingDetector, GateSettings, OpenSetOptions, fit_statistics,
                                        open_set_decisions)
from skillstream.models.keypoints.clip import KeypointDataError
from skillstream.models.network import build_network
from skillstream.models.preprocess import PreprocessSettings, preprocess_batch
from tests.models.training.toydata import restore_torch_threads  # noqa: F401

CLASSES = ("cartwheel", "split_leap", "full_turn", "background")


def test_open_set_rule() -> None:
    probabilities = np.array([
        [0.70, 0.10, 0.10, 0.10],  # skill, confident
        [0.40, 0.30, 0.00, 0.30],  # skill below the threshold
        [0.30, 0.10, 0.10, 0.50],  # background most probable
        [0.10, 0.45, 0.00, 0.45],  # tie with the background: argmax takes the first, a skill
    ], np.float32)
    best, p, is_skill = open_set_decisions(probabilities, 3, 0.45)
    assert best.tolist() == [0, 0, 0, 1] and p.tolist() == pytest.approx([0.7, 0.4, 0.3, 0.45])
    assert is_skill.tolist() == [True, False, False, True]
    # Without a background class, column 3 is one more skill: only the threshold decides.
    best, p, without_background = open_set_decisions(probabilities, None, 0.45)
    assert best.tolist() == [0, 0, 3, 1] and p.tolist() == pytest.approx([0.7, 0.4, 0.5, 0.45])
    assert without_background.tolist() == [True, False, True, True]
    _, _, no_threshold = open_set_decisions(probabilities, None, 0.0)
    assert no_threshold.all()
    with pytest.raises(ValueError, match="probabilities: expected shape"):
        open_set_decisions(np.ones(3), None, 0.5)


@pytest.fixture(scope="module")
def checkpoint() -> Checkpoint:
    torch.manual_seed(3)
    settings = PreprocessSettings(max_timesteps=50, confidence=True)
    network = build_network("default", {"n_classes": 4, "n_features": 75})
    return Checkpoint(network=network, classes=CLASSES, preprocess=settings, background="background", threshold=0.3)


def windows(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 300, (int(n), 25, 3)).astype(np.float32) for n in rng.integers(1, 80, count)]


def test_probabilities_are_the_networks_on_preprocessed_windows(checkpoint: Checkpoint) -> None:
    batch = windows(5)
    classifier = Classifier(checkpoint)
    features, masks = preprocess_batch(batch, checkpoint.preprocess)
    with torch.inference_mode():
        expected = checkpoint.network.sequence_probabilities(torch.from_numpy(features), torch.from_numpy(masks))
    got = classifier.probabilities(batch)
    assert got.dtype == np.float32 and got.shape == (5, 4)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-6, atol=1e-7)
    assert classifier.probabilities([]).shape == (0, 4) and classifier.classify([]) == []


def test_batches_larger_than_one_call_are_split(checkpoint: Checkpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = Classifier(checkpoint)
    batch = windows(7, seed=1)
    whole = classifier.probabilities(batch)
    monkeypatch.setattr(inference, "MAX_BATCH", 3)
    np.testing.assert_allclose(classifier.probabilities(batch), whole, rtol=1e-5, atol=1e-6)
    one_by_one = np.concatenate([classifier.probabilities([window]) for window in batch])
    np.testing.assert_allclose(one_by_one, whole, rtol=1e-5, atol=1e-6)


def test_classify_applies_the_open_set_rule(checkpoint: Checkpoint) -> None:
    classifier = Classifier(checkpoint)
    batch = windows(12, seed=2)
    probabilities = classifier.probabilities(batch)
    predictions = classifier.classify(batch)
    assert len(predictions) == 12 and all(isinstance(p, Prediction) for p in predictions)
    best, p, is_skill = open_set_decisions(probabilities, 3, 0.3)
    for b, prediction in enumerate(predictions):
        assert prediction.label == CLASSES[best[b]] != "background"
        assert prediction.confidence == pytest.approx(float(p[b])) and prediction.is_skill == is_skill[b]
        assert len(prediction.top) == 3
        assert [name for name, _ in prediction.top] == [CLASSES[k] for k in np.argsort(-probabilities[b])[:3]]
        assert prediction.top[0][1] == pytest.approx(float(probabilities[b].max()))
    assert predictions[0].to_dict()["top"][0] == list(predictions[0].top[0])


@pytest.mark.usefixtures("restore_torch_threads")
def test_load_sets_threads_and_bad_windows_are_named(checkpoint: Checkpoint, tmp_path: Path) -> None:
    save_checkpoint(checkpoint, tmp_path / "m.pt")
    classifier = Classifier.load(tmp_path / "m.pt", threads=1)
    assert torch.get_num_threads() == 1
    assert classifier.classes == CLASSES
    bad = windows(3)
    bad[1] = bad[1].copy()
    bad[1][0, 0, 0] = np.nan
    with pytest.raises(KeypointDataError, match=r"windows\[1\]: contains NaN"):
        classifier.probabilities(bad)
    with pytest.raises(ValueError, match="threads"):
        Classifier(checkpoint, threads=0)


def test_threshold_overrides_the_checkpoints(checkpoint: Checkpoint) -> None:
    batch = windows(12, seed=2)
    strict = Classifier(checkpoint, options=OpenSetOptions(threshold=1.0))
    lenient = Classifier(checkpoint, options=OpenSetOptions(threshold=0.0))
    assert strict.threshold == 1.0 and Classifier(checkpoint).threshold == checkpoint.threshold
    probabilities = strict.probabilities(batch)
    _, _, expected = open_set_decisions(probabilities, 3, 0.0)
    assert [p.is_skill for p in lenient.classify(batch)] == list(expected)
    assert all(p.reason == "below_threshold" for p in strict.classify(batch) if p.confidence < 1.0 and
               p.top[0][0] != "background")
    with pytest.raises(ValueError, match="threshold"):
        OpenSetOptions(threshold=1.5)


def test_the_detector_and_the_gates_take_part(checkpoint: Checkpoint) -> None:
    """A checkpoint's detector rejects what lies far from its class means; the caller's gates
    reject what lacks a criterion; each prediction carries its reason and measures."""
    batch = windows(12, seed=2)
    plain = Classifier(checkpoint, options=OpenSetOptions(threshold=0.0))
    probabilities, embeddings = plain.outputs(batch)
    skills = [p for p in plain.classify(batch)]
    assert all(p.distance is None and p.gates == {} for p in skills)
    best = np.array([CLASSES.index(p.label) for p in skills])
    means, precision = fit_statistics(embeddings, best, len(CLASSES))
    near = EmbeddingDetector(means, precision, limit=1e6)
    far = EmbeddingDetector(means + 100.0, precision, limit=1.0)  # every mean moved away
    accepted = [p.is_skill for p in skills]
    with_near = Classifier(dataclasses.replace(checkpoint, detector=near), options=OpenSetOptions(threshold=0.0))
    assert [p.is_skill for p in with_near.classify(batch)] == accepted
    distances = near.distances(embeddings, best)
    assert [p.distance for p in with_near.classify(batch)] == pytest.approx(distances.tolist(), rel=1e-5)
    with_far = Classifier(dataclasses.replace(checkpoint, detector=far), options=OpenSetOptions(threshold=0.0))
    assert {p.reason for p in with_far.classify(batch) if p.top[0][0] != "background"} == {"out_of_distribution"}
    ignoring = Classifier(dataclasses.replace(checkpoint, detector=far),
                          options=OpenSetOptions(threshold=0.0, ood_margin=None))
    assert [p.is_skill for p in ignoring.classify(batch)] == accepted
    gated = Classifier(checkpoint, options=OpenSetOptions(threshold=0.0, gates=GateSettings(
        skills={label: ("inversion",) for label in CLASSES}, inversion_deg=180.0)))
    for prediction in gated.classify(batch):
        assert set(prediction.gates) == {"inversion"}
        if prediction.top[0][0] != "background":
            assert prediction.reason == "gate:inversion"  # random points are never upside down to the degree
        assert prediction.to_dict()["reason"] == prediction.reason
