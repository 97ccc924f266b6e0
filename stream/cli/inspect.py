"""`skillstream inspect PATH`: what a keypoint clip or dataset holds.

PATH is an OpenPose JSON folder, a `.npz` clip or a dataset folder
(`DATASET/<label>/<clip>`); which one is detected. The figures come from
`models.keypoints.summary`; this module only formats them, as a table or,
with --json, as one JSON object.
"""

from __future__ import annotations

import argparse
import json

from skillstream.models.keypoints.dataset import load_clip, load_dataset, path_kind
from skillstream.models.keypoints.summary import (
    ClipSummary,
    DatasetSummary,
    summarize_clip,
    summarize_dataset,
)

KIND_NAMES = {"openpose": "OpenPose JSON folder", "npz": ".npz clip", "dataset": "dataset"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect", help="summarise a keypoint clip or dataset",
        description="Summarise an OpenPose JSON folder, a .npz clip or a DATASET/<label>/<clip> folder.")
    parser.add_argument("path", metavar="PATH", help="clip folder, .npz file or dataset folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--skip-bad", action="store_true",
                        help="dataset: leave bad clips out and list them, instead of failing")
    parser.add_argument("--fps", type=float, default=30.0,
                        help="frame rate of clips that do not state one (default: %(default)s)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    kind = path_kind(args.path)
    summary: ClipSummary | DatasetSummary
    if kind == "dataset":
        summary = summarize_dataset(load_dataset(args.path, skip_bad=args.skip_bad, fps=args.fps))
    else:
        summary = summarize_clip(load_clip(args.path, fps=args.fps))
    if args.json:
        print(json.dumps({"kind": kind, **summary.to_dict()}, indent=2))
    elif isinstance(summary, DatasetSummary):
        print(format_dataset(summary))
    else:
        print(format_clip(summary, KIND_NAMES[kind]))
    return 0


def format_clip(summary: ClipSummary, kind_name: str) -> str:
    """The human-readable table of one clip."""
    frames = max(summary.frames, 1)
    size = f"{summary.width} x {summary.height}" if summary.width and summary.height else "unknown"
    lines = [
        f"{kind_name}  {summary.source}",
        *_rows([
            ("layout", summary.layout),
            ("label", summary.label or "-"),
            ("frames", summary.frames),
            ("fps", f"{summary.fps:g}"),
            ("duration", f"{summary.duration:.2f} s"),
            ("frame size", size),
            ("frames without a person",
             f"{summary.frames_without_person} ({100 * summary.frames_without_person / frames:.1f}%)"),
            ("frames with several people", summary.frames_with_several_people),
            *([("frames, people unknown", summary.frames_people_unknown)]
              if summary.frames_people_unknown else []),
        ]),
        "",
        f"  {'keypoint':<12} {'mean conf':>9} {'detected':>9}",
        *(f"  {name:<12} {summary.mean_confidence[name]:>9.3f} {100 * summary.detected_fraction[name]:>8.1f}%"
          for name in summary.mean_confidence),
        "  mean conf: the followed person's confidence averaged over all frames (absent = 0);",
        "  detected: share of frames where the point was found.",
    ]
    return "\n".join(lines)


def format_dataset(summary: DatasetSummary) -> str:
    """The human-readable table of a dataset: totals, clips per label, skipped clips."""
    lengths = ("no readable clip" if summary.frames_min is None else
               f"min {summary.frames_min}, median {summary.frames_median:g}, max {summary.frames_max}")
    lines = [
        f"dataset  {summary.root}",
        *_rows([
            ("clips", f"{summary.total_clips} in {len(summary.clips_per_label)} labels"),
            ("frames", summary.total_frames),
            ("frames per clip", lengths),
            ("duration", f"{summary.total_duration:.1f} s"),
            ("fps", ", ".join(f"{fps:g}" for fps in summary.fps_values) or "-"),
            ("layouts", ", ".join(f"{name} ({count})" for name, count in summary.layouts.items()) or "-"),
            ("frames without a person", summary.frames_without_person),
        ]),
        "",
        f"  {'label':<24} {'clips':>6}",
        *(f"  {label:<24} {count:>6}" for label, count in summary.clips_per_label.items()),
    ]
    if summary.skipped:
        lines += ["", f"skipped {len(summary.skipped)} bad clip{'s' if len(summary.skipped) != 1 else ''}:"]
        lines += [f"  {bad['where']}: {bad['reason']}" for bad in summary.skipped]
    return "\n".join(lines)


def _rows(rows: list[tuple[str, object]]) -> list[str]:
    return [f"  {name:<28}{value}" for name, value in rows]
