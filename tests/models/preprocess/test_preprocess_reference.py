"""The reference checked against arithmetic done by hand, and its documented behaviours.

The kernels are held to the reference (test_preprocess_kernels.py); these
tests hold the reference to the specification, so every expected number here
is worked out by hand, not computed by the code under test.
"""

from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skillstream.models.preprocess import PreprocessSettings, reference


def tiny_window() -> np.ndarray:
    """2 frames; points 0 and 1 present, the other 23 missing (0, 0, 0)."""
    window = np.zeros((2, 25, 3), np.float32)
    window[0, 0] = (10, 20, 0.9)
    window[0, 1] = (30, 40, 0.8)
    window[1, 0] = (20, 10, 0.5)
    window[1, 1] = (50, 60, 1.0)
    return window


# Expected x0, y0, x1, y1 of the 4 output rows (max_timesteps = 4); every
# other column is 0 in all four modes.
HAND_COMPUTED = {
    # Each row over its present values: row 0 {10, 20, 30, 40}, row 1 {20, 10, 50, 60}.
    ("timestep", "corrected"): [[0, 1 / 3, 2 / 3, 1], [10 / 50, 0, 40 / 50, 1], [0] * 4, [0] * 4],
    # Each column over the real frames: x0 {10, 20}, y0 {20, 10}, x1 {30, 50}, y1 {40, 60}.
    ("keypoint", "corrected"): [[0, 1, 0, 0], [1, 0, 1, 1], [0] * 4, [0] * 4],
    # Each row of 50 with the missing points' zeros: min 0; padding rows constant.
    ("timestep", "paper"): [[10 / 40, 20 / 40, 30 / 40, 1], [20 / 60, 10 / 60, 50 / 60, 1], [0] * 4, [0] * 4],
    # Each column over all 4 rows, padding zeros included: min 0.
    ("keypoint", "paper"): [[10 / 20, 1, 30 / 50, 40 / 60], [1, 10 / 20, 1, 1], [0] * 4, [0] * 4],
}


@pytest.mark.parametrize(("norm", "padding"), HAND_COMPUTED)
def test_hand_computed_example(norm, padding):
    settings = PreprocessSettings(max_timesteps=4, norm=norm, padding=padding)
    features, mask = reference.preprocess_window(tiny_window(), settings)
    expected = np.zeros((4, 50), np.float32)
    expected[:, :4] = HAND_COMPUTED[norm, padding]
    assert features.dtype == np.float32 and features.shape == (4, 50)
    assert_allclose(features, expected, rtol=1e-6, atol=0)
    assert_array_equal(mask, [True, True, False, False])


def test_hand_computed_example_with_confidence():
    settings = PreprocessSettings(max_timesteps=4, confidence=True)
    features, _ = reference.preprocess_window(tiny_window(), settings)
    expected = np.zeros((4, 75), np.float32)
    expected[0, :6] = [0, 1 / 3, 0.9, 2 / 3, 1, 0.8]  # x0, y0, c0, x1, y1, c1
    expected[1, :6] = [10 / 50, 0, 0.5, 40 / 50, 1, 1.0]
    assert_allclose(features, expected, rtol=1e-6, atol=0)


def test_paper_keypoint_padding_rows_get_their_normalised_zero():
    window = np.zeros((2, 25, 3), np.float32)
    window[:, 0] = [(-10, 5, 1), (10, 15, 1)]  # x0 spans -10..10, so 0 is its middle
    settings = PreprocessSettings(max_timesteps=3, norm="keypoint", padding="paper")
    features, _ = reference.preprocess_window(window, settings)
    assert_allclose(features[:, 0], [0, 1, 0.5])  # x0 over {-10, 10, 0}
    assert_allclose(features[:, 1], [5 / 15, 1, 0])  # y0 over {5, 15, 0}


@pytest.mark.parametrize("norm", ["keypoint", "timestep"])
def test_corrected_real_rows_do_not_depend_on_padding(norm, rng):
    window = rng.uniform(1, 500, (10, 25, 3)).astype(np.float32)
    window[rng.random((10, 25)) < 0.3] = 0
    unpadded, _ = reference.preprocess_window(window, PreprocessSettings(max_timesteps=10, norm=norm))
    padded, mask = reference.preprocess_window(window, PreprocessSettings(max_timesteps=25, norm=norm))
    assert_array_equal(padded[:10], unpadded)
    assert not padded[10:].any() and mask.sum() == 10


