"""A synthetic routine through the real server, scored as a websocket client sees it.

The acceptance measurement of the streaming server: a routine written as
`skillstream synth --routine SECONDS --seed SEED` does (or --routine DIR,
one already written) is served as `openpose:DIR?pace=PACE` by a server
started in this process on a free port, with the configuration's model and
segmenter (laid over by --config FILE). One websocket client subscribes
before the stream is added, collects every event until `stream_end`, and
the skill events are scored against DIR/segments.json:

- segment precision, recall and F1 at temporal IoU >= 0.5, and the label
  accuracy of the matched skills;
- `latency_ms` as the server reports it (the frame that closed the segment
  arriving -> the event handed to the clients), median, p99 and max;
- lateness (meaningful at --pace realtime): when the client received each
  matched skill, minus the time its ground-truth end frame was due
  (`stream_start.started_at` + end_frame / fps); median and max;
- wall time and frames per second through the pipeline.
Acceptance bars: F1 >= 0.9, label accuracy >= 0.9, and at realtime pace a
median latency_ms under 100 and no skill later than 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

from skillstream.config import load_config
from skillstream.models.synth.routine import write_routine
from skillstream.stream.core.matching import match_segments

from . import routine_seconds

DEFAULT_REPEAT = 1
MIN_IOU = 0.5
BARS = {"f1": 0.9, "label_accuracy": 0.9, "median_latency_ms": 100.0, "max_lateness_s": 1.0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=routine_seconds, default=300.0, metavar="S",
                        help="routine length when one is generated (default: %(default)s)")
    parser.add_argument("--routine", metavar="DIR", help="a routine already written by synth --routine")
    parser.add_argument("--pace", choices=("max", "realtime"), default="max",
                        help="replay pace (default: %(default)s)")
    parser.add_argument("--config", metavar="FILE", help="a configuration file laid over the defaults")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="skillstream-routine-") as scratch:
        if args.routine:
            folder = Path(args.routine)
        else:
            folder = Path(scratch)
            write_routine(folder, args.seconds, args.seed)
        truth = [(s["label"], s["start_frame"], s["end_frame"])
                 for s in json.loads((folder / "segments.json").read_text())]
        config = load_config(args.config, {"server.port": 0, "sources": {}, "record.dir": ""})
        runs = [asyncio.run(_serve_and_collect(config, f"openpose:{folder}?pace={args.pace}"))
                for _ in range(args.repeat)]
    result = _score(runs[-1], truth)
    return {"benchmark": "routine", "routine": args.routine or f"synth --routine {args.seconds:g} --seed {args.seed}",
            "pace": args.pace, "skills_true": len(truth), **result,
            "bars_met": _bars_met(result, args.pace)}


async def _serve_and_collect(config, uri: str) -> dict[str, Any]:
    from skillstream.stream.server.app import Server  # torch and the pose stack: only when run

    server = Server(config)
    await server.startup()
    try:
        async with connect(f"ws://127.0.0.1:{server.port}/ws", max_size=1 << 24) as connection:
            await connection.recv()  # hello
            await connection.send(json.dumps({"type": "subscribe", "streams": ["*"], "topics": ["skill", "segment"]}))
            await connection.recv()  # subscribed
            started = time.perf_counter()
            await server.add_stream("routine", uri)
            received = []
            while True:
                message = json.loads(await connection.recv())
                received.append((time.time(), message))
                if message["type"] == "stream_end":
                    break
            wall = time.perf_counter() - started
    finally:
        await server.shutdown()
    return {"received": received, "wall_s": wall}


def _score(run: dict[str, Any], truth: list[tuple[str, int, int]]) -> dict[str, Any]:
    received = run["received"]
    start = next(m for _, m in received if m["type"] == "stream_start")
    end = received[-1][1]
    skills = [(t, m) for t, m in received if m["type"] == "skill" and m["is_skill"]]
    match = match_segments([(m["label"], m["start_frame"], m["end_frame"]) for _, m in skills], truth, MIN_IOU)
    latencies = [m["latency_ms"] for _, m in skills]
    lateness = [skills[p][0] - (start["started_at"] + truth[t][2] / start["fps"]) for p, t, _ in match.matches]
    return {
        "frames": end["frames"], "wall_s": round(run["wall_s"], 2),
        "frames_per_s": round(end["frames"] / run["wall_s"], 1),
        "skills_reported": len(skills), "precision": match.precision, "recall": match.recall, "f1": match.f1,
        "label_accuracy": match.label_accuracy,
        "latency_ms": _spread(latencies), "lateness_s": _spread(lateness),
    }


def _spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p99": None, "max": None}
    return {"median": round(statistics.median(values), 3), "p99": round(float(np.percentile(values, 99)), 3),
            "max": round(max(values), 3)}


def _bars_met(result: dict[str, Any], pace: str) -> bool:
    met = result["f1"] >= BARS["f1"] and result["label_accuracy"] >= BARS["label_accuracy"]
    if pace == "realtime":
        met &= (result["latency_ms"]["median"] or 0) < BARS["median_latency_ms"]
        met &= (result["lateness_s"]["max"] or 0) <= BARS["max_lateness_s"]
    return met


def format_text(result: dict[str, Any]) -> str:
    latency, lateness = result["latency_ms"], result["lateness_s"]
    lines = [
        f"routine: {result['routine']} at pace {result['pace']}: {result['frames']} frames in {result['wall_s']} s "
        f"({result['frames_per_s']} frames/s through the server)",
        f"skills: {result['skills_reported']} reported, {result['skills_true']} true; precision {result['precision']:.3f}, "
        f"recall {result['recall']:.3f}, F1 {result['f1']:.3f} (IoU >= {MIN_IOU}); label accuracy {result['label_accuracy']:.3f}",
        f"latency_ms (server): median {latency['median']}, p99 {latency['p99']}, max {latency['max']}",
        f"lateness after the true end (client): median {lateness['median']} s, max {lateness['max']} s"
        + ("" if result["pace"] == "realtime" else " (not meaningful at pace max)"),
        f"bars (F1 >= 0.9, labels >= 0.9{', median latency < 100 ms, lateness <= 1 s' if result['pace'] == 'realtime' else ''}): "
        f"{'met' if result['bars_met'] else 'NOT met'}",
    ]
    return "\n".join(lines)
