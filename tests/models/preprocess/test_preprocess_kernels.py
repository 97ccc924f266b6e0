"""The public functions (Numba kernels behind them) against the NumPy reference, and their input checks.

The min-max kernels do the reference's float32 operations in the same
order, so their results are compared for equality, not closeness. The body
features sum in float64 in a different order from NumPy's: they agree to
within float32 rounding (BODY_TOLERANCE, in units of the body scale).
"""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skillstream.models.keypoints.clip import KeypointDataError
from skillstream.models.preprocess import (NORMS, PADDINGS, PreprocessSettings, pack_windows, preprocess_batch,
                                           preprocess_window, reference, warm_up)

ALL_SETTINGS = [PreprocessSettings(max_timesteps=m, norm=n, padding=p, confidence=c)
                for m, n, p, c in itertools.product((281, 40, 1), ("keypoint", "timestep"), PADDINGS, (False, True))]
BODY_SETTINGS = [PreprocessSettings(max_timesteps=m, norm="body", confidence=c, distances=d, motion=k)
                 for m, c, d, k in itertools.product((281, 40, 1), (False, True), (False, True), ((), (1, 2), (3,)))]
BODY_TOLERANCE = 2e-5
assert set(NORMS) == {"keypoint", "timestep", "body"}


def settings_id(settings: PreprocessSettings) -> str:
    extra = f"-d{int(settings.distances)}-m{''.join(map(str, settings.motion))}" if settings.norm == "body" else ""
    return (f"{settings.max_timesteps}-{settings.norm}-{settings.padding}-{'c' if settings.confidence else 'xy'}"
            f"{extra}")


def random_window(rng: np.random.Generator, length: int) -> np.ndarray:
    """Coordinates over a full-HD frame; random missing points and empty frames."""
    window = np.empty((length, 25, 3), np.float32)  # (T, 25, 3)
    window[..., 0] = rng.uniform(0, 1920, (length, 25))
    window[..., 1] = rng.uniform(0, 1080, (length, 25))
    window[..., 2] = rng.uniform(0.01, 1, (length, 25))
    window[rng.random((length, 25)) < rng.uniform(0, 0.6)] = 0
    window[rng.random(length) < 0.1] = 0
    return window


@pytest.fixture(scope="module")
def windows() -> list[np.ndarray]:
    rng = np.random.default_rng(2024)
    lengths = [1, 2, 40, 41, 281, 282, 561, 562, 600, *rng.integers(1, 601, 31)]
    return [random_window(rng, int(length)) for length in lengths]


@pytest.mark.parametrize("settings", ALL_SETTINGS, ids=settings_id)
def test_window_kernel_equals_reference(settings, windows):
    for window in windows:
        features, mask = preprocess_window(window, settings)
        expected_features, expected_mask = reference.preprocess_window(window, settings)
        assert features.dtype == np.float32 and mask.dtype == np.bool_
        assert_array_equal(features, expected_features, err_msg=f"T = {len(window)}")
        assert_array_equal(mask, expected_mask, err_msg=f"T = {len(window)}")


@pytest.mark.parametrize("settings", ALL_SETTINGS, ids=settings_id)
def test_batch_kernels_equal_reference(settings, windows):
    expected_features, expected_masks = reference.preprocess_batch(windows, settings)
    for parallel in (False, True):
        features, masks = preprocess_batch(windows, settings, parallel=parallel)
        assert features.shape == (len(windows), settings.max_timesteps, settings.n_features)
        assert_array_equal(features, expected_features)
        assert_array_equal(masks, expected_masks)


@pytest.mark.parametrize("settings", BODY_SETTINGS, ids=settings_id)
def test_body_kernels_match_reference(settings, windows):
    expected_features, expected_masks = reference.preprocess_batch(windows, settings)
    for parallel in (False, True):
        features, masks = preprocess_batch(windows, settings, parallel=parallel)
        assert features.shape == (len(windows), settings.max_timesteps, settings.n_features)
        assert_allclose(features, expected_features, rtol=0, atol=BODY_TOLERANCE)
        assert_array_equal(masks, expected_masks)
    for window, expected in zip(windows, expected_features):
        assert_allclose(preprocess_window(window, settings)[0], expected, rtol=0, atol=BODY_TOLERANCE)


