"""`skillstream bench pipeline`: a short run through the real server subprocess."""

from __future__ import annotations

import argparse
import json

import pytest

from skillstream.stream.bench import pipeline as bench

from .test_segmenter import parse


def test_report_through_the_command(capsys: pytest.CaptureFixture[str]):
    args = parse(["bench", "pipeline", "--json", "--streams", "2,6", "--seconds", "4", "--routine-seconds", "20"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert [step["streams"] for step in result["steps"]] == [2, 6]
    for step in result["steps"]:
        assert step["held"] and step["worst_lag_s"] <= bench.MAX_LAG_S
        assert step["server_cores"] > 0 and step["rss_mb"] > 100
    assert result["largest_streams_held"] == 6
    assert "largest number of streams that held: 6" in bench.format_text(result)


def test_lag_is_the_time_a_replay_is_behind():
    status = {"server_time": 110.0, "frames_in": 240}
    assert bench._lag_s(status, 100.0) == pytest.approx(2.0)  # 10 s since the first frame, 8 s of frames taken
    assert bench._lag_s(status, None) == 0.0 and bench._lag_s({**status, "frames_in": 300}, 100.0) == 0.0


@pytest.mark.parametrize("text", ["5,2", "0,4", "ten", "3,3"])
def test_stream_counts_must_ascend(text):
    with pytest.raises(argparse.ArgumentTypeError, match="stream counts"):
        bench.stream_counts(text)
    assert bench.stream_counts("2,6,10") == [2, 6, 10]
