"""Time the skill classifier: one window's latency and batched throughput.

Through the serving API end to end (`Classifier.classify`: packing, the
preprocessing kernels, the network under torch.inference_mode, and the
open-set rule: threshold, the out-of-distribution detector's distances and
the gates) and the network alone on windows preprocessed beforehand. The
windows are random (`bench kernels`' generator): the latency window has
max_timesteps frames (the longest a window costs), the batches 30 to
max_timesteps frames. Times are the best and the median of --repeat runs, in
ms; throughput is windows per second at the median. Without --model a freshly
initialised network of --arch with 10 classes and its training defaults is
timed (the time does not depend on the weights), with a detector fitted on
random windows' embeddings so that the open-set rule does all its work.
Targets: one window under 3 ms, at least 1,000 windows/s in batches of 64.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import torch

from skillstream.config import load_config
from skillstream.models.checkpoint import Checkpoint
from skillstream.models.inference import Classifier
from skillstream.models.network import ARCHITECTURES, build_network, count_parameters
from skillstream.models.openset import EmbeddingDetector, fit_statistics
from skillstream.models.preprocess import preprocess_batch
from skillstream.models.training import TrainConfig

from . import positive_int, times_ms
from .kernels import random_windows

DEFAULT_REPEAT = 20
BATCH_SIZES = (1, 8, 64)
FRESH_CLASSES = 10
LATENCY_TARGET_MS = 3.0
THROUGHPUT_TARGET = 1000.0  # windows per second, in batches of 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="checkpoint to time (default: a fresh network of --arch)")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="default",
                        help="architecture of the fresh network, with its training defaults' preprocessing "
                             "(default: %(default)s)")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch threads (default: torch's choice, one per core)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    return bench_classifier(model=args.model, arch=args.arch, threads=args.threads, repeat=args.repeat,
                            seed=args.seed)


def bench_classifier(model: str | None = None, arch: str = "default", threads: int | None = None,
                     repeat: int = DEFAULT_REPEAT, seed: int = 0) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`)."""
    started = time.perf_counter()
    # The server's open-set defaults (the gates, the detector's margin); the fresh
    # network's class names have no gates.
    options = load_config(None).openset.options(None)
    if model is None:
        classifier = Classifier(fresh_checkpoint(arch, seed), threads=threads, options=options)
    else:
        classifier = Classifier.load(model, threads=threads, options=options)
    load_s = time.perf_counter() - started
    checkpoint = classifier.checkpoint
    settings = checkpoint.preprocess
    rng = np.random.default_rng(seed)
    longest = random_windows(rng, 1, settings.max_timesteps)[0]
    longest = np.concatenate([longest] * -(-settings.max_timesteps // len(longest)))[:settings.max_timesteps]

    latency = times_ms(lambda: classifier.classify([longest]), repeat)
    batches = []
    for size in BATCH_SIZES:
        windows = random_windows(rng, size, settings.max_timesteps)
        features, masks = (torch.from_numpy(a) for a in preprocess_batch(windows, settings))  # (B, M, F), (B, M)

        def network_only() -> None:
            with torch.inference_mode():
                checkpoint.network.sequence_probabilities(features, masks)

        # Untimed first calls: the first call at a new shape allocates.
        classifier.classify(windows)
        network_only()
        full = times_ms(lambda: classifier.classify(windows), repeat)
        alone = times_ms(network_only, repeat)
        batches.append({
            "batch": size,
            "ms": min(full), "median_ms": statistics.median(full),
            "windows_per_s": size / statistics.median(full) * 1e3,
            "network_ms": min(alone), "network_median_ms": statistics.median(alone),
            "network_windows_per_s": size / statistics.median(alone) * 1e3,
        })
    latency_ms = statistics.median(latency)
    throughput = batches[-1]["windows_per_s"]
    return {
        "benchmark": "classifier",
        "model": model,
        "arch": checkpoint.network.arch,
        "params": count_parameters(checkpoint.network),
        "classes": len(checkpoint.classes),
        "detector": checkpoint.detector is not None,
        "preprocess": settings.to_dict(),
        "features": settings.n_features,
        "threads": torch.get_num_threads(),
        "repeat": repeat,
        "seed": seed,
        "load_s": load_s,
        "latency_frames": settings.max_timesteps,
        "latency_ms": min(latency),
        "latency_median_ms": latency_ms,
        "batches": batches,
        "targets": {"latency_ms": LATENCY_TARGET_MS, "windows_per_s": THROUGHPUT_TARGET,
                    "met": latency_ms < LATENCY_TARGET_MS and throughput >= THROUGHPUT_TARGET},
    }


def fresh_checkpoint(arch: str, seed: int) -> Checkpoint:
    """A freshly initialised network of `arch` with its training defaults and
    FRESH_CLASSES classes, and a detector fitted on the embeddings of random
    windows with random labels."""
    torch.manual_seed(seed)
    config = TrainConfig.for_arch(arch)
    network = build_network(arch, {**config.network, "n_classes": FRESH_CLASSES,
                                   "n_features": config.preprocess.n_features}).eval()
    classes = tuple(f"class_{i}" for i in range(FRESH_CLASSES))
    windows = random_windows(np.random.default_rng(seed), 4 * FRESH_CLASSES, config.preprocess.max_timesteps)
    features, masks = (torch.from_numpy(a) for a in preprocess_batch(windows, config.preprocess))
    with torch.inference_mode():
        embeddings = network.sequence_outputs(features, masks)[1].numpy()  # (N, D)
    labels = np.arange(len(windows)) % FRESH_CLASSES
    means, precision = fit_statistics(embeddings, labels, FRESH_CLASSES)
    return Checkpoint(network=network, classes=classes, preprocess=config.preprocess,
                      detector=EmbeddingDetector(means, precision, limit=float("inf")))


def format_text(result: dict[str, Any]) -> str:
    source = result["model"] or f"fresh {result['arch']} network, {result['classes']} classes"
    settings = result["preprocess"]
    targets = result["targets"]
    lines = [
        f"classifier: {source}; {result['params']:,} parameters; {settings['norm']} normalisation, "
        f"padding {settings['padding']}, {result['features']} features; "
        f"{'with' if result['detector'] else 'without'} the out-of-distribution detector",
        f"{result['threads']} torch threads; loaded and warmed up in {result['load_s']:.2f} s; "
        f"best of {result['repeat']} runs (median), ms",
        f"one window of {result['latency_frames']} frames: {result['latency_ms']:.2f} "
        f"({result['latency_median_ms']:.2f}) ms",
        f"{'batch':>5} {'classifier':>16} {'windows/s':>10} {'network':>16} {'windows/s':>10}",
    ]
    for row in result["batches"]:
        lines.append(f"{row['batch']:>5} {row['ms']:>7.2f} ({row['median_ms']:>6.2f}) {row['windows_per_s']:>10.0f} "
                     f"{row['network_ms']:>7.2f} ({row['network_median_ms']:>6.2f}) "
                     f"{row['network_windows_per_s']:>10.0f}")
    lines.append(f"targets: one window < {targets['latency_ms']:g} ms, >= {targets['windows_per_s']:,.0f} "
                 f"windows/s in batches of {BATCH_SIZES[-1]}: {'met' if targets['met'] else 'NOT met'}")
    return "\n".join(lines)
