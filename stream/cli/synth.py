"""`skillstream synth`: write a synthetic balance-beam dataset or routine.

Without --routine: DIR/<label>/<label>_<index>.npz (or one OpenPose JSON
folder per clip), --clips-per-class clips of each of the ten skills plus
--background-clips non-skill clips labelled `background`. With --routine
SECONDS: one continuous routine, DIR itself an OpenPose JSON folder (or
DIR/routine.npz with --format npz), with DIR/segments.json, its skills'
ground truth. The work is in `models.synth`; docs/synthetic-data.md
describes the data.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import replace
from pathlib import Path

from skillstream.models.synth import (
    DetectorParams, SynthOptions, parse_yaw_ranges, write_dataset, write_routine,
)
from skillstream.models.synth.routine import ROUTINE_SECONDS

from . import CommandError


def _yaw_ranges(text: str) -> tuple[tuple[float, float], ...]:
    try:
        return parse_yaw_ranges(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth", help="write a synthetic balance-beam dataset or routine",
        description="Write synthetic BODY_25 clips of the ten balance-beam skills (DIR/<label>/<clip>), "
                    "or with --routine one continuous routine with its ground-truth segments.")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder: new or empty, so that no earlier clip mixes with these")
    parser.add_argument("--clips-per-class", type=int, default=100, metavar="N",
                        help="clips of each skill (default: %(default)s, as in the paper)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed; the same seed writes the same data (default: %(default)s)")
    parser.add_argument("--format", choices=("npz", "openpose"), default=None,
                        help="npz: one .npz per clip (default for datasets); openpose: one OpenPose "
                             "--write_json folder per clip (default for --routine)")
    parser.add_argument("--yaw", type=_yaw_ranges, default="-75:75", metavar="RANGES",
                        help="camera yaw around the beam, degrees, uniform over one or more comma-separated "
                             "MIN:MAX ranges; 0 looks at the beam from its side (default: %(default)s; "
                             "e.g. -30:30 for training, -75:-30,30:75 for an unseen-view test set)")
    parser.add_argument("--routine", type=float, default=None, metavar="SECONDS",
                        help="write one continuous routine of SECONDS (10-3600) instead of a dataset: "
                             "DIR as an OpenPose JSON folder (replay it with openpose:DIR) or DIR/routine.npz, "
                             "and DIR/segments.json, its skills' [{label, start_frame, end_frame}]")
    parser.add_argument("--background-clips", type=int, default=0, metavar="N",
                        help="also write N non-skill clips under the label 'background' (default: %(default)s)")
    parser.add_argument("--detector-scale", type=float, default=1.0, metavar="X",
                        help="multiply every pose-estimator failure rate and the jitter by X; "
                             "0 = a perfect detector (default: %(default)s)")
    parser.add_argument("--inverted-loss", type=float, default=None, metavar="P",
                        help="probability that a keypoint is lost when the body is fully upside down "
                             f"(before --detector-scale; default: {DetectorParams().inverted_loss}); "
                             "raise it to make a hard test set")
    parser.add_argument("--workers", type=int, default=0, metavar="W",
                        help="processes for a dataset; 0 = one per CPU (default: %(default)s); "
                             "the output does not depend on it")
    # argparse takes only plain negative numbers for values, so `--yaw
    # -75:-30,30:75` would read as an unknown option; this parser has no
    # option that starts with a digit, so any "-<digit>..." is a value.
    parser._negative_number_matcher = re.compile(r"^-\d")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.clips_per_class < 0 or args.background_clips < 0:
        raise CommandError("--clips-per-class and --background-clips must not be negative")
    if args.workers < 0:
        raise CommandError("--workers must not be negative")
    if args.detector_scale < 0 or not args.detector_scale < float("inf"):
        raise CommandError(f"--detector-scale must be a finite number >= 0, got {args.detector_scale}")
    if args.inverted_loss is not None and not 0 <= args.inverted_loss <= 1:
        raise CommandError(f"--inverted-loss must be a probability in [0, 1], got {args.inverted_loss}")
    detector = replace(DetectorParams(), scale=args.detector_scale)
    if args.inverted_loss is not None:
        detector = replace(detector, inverted_loss=args.inverted_loss)
    options = SynthOptions(yaw_ranges=args.yaw, detector=detector)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CommandError(f"{out}: exists and is not an empty folder; synth writes only into a new or "
                           "empty one, so that clips of an earlier run cannot mix with these")
    if args.routine is not None:
        low, high = ROUTINE_SECONDS
        if not low <= args.routine <= high:
            raise CommandError(f"--routine must be {low:g} to {high:g} seconds, got {args.routine}")
        started = time.perf_counter()
        sample, segments = write_routine(args.out, args.routine, args.seed, args.format or "openpose", options)
        print(f"synth: routine of {len(sample.clip)} frames ({args.routine:g} s) with {len(segments)} skills "
              f"written to {args.out} in {time.perf_counter() - started:.1f} s")
        return 0
    workers = args.workers or os.cpu_count() or 1
    summary = write_dataset(args.out, args.clips_per_class, args.seed, args.format or "npz", options,
                            background_clips=args.background_clips, workers=workers)
    print(f"synth: {summary.line()} -> {args.out}")
    return 0
