"""Keypoint augmentation: each transform's exact effect, and the properties augment_window keeps."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_FLIP, BODY25_INDEX
from skillstream.models.training.augment import (
    AugmentSettings, augment_window, body_centre, body_size, change_speed, change_view, crop_edges, drop_points,
    jitter, mirror, turn_body,
)


def random_window(rng: np.random.Generator, frames: int = 30, missing: float = 0.2) -> np.ndarray:
    window = np.empty((frames, 25, 3), np.float32)  # (T, 25, 3)
    window[..., 0] = rng.uniform(100, 600, (frames, 25))
    window[..., 1] = rng.uniform(50, 400, (frames, 25))
    window[..., 2] = rng.uniform(0.1, 1.0, (frames, 25))
    window[rng.random((frames, 25)) < missing] = 0.0
    return window


def test_mirror_reflects_about_the_body_centre_and_swaps_sides() -> None:
    window = random_window(np.random.default_rng(0))
    centre_x = body_centre(window)[0]
    mirrored = mirror(window)
    flip = list(BODY25_FLIP)
    present = window[:, flip, 2] > 0
    np.testing.assert_allclose(mirrored[..., 0][present], (2 * centre_x - window[:, flip, 0])[present], rtol=1e-6)
    np.testing.assert_array_equal(mirrored[..., 1:], window[:, flip, 1:])
    assert not mirrored[~present].any()  # missing points stay (0, 0, 0)
    r_wrist, l_wrist = BODY25_INDEX["r_wrist"], BODY25_INDEX["l_wrist"]
    np.testing.assert_array_equal(mirrored[:, l_wrist, 2], window[:, r_wrist, 2])


def test_mirroring_twice_is_the_identity() -> None:
    window = random_window(np.random.default_rng(1))
    np.testing.assert_allclose(mirror(mirror(window)), window, atol=1e-3)
    assert np.array_equal(mirror(mirror(window))[..., 2], window[..., 2])


def test_change_view_scales_shears_and_rotates_about_the_centre() -> None:
    window = random_window(np.random.default_rng(2))
    present = window[..., 2] > 0
    cx, cy = body_centre(window)
    squeezed = change_view(window, foreshorten=0.5)
    np.testing.assert_allclose(squeezed[..., 0][present], cx + 0.5 * (window[..., 0][present] - cx), rtol=1e-5)
    np.testing.assert_array_equal(squeezed[..., 1:], window[..., 1:])
    sheared = change_view(window, shear=0.1)
    np.testing.assert_allclose(sheared[..., 0][present],
                               window[..., 0][present] + 0.1 * (window[..., 1][present] - cy), rtol=1e-5)
    turned = change_view(window, rotation_degrees=90.0)  # (x, y) - c -> (-(y - cy), x - cx)
    np.testing.assert_allclose(turned[..., 0][present], cx - (window[..., 1][present] - cy), rtol=1e-5)
    np.testing.assert_allclose(turned[..., 1][present], cy + (window[..., 0][present] - cx), rtol=1e-5)
    for out in (squeezed, sheared, turned):
        assert not out[~present].any() and np.array_equal(out[..., 2], window[..., 2])


def test_turn_body_scales_each_pair_about_its_midpoint_and_leaves_the_rest() -> None:
    window = random_window(np.random.default_rng(9))
    turned = turn_body(window, 2.0)
    r_hip, l_hip, nose = BODY25_INDEX["r_hip"], BODY25_INDEX["l_hip"], BODY25_INDEX["nose"]
    both = (window[:, r_hip, 2] > 0) & (window[:, l_hip, 2] > 0)
    assert both.any() and not both.all()
    middle = (window[:, r_hip, 0] + window[:, l_hip, 0]) / 2
    np.testing.assert_allclose(turned[both, r_hip, 0], middle[both] + 2 * (window[both, r_hip, 0] - middle[both]),
                               rtol=1e-5)
    np.testing.assert_allclose(turned[both, l_hip, 0], middle[both] + 2 * (window[both, l_hip, 0] - middle[both]),
                               rtol=1e-5)
    # A point whose partner is missing, a point without a partner, every y and confidence: unchanged.
    np.testing.assert_array_equal(turned[~both][:, [r_hip, l_hip]], window[~both][:, [r_hip, l_hip]])
    np.testing.assert_array_equal(turned[:, nose], window[:, nose])
    np.testing.assert_array_equal(turned[..., 1:], window[..., 1:])
    np.testing.assert_allclose(turn_body(window, 1.0), window, rtol=1e-6)


def test_change_speed_lengths_and_interpolation() -> None:
    window = np.zeros((11, 25, 3), np.float32)
    window[..., 0] = np.arange(11, dtype=np.float32)[:, None] * 10  # x = 10 t
    window[..., 2] = 1.0
    window[5, 3] = 0.0  # point 3 missing in frame 5
    slow = change_speed(window, 0.5, max_timesteps=281)  # 21 frames: halfway points interpolated
    assert slow.shape == (21, 25, 3)
    np.testing.assert_allclose(slow[:, 0, 0], np.arange(21) * 5.0, atol=1e-4)
    # Point 3 next to frame 5 takes the nearer frame (ties: the later) instead of being interpolated.
    assert slow[10, 3].tolist() == [0, 0, 0]  # time 5.0
    assert slow[9, 3].tolist() == [0, 0, 0]  # time 4.5: frame 5
    assert slow[11, 3].tolist() == [60, 0, 1]  # time 5.5: frame 6
    assert slow[8, 3].tolist() == [40, 0, 1] and slow[7, 3].tolist() == [35, 0, 1]  # 3.5: interpolated
    fast = change_speed(window, 2.0, max_timesteps=281)
    assert fast.shape == (6, 25, 3) and fast[:, 0, 0].tolist() == [0, 20, 40, 60, 80, 100]
    assert change_speed(window, 0.5, max_timesteps=15).shape == (15, 25, 3)  # fits -> stays within
    assert change_speed(np.repeat(window, 3, axis=0), 0.5, max_timesteps=15).shape == (65, 25, 3)
    assert change_speed(window[:1], 0.7, max_timesteps=281).shape == (1, 25, 3)


def test_crop_edges_and_drop_points() -> None:
    window = random_window(np.random.default_rng(3), frames=10)
    np.testing.assert_array_equal(crop_edges(window, 2, 3), window[2:7])
    with pytest.raises(ValueError, match="cannot drop 5 \\+ 5 of 10"):
        crop_edges(window, 5, 5)
    points = np.zeros((10, 25), bool)
    points[1, 4] = True
    frames = np.zeros(10, bool)
    frames[7] = True
    dropped = drop_points(window, points, frames)
    assert not dropped[1, 4].any() and not dropped[7].any()
    keep = np.ones((10, 25), bool)
    keep[1, 4] = keep[7] = False
    np.testing.assert_array_equal(dropped[keep], window[keep])


def test_body_size_and_jitter() -> None:
    window = np.zeros((3, 25, 3), np.float32)
    window[:, :2, 2] = 1.0
    window[:, 1, :2] = [[10, 40], [20, 0], [0, 60]]  # extents 40, 20, 60 (point 0 at the origin)
    window[2, 1] = 0.0  # frame 2: one present point, not counted
    assert body_size(window) == 30.0
    assert body_size(np.zeros((4, 25, 3), np.float32)) == 0.0
    noisy = jitter(window, np.random.default_rng(0), 0.1)
    present = window[..., 2] > 0
    moved = np.abs(noisy[..., :2] - window[..., :2])[present]
    assert moved.max() > 0 and moved.max() < 5 * 0.1 * 30.0
    assert not noisy[~present].any()


@pytest.mark.parametrize("seed", range(20))
def test_augment_window_keeps_missing_points_missing_and_lengths_in_range(seed: int) -> None:
    rng = np.random.default_rng(seed)
    window = random_window(rng, frames=int(rng.integers(1, 60)))
    wrists = [BODY25_INDEX["r_wrist"], BODY25_INDEX["l_wrist"]]  # mirror images of each other
    window[:, wrists] = 0.0  # missing in every frame
    out = augment_window(window, rng, AugmentSettings(), max_timesteps=48)
    assert out.dtype == np.float32 and out.shape[1:] == (25, 3)
    assert min(len(window), 8) <= len(out) <= 48 or len(window) > 48
    assert np.isfinite(out).all()
    assert not out[out[..., 2] <= 0].any()  # every missing point is exactly (0, 0, 0)
    assert not out[:, wrists].any()  # nothing is invented where the input had nothing


def test_augment_window_is_seeded_and_leaves_its_input_alone() -> None:
    window = random_window(np.random.default_rng(5), frames=40)
    before = window.copy()
    first = augment_window(window, np.random.default_rng(9), AugmentSettings(), 281)
    again = augment_window(window, np.random.default_rng(9), AugmentSettings(), 281)
    other = augment_window(window, np.random.default_rng(10), AugmentSettings(), 281)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.array_equal(window, before)


def test_augment_window_without_any_transform_is_the_identity() -> None:
    settings = AugmentSettings(crop_fraction=0.0, speed_probability=0.0, mirror_probability=0.0,
                               widen_probability=0.0, foreshorten_probability=0.0, rotation_degrees=0.0, shear=0.0,
                               jitter=0.0, point_drop=0.0, frame_drop=0.0)
    window = random_window(np.random.default_rng(6))
    np.testing.assert_allclose(augment_window(window, np.random.default_rng(0), settings, 281), window, rtol=1e-6)


def test_settings_round_trip_and_validation() -> None:
    settings = AugmentSettings(speed_range=(0.8, 1.2), point_drop=0.1)
    assert AugmentSettings.from_dict(settings.to_dict()) == settings
    assert settings.to_dict()["speed_range"] == [0.8, 1.2]
    stored_before_the_body_turn = {k: v for k, v in settings.to_dict().items() if not k.startswith("widen")}
    assert AugmentSettings.from_dict(stored_before_the_body_turn).widen_probability == 0.0
    with pytest.raises(ValueError, match="augment: mirror_probability"):
        AugmentSettings(mirror_probability=1.5)
    with pytest.raises(ValueError, match="augment: widen_range"):
        AugmentSettings(widen_range=(0.0, 2.0))
    with pytest.raises(ValueError, match="augment: foreshorten_range"):
        AugmentSettings(foreshorten_range=(1.0, 0.5))
    with pytest.raises(ValueError, match="augment: unknown field colour"):
        AugmentSettings.from_dict({"colour": 1})
