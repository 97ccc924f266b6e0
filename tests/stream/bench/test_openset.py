"""`skillstream bench openset`: real non-skill motion and routines through the rule's variants."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.stream.bench import openset as bench
from skillstream.stream.cli import bench as bench_command


def test_jhmdb_streams_join_every_clip_at_one_torso_size(shared_data):
    path = shared_data / "jhmdb" / "jhmdb_test_1.npz"
    streams = bench.jhmdb_streams(path, minutes=1.0, seed=0)
    frames = sum(len(keypoints) for _, keypoints, _ in streams)
    assert frames == 5918 and all(fps == 30.0 for _, _, fps in streams)  # the 176 clips of split 1's test file
    assert all(len(keypoints) >= 1800 for _, keypoints, _ in streams[:-1])  # about a minute each
    keypoints = streams[0][1]
    torso = np.linalg.norm(keypoints[:, 1, :2] - keypoints[:, 8, :2], axis=1)
    assert np.median(torso) == pytest.approx(bench.TORSO_PX, rel=0.1)
    assert [name for name, _, _ in streams] == [f"jhmdb_test_1#{n}" for n in range(len(streams))]


def test_a_short_run_reports_every_source_and_variant(shared_data):
    result = bench.bench_openset(load_config(), shared_data, routines=1, routine_seconds=60.0, videos=False)
    sources = result["sources"]
    assert {"jhmdb jhmdb_train_1", "jhmdb jhmdb_test_1"} <= sources.keys()
    assert any(name.startswith("openpose ") for name in sources)
    for row in sources.values():
        skills = row["false_skills"]
        assert set(skills) == set(bench.VARIANTS)
        # Every check only removes skills: the server's rule reports at most what each part does.
        assert skills["server"] <= min(skills["+gates"], skills["+ood"]) <= skills["threshold"] <= row["proposals"]
        assert sum(row["reasons"].values()) == row["proposals"]
        assert row["reasons"].get("skill", 0) == skills["server"] == sum(row["labels"].values())
    routine = result["routines"]
    assert routine["routines"] == 1 and all(0 <= routine[name]["f1"] <= 1 for name in bench.VARIANTS)
    assert result["minutes"] == pytest.approx(sum(row["minutes"] for row in sources.values()))
    text = bench.format_text(result)
    assert "all real motion" in text and "targets" in text


@pytest.mark.parametrize("argv", [["--stream-minutes", "-1"], ["--stream-minutes", "0"], ["--routines", "0"]])
def test_bad_arguments_are_refused_naming_the_option(argv, capsys):
    parser = argparse.ArgumentParser(prog="skillstream")
    bench_command.register(parser.add_subparsers(dest="command", required=True))
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "openset", *argv])
    assert f"argument {argv[0]}" in capsys.readouterr().err
