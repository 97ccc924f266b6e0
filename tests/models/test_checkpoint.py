"""Checkpoints: a round trip rebuilds the same classifier; every bad file gets a clear error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from skillstream.models.checkpoint import (
    FORMAT, FORMAT_VERSION, Checkpoint, CheckpointError, load_checkpoint, save_checkpoint,
)
from skillstream.models.network import build_network
from skillstream.models.openset import EmbeddingDetector, fit_statistics
from skillstream.models.preprocess import PreprocessSettings, preprocess_batch

CLASSES = ("cartwheel", "split_leap", "background")


def make_checkpoint(arch: str = "default", seed: int = 0, **fields) -> Checkpoint:
    torch.manual_seed(seed)
    settings = PreprocessSettings(max_timesteps=40, norm="keypoint", padding="corrected", confidence=arch == "default")
    network = build_network(arch, {"n_classes": 3, "n_features": settings.n_features})
    values = dict(network=network, classes=CLASSES, preprocess=settings, background="background", threshold=0.4,
                  training={"epochs": 3, "speed_range": (0.7, 1.4)}, metrics={"accuracy": 0.5}, seed=seed)
    return Checkpoint(**(values | fields))


def probabilities(checkpoint: Checkpoint, windows: list[np.ndarray]) -> torch.Tensor:
    features, masks = preprocess_batch(windows, checkpoint.preprocess)
    checkpoint.network.eval()
    with torch.inference_mode():
        return checkpoint.network.sequence_probabilities(torch.from_numpy(features), torch.from_numpy(masks))


def windows() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.uniform(1, 400, (n, 25, 3)).astype(np.float32) for n in (12, 40, 55)]


@pytest.mark.parametrize("arch", ["default", "paper"])
def test_round_trip_gives_identical_probabilities(tmp_path: Path, arch: str) -> None:
    original = make_checkpoint(arch)
    path = tmp_path / "models" / "model.pt"
    save_checkpoint(original, path)
    loaded = load_checkpoint(path)
    assert torch.equal(probabilities(loaded, windows()), probabilities(original, windows()))
    assert not loaded.network.training and loaded.network.arch == arch
    assert loaded.network.network_args == original.network.network_args
    assert (loaded.classes, loaded.background, loaded.threshold, loaded.seed) == (CLASSES, "background", 0.4, 0)
    assert loaded.preprocess == original.preprocess
    assert loaded.training == {"epochs": 3, "speed_range": [0.7, 1.4]} and loaded.metrics == {"accuracy": 0.5}
    assert loaded.background_index == 2 and loaded.skill_classes == CLASSES[:2]
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.pt"]  # no partial file left


def test_the_file_is_plain_data_for_weights_only_loading(tmp_path: Path) -> None:
    save_checkpoint(make_checkpoint(), tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert payload["format"] == FORMAT and payload["format_version"] == FORMAT_VERSION
    assert payload["preprocess"] == {"max_timesteps": 40, "norm": "keypoint", "padding": "corrected",
                                     "confidence": True, "distances": False, "motion": []}
    assert set(payload) == {"format", "format_version", "arch", "network_args", "state_dict", "classes",
                            "background", "threshold", "preprocess", "training", "metrics", "seed", "ood"}
    assert payload["ood"] is None


def detector(dims: int = 256, classes: int = 3) -> EmbeddingDetector:
    rng = np.random.default_rng(1)
    means, precision = fit_statistics(rng.normal(size=(60, dims)), rng.integers(0, classes, 60), classes)
    return EmbeddingDetector(means, precision, limit=12.5, accuracy_loss=0.01)


def test_the_detector_round_trips(tmp_path: Path) -> None:
    original = make_checkpoint(detector=detector())
    save_checkpoint(original, tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt").detector
    assert loaded.limit == 12.5 and loaded.accuracy_loss == 0.01
    assert np.array_equal(loaded.means, original.detector.means)
    assert np.array_equal(loaded.precision, original.detector.precision)
    with pytest.raises(ValueError, match="ood: the detector has means of 4 classes, the network 3"):
        make_checkpoint(detector=detector(classes=4))


def test_a_version_1_file_loads_as_it_was_trained(tmp_path: Path) -> None:
    """Before the detector and the body features: no `ood` field, four preprocessing fields.
    It loads without a detector and with the preprocessing it was trained with."""
    def as_version_1(payload: dict) -> None:
        payload["format_version"] = 1
        del payload["ood"], payload["preprocess"]["distances"], payload["preprocess"]["motion"]

    path = rewrite(tmp_path, as_version_1)
    loaded = load_checkpoint(path)
    assert loaded.detector is None and loaded.preprocess == make_checkpoint().preprocess
    assert torch.equal(probabilities(loaded, windows()), probabilities(make_checkpoint(), windows()))


def rewrite(tmp_path: Path, change) -> Path:
    """A saved checkpoint whose payload `change(payload)` altered."""
    path = tmp_path / "m.pt"
    save_checkpoint(make_checkpoint(), path)
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, path)
    return path


@pytest.mark.parametrize("change, where, reason", [
    (lambda p: p.pop("classes"), "classes", "missing"),
    (lambda p: p.pop("preprocess"), "preprocess", "missing"),
    (lambda p: p.update(threshold="high"), "threshold", "expected a number, got str"),
    (lambda p: p.update(seed=True), "seed", "expected an integer or None, got bool"),
    (lambda p: p.update(format_version=FORMAT_VERSION + 1), "format_version", "newer than this program reads"),
    (lambda p: p.update(arch="huge"), "network_args", "unknown architecture 'huge'"),
    (lambda p: p["network_args"].pop("n_classes"), "network_args", "missing n_classes"),
    (lambda p: p["state_dict"].pop("head.3.bias"), "state_dict", "does not fit the 'default' network"),
    (lambda p: p["preprocess"].pop("norm"), "preprocess", "norm: missing"),
    (lambda p: p["preprocess"].update(norm="frame"), "preprocess", "norm: must be one of"),
    (lambda p: p.pop("ood"), "ood", "missing"),
    (lambda p: p.update(ood=[1]), "ood", "expected a dict or None, got list"),
    (lambda p: p.update(ood={"means": torch.zeros(3, 4)}), "ood", "precision: missing"),
])
def test_bad_fields_are_named(tmp_path: Path, change, where: str, reason: str) -> None:
    path = rewrite(tmp_path, change)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert error.value.where == f"{path}: {where}" and reason in error.value.reason


@pytest.mark.parametrize("change, reason", [
    (lambda p: p.update(classes=["a", "b"]), "classes: 2 names for a network with 3 outputs"),
    (lambda p: p.update(classes=["a", "a", "b"]), "classes: names repeat"),
    (lambda p: p.update(background="rest"), "background: 'rest' is not one of the classes"),
    (lambda p: p.update(threshold=1.5), "threshold: expected a number in [0, 1]"),
    (lambda p: p["preprocess"].update(confidence=False), "preprocess: settings give 50 features per frame, "
                                                         "the network takes 75"),
])
def test_parts_that_do_not_fit_together(tmp_path: Path, change, reason: str) -> None:
    path = rewrite(tmp_path, change)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert error.value.where == str(path) and error.value.reason.startswith(reason)


def test_files_that_are_not_checkpoints(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match=r"junk.pt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match=r"other.pt: not a skillstream classifier checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "pickled.pt")  # a pickled module: refused, not unpickled
    with pytest.raises(CheckpointError, match=r"pickled.pt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "pickled.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_construction_checks_plain_dicts() -> None:
    with pytest.raises(ValueError, match="training: expected plain JSON values only"):
        make_checkpoint(training={"when": object()})
    checkpoint = make_checkpoint(background=None, threshold=0)
    assert checkpoint.background_index is None and checkpoint.skill_classes == CLASSES
    assert dataclasses.replace(checkpoint, threshold=1).threshold == 1.0