def test_paper_padding_changes_the_real_rows(rng):
    """The failure mode that `corrected` fixes, kept in `paper` for reproducibility."""
    window = rng.uniform(100, 500, (10, 25, 3)).astype(np.float32)  # every point present
    settings = {m: PreprocessSettings(max_timesteps=m, norm="keypoint", padding="paper") for m in (10, 25)}
    unpadded, _ = reference.preprocess_window(window, settings[10])
    padded, _ = reference.preprocess_window(window, settings[25])
    assert not np.allclose(padded[:10], unpadded)
    # Padded, every column's min is the padding's 0: a value v becomes v / max.
    assert_allclose(padded[:10, 0], window[:, 0, 0] / window[:, 0, 0].max(), rtol=1e-6)


def test_paper_timestep_missing_zeros_change_the_present_points():
    window = np.full((1, 25, 3), 300, np.float32)  # every point present at (300, 300)
    window[0, 0, 0] = 100  # the row's min ...
    window[0, 1, 1] = 500  # ... and max, so that losing point 5 changes neither
    with_missing = window.copy()
    with_missing[0, 5] = 0  # point 5 lost: in paper mode its (0, 0) becomes the row's min
    others = np.r_[0:10, 12:50]  # every column but point 5's x and y
    paper = PreprocessSettings(max_timesteps=1, padding="paper")
    assert_allclose(reference.preprocess_window(window, paper)[0][0, :4], [0, 0.5, 0.5, 1])
    assert_allclose(reference.preprocess_window(with_missing, paper)[0][0, :4], [0.2, 0.6, 0.6, 1])
    corrected = PreprocessSettings(max_timesteps=1)
    before, _ = reference.preprocess_window(window, corrected)
    after, _ = reference.preprocess_window(with_missing, corrected)
    assert_array_equal(after[0, others], before[0, others])
    assert_array_equal(after[0, 10:12], [0, 0])


def test_constant_and_empty_columns_and_rows_are_zero():
    window = np.zeros((3, 25, 3), np.float32)
    window[:, 0] = (7, 7, 1)  # point 0: constant over time, and x == y
    window[1, 1] = (3, 9, 1)  # point 1: in frame 1 only
    keypoint, _ = reference.preprocess_window(window, PreprocessSettings(max_timesteps=4, norm="keypoint"))
    assert not keypoint.any()  # every column constant (point 0, point 1) or empty (the rest)
    timestep, _ = reference.preprocess_window(window, PreprocessSettings(max_timesteps=4))
    expected = np.zeros((4, 50), np.float32)
    expected[1, :4] = [4 / 6, 4 / 6, 0, 1]  # rows 0 and 2 hold only 7s: constant
    assert_allclose(timestep, expected, rtol=1e-6, atol=0)


def test_single_frame():
    window = np.zeros((1, 25, 3), np.float32)
    window[0, :2] = [(2, 4, 1), (6, 10, 1)]
    keypoint, mask = reference.preprocess_window(window, PreprocessSettings(max_timesteps=3, norm="keypoint"))
    assert not keypoint.any()  # every column is a single value: constant
    assert_array_equal(mask, [True, False, False])
    timestep, _ = reference.preprocess_window(window, PreprocessSettings(max_timesteps=3))
    assert_allclose(timestep[0, :4], [0, 2 / 8, 4 / 8, 1])


def test_frame_indices_keep_or_resample():
    assert_array_equal(reference.frame_indices(5, 281), np.arange(5))
    assert_array_equal(reference.frame_indices(281, 281), np.arange(281))
    assert_array_equal(reference.frame_indices(561, 281), np.arange(0, 561, 2))  # every other frame
    indices = reference.frame_indices(562, 281)
    assert len(indices) == 281 and indices[0] == 0 and indices[-1] == 561
    assert set(np.diff(indices)) == {2, 3}  # every other frame, once skipping two
    assert indices[140] == 281  # 140 * 561 / 280 = 280.5: a tie goes to the later frame
    assert_array_equal(reference.frame_indices(600, 1), [0])


@pytest.mark.parametrize(("n_frames", "max_timesteps"), [(562, 281), (600, 281), (1000, 7), (283, 282), (9, 4)])
def test_frame_indices_are_nearest_frames(n_frames, max_timesteps):
    expected = [int(Fraction(k * (n_frames - 1), max_timesteps - 1) + Fraction(1, 2))
                for k in range(max_timesteps)]
    assert reference.frame_indices(n_frames, max_timesteps).tolist() == expected


def test_long_window_is_resampled_before_normalising():
    window = np.zeros((561, 25, 3), np.float32)
    window[:, 0, 0] = np.arange(561)  # x0 = frame number
    window[:, 0, 2] = 1
    settings = PreprocessSettings(norm="keypoint")
    features, mask = reference.preprocess_window(window, settings)
    assert mask.all()
    assert_allclose(features[:, 0], np.arange(0, 561, 2) / 560, rtol=1e-6)


@pytest.fixture
def rng():
    return np.random.default_rng(7)
