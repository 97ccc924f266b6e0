"""The body-centred features: what they measure, on windows whose answers are known."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skillstream.models.preprocess import PreprocessSettings, preprocess_window, reference

SETTINGS = PreprocessSettings(norm="body", confidence=True, distances=True, motion=(1, 2))
COORDINATES = slice(0, 75)
TRAJECTORY = slice(75, 77)
DISTANCES = slice(77, 182)
STRIDE_1 = slice(182, 232)
STRIDE_2 = slice(232, 282)


def moving_body(frames: int = 12, seed: int = 0) -> np.ndarray:
    """A random body of 25 present points whose limbs wiggle while it walks to the right."""
    rng = np.random.default_rng(seed)
    pose = rng.normal(0, 60, (25, 2))  # (25, 2)
    window = np.ones((frames, 25, 3), np.float32)  # (T, 25, 3) confidence 1
    for t in range(frames):
        window[t, :, :2] = pose + rng.normal(0, 3, (25, 2)) + (500 + 8 * t, 300)
    return window


def test_features_ignore_where_the_body_is_and_how_big():
    window = moving_body()
    moved = window.copy()
    moved[..., :2] = window[..., :2] * 2.5 + (-700, 1200)  # another camera distance and framing
    features, _ = preprocess_window(window, SETTINGS)
    assert_allclose(preprocess_window(moved, SETTINGS)[0], features, atol=1e-5)


def test_coordinates_are_centred_per_frame_and_the_trajectory_carries_the_walk():
    window = moving_body()
    features, mask = preprocess_window(window, SETTINGS)
    real = features[mask]  # (T, 282)
    xy = real[:, COORDINATES].reshape(-1, 25, 3)[:, :15, :2]  # core points, per frame centred
    assert_allclose(xy.mean(axis=1), 0, atol=1e-5)
    rms = np.sqrt((xy ** 2).sum(axis=-1).mean(axis=1))  # (T,) each frame's spread over the window's scale
    assert np.median(rms) == pytest.approx(1.0, abs=1e-5)
    trajectory = real[:, TRAJECTORY]
    assert_allclose(trajectory.mean(axis=0), 0, atol=1e-5)  # about the window's centre
    assert (np.diff(trajectory[:, 0]) > 0).all()  # to the right
    assert np.ptp(trajectory[:, 1]) < 0.05 * np.ptp(trajectory[:, 0])  # level, but for the limbs' wiggle
    assert_allclose(real[:, COORDINATES].reshape(-1, 25, 3)[:, :, 2], 1)  # the confidence


def test_distances_and_motion_are_the_scaled_differences():
    window = moving_body()
    features, mask = preprocess_window(window, SETTINGS)
    _, _, scale = reference.body_centre_and_scale(window)
    xy = window[..., :2]
    neck_to_mid_hip = np.linalg.norm(xy[:, 1] - xy[:, 8], axis=-1) / scale  # pair (1, 8)
    pair = list(map(tuple, reference.CORE_PAIRS)).index((1, 8))
    assert_allclose(features[mask][:, DISTANCES][:, pair], neck_to_mid_hip, rtol=1e-5)
    step = (xy[1:] - xy[:-1]) / scale  # (T-1, 25, 2)
    assert_allclose(features[1:12, STRIDE_1].reshape(-1, 25, 2), step, atol=1e-5)
    assert not features[0, STRIDE_1].any() and not features[:2, STRIDE_2].any()  # no earlier frame
    assert not features[~mask].any()  # padding


def test_missing_points_and_empty_frames_come_out_zero():
    window = moving_body()
    window[3, 4] = 0  # the right wrist lost in frame 3
    window[6] = 0  # nobody in frame 6
    features, _ = preprocess_window(window, SETTINGS)
    point = features[:, COORDINATES].reshape(-1, 25, 3)
    assert not point[3, 4].any() and not point[6].any()
    assert not features[6, TRAJECTORY].any()  # an empty frame sits at the window's centre
    assert not features[[3, 4], STRIDE_1].reshape(2, 25, 2)[:, 4].any()  # no step into or out of a lost point
    assert not features[[6, 7], STRIDE_1].any() and not features[[6, 8], STRIDE_2].any()
    lost = [k for k, (i, j) in enumerate(reference.CORE_PAIRS) if 4 in (i, j)]
    assert not features[3, DISTANCES][lost].any() and features[2, DISTANCES][lost].all()


def test_a_window_without_a_body_scale_is_all_zero_but_its_confidence():
    window = np.zeros((5, 25, 3), np.float32)
    window[:, 3] = (100, 200, 0.7)  # one point per frame: no spread to scale by
    features, mask = preprocess_window(window, SETTINGS)
    confidence = features[:, COORDINATES].reshape(-1, 25, 3)[:, :, 2]
    assert_allclose(confidence[mask][:, 3], 0.7) and mask.sum() == 5
    confidence[:, 3] = 0
    assert not confidence.any() and not features[:, 75:].any() and not features[:, COORDINATES][:, :75:3].any()
