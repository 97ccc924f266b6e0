"""`skillstream synth`: datasets, routines, options, errors."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.npz import read_npz
from skillstream.models.keypoints.openpose_json import read_openpose_folder
from skillstream.models.synth import SKILL_NAMES, clip_rng, generate_clip


@pytest.fixture
def run_synth(run_cli):
    return functools.partial(run_cli, "synth")


def test_a_small_dataset(run_synth, tmp_path: Path) -> None:
    status, out, err = run_synth("--out", tmp_path, "--clips-per-class", 2, "--background-clips", 1,
                                 "--seed", 4, "--workers", 1)
    assert status == 0 and err == ""
    assert out.startswith("synth: 21 clips (full_turn 2, ") and "background 1" in out and out.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted((*SKILL_NAMES, "background"))
    clip = read_npz(tmp_path / "cartwheel" / "cartwheel_0001.npz")
    np.testing.assert_array_equal(clip.keypoints, generate_clip("cartwheel", clip_rng(4, "cartwheel", 1)).keypoints)
    assert clip.source == str(tmp_path / "cartwheel" / "cartwheel_0001.npz")


def test_openpose_format_and_options(run_synth, tmp_path: Path) -> None:
    status, out, _ = run_synth("--out", tmp_path, "--clips-per-class", 1, "--format", "openpose",
                               "--yaw", "-75:-30,30:75", "--detector-scale", 0, "--workers", 2)
    assert status == 0
    clip = read_openpose_folder(tmp_path / "split_leap" / "split_leap_0000")
    assert clip.label == "split_leap" and (clip.width, clip.height) == (1280, 720)
    # --detector-scale 0: nothing lost but what leaves the frame.
    assert np.mean(clip.keypoints[..., 2] > 0) > 0.97


def test_a_routine(run_synth, tmp_path: Path) -> None:
    status, out, _ = run_synth("--out", tmp_path, "--routine", 12, "--seed", 1)
    assert status == 0 and out.startswith("synth: routine of 360 frames (12 s) with ")
    segments = json.loads((tmp_path / "segments.json").read_text())
    assert all(set(s) == {"label", "start_frame", "end_frame"} for s in segments)
    assert len(read_openpose_folder(tmp_path)) == 360
    status, _, _ = run_synth("--out", tmp_path / "n", "--routine", 12, "--format", "npz", "--inverted-loss", 0.9)
    assert status == 0 and len(read_npz(tmp_path / "n" / "routine.npz")) == 360


@pytest.mark.parametrize("args, message", [
    (("--clips-per-class", "-1"), "must not be negative"),
    (("--detector-scale", "-2"), "--detector-scale"),
    (("--inverted-loss", "1.5"), "--inverted-loss"),
    (("--routine", "3"), "--routine"),
    (("--workers", "-1"), "--workers"),
])
def test_bad_values_are_reported(run_synth, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    status, out, err = run_synth("--out", tmp_path, *args)
    assert status == 2 and out == "" and message in err and err.startswith("skillstream synth: error:")


def test_a_folder_that_is_not_empty_is_refused(run_synth, tmp_path: Path) -> None:
    (tmp_path / "cartwheel").mkdir()
    (tmp_path / "cartwheel" / "cartwheel_0007.npz").write_bytes(b"an earlier run")
    status, out, err = run_synth("--out", tmp_path, "--clips-per-class", 1)
    assert status == 2 and out == "" and f"{tmp_path}: exists and is not an empty folder" in err
    assert [p.name for p in tmp_path.rglob("*")] == ["cartwheel", "cartwheel_0007.npz"]


def test_bad_yaw_is_a_usage_error(run_synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_synth("--out", tmp_path, "--yaw", "30:-30")
    assert exit_info.value.code == 2
    assert "MIN <= MAX" in capsys.readouterr().err