@pytest.mark.parametrize("settings", [s for s in ALL_SETTINGS if s.max_timesteps == 40], ids=settings_id)
def test_negative_coordinates_equal_reference(settings, windows):
    """Points left of and above the frame: in paper mode the padding rows' zeros are then
    the max of a column (x, all negative) or inside its range (y, mixed signs), not its min."""
    shifted = []
    for window in windows:
        window = window.copy()  # (T, 25, 3)
        present = window[:, :, 2] > 0  # (T, 25) missing points stay (0, 0, 0)
        window[:, :, 0][present] -= 2500  # x in -2500..-580
        window[:, :, 1][present] -= 900  # y in -900..180
        shifted.append(window)
    expected_features, expected_masks = reference.preprocess_batch(shifted, settings)
    features, masks = preprocess_batch(shifted, settings)
    assert_array_equal(features, expected_features)
    assert_array_equal(masks, expected_masks)


def test_padded_batch_ignores_frames_past_each_length(windows):
    settings = PreprocessSettings()
    batch, lengths = pack_windows(windows)
    for b, length in enumerate(lengths):
        batch[b, length:] = np.nan  # whatever the caller left there
    features, masks = preprocess_batch(batch, settings, lengths)
    expected_features, expected_masks = reference.preprocess_batch(windows, settings)
    assert_array_equal(features, expected_features)
    assert_array_equal(masks, expected_masks)


def test_pack_windows():
    windows = [np.ones((3, 25, 3), np.float32), np.full((1, 25, 3), 2.0)]  # the second is float64
    batch, lengths = pack_windows(windows)
    assert batch.dtype == np.float32 and batch.shape == (2, 3, 25, 3)
    assert_array_equal(lengths, [3, 1])
    assert (batch[0] == 1).all() and (batch[1, 0] == 2).all() and not batch[1, 1:].any()


@pytest.mark.parametrize("settings", ALL_SETTINGS[:8], ids=settings_id)
def test_missing_frames_and_windows_come_out_zero(settings):
    window = np.zeros((5, 25, 3), np.float32)  # nobody seen at all
    features, mask = preprocess_window(window, settings)
    assert not features.any() and mask.sum() == 5
    window[[0, 2, 4], 3] = (100, 200, 1)
    window[[0, 4], 4] = (50, 20, 1)
    features, _ = preprocess_window(window, settings)
    if settings.padding == "corrected":
        assert not features[[1, 3]].any()  # the empty frames
    assert_array_equal(features, reference.preprocess_window(window, settings)[0])


def test_exactly_max_timesteps_is_kept_whole(windows):
    window = next(w for w in windows if len(w) == 281)
    settings = PreprocessSettings(confidence=True)
    features, mask = preprocess_window(window, settings)
    assert mask.all()
    assert_array_equal(features[:, 2::3], window[:, :, 2])  # every frame, in order


def test_long_window_keeps_every_other_frame_and_both_ends():
    window = np.zeros((561, 25, 3), np.float32)
    window[:, :, 2] = (np.arange(561, dtype=np.float32) / 1000)[:, None]  # confidence tells the frame
    window[0, :, 2] = 1
    features, mask = preprocess_window(window, PreprocessSettings(confidence=True))
    assert mask.all()
    kept = np.rint(features[:, 2] * 1000).astype(int)
    assert kept[0] == 1000 and kept[-1] == 560  # first frame (marked 1) and last frame
    assert_array_equal(kept[1:], np.arange(2, 561, 2))


def test_float64_is_converted_and_views_are_accepted(windows):
    settings = PreprocessSettings(norm="keypoint")
    window = windows[5]
    expected = preprocess_window(window, settings)[0]
    assert_array_equal(preprocess_window(window.astype(np.float64), settings)[0], expected)
    strided = np.repeat(window, 2, axis=0)[::2]  # not contiguous
    assert_array_equal(preprocess_window(strided, settings)[0], expected)


