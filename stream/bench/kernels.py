"""Time the Numba preprocessing kernels against their NumPy reference.

A batch of random windows (30 to max_timesteps frames, random missing
points and empty frames) is preprocessed by the batched kernel
(`preprocess_batch` on the packed batch: on the calling thread, the default,
and with parallel=True over all Numba threads) and by the NumPy reference
applied window by window in a Python loop (how unoptimised code would run),
for the default architecture's body features (coordinates, trajectory,
distances, motion, confidence) and for each min-max norm and padding. Times are the best and the median of --repeat
runs, in ms; ratio = reference / kernel, best against best. compile_s is
`warm_up()`'s time in this process: the compilation, or the cache load when
the kernels' Numba cache is current. Both kernels' results are checked
against the reference (max_abs_error: 0 for the min-max norms, float32
rounding for the body features).
"""

from __future__ import annotations

import argparse
import statistics
from functools import partial
from typing import Any

import numba
import numpy as np

from skillstream.models.keypoints.skeleton import N_BODY25
from skillstream.models.preprocess import (NORMS, PADDINGS, PreprocessSettings, pack_windows,
                                           preprocess_batch, reference, warm_up)

from skillstream.models.training import TrainConfig

from . import positive_int, times_ms

DEFAULT_REPEAT = 20
MIN_LENGTH = 30
MISSING_POINT_RATE = 0.2  # OpenPose loses points often (occlusion, inversions)
EMPTY_FRAME_RATE = 0.05
FRAME_SIZE = (1920.0, 1080.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=positive_int, default=64, help="windows per batch (default %(default)s)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    return bench_kernels(batch=args.batch, repeat=args.repeat, seed=args.seed)


def bench_kernels(batch: int = 64, repeat: int = DEFAULT_REPEAT, seed: int = 0) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`)."""
    compile_s = warm_up()
    defaults = PreprocessSettings()
    windows = random_windows(np.random.default_rng(seed), batch, defaults.max_timesteps)
    packed, lengths = pack_windows(windows)  # (B, T_max, 25, 3), (B,)
    results = []
    minmax = [PreprocessSettings(norm=norm, padding=padding)
              for padding in sorted(PADDINGS, key=lambda name: name != defaults.padding)  # the default first
              for norm in NORMS if norm != "body"]
    for settings in [TrainConfig.for_arch("default").preprocess, *minmax]:
        serial = partial(preprocess_batch, packed, settings, lengths)
        parallel = partial(preprocess_batch, packed, settings, lengths, parallel=True)
        loop = partial(reference.preprocess_batch, windows, settings)
        expected, _ = loop()  # (B, M, F)
        # The untimed first calls also start Numba's thread pool.
        error = max(float(np.abs(run()[0] - expected).max()) for run in (serial, parallel))
        kernel_times, parallel_times, reference_times = (times_ms(run, repeat) for run in (serial, parallel, loop))
        results.append({
            "norm": settings.norm,
            "padding": settings.padding,
            "features": settings.n_features,
            "kernel_ms": min(kernel_times),
            "kernel_median_ms": statistics.median(kernel_times),
            "kernel_parallel_ms": min(parallel_times),
            "kernel_parallel_median_ms": statistics.median(parallel_times),
            "reference_ms": min(reference_times),
            "reference_median_ms": statistics.median(reference_times),
            "ratio": min(reference_times) / min(kernel_times),
            "ratio_parallel": min(reference_times) / min(parallel_times),
            "max_abs_error": error,
        })
    return {
        "benchmark": "kernels",
        "batch": batch,
        "lengths": [MIN_LENGTH, defaults.max_timesteps],
        "max_timesteps": defaults.max_timesteps,
        "repeat": repeat,
        "seed": seed,
        "compile_s": compile_s,
        "threads": numba.get_num_threads(),
        "threading_layer": numba.threading_layer(),
        "results": results,
    }


def format_text(result: dict[str, Any]) -> str:
    lines = [
        f"preprocessing kernels: batch of {result['batch']} windows of {result['lengths'][0]}-"
        f"{result['lengths'][1]} frames; best of {result['repeat']} runs (median), ms",
        f"compile or cache load: {result['compile_s']:.3f} s; "
        f"parallel: {result['threads']} Numba threads ({result['threading_layer']})",
        f"{'padding':<10} {'norm':<9} {'F':>4} {'kernel':>16} {'parallel':>16} {'reference':>18} "
        f"{'ratio':>7} {'parallel':>9}",
    ]
    for row in result["results"]:
        lines.append(
            f"{row['padding']:<10} {row['norm']:<9} {row['features']:>4} "
            f"{row['kernel_ms']:>7.3f} ({row['kernel_median_ms']:>6.3f}) "
            f"{row['kernel_parallel_ms']:>7.3f} ({row['kernel_parallel_median_ms']:>6.3f}) "
            f"{row['reference_ms']:>8.2f} ({row['reference_median_ms']:>7.2f}) "
            f"{row['ratio']:>6.1f}x {row['ratio_parallel']:>8.1f}x")
    return "\n".join(lines)


def random_windows(rng: np.random.Generator, count: int, max_length: int) -> list[np.ndarray]:
    """`count` windows float32 (T, 25, 3), T uniform in MIN_LENGTH..max_length, points
    uniform over a full-HD frame, some missing, some frames empty."""
    windows = []
    for length in rng.integers(MIN_LENGTH, max_length, endpoint=True, size=count):
        window = np.empty((length, N_BODY25, 3), np.float32)  # (T, 25, 3)
        window[:, :, 0] = rng.uniform(0, FRAME_SIZE[0], (length, N_BODY25))
        window[:, :, 1] = rng.uniform(0, FRAME_SIZE[1], (length, N_BODY25))
        window[:, :, 2] = rng.uniform(0.05, 1, (length, N_BODY25))
        window[rng.random((length, N_BODY25)) < MISSING_POINT_RATE] = 0
        window[rng.random(length) < EMPTY_FRAME_RATE] = 0
        windows.append(window)
    return windows

