"""False skills on real everyday motion, beside the synthetic routines' F1, in one run.

A gym camera sees people walk, stand, bend down, sit, jump and stretch
between skills; none of it may come out as a skill. The real motion comes
from the shared data folder (--data; validation only, never trained on):

- JHMDB: the ground-truth joints of the 14 everyday actions (walk, run,
  pick, sit, stand, jump, pullup, push, catch, throw, clap, wave, pour,
  golf), split 1's training and testing files (together every clip once),
  each file's clips in a seeded random order, joined into streams of
  --stream-minutes minutes at 30 fps. Each clip is scaled to a torso of
  TORSO_PX pixels about FRAME_CENTRE, as one camera would see the people
  (JHMDB normalises every clip to its own frame);
- the real videos (a person walking, a person turning and jumping), through
  the configured pose backend as the server runs it on `file:` sources;
- the genuine OpenPose JSON clips (soccer kicks, a badminton broadcast, a
  bicep curl).
Each stream runs through a Segmenter with the server's [segmenter]
settings, and every closed segment through the classifier (--model; the
shipped one by default) under the server's open-set rule (model.threshold
and [openset], from --config or the defaults). Every skill reported on this
motion is a false skill: the figure is false skills per minute of stream,
by source and over all of it, with the reasons for the segments turned
away. The synthetic routines (--routines, seeds 7000 on: never used for
tuning) run the same way and give the segment F1 (IoU >= 0.5) and the
label accuracy of the reported skills.

The candidate rules are compared on the same segments (the network runs
once): `threshold` (the background class and model.threshold only),
`+gates`, `+ood` (the checkpoint's detector), and `server` (all of them:
the configuration's rule). Targets (server): at most TARGET_FALSE_PER_MIN
false skills a minute over the real motion and on each JHMDB file, routine
F1 and label accuracy at least TARGET_F1.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from skillstream.config import Config, load_config
from skillstream.models.inference import DEFAULT_MODEL, Classifier
from skillstream.models.keypoints.openpose_json import read_openpose_folder
from skillstream.models.keypoints.skeleton import BODY25_INDEX, JHMDB15, to_body25
from skillstream.models.openset import OpenSetRule
from skillstream.models.synth.routine import generate_routine
from skillstream.models.training.jhmdb import JHMDB_FPS, read_jhmdb_split
from skillstream.stream.core.matching import match_segments

from . import positive_int, positive_minutes, routine_seconds, shared_data_folder
from .segmenter import MIN_IOU, segment_stream

DEFAULT_REPEAT = 1
ROUTINE_SEED = 7000
JHMDB_FILES = ("jhmdb_train_1.npz", "jhmdb_test_1.npz")  # split 1: every clip once
VIDEOS = ("sports2d_demo.mp4", "pose2sim_cam01.mp4")
TORSO_PX = 120.0
FRAME_CENTRE = (640.0, 400.0)
TARGET_FALSE_PER_MIN = 0.2
TARGET_F1 = 0.95
VARIANTS = ("threshold", "+gates", "+ood", "server")

Stream = tuple[str, np.ndarray, float]  # name, keypoints (T, 25, 3), fps


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="PATH", help="checkpoint (default: the shipped model)")
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="a configuration whose [segmenter], model.threshold and [openset] replace the defaults")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="the shared data folder (default: $SKILLSTREAM_SHARED_DATA or ../shared/data)")
    parser.add_argument("--stream-minutes", type=positive_minutes, default=3.0, metavar="M",
                        help="length of each joined JHMDB stream (default: %(default)s)")
    parser.add_argument("--routines", type=positive_int, default=6, metavar="N",
                        help="synthetic routines, seeds 7000 on (default: %(default)s)")
    parser.add_argument("--routine-seconds", type=routine_seconds, default=300.0, metavar="S",
                        help="length of each routine (default: %(default)s)")
    parser.add_argument("--videos", action=argparse.BooleanOptionalAction, default=True,
                        help="the real videos through the pose backend (default: on)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(args.data) if args.data else shared_data_folder()
    if not data.is_dir():
        raise SystemExit(f"bench openset: no shared data folder at {data} (give --data DIR)")
    config = load_config(args.config)
    return bench_openset(config, data, model=args.model, stream_minutes=args.stream_minutes,
                         routines=args.routines, routine_seconds=args.routine_seconds, videos=args.videos,
                         seed=args.seed)


def bench_openset(config: Config, data: Path, model: str | None = None, stream_minutes: float = 3.0,
                  routines: int = 6, routine_seconds: float = 300.0, videos: bool = True,
                  seed: int = 0) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`)."""
    classifier = Classifier.load(model or DEFAULT_MODEL, threads=2,
                                 options=config.openset.options(config.model.threshold_override))
    rules = variants(classifier.rule)
    sources: dict[str, list[Stream]] = {}
    for name in JHMDB_FILES:
        if (data / "jhmdb" / name).is_file():
            sources[f"jhmdb {Path(name).stem}"] = jhmdb_streams(data / "jhmdb" / name, stream_minutes, seed)
    skipped = {}
    if videos:
        found = [data / "videos" / name for name in VIDEOS if (data / "videos" / name).is_file()]
        try:
            for path in found:
                sources[f"video {path.name}"] = [video_stream(path, config)]
        except Exception as error:  # no pose backend here: the videos are left out, and said so
            skipped["videos"] = f"{type(error).__name__}: {error}"
    folders = sorted({path.parent for path in (data / "openpose_json").rglob("*_keypoints.json")})
    for folder in folders:
        sources[f"openpose {folder.name}"] = [(folder.name, read_openpose_folder(folder).keypoints, 30.0)]

    real = {}
    for source, streams in sources.items():
        windows, minutes = [], 0.0
        for _, keypoints, fps in streams:
            closed, _ = segment_stream(config.segmenter, keypoints, fps)
            windows += [event.window for event, _ in closed]
            minutes += len(keypoints) / fps / 60
        verdicts = _decide(classifier, rules, windows)
        server = verdicts["server"]
        real[source] = {
            "streams": len(streams), "minutes": minutes, "proposals": len(windows),
            "false_skills": {name: sum(v.is_skill for v in found) for name, found in verdicts.items()},
            "reasons": dict(Counter(v.reason or "skill" for v in server)),
            "labels": dict(Counter(classifier.classes[v.best_skill] for v in server if v.is_skill)),
        }
    routine = _routines(config, classifier, rules, routines, routine_seconds)
    total_minutes = sum(row["minutes"] for row in real.values())
    pooled = {name: sum(row["false_skills"][name] for row in real.values()) / total_minutes if total_minutes else None
              for name in VARIANTS}
    jhmdb_rates = [row["false_skills"]["server"] / row["minutes"] for source, row in real.items()
                   if source.startswith("jhmdb")]
    met = (pooled["server"] is not None and pooled["server"] <= TARGET_FALSE_PER_MIN
           and all(rate <= TARGET_FALSE_PER_MIN for rate in jhmdb_rates)
           and routine["server"]["f1"] >= TARGET_F1 and routine["server"]["label_accuracy"] >= TARGET_F1)
    rule = classifier.rule
    return {
        "benchmark": "openset", "model": str(model or DEFAULT_MODEL), "data": str(data), "seed": seed,
        "rule": {"threshold": rule.threshold, "detector": rule.detector is not None,
                 "ood_limit": rule.distance_limit, "gates": config.openset.gates.to_dict()},
        "sources": real, "skipped": skipped, "minutes": total_minutes, "false_per_min": pooled,
        "routines": routine, "targets": {"false_per_min": TARGET_FALSE_PER_MIN, "f1": TARGET_F1, "met": met},
    }


