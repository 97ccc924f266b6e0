"""`skillstream bench segmenter`: the report's shape on one short routine, through the command."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.models.synth.routine import generate_routine
from skillstream.stream.bench import segmenter as bench
from skillstream.stream.cli import bench as bench_command


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skillstream")
    bench_command.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_segment_stream_reports_every_closed_segment():
    settings = load_config().segmenter
    sample, segments = generate_routine(20.0, np.random.default_rng(np.random.SeedSequence([4])))
    closed, times = bench.segment_stream(settings, sample.clip.keypoints, sample.clip.fps)
    assert len(times) == len(sample.clip) and all(t > 0 for t in times)
    emitted = [index for _, index in closed]
    assert emitted == sorted(emitted) and all(0 <= i < len(sample.clip) for i in emitted)
    for event, index in closed:
        assert event.start_frame <= event.end_frame <= index
        assert event.window.shape[1:] == (25, 3) and len(event.window) >= index - event.start_frame + 1


def test_report_through_the_command(capsys: pytest.CaptureFixture[str]):
    args = parse(["bench", "segmenter", "--json", "--no-classify", "--routines", "2", "--seconds", "15",
                  "--seed", "7"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["routines"], result["seconds"], result["seed"], result["frames"]) == (2, 15.0, 7, 900)
    assert "skills" not in result and result["push_us"] > 0
    proposals = result["proposals"]
    assert proposals["tp"] + proposals["fn"] == result["truths"]
    assert sum(missed for missed, _ in result["missed"].values()) == proposals["fn"]
    assert result["settings"]["max_frames"] == load_config().segmenter.max_frames
    text = bench.format_text(result)
    assert text.startswith("segmenter: 2 routines of 15 s (seeds 7..8), 900 frames")
    assert len(text.splitlines()) == 4


def test_boundary_errors_are_predicted_minus_true():
    from skillstream.stream.core.matching import match_segments

    predicted, truth = [("a", 12, 40)], [("b", 10, 42)]
    errors = bench.boundary_errors(match_segments(predicted, truth), predicted, truth)
    assert errors.tolist() == [[2, -2]]
