"""`skillstream eval`: a trained classifier's figures on a keypoint dataset.

Every clip of DATA (`DATASET/<label>/<clip>`) is classified as one window
through the serving API (`models.inference.Classifier`). Closed set, over
the clips whose label is one of the model's classes: accuracy, per-class
accuracy, the confusion matrix. Open set: the share of non-skill clips (the
model's background class, or label `background` when the model has none)
that come out as a skill, and the share of skill clips that come out as
their own skill. Other labels are an error.
"""

from __future__ import annotations

import argparse
import json
import sys

from skillstream.models.checkpoint import load_checkpoint
from skillstream.models.inference import Classifier
from skillstream.models.keypoints.dataset import load_dataset
from skillstream.models.training import BACKGROUND, evaluate
from skillstream.stream.bench import positive_int

from . import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="evaluate a trained classifier on a keypoint dataset",
        description=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, metavar="MODEL.pt", help="checkpoint from skillstream train")
    parser.add_argument("--data", required=True, metavar="DIR", help="dataset DIR/<label>/<clip>")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--skip-bad", action="store_true", help="leave bad clips out instead of failing")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch threads (default: torch's choice)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    checkpoint = load_checkpoint(args.model)
    dataset = load_dataset(args.data, skip_bad=args.skip_bad)
    for bad in dataset.skipped:
        print(f"skillstream eval: skipped {bad}", file=sys.stderr)
    classifier = Classifier(checkpoint, threads=args.threads)
    probabilities = classifier.probabilities([clip.keypoints for clip in dataset.clips])  # (N, C)
    try:
        result = evaluate(probabilities, [clip.label for clip in dataset.clips], checkpoint.classes,
                          checkpoint.background, checkpoint.threshold,
                          non_skill_label=checkpoint.background or BACKGROUND)
    except ValueError as error:
        raise CommandError(f"{args.data}: {error}") from None
    result = {"model": str(args.model), "data": str(args.data), **result}
    print(json.dumps(result) if args.json else format_text(result))
    return 0


def format_text(result: dict) -> str:
    """The human-readable report: totals, open-set figures, per-class table, confusion matrix."""
    classes = result["classes"]
    n, accuracy = result["n"], result["accuracy"]
    correct = sum(result["confusion"][i][i] for i in range(len(classes)))
    lines = [
        f"model     {result['model']} ({len(classes)} classes, background class: {result['background'] or 'none'})",
        f"data      {result['data']}: {n} clips of the model's classes"
        + (f", {result['n_non_skill']} non-skill" if result["n_non_skill"] and result["background"] is None else ""),
        f"accuracy  {'-' if accuracy is None else f'{accuracy:.3f}'} ({correct}/{n})",
        f"open set  threshold {result['threshold']:.3f}; non-skill clips reported as a skill: "
        f"{_fraction(result['open_set_fpr'], result['n_non_skill'])}; skill clips reported as their skill: "
        f"{_fraction(result['open_set_skill_accuracy'], result['n_skill'])}",
        "",
        f"  {'#':>2}  {'class':<24} {'clips':>6} {'accuracy':>9}",
    ]
    rows = [sum(row) for row in result["confusion"]]
    for i, name in enumerate(classes):
        value = result["per_class"][name]
        lines.append(f"  {i:>2}  {name:<24} {rows[i]:>6} {'-' if value is None else f'{value:.3f}':>9}")
    width = max(3, len(str(max(rows, default=0))) + 1)
    lines += ["", "confusion (rows: true class, columns: predicted class, by #)",
              "  " + " " * 4 + "".join(f"{j:>{width}}" for j in range(len(classes)))]
    for i, row in enumerate(result["confusion"]):
        lines.append(f"  {i:>2}  " + "".join(f"{count:>{width}}" for count in row))
    return "\n".join(lines)


def _fraction(value: float | None, count: int) -> str:
    return "- (none)" if value is None else f"{value:.3f} of {count}"
