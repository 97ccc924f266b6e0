"""Score the online segmenter (and the shipped classifier on its windows) on synthetic routines.

--routines routines of --seconds seconds are generated in memory exactly as
`skillstream synth --routine SECONDS --seed X` writes them, routine i with
seed --seed + i, and fed frame by frame (timestamps index / fps) to a
`Segmenter` with the [segmenter] settings of the default configuration
(laid over by --config FILE). Reported, over all routines together:

- proposals: every closed segment against the ground-truth skills, one to
  one at temporal IoU >= 0.5: precision, recall, F1, and the mean signed
  and absolute boundary errors (frames; predicted - true) of the matches;
- skills (--classify, the default): the windows classified by the shipped
  model (`no_skill` ones dropped): F1 and the label accuracy of the matched
  ones; and the latency of each matched skill: from the ground-truth end
  frame's time to the frame whose push closed the segment (the server adds
  the classification time, reported per window);
- time per frame of `Segmenter.push` (mean and worst, µs; the best of
  --repeat runs of each routine).
Acceptance bars (the product's): skill F1 >= 0.9, label accuracy >= 0.9,
latency < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from typing import Any

import numpy as np

from skillstream.config import load_config
from skillstream.config.schema import SegmenterSettings
from skillstream.models.openset import OpenSetOptions
from skillstream.models.synth.routine import Segment, generate_routine
from skillstream.stream.core.matching import SegmentMatch, match_segments
from skillstream.stream.core.segmenter import SegmentEnd, Segmenter

from . import positive_int, routine_seconds

DEFAULT_REPEAT = 1
MIN_IOU = 0.5
BARS = {"f1": 0.9, "label_accuracy": 0.9, "latency_s": 1.0}
PROPOSAL = "segment"  # the label of an unclassified proposal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--routines", type=positive_int, default=3, metavar="N",
                        help="routines to generate (default: %(default)s)")
    parser.add_argument("--seconds", type=routine_seconds, default=300.0, metavar="S",
                        help="length of each routine in seconds (default: %(default)s)")
    parser.add_argument("--classify", action=argparse.BooleanOptionalAction, default=True,
                        help="classify the closed segments with the shipped model (default: on)")
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="a configuration file whose [segmenter] keys, model.threshold and [openset] replace "
                             "the defaults")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    config = load_config(args.config)
    return bench_segmenter(config.segmenter, routines=args.routines, seconds=args.seconds, seed=args.seed,
                           classify=args.classify, repeat=args.repeat,
                           options=config.openset.options(config.model.threshold_override))


def segment_stream(settings: SegmenterSettings, keypoints: np.ndarray,
                   fps: float) -> tuple[list[tuple[SegmentEnd, int]], list[float]]:
    """Feed keypoints (T, 25, 3) to a new Segmenter at `fps` and flush it.
    Returns each SegmentEnd with the index of the frame whose push emitted
    it (T - 1 for the flush), and every push's time in seconds (T,)."""
    segmenter = Segmenter(settings)
    closed = []
    times = []
    for index, frame in enumerate(keypoints):
        started = time.perf_counter()
        events = segmenter.push(index, index / fps, frame)
        times.append(time.perf_counter() - started)
        closed.extend((event, index) for event in events if isinstance(event, SegmentEnd))
    closed.extend((event, len(keypoints) - 1) for event in segmenter.flush() if isinstance(event, SegmentEnd))
    return closed, times


def boundary_errors(match: SegmentMatch, predicted: list[tuple[str, int, int]],
                    truth: list[tuple[str, int, int]]) -> np.ndarray:
    """Signed (predicted - true) start and end errors of the matches, frames: int (M, 2)."""
    return np.array([(predicted[i][1] - truth[j][1], predicted[i][2] - truth[j][2]) for i, j, _ in match.matches],
                    np.int64).reshape(-1, 2)


