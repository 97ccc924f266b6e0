"""Real human actions: JHMDB's three official splits, trained and tested with `train`'s defaults.

For each split K of --splits, `--data/jhmdb_train_K.npz` and
`jhmdb_test_K.npz` (DD-Net's packed ground-truth joints, as in the shared
data folder) are imported exactly as `skillstream import-jhmdb` writes them,
the training split is trained on exactly as `skillstream train --data DIR
--out MODEL` does with no other flag (the default architecture, its
validation share carved from the training split for the model selection,
then the refit), and the test split is classified once, at the end, through
the serving API. Printed: per split the test accuracy, the training time
and the clips, the mean accuracy, the parameter count, and DD-Net's
published figures on the same joints for comparison (Yang et al., "Make
Skeleton-based Action Recognition Model Smaller, Faster and Better", ACM
MM Asia 2019: 77.2% with 1.82 M parameters, 73.7% with 0.50 M). Targets:
a mean of at least TARGET_ACCURACY, at most TARGET_PARAMS parameters, at
most TARGET_TRAIN_S seconds of training per split. --epochs shortens the
run (not the defaults' figure then).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from skillstream.models.inference import Classifier
from skillstream.models.keypoints.dataset import load_dataset
from skillstream.models.network import count_parameters
from skillstream.models.training import (BACKGROUND, TrainConfig, carve_validation, evaluate, train,
                                         write_jhmdb_dataset)

from . import positive_int, shared_data_folder

DEFAULT_REPEAT = 1
TARGET_ACCURACY = 0.80
TARGET_PARAMS = 250_000
TARGET_TRAIN_S = 600.0
DDNET = {"accuracy": 0.772, "params": 1_820_000, "small_accuracy": 0.737, "small_params": 500_000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="folder of jhmdb_{train,test}_K.npz (default: the shared data folder's jhmdb/)")
    parser.add_argument("--splits", type=splits, default=[1, 2, 3], help="splits to run (default: 1,2,3)")
    parser.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                        help="epochs instead of the default architecture's (default: the default's)")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch threads (default: torch's choice, one per core)")


def splits(text: str) -> list[int]:
    """An argparse type: JHMDB split numbers, comma-separated."""
    try:
        values = [int(n) for n in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated split numbers, got {text!r}") from None
    if not values or any(n not in (1, 2, 3) for n in values):
        raise argparse.ArgumentTypeError(f"JHMDB has splits 1, 2 and 3, got {text!r}")
    return values


def measure(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(args.data) if args.data else shared_data_folder() / "jhmdb"
    missing = [name for k in args.splits for name in (f"jhmdb_train_{k}.npz", f"jhmdb_test_{k}.npz")
               if not (folder / name).is_file()]
    if missing:
        raise SystemExit(f"bench jhmdb: {folder}: missing {', '.join(missing)}")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return bench_jhmdb(folder, args.splits, epochs=args.epochs, seed=args.seed)


def bench_jhmdb(folder: Path, split_numbers: list[int], epochs: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`)."""
    config = TrainConfig.for_arch("default", epochs=epochs, seed=seed)
    rows = []
    with tempfile.TemporaryDirectory(prefix="skillstream-jhmdb-") as scratch:
        for k in split_numbers:
            train_dir, test_dir = Path(scratch) / f"train{k}", Path(scratch) / f"test{k}"
            write_jhmdb_dataset(folder / f"jhmdb_train_{k}.npz", train_dir)
            write_jhmdb_dataset(folder / f"jhmdb_test_{k}.npz", test_dir)
            clips = load_dataset(train_dir).clips
            started = time.perf_counter()
            train_clips, val_clips = carve_validation(clips, config.val_fraction, config.seed)
            result = train(train_clips, val_clips, config)
            train_s = time.perf_counter() - started
            checkpoint = result.checkpoint
            test = load_dataset(test_dir).clips
            # The thread count given: loading the kernels would reset it (Numba's OpenMP layer).
            classifier = Classifier(checkpoint, threads=torch.get_num_threads())
            probabilities = classifier.probabilities([clip.keypoints for clip in test])
            figures = evaluate(probabilities, [clip.label for clip in test], checkpoint.classes,
                               checkpoint.background, checkpoint.threshold, non_skill_label=BACKGROUND)
            rows.append({"split": k, "accuracy": figures["accuracy"], "train_s": train_s,
                         "n_train": len(train_clips), "n_val": len(val_clips), "n_test": len(test),
                         "best_epoch": result.best_epoch, "val_accuracy": result.metrics["accuracy"],
                         "params": count_parameters(checkpoint.network)})
    mean = statistics.fmean(row["accuracy"] for row in rows)
    params = rows[0]["params"]
    return {
        "benchmark": "jhmdb", "data": str(folder), "epochs": config.epochs, "seed": seed,
        "threads": torch.get_num_threads(), "splits": rows, "mean_accuracy": mean, "params": params,
        "ddnet": DDNET,
        "targets": {"accuracy": TARGET_ACCURACY, "params": TARGET_PARAMS, "train_s": TARGET_TRAIN_S,
                    "met": mean >= TARGET_ACCURACY and params <= TARGET_PARAMS
                    and all(row["train_s"] <= TARGET_TRAIN_S for row in rows)},
    }


def format_text(result: dict[str, Any]) -> str:
    lines = [f"JHMDB, train's defaults ({result['epochs']} epochs, seed {result['seed']}, "
             f"{result['threads']} torch threads); test split used once",
             f"{'split':>5} {'accuracy':>9} {'train s':>8} {'train/val/test clips':>21} {'best epoch':>11} "
             f"{'val acc':>8}"]
    for row in result["splits"]:
        lines.append(f"{row['split']:>5} {row['accuracy']:>9.1%} {row['train_s']:>8.0f} "
                     f"{row['n_train']:>9}/{row['n_val']}/{row['n_test']:<6} {row['best_epoch']:>11} "
                     f"{row['val_accuracy']:>8.1%}")
    ddnet = result["ddnet"]
    lines.append(f"mean {result['mean_accuracy']:.1%} with {result['params']:,} parameters; DD-Net (published): "
                 f"{ddnet['accuracy']:.1%} with {ddnet['params'] / 1e6:.2f} M, {ddnet['small_accuracy']:.1%} with "
                 f"{ddnet['small_params'] / 1e6:.2f} M")
    targets = result["targets"]
    lines.append(f"targets (mean >= {targets['accuracy']:.0%}, <= {targets['params']:,} parameters, <= "
                 f"{targets['train_s']:.0f} s per split): {'met' if targets['met'] else 'NOT met'}")
    return "\n".join(lines)
