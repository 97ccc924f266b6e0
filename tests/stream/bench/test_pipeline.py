"""`skillstream bench pipeline`: a short run through the real server subprocess."""

from __future__ import annotations

import argparse
import json
import time

import pytest

from skillstream.stream.bench import pipeline as bench

from .test_segmenter import parse


def test_report_through_the_command(capsys: pytest.CaptureFixture[str]):
    args = parse(["bench", "pipeline", "--json", "--streams", "2,6", "--seconds", "4", "--routine-seconds", "20",
                  "--clients-per-stream", "2"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert [step["streams"] for step in result["steps"]] == [2, 6]
    for step in result["steps"]:
        assert step["held"] and step["worst_lag_s"] <= bench.MAX_LAG_S
        assert step["server_cores"] >= 0 and step["rss_mb"] > 100 and step["worker_rss_mb"] > 100
        assert step["clients"]["scoreboards"] == 2 * step["streams"]
        assert step["clients"]["connected"] == 2 * step["streams"] + 1  # and the watcher
        assert step["clients"]["skills_missing"] == 0 and step["clients"]["events_skipped"] == 0
        assert step["stages_ms"]["segmenter_per_frame"] > 0
    # A few streams cost the stepper so little CPU that one 4 s step can read
    # as a clock tick or none (10 ms ticks); the steps together must show it.
    assert sum(step["server_cores"] for step in result["steps"]) > 0
    assert result["largest_streams_held"] == 6 and result["soak"] is None
    assert "largest number of streams that held: 6" in bench.format_text(result)


def test_soak_samples_memory_at_the_start_and_each_minute(capsys: pytest.CaptureFixture[str]):
    args = parse(["bench", "pipeline", "--json", "--streams", "2", "--routine-seconds", "10", "--soak-minutes", "0.1"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["steps"] == [] and [sample["minute"] for sample in result["soak"]] == [0.0, 0.1]
    assert all(sample["rss_mb"] > 100 and sample["worst_lag_s"] <= bench.MAX_LAG_S for sample in result["soak"])
    assert all(sample["history_mb"] >= 0 for sample in result["soak"])
    assert "soak: from minute 0.1 to 0.1: RSS" in bench.format_text(result)


class FakeScoreboard:
    def __init__(self, stream, skills):
        self.stream, self.skills = stream, set(skills)


def test_a_scoreboard_misses_only_settled_skills_it_lacks():
    watcher = bench._Watcher(None)
    now = time.monotonic()
    watcher.skills = {"a": {10: now - 5, 20: now - 2, 30: now}, "b": {7: now - 5}}  # 30 is still in flight
    boards = [FakeScoreboard("a", {10, 20}), FakeScoreboard("a", {10}), FakeScoreboard("b", set())]
    assert bench._missing(watcher, boards) == (5, 2)


def test_lag_is_the_time_a_replay_is_behind():
    status = {"server_time": 110.0, "frames_in": 240}
    assert bench._lag_s(status, 100.0) == pytest.approx(2.0)  # 10 s since the first frame, 8 s of frames taken
    assert bench._lag_s(status, None) == 0.0 and bench._lag_s({**status, "frames_in": 300}, 100.0) == 0.0


@pytest.mark.parametrize("text", ["5,2", "0,4", "ten", "3,3"])
def test_stream_counts_must_ascend(text):
    with pytest.raises(argparse.ArgumentTypeError, match="stream counts"):
        bench.stream_counts(text)
    assert bench.stream_counts("2,6,10") == [2, 6, 10]


@pytest.mark.parametrize("argv, reason", [
    (["--soak-minutes", "-2"], "expected minutes above 0, got '-2'"),
    (["--soak-minutes", "nan"], "expected minutes above 0, got 'nan'"),
    (["--clients-per-stream", "-1"], "expected an integer of at least 0, got -1"),
    (["--history-events", "0"], "expected a positive integer, got 0"),
])
def test_bad_options_are_usage_errors(argv, reason, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as stopped:
        parse(["bench", "pipeline", *argv])
    assert stopped.value.code == 2 and reason in capsys.readouterr().err


def test_a_soak_takes_one_stream_count():
    args = parse(["bench", "pipeline", "--streams", "2,4", "--soak-minutes", "1"])
    with pytest.raises(SystemExit, match="--soak-minutes takes one stream count"):
        args.handler(args)
