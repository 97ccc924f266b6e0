"""`skillstream bench routine`: a short routine through the real server, scored from the client's side."""

from __future__ import annotations

import json

import pytest

from skillstream.models.synth.routine import write_routine
from skillstream.stream.bench import routine as bench

from .test_segmenter import parse


def test_report_through_the_command(capsys: pytest.CaptureFixture[str], tmp_path):
    truth = write_routine(tmp_path, 40, 11)[1]
    args = parse(["bench", "routine", "--json", "--routine", str(tmp_path), "--pace", "max"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == 1200 and result["skills_true"] == len(truth) and result["pace"] == "max"
    assert 0 <= result["f1"] <= 1 and result["latency_ms"]["median"] >= 0
    # A 40 s routine is short, but the pipeline must still find most of its skills.
    assert result["recall"] >= 0.75, result
    assert "F1" in bench.format_text(result)


def test_bars_need_latency_and_lateness_only_in_real_time():
    good = {"f1": 0.95, "label_accuracy": 0.95, "latency_ms": {"median": 20.0}, "lateness_s": {"max": 0.5}}
    assert bench._bars_met(good, "realtime") and bench._bars_met(good, "max")
    late = {**good, "lateness_s": {"max": 1.5}}
    assert not bench._bars_met(late, "realtime") and bench._bars_met(late, "max")
    slow = {**good, "latency_ms": {"median": 150.0}}
    assert not bench._bars_met(slow, "realtime")
    assert not bench._bars_met({**good, "f1": 0.85}, "max")


def test_score_measures_lateness_from_the_first_frame():
    start = {"type": "stream_start", "started_at": 1000.0, "fps": 30.0}
    skill = {"type": "skill", "is_skill": True, "label": "split_leap", "start_frame": 30, "end_frame": 60,
             "latency_ms": 5.0}
    end = {"type": "stream_end", "frames": 90}
    run = {"received": [(1000.0, start), (1002.5, skill), (1003.0, end)], "wall_s": 3.0}
    result = bench._score(run, [("split_leap", 31, 60)])
    assert result["f1"] == 1.0 and result["lateness_s"]["max"] == pytest.approx(0.5)
    assert result["latency_ms"]["median"] == 5.0 and result["frames_per_s"] == 30.0
