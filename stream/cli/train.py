"""`skillstream train`: train the skill classifier on a keypoint dataset.

DATA is `DATASET/<label>/<clip>`; a `background` label holds non-skill
clips and becomes the background class. Validation is --val-data, or a
stratified, seeded share (--val-fraction) of each class of DATA. The best
epoch (validation accuracy, ties to the lower validation loss), the open-set
threshold and the out-of-distribution detector's limit are chosen on it;
with --refit (the default architecture's default, when the validation share
comes from DATA) a new network then trains on all of DATA for the best
epoch's count of epochs and is the one saved. MODEL.pt carries its
preprocessing settings, threshold and detector; --report writes
metrics.json, confusion.png and loss.png. The work is in `models.training`;
docs/classifier.md describes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from skillstream.models.checkpoint import save_checkpoint
from skillstream.models.keypoints.dataset import Dataset, load_dataset
from skillstream.models.network import ARCHITECTURES
from skillstream.models.preprocess import NORMS, PADDINGS, warm_up
from skillstream.models.training import (
    ARCH_DEFAULTS, Progress, TrainConfig, carve_validation, train, write_report,
)
from skillstream.stream.bench import positive_int

from . import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    defaults = "\n".join(f"  --arch {arch}: {values['norm']} normalisation, padding {values['padding']}, "
                         f"confidence {'on' if values['confidence'] else 'off'}, "
                         f"distances {'on' if values['distances'] else 'off'}, motion strides "
                         f"{', '.join(map(str, values['motion'])) or 'none'}, "
                         f"augmentation {'on' if values['augment'] else 'off'}, {values['epochs']} epochs of batches "
                         f"of {values['batch_size']}, learning rate {values['schedule'].replace('_', ' ')}, weight decay "
                         f"{values['weight_decay']:g}, refit {'on' if values['refit'] else 'off'}"
                         for arch, values in ARCH_DEFAULTS.items())
    parser = subparsers.add_parser(
        "train", help="train the skill classifier on a keypoint dataset",
        description=__doc__.split("\n\n", 1)[1], epilog=f"defaults per architecture:\n{defaults}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, metavar="DIR", help="training dataset DIR/<label>/<clip>")
    parser.add_argument("--out", required=True, metavar="MODEL.pt", help="where to save the checkpoint")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="default",
                        help="network: 'paper' (the paper's model and pipeline) or 'default' (default: %(default)s)")
    parser.add_argument("--norm", choices=NORMS, default=None,
                        help="min-max normalisation per keypoint or per timestep (default: per --arch, below)")
    parser.add_argument("--padding", choices=PADDINGS, default=None,
                        help="'paper': padding takes part in the normalisation; 'corrected': it does not "
                             "(default: per --arch)")
    parser.add_argument("--confidence", action=argparse.BooleanOptionalAction, default=None,
                        help="feed each point's confidence to the network: 75 features per frame, else 50 "
                             "(default: per --arch)")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="keypoint augmentation: crop, speed, mirror, view, jitter, dropped points "
                             "(default: per --arch)")
    parser.add_argument("--epochs", type=positive_int, default=None, metavar="N", help="(default: per --arch)")
    parser.add_argument("--batch-size", type=positive_int, default=None, metavar="B", help="(default: per --arch)")
    parser.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                        help="after choosing on the validation share, train again on all of --data (default: per "
                             "--arch; off with --val-data, whose clips are never trained on)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of the split, the initial weights, the batches and the augmentation "
                             "(default: %(default)s)")
    parser.add_argument("--val-data", metavar="DIR", default=None,
                        help="validation dataset; without it --val-fraction of each class of --data")
    parser.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                        help="share of each class held out for validation (default: %(default)s)")
    parser.add_argument("--max-accuracy-loss", type=float, default=0.02, metavar="F",
                        help="open-set threshold: the highest that costs the validation skill windows at most "
                             "this accuracy (default: %(default)s)")
    parser.add_argument("--report", metavar="DIR", default=None,
                        help="write metrics.json, confusion.png and loss.png into DIR")
    parser.add_argument("--skip-bad", action="store_true", help="leave bad clips out instead of failing")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch threads (default: torch's choice, one per core)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.refit and args.val_data is not None:
        raise CommandError("--refit trains on the validation clips: it takes a validation share of --data, "
                           "not --val-data")
    try:
        config = TrainConfig.for_arch(
            args.arch, norm=args.norm, padding=args.padding, confidence=args.confidence, augment=args.augment,
            epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
            val_fraction=args.val_fraction, max_accuracy_loss=args.max_accuracy_loss,
            refit=False if args.val_data is not None else args.refit)
    except ValueError as error:
        raise CommandError(str(error)) from None
    warm_up()
    if args.threads is not None:
        # After warm_up: loading the kernels starts Numba's OpenMP layer, which resets
        # the OpenMP thread count that torch shares.
        torch.set_num_threads(args.threads)
    data = _load(args.data, args.skip_bad)
    if args.val_data is not None:
        train_clips, val_clips = data.clips, _load(args.val_data, args.skip_bad).clips
    else:
        train_clips, val_clips = carve_validation(data.clips, config.val_fraction, config.seed)
    print(f"train: {len(train_clips)} training and {len(val_clips)} validation clips; {config.arch} network, "
          f"{config.preprocess.norm} normalisation, padding {config.preprocess.padding}, confidence "
          f"{'on' if config.preprocess.confidence else 'off'}, augmentation {'on' if config.augment else 'off'}, "
          f"{config.epochs} epochs of batches of {config.batch_size}{', then a refit on all of them' if config.refit else ''}")
    sys.stdout.flush()
    # The bar goes to stderr and hides itself when that is not a terminal; the epoch lines go to stdout.
    progress = Progress(bar=lambda total, desc: tqdm(total=total, desc=desc, leave=False, disable=None),
                        log=lambda line: tqdm.write(line, file=sys.stdout))
    try:
        result = train(train_clips, val_clips, config, progress)
    except ValueError as error:
        raise CommandError(str(error)) from None
    checkpoint = dataclasses.replace(result.checkpoint, training={
        **result.checkpoint.training, "data": str(args.data), "val_data": args.val_data})
    save_checkpoint(checkpoint, args.out)
    metrics = result.metrics
    fpr = metrics["open_set_fpr"]
    print(f"train: best epoch {result.best_epoch}: validation accuracy {metrics['accuracy']:.3f} "
          f"(n = {metrics['n']}); open-set threshold {checkpoint.threshold:.3f}, non-skill windows reported "
          f"as a skill: {'-' if fpr is None else f'{fpr:.3f}'}; out-of-distribution limit "
          f"{metrics['ood_limit']:.2f}; {metrics['seconds_per_epoch']:.1f} s per epoch")
    if args.report is not None:
        write_report(args.report, metrics, title=f"{config.arch} network, {Path(args.data).name}")
        print(f"train: report in {args.report}")
    print(f"train: saved {args.out}")
    return 0


def _load(path: str, skip_bad: bool) -> Dataset:
    """The dataset at `path`, its skipped clips reported on stderr."""
    dataset = load_dataset(path, skip_bad=skip_bad)
    for bad in dataset.skipped:
        print(f"skillstream train: skipped {bad}", file=sys.stderr)
    return dataset
