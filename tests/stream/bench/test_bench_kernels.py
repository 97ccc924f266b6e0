import numpy as np

from skillstream.stream.bench import kernels as bench


def test_random_windows_follow_the_documented_shape():
    rng = np.random.default_rng(3)
    windows = bench.random_windows(rng, 200, 281)
    lengths = np.array([len(window) for window in windows])
    assert lengths.min() >= bench.MIN_LENGTH and lengths.max() <= 281
    assert all(window.dtype == np.float32 and window.shape[1:] == (25, 3) for window in windows)
    points = np.concatenate(windows)  # (sum T, 25, 3)
    missing = points[..., 2] == 0
    assert not points[missing].any()  # a missing point is (0, 0, 0)
    assert 0.15 < missing.mean() < 0.3  # MISSING_POINT_RATE plus the empty frames
    assert (points[..., 0] <= 1920).all() and (points[..., 1] <= 1080).all()


def test_bench_kernels_reports_every_setting():
    result = bench.bench_kernels(batch=3, repeat=2, seed=1)
    assert result["batch"] == 3 and result["repeat"] == 2 and result["compile_s"] >= 0
    assert [(row["padding"], row["norm"], row["features"]) for row in result["results"]] == [
        ("corrected", "body", 282), ("corrected", "keypoint", 50), ("corrected", "timestep", 50),
        ("paper", "keypoint", 50), ("paper", "timestep", 50)]
    body, *minmax = result["results"]
    assert body["max_abs_error"] < 1e-4  # float32 rounding
    for row in minmax:
        assert row["max_abs_error"] == 0
    for row in result["results"]:
        assert row["kernel_ms"] > 0 and row["reference_ms"] > 0 and row["ratio"] > 0
    text = bench.format_text(result)
    assert "batch of 3 windows" in text and len(text.splitlines()) == 3 + 5