def variants(rule: OpenSetRule) -> dict[str, OpenSetRule]:
    """The candidate rules, from the server's: without the detector and the gates, with one of them, with both."""
    return {"threshold": dataclasses.replace(rule, detector=None, gates=None),
            "+gates": dataclasses.replace(rule, detector=None),
            "+ood": dataclasses.replace(rule, gates=None),
            "server": rule}


def _decide(classifier: Classifier, rules: dict[str, OpenSetRule], windows: list[np.ndarray]) -> dict[str, list]:
    if not windows:
        return {name: [] for name in rules}
    probabilities, embeddings = classifier.outputs(windows)
    return {name: rule.decide(probabilities, embeddings, windows) for name, rule in rules.items()}


def _routines(config: Config, classifier: Classifier, rules: dict[str, OpenSetRule], count: int,
              seconds: float) -> dict[str, Any]:
    """Segment F1 and label accuracy of each rule's skills over `count` synthetic routines."""
    totals = {name: Counter() for name in rules}
    for r in range(count):
        sample, segments = generate_routine(seconds, np.random.default_rng(np.random.SeedSequence([ROUTINE_SEED + r])))
        closed, _ = segment_stream(config.segmenter, sample.clip.keypoints, sample.clip.fps)
        truth = [(s.label, s.start_frame, s.end_frame) for s in segments]
        for name, verdicts in _decide(classifier, rules, [event.window for event, _ in closed]).items():
            skills = [(classifier.classes[v.best_skill], event.start_frame, event.end_frame)
                      for v, (event, _) in zip(verdicts, closed) if v.is_skill]
            match = match_segments(skills, truth, MIN_IOU)
            totals[name].update(tp=match.true_positives, fp=match.false_positives, fn=match.false_negatives,
                                correct=round(match.label_accuracy * match.true_positives))
    result = {"routines": count, "seconds": seconds, "seeds": [ROUTINE_SEED, ROUTINE_SEED + count - 1]}
    for name, total in totals.items():
        tp, fp, fn = total["tp"], total["fp"], total["fn"]
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        result[name] = {"tp": tp, "fp": fp, "fn": fn,
                        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
                        "label_accuracy": total["correct"] / tp if tp else 0.0}
    return result


