"""The training loop: per-architecture defaults, learning a toy task, best-epoch choice, determinism."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from skillstream.models.inference import Classifier
from skillstream.models.openset import OpenSetOptions
from skillstream.models.keypoints.clip import KeypointDataError
from skillstream.models.training import AugmentSettings, Progress, TrainConfig, train
from skillstream.models.training import loop
from skillstream.models.training.loop import matched_threshold

from .toydata import toy_clips


def test_for_arch_fills_in_each_architectures_defaults() -> None:
    paper = TrainConfig.for_arch("paper")
    settings = paper.preprocess
    assert (settings.norm, settings.padding, settings.confidence) == ("timestep", "paper", False)
    assert paper.augment is None and paper.grad_clip is None
    assert (paper.batch_size, paper.lr, paper.preprocess.max_timesteps) == (120, 1e-3, 281)
    assert (paper.weight_decay, paper.schedule, paper.refit, paper.epochs) == (0.0, "constant", False, 100)
    default = TrainConfig.for_arch("default")
    settings = default.preprocess
    assert (settings.norm, settings.padding, settings.confidence) == ("body", "corrected", True)
    assert (settings.distances, settings.motion) == (True, (1, 2))
    assert default.network == {"frame_velocity": False, "label_smoothing": 0.1}
    assert (default.batch_size, default.epochs, default.schedule, default.refit) == (32, 200, "one_cycle", True)
    assert default.augment == AugmentSettings() and default.grad_clip == 1.0
    # The min-max norms have no body features, and the network makes its own frame differences.
    minmax = TrainConfig.for_arch("default", norm="timestep")
    assert (minmax.preprocess.distances, minmax.preprocess.motion) == (False, ())
    assert minmax.network == {"label_smoothing": 0.1}
    custom = TrainConfig.for_arch("paper", norm="keypoint", confidence=True, augment=True, epochs=3, grad_clip=2.0)
    assert (custom.preprocess.norm, custom.preprocess.confidence, custom.epochs) == ("keypoint", True, 3)
    assert custom.augment == AugmentSettings() and custom.grad_clip == 2.0
    assert TrainConfig.for_arch("default", augment=False).augment is None
    assert custom.to_dict()["augment"]["speed_range"] == [0.7, 1.4]


@pytest.mark.parametrize("arch, fields, message", [
    ("big", {}, "arch: unknown architecture 'big'"),
    ("paper", {"epochs": 0}, "epochs: expected a positive integer"),
    ("paper", {"lr": -1.0}, "lr: expected a positive number"),
    ("paper", {"val_fraction": 1.0}, "val_fraction"),
    ("paper", {"norm": "frame"}, "norm: must be one of"),
    ("paper", {"schedule": "cosine"}, "schedule: expected one of"),
    ("default", {"network": {"lstm_units": 0}}, "lstm_units: expected a positive integer"),
    ("default", {"network": {"depth": 3}}, "unknown depth"),
])
def test_bad_configs_are_refused(arch: str, fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig.for_arch(arch, **fields)


def test_training_learns_the_toy_poses_and_keeps_the_best_epoch() -> None:
    # The default pipeline as it is (confidence channel, augmentation); the network sits on a
    # plateau for about a hundred steps before it learns, hence 20 short epochs.
    train_clips, val_clips = toy_clips(30, seed=0), toy_clips(8, seed=1)
    config = TrainConfig.for_arch("default", epochs=20, batch_size=10, lr=3e-3, seed=1, refit=False)
    lines: list[str] = []
    result = train(train_clips, val_clips, config, Progress(log=lines.append))
    history = result.history
    assert [record.epoch for record in history] == list(range(1, 21)) and len(lines) == 20
    assert lines[0].startswith("epoch   1/20  train loss ")
    def smoothed(record):  # the means over the selection's epochs up to this one
        recent = history[max(record.epoch - config.selection_epochs, 0):record.epoch]
        return np.mean([r.val_accuracy for r in recent]), -np.mean([r.val_loss for r in recent])

    best = max(history, key=smoothed)  # the first of equals, as the loop keeps it
    assert config.selection_epochs == 10 and result.best_epoch == best.epoch
    metrics = result.metrics
    assert metrics["accuracy"] == pytest.approx(best.val_accuracy)
    assert metrics["accuracy"] >= 0.9, lines
    assert metrics["n"] == 24 == np.sum(metrics["confusion"]) and metrics["n_train"] == 90
    assert metrics["val_accuracy"] == [record.val_accuracy for record in history]
    checkpoint = result.checkpoint
    assert checkpoint.classes == ("arms_up", "wave", "background") and checkpoint.background == "background"
    assert 0.0 < checkpoint.threshold <= 1.0 and not checkpoint.network.training
    assert checkpoint.training["epochs"] == 20 and checkpoint.metrics["best_epoch"] == result.best_epoch
    # The checkpoint serves what training measured.
    classifier = Classifier(checkpoint)
    predicted = classifier.probabilities([clip.keypoints for clip in val_clips]).argmax(axis=1)
    assert np.mean(np.array(checkpoint.classes)[predicted] == [clip.label for clip in val_clips]) == metrics["accuracy"]


def test_the_refit_trains_on_all_clips_for_the_best_epochs_count(monkeypatch: pytest.MonkeyPatch) -> None:
    train_clips, val_clips = toy_clips(20, seed=0), toy_clips(6, seed=1)
    config = TrainConfig.for_arch("default", epochs=12, batch_size=10, lr=3e-3, seed=1)
    lines: list[str] = []
    moves: list[tuple[int, int, float]] = []

    def recorded(threshold: float, before: np.ndarray, after: np.ndarray) -> float:
        moves.append((len(before), len(after), matched_threshold(threshold, before, after)))
        return moves[-1][2]

    monkeypatch.setattr(loop, "matched_threshold", recorded)
    result = train(train_clips, val_clips, config, Progress(log=lines.append))
    # The threshold moved once, from the selection network's training skill windows
    # (each clip as it is and once augmented) to the refit network's (validation clips too).
    n_skill = sum(clip.label != "background" for clip in train_clips)
    n_skill_val = sum(clip.label != "background" for clip in val_clips)
    assert [move[:2] for move in moves] == [(2 * n_skill, 2 * (n_skill + n_skill_val))]
    assert result.checkpoint.threshold == moves[0][2]
    refit_lines = [line for line in lines if line.startswith("refit")]
    assert len(refit_lines) == result.best_epoch and refit_lines[-1].startswith(
        f"refit {result.best_epoch:>3}/{result.best_epoch}")
    selected = train(train_clips, val_clips, dataclasses.replace(config, refit=False))
    # Another network (it saw the validation clips too), the same validation figures; the
    # threshold turns away the same share of each network's own training windows.
    assert result.metrics["accuracy"] == selected.metrics["accuracy"] and result.metrics["refit"]
    skill_windows = [clip.keypoints for clip in train_clips if clip.label != "background"]
    shares = []
    for run in (selected, result):
        best_skill = Classifier(run.checkpoint).probabilities(skill_windows)[:, :-1].max(axis=1)  # background last
        shares.append(np.mean(best_skill < run.checkpoint.threshold))
    assert abs(shares[0] - shares[1]) <= 0.1
    assert not torch.equal(result.checkpoint.network.head[0].weight, selected.checkpoint.network.head[0].weight)
    detector = result.checkpoint.detector
    assert detector is not None and detector.means.shape == (3, result.checkpoint.network.args.lstm_units * 4)
    # The refit network tells the validation clips apart too.
    classifier = Classifier(result.checkpoint)
    predicted = classifier.probabilities([clip.keypoints for clip in val_clips]).argmax(axis=1)
    assert np.mean(np.array(result.checkpoint.classes)[predicted] == [clip.label for clip in val_clips]) >= 0.9


def test_matched_threshold_keeps_the_share_below_it() -> None:
    before = np.linspace(0.5, 1.0, 101)
    after = np.linspace(0.2, 0.9, 101)
    moved = matched_threshold(0.8, before, after)  # 60% of `before` lies below 0.8
    assert np.mean(after < moved) == pytest.approx(np.mean(before < 0.8), abs=0.01)
    assert moved == pytest.approx(0.62, abs=0.01)
    assert matched_threshold(0.3, before, after) == pytest.approx(0.2)  # none below: at most after's lowest
    assert matched_threshold(0.3, before, after + 0.5) == 0.3
    assert matched_threshold(0.8, before[:0], after) == 0.8


def test_the_detector_limit_is_calibrated_on_validation() -> None:
    train_clips, val_clips = toy_clips(20, seed=0), toy_clips(6, seed=1)
    config = TrainConfig.for_arch("default", epochs=12, batch_size=10, lr=3e-3, seed=1, refit=False)
    result = train(train_clips, val_clips, config)
    classifier = Classifier(result.checkpoint, options=OpenSetOptions(threshold=0.0))
    predictions = classifier.classify([clip.keypoints for clip in val_clips])
    correct = [p for p, clip in zip(predictions, val_clips) if clip.label != "background" and p.label == clip.label
               and p.top[0][0] == clip.label]
    # At most 1% of the correct validation skill windows lie beyond the limit: here, none.
    assert correct and all(p.distance <= result.checkpoint.detector.limit for p in correct)
    assert max(p.distance for p in correct) == pytest.approx(result.checkpoint.detector.limit, rel=1e-4)
    assert result.metrics["ood_limit"] == result.checkpoint.detector.limit


def test_training_is_deterministic_for_a_seed() -> None:
    clips = toy_clips(3, seed=4)
    config = TrainConfig.for_arch("default", epochs=2, batch_size=4, seed=5)
    first, again = (train(clips, clips, config) for _ in range(2))
    assert [r.train_loss for r in first.history] == [r.train_loss for r in again.history]
    for (name, a), b in zip(first.checkpoint.network.state_dict().items(),
                            again.checkpoint.network.state_dict().values()):
        assert torch.equal(a, b), name


def test_paper_pipeline_trains_without_augmentation() -> None:
    clips = toy_clips(2, seed=6, labels=("arms_up", "wave"))
    result = train(clips, clips, TrainConfig.for_arch("paper", epochs=1, max_timesteps=48))
    assert result.checkpoint.background is None and result.checkpoint.network.arch == "paper"
    assert result.metrics["open_set_fpr"] is None and result.metrics["n_non_skill"] == 0
    assert result.checkpoint.preprocess.padding == "paper" and result.checkpoint.network.n_features == 50


def test_bad_data_is_refused() -> None:
    clips = toy_clips(2, seed=7)
    config = TrainConfig.for_arch("default", epochs=1)
    with pytest.raises(ValueError, match="no validation clips"):
        train(clips, [], config)
    with pytest.raises(ValueError, match="at least two classes"):
        train(clips[:2], clips, config)
    stranger = toy_clips(1, seed=8, labels=("wave",))
    stranger[0].label = "cartwheel"
    with pytest.raises(KeypointDataError, match="toy wave: label 'cartwheel' is not one of the classes"):
        train(clips, stranger, config)
