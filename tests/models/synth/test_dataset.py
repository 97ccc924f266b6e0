"""Synthetic clips and datasets: format, determinism, writing, learnability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.npz import read_npz
from skillstream.models.keypoints.openpose_json import read_openpose_folder
from skillstream.models.synth import (
    BACKGROUND, LABELS, MAX_FRAMES, MIN_FRAMES, SKILL_NAMES, DetectorParams, SynthOptions, clip_rng,
    generate_background_clip, generate_clip, generate_sample, write_dataset,
)

LABEL_NAMES = ("full_turn", "back_layout_stepout", "front_aerial", "side_aerial", "back_handspring",
               "back_walkover", "front_walkover", "split_leap", "switch_leap", "cartwheel")


def test_the_ten_classes() -> None:
    assert SKILL_NAMES == LABEL_NAMES
    assert LABELS == LABEL_NAMES + ("background",)


@pytest.mark.parametrize("label", LABELS)
def test_clips_are_well_formed(label: str) -> None:
    for index in range(3):
        clip = generate_clip(label, clip_rng(11, label, index))
        assert clip.keypoints.dtype == np.float32 and clip.keypoints.shape[1:] == (25, 3)
        assert MIN_FRAMES <= len(clip) <= MAX_FRAMES
        assert (clip.fps, clip.width, clip.height, clip.label) == (30.0, 1280, 720, label)
        points = clip.keypoints
        present = points[..., 2] > 0
        assert present.mean() > 0.6
        assert np.all(points[~present] == 0)  # missing = (0, 0, 0)
        assert np.all((points[present][:, 0] >= 0) & (points[present][:, 0] < 1280))
        assert np.all((points[present][:, 1] >= 0) & (points[present][:, 1] < 720))
        assert np.all(points[present][:, 2] <= 1)
        np.testing.assert_array_equal(clip.people, present.any(axis=1))


def test_clips_are_deterministic_per_seed_label_and_index() -> None:
    a = generate_clip("cartwheel", clip_rng(3, "cartwheel", 5))
    b = generate_clip("cartwheel", clip_rng(3, "cartwheel", 5))
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    for other in (clip_rng(4, "cartwheel", 5), clip_rng(3, "cartwheel", 6), clip_rng(3, "full_turn", 5)):
        c = generate_clip("cartwheel", other)
        assert c.keypoints.shape != a.keypoints.shape or not np.array_equal(c.keypoints, a.keypoints)


def test_durations_vary_by_skill() -> None:
    def mean_length(label: str) -> float:
        return float(np.mean([len(generate_clip(label, clip_rng(0, label, i))) for i in range(6)]))
    assert mean_length("back_walkover") > 1.4 * mean_length("split_leap")
    assert mean_length("front_walkover") > 1.4 * mean_length("full_turn")


def test_yaw_ranges_are_respected() -> None:
    options = SynthOptions(yaw_ranges=((-75.0, -30.0), (30.0, 75.0)))
    yaws = [generate_sample("split_leap", clip_rng(0, "split_leap", i), options).camera.yaw for i in range(20)]
    assert all(30 <= abs(yaw) <= 75 for yaw in yaws)
    assert min(yaws) < 0 < max(yaws)


def test_detector_options_reach_the_clips() -> None:
    perfect = SynthOptions(detector=DetectorParams(scale=0.0))
    sample = generate_sample("back_handspring", clip_rng(0, "back_handspring", 0), perfect)
    exact, _ = sample.camera.project(sample.motion.points)
    np.testing.assert_allclose(sample.clip.keypoints[..., :2], exact, atol=1e-3)
    noisy = generate_sample("back_handspring", clip_rng(0, "back_handspring", 0))
    assert np.mean(noisy.clip.keypoints[..., 2] == 0) > 0.02


def test_a_long_non_skill_clip_is_trimmed_to_its_middle() -> None:
    # Seed 1, clip 22: three slow motions, longer than MAX_FRAMES (once a RuntimeError).
    clip = generate_background_clip(clip_rng(1, BACKGROUND, 22))
    assert len(clip) == MAX_FRAMES


def test_background_clips_have_no_skill() -> None:
    sample = generate_sample(BACKGROUND, clip_rng(0, BACKGROUND, 0))
    assert sample.motion.segments == [] and sample.clip.label == BACKGROUND
    assert generate_background_clip(clip_rng(0, BACKGROUND, 1)).label == BACKGROUND
    inverted = max(np.max(sample.motion.points[:, 8, 2] - sample.motion.points[:, 0, 2]), 0.0)
    assert inverted == 0.0  # nobody goes upside down outside a skill


def test_write_dataset_is_independent_of_workers(tmp_path: Path) -> None:
    labels = ("full_turn", "side_aerial")
    one = write_dataset(tmp_path / "one", 3, seed=9, labels=labels, background_clips=2, workers=1)
    two = write_dataset(tmp_path / "two", 3, seed=9, labels=labels, background_clips=2, workers=2)
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.npz"))
    assert [str(p) for p in files] == [
        "background/background_0000.npz", "background/background_0001.npz",
        "full_turn/full_turn_0000.npz", "full_turn/full_turn_0001.npz", "full_turn/full_turn_0002.npz",
        "side_aerial/side_aerial_0000.npz", "side_aerial/side_aerial_0001.npz", "side_aerial/side_aerial_0002.npz"]
    for path in files:
        assert (tmp_path / "one" / path).read_bytes() == (tmp_path / "two" / path).read_bytes()
    assert one.clips == two.clips == {"full_turn": 3, "side_aerial": 3, "background": 2}
    clip = read_npz(tmp_path / "one" / files[2])
    assert clip.label == "full_turn" and one.frames == two.frames
    np.testing.assert_array_equal(clip.keypoints, generate_clip("full_turn", clip_rng(9, "full_turn", 0)).keypoints)
    assert "8 clips" in one.line()


def test_write_dataset_as_openpose_folders(tmp_path: Path) -> None:
    write_dataset(tmp_path, 1, seed=2, fmt="openpose", labels=("switch_leap",), workers=1)
    folder = tmp_path / "switch_leap" / "switch_leap_0000"
    clip = read_openpose_folder(folder)
    expected = generate_clip("switch_leap", clip_rng(2, "switch_leap", 0))
    assert (clip.label, clip.width, clip.height, clip.fps) == ("switch_leap", 1280, 720, 30.0)
    np.testing.assert_allclose(clip.keypoints[..., :2], expected.keypoints[..., :2], atol=0.006)
    with pytest.raises(ValueError, match="unknown format"):
        write_dataset(tmp_path, 1, seed=2, fmt="csv")


def test_a_simple_classifier_learns_every_class() -> None:
    """Ridge regression on resampled, normalised keypoints: far above chance
    (10%), every class recognised at least sometimes."""
    def features(points: np.ndarray) -> np.ndarray:
        sampled = points[np.linspace(0, len(points) - 1, 20).round().astype(int)]  # (20, 25, 3)
        seen = sampled[..., 2] > 0
        centre = sampled[..., :2][seen].mean(axis=0)
        scale = sampled[..., 1][seen].std() + 1e-6
        xy = np.where(seen[..., None], (sampled[..., :2] - centre) / scale, 0.0)
        return np.concatenate([xy.ravel(), 0.5 * seen.ravel(), [len(points) / 100]])

    def data(seed: int, per_class: int) -> tuple[np.ndarray, np.ndarray]:
        x = [features(generate_clip(label, clip_rng(seed, label, i)).keypoints)
             for label in SKILL_NAMES for i in range(per_class)]
        return np.array(x), np.repeat(np.arange(len(SKILL_NAMES)), per_class)

    x_train, y_train = data(0, 30)
    x_test, y_test = data(1, 10)
    weights = np.linalg.solve(x_train.T @ x_train + 10 * np.eye(x_train.shape[1]), x_train.T @ np.eye(10)[y_train])
    predicted = (x_test @ weights).argmax(axis=1)
    assert np.mean(predicted == y_test) > 0.4
    per_class = [np.mean(predicted[y_test == k] == k) for k in range(10)]
    assert min(per_class) > 0.0