def jhmdb_streams(path: Path, minutes: float, seed: int) -> list[Stream]:
    """The clips of a packed JHMDB file in a seeded random order, each scaled to a
    torso of TORSO_PX about FRAME_CENTRE, joined into streams of about `minutes`."""
    clips = read_jhmdb_split(path)
    order = np.random.default_rng(seed).permutation(len(clips))
    neck, mid_hip = BODY25_INDEX["neck"], BODY25_INDEX["mid_hip"]
    streams, current = [], []
    for i in order:
        keypoints = to_body25(clips[i][1], JHMDB15)  # (T, 25, 3), every joint present
        torso = float(np.median(np.linalg.norm(keypoints[:, neck, :2] - keypoints[:, mid_hip, :2], axis=1)))
        centre = keypoints[:, mid_hip, :2].mean(axis=0)
        keypoints[..., :2] = (keypoints[..., :2] - centre) * (TORSO_PX / max(torso, 1e-6)) + FRAME_CENTRE
        current.append(keypoints)
        if sum(map(len, current)) >= minutes * 60 * JHMDB_FPS:
            streams.append(current)
            current = []
    if current:
        streams.append(current)
    return [(f"{path.stem}#{n}", np.concatenate(parts), JHMDB_FPS) for n, parts in enumerate(streams)]


def video_stream(path: Path, config: Config) -> Stream:
    """Every frame of the video at `path` through the configured pose backend, in order."""
    import cv2

    from skillstream.stream.pose import create_backend

    backend = create_backend(config.pose)
    capture = cv2.VideoCapture(str(path))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        backend.open_stream(path.name)
        frames = []
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frames.append(backend.estimate([(path.name, image)])[0])
    finally:
        capture.release()
        backend.close()
    if not frames:
        raise ValueError(f"{path}: no frame could be decoded")
    return path.name, np.stack(frames), float(fps)


def format_text(result: dict[str, Any]) -> str:
    rule = result["rule"]
    limit = "none" if rule["ood_limit"] is None else f"{rule['ood_limit']:.2f}"
    lines = [f"open set: {result['model']}; threshold {rule['threshold']:g}, detector limit {limit}, gates for "
             f"{len([s for s, c in rule['gates']['skills'].items() if c])} skills",
             f"false skills per minute of real non-skill motion ({result['minutes']:.1f} min), by rule:",
             f"{'source':<34} {'min':>5} {'segs':>5} " + " ".join(f"{name:>9}" for name in VARIANTS)]
    for source, row in result["sources"].items():
        rates = " ".join(f"{row['false_skills'][name] / row['minutes']:>9.2f}" for name in VARIANTS)
        lines.append(f"{source:<34} {row['minutes']:>5.1f} {row['proposals']:>5} {rates}")
    pooled = result["false_per_min"]
    lines.append(f"{'all real motion':<34} {result['minutes']:>5.1f} {'':>5} "
                 + " ".join(f"{pooled[name]:>9.2f}" if pooled[name] is not None else f"{'-':>9}" for name in VARIANTS))
    reasons = Counter()
    for row in result["sources"].values():
        reasons.update(row["reasons"])
    lines.append("server rule, segments of real motion: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    for name, reason in result["skipped"].items():
        lines.append(f"skipped {name}: {reason}")
    routine = result["routines"]
    lines.append(f"synthetic routines ({routine['routines']} x {routine['seconds']:g} s, seeds {routine['seeds'][0]}-"
                 f"{routine['seeds'][1]}): " + "; ".join(
                     f"{name} F1 {routine[name]['f1']:.3f} labels {routine[name]['label_accuracy']:.3f}"
                     for name in VARIANTS))
    targets = result["targets"]
    lines.append(f"targets (server: <= {targets['false_per_min']:g} false skills/min overall and on each JHMDB file, "
                 f"routine F1 and labels >= {targets['f1']:g}): {'met' if targets['met'] else 'NOT met'}")
    return "\n".join(lines)