def bench_segmenter(settings: SegmenterSettings, routines: int = 3, seconds: float = 300.0, seed: int = 0,
                    classify: bool = True, repeat: int = DEFAULT_REPEAT,
                    options: OpenSetOptions = OpenSetOptions()) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`).
    `options`: the classifier's open-set options (the server's, from the configuration)."""
    classifier = None
    if classify:
        from skillstream.models.inference import DEFAULT_MODEL, Classifier  # torch: only when classifying
        classifier = Classifier.load(DEFAULT_MODEL, threads=2, options=options)
    totals: Counter[str] = Counter()
    errors, skill_errors, latencies, push_us, worst_us, classify_ms = [], [], [], [], [], []
    missed: Counter[str] = Counter()
    truths_per_label: Counter[str] = Counter()
    frames = 0
    for r in range(routines):
        sample, segments = generate_routine(seconds, np.random.default_rng(np.random.SeedSequence([seed + r])))
        keypoints, fps = sample.clip.keypoints, sample.clip.fps
        frames += len(keypoints)
        runs = [segment_stream(settings, keypoints, fps) for _ in range(repeat)]
        closed = runs[0][0]
        best = min((run[1] for run in runs), key=sum)
        push_us.append(sum(best) / len(best) * 1e6)
        worst_us.append(max(best) * 1e6)
        truth = [(s.label, s.start_frame, s.end_frame) for s in segments]
        truths_per_label.update(s.label for s in segments)
        proposals = [(PROPOSAL, event.start_frame, event.end_frame) for event, _ in closed]
        match = match_segments(proposals, truth, MIN_IOU)
        _count(totals, "proposal", match)
        errors.append(boundary_errors(match, proposals, truth))
        if classifier is None:
            missed.update(_missed(match, segments))
            continue
        started = time.perf_counter()
        predictions = classifier.classify([event.window for event, _ in closed])
        classify_ms.append((time.perf_counter() - started) * 1e3 / max(len(closed), 1))
        kept = [(p.label, event, emitted) for p, (event, emitted) in zip(predictions, closed) if p.is_skill]
        skills = [(label, event.start_frame, event.end_frame) for label, event, _ in kept]
        skill_match = match_segments(skills, truth, MIN_IOU)
        _count(totals, "skill", skill_match)
        totals["skill_correct"] += round(skill_match.label_accuracy * skill_match.true_positives)
        skill_errors.append(boundary_errors(skill_match, skills, truth))
        latencies.extend((kept[i][2] - segments[j].end_frame) / fps for i, j, _ in skill_match.matches)
        missed.update(_missed(skill_match, segments))
    result: dict[str, Any] = {
        "benchmark": "segmenter",
        "settings": {name: getattr(settings, name) for name in settings.__dataclass_fields__},
        "routines": routines, "seconds": seconds, "seed": seed, "repeat": repeat, "frames": frames,
        "truths": sum(truths_per_label.values()),
        "proposals": _scores(totals, "proposal", np.concatenate(errors)),
        "push_us": statistics.fmean(push_us), "push_worst_us": max(worst_us),
        "missed": {label: [missed[label], truths_per_label[label]] for label in sorted(truths_per_label)},
    }
    if classifier is not None:
        skills = _scores(totals, "skill", np.concatenate(skill_errors))
        tp = totals["skill_tp"]
        skills["label_accuracy"] = totals["skill_correct"] / tp if tp else 0.0
        skills["latency_mean_s"] = statistics.fmean(latencies) if latencies else 0.0
        skills["latency_max_s"] = max(latencies, default=0.0)
        skills["classify_ms_per_window"] = statistics.fmean(classify_ms)
        skills["bars_met"] = (skills["f1"] >= BARS["f1"] and skills["label_accuracy"] >= BARS["label_accuracy"]
                              and skills["latency_max_s"] < BARS["latency_s"])
        result["skills"] = skills
    return result


def _count(totals: Counter[str], kind: str, match: SegmentMatch) -> None:
    totals[f"{kind}_tp"] += match.true_positives
    totals[f"{kind}_fp"] += match.false_positives
    totals[f"{kind}_fn"] += match.false_negatives


def _missed(match: SegmentMatch, segments: list[Segment]) -> list[str]:
    """Labels of the truths left unmatched."""
    found = {j for _, j, _ in match.matches}
    return [s.label for j, s in enumerate(segments) if j not in found]


def _scores(totals: Counter[str], kind: str, errors: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1 over all routines and the boundary errors (M, 2) of the matches."""
    tp, fp, fn = totals[f"{kind}_tp"], totals[f"{kind}_fp"], totals[f"{kind}_fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    mean = errors.mean(axis=0).tolist() if len(errors) else [0.0, 0.0]
    mean_abs = np.abs(errors).mean(axis=0).tolist() if len(errors) else [0.0, 0.0]
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1,
            "start_error": mean[0], "end_error": mean[1], "start_abs_error": mean_abs[0],
            "end_abs_error": mean_abs[1]}


def format_text(result: dict[str, Any]) -> str:
    def scores(name: str, s: dict[str, Any]) -> str:
        return (f"{name}: precision {s['precision']:.3f}, recall {s['recall']:.3f}, F1 {s['f1']:.3f} "
                f"(TP {s['tp']}, FP {s['fp']}, FN {s['fn']}); boundary error start {s['start_error']:+.1f} "
                f"(|{s['start_abs_error']:.1f}|), end {s['end_error']:+.1f} (|{s['end_abs_error']:.1f}|) frames")

    lines = [
        f"segmenter: {result['routines']} routines of {result['seconds']:g} s (seeds {result['seed']}.."
        f"{result['seed'] + result['routines'] - 1}), {result['frames']} frames, {result['truths']} skills; "
        f"IoU >= {MIN_IOU}",
        scores("proposals", result["proposals"]),
    ]
    if "skills" in result:
        s = result["skills"]
        lines.append(scores("skills", s))
        lines.append(f"label accuracy {s['label_accuracy']:.3f}; latency after the true end: mean "
                     f"{s['latency_mean_s']:.2f} s, max {s['latency_max_s']:.2f} s; classify "
                     f"{s['classify_ms_per_window']:.1f} ms/window; bars (F1 >= {BARS['f1']}, labels >= "
                     f"{BARS['label_accuracy']}, latency < {BARS['latency_s']:g} s): "
                     f"{'met' if s['bars_met'] else 'NOT met'}")
    missed = ", ".join(f"{label} {m}/{n}" for label, (m, n) in result["missed"].items() if m)
    lines.append(f"missed: {missed or 'none'}")
    lines.append(f"push: {result['push_us']:.1f} us/frame mean, worst {result['push_worst_us']:.0f} us")
    return "\n".join(lines)