@pytest.mark.parametrize(("window", "message"), [
    (np.zeros((0, 25, 3), np.float32), r"window: is empty \(T = 0\)"),
    (np.zeros((4, 25, 2), np.float32), r"window: must have shape \(T, 25, 3\), got \(4, 25, 2\)"),
    (np.zeros((25, 3), np.float32), r"window: must have shape \(T, 25, 3\), got \(25, 3\)"),
    (np.zeros((4, 25, 3), np.int32), "window: must be float32 .*got int32"),
    (np.zeros((4, 25, 3), np.float16), "window: must be float32 .*got float16"),
    ([[[0.0] * 3] * 25], "window: must be a NumPy array"),
])
def test_bad_window_is_named(window, message):
    with pytest.raises(KeypointDataError, match=message):
        preprocess_window(window, PreprocessSettings())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_rejected(bad, windows):
    window = windows[4].copy()
    window[10, 3, 2] = bad
    with pytest.raises(KeypointDataError, match="window: contains NaN or infinity"):
        preprocess_window(window, PreprocessSettings())
    with pytest.raises(KeypointDataError, match=r"windows\[1\]: contains NaN or infinity"):
        preprocess_batch([windows[0], window], PreprocessSettings())


def test_bad_batch_arguments_are_named():
    settings = PreprocessSettings()
    batch = np.zeros((2, 5, 25, 3), np.float32)
    cases = [
        (lambda: preprocess_batch([], settings), r"windows: is empty \(B = 0\)"),
        (lambda: preprocess_batch([batch[0], batch[0, :0]], settings), r"windows\[1\]: is empty \(T = 0\)"),
        (lambda: preprocess_batch([batch[0], batch[0, :, :3]], settings), r"windows\[1\]: must have shape"),
        (lambda: preprocess_batch(batch, settings), "lengths: required"),
        (lambda: preprocess_batch([batch[0]], settings, [5]), "lengths: must be None"),
        (lambda: preprocess_batch(batch[0], settings, [5]), r"windows: must have shape \(B, T_max, 25, 3\)"),
        (lambda: preprocess_batch(batch, settings, [5]), r"lengths: must have shape \(2,\)"),
        (lambda: preprocess_batch(batch, settings, [5, 0]), r"lengths: must lie in 1..5 .*, got 0..5"),
        (lambda: preprocess_batch(batch, settings, [6, 1]), r"lengths: must lie in 1..5 .*, got 1..6"),
        (lambda: preprocess_batch(batch, settings, [5.0, 1.0]), "lengths: must be integers, got float64"),
        (lambda: preprocess_batch(batch[:0], settings, []), r"windows: is empty \(B = 0\)"),
        (lambda: preprocess_batch(batch.astype(np.int64), settings, [5, 5]), "windows: must be float32"),
    ]
    for call, message in cases:
        with pytest.raises(KeypointDataError, match=message):
            call()


def test_lengths_of_any_integer_type(windows):
    settings = PreprocessSettings()
    batch, lengths = pack_windows(windows[:3])
    expected = preprocess_batch(batch, settings, lengths)[0]
    for converted in (lengths.astype(np.int32), lengths.astype(np.uint16), lengths.tolist()):
        assert_array_equal(preprocess_batch(batch, settings, converted)[0], expected)


def test_kernels_compile_once_with_their_declared_signatures(windows):
    """The wrappers pass exactly the declared types: no kernel ever gains a second signature."""
    assert warm_up() >= 0
    assert warm_up() < 0.01  # already loaded
    from skillstream.models.preprocess import kernels

    preprocess_window(windows[3].astype(np.float64)[::-1], PreprocessSettings(confidence=True))
    preprocess_batch(windows[:4], PreprocessSettings(padding="paper"), parallel=True)
    preprocess_batch(windows[:4], PreprocessSettings(norm="body", distances=True, motion=(1, 2)), parallel=True)
    for name in dir(kernels):
        kernel = getattr(kernels, name)
        if hasattr(kernel, "signatures"):
            assert len(kernel.signatures) == 1, name
    with pytest.raises(TypeError, match="No matching definition"):  # refused, not compiled
        kernels._all_finite(np.zeros((1, 25, 3)), 1)
