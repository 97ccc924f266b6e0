"""`bench pose` on synthetic clips with the exact dot detector of the rotation tests, and its CLI on real video."""

import dataclasses
import json

import pytest

from skillstream.config import load_config
from skillstream.stream.bench import pose as bench
from skillstream.stream.pose.rotation import RotatingBackend
from tests.stream.pose.test_rotation import HEIGHT, INVERTED_BODY, DotBackend, body_image

UPRIGHT_BODY = {name: (x, HEIGHT - 1 - y) for name, (x, y) in INVERTED_BODY.items()}


def dot_factory(settings):
    return RotatingBackend(DotBackend()) if settings.test_time_rotation else DotBackend()


def test_bench_pose_counts_frames_detections_and_the_inverted_experiment():
    clips = {"walk.mp4": [body_image(UPRIGHT_BODY)] * 4 + [body_image({})]}
    result = bench.bench_pose(clips, load_config().pose, streams=3, backend_factory=dot_factory)
    assert result["backend"] == "dots+rotation" and result["test_time_rotation"] is True
    assert result["videos"] == [{"name": "walk.mp4", "frames": 5, "width": 64, "height": 48}]
    one, multi = result["one_stream"], result["streams"]
    assert one["frames"] == 4 and one["detection_rate"] == 0.75  # the first frame is not timed
    assert multi["count"] == 3 and multi["frames"] == 12 and multi["detection_rate"] == 0.75
    assert one["fps"] > 0 and 0 < one["p50_ms"] <= one["p99_ms"]
    rows = {(row["orientation"], row["rotation"]): row for row in result["inverted"]}
    assert rows[("upright", False)]["detection_rate"] == 0.8 and rows[("upright", False)]["median_error_px"] == 0
    assert rows[("inverted", False)]["detection_rate"] == 0.0
    assert rows[("inverted", False)]["median_error_px"] is None
    inverted = rows[("inverted", True)]
    assert inverted["detection_rate"] == 0.8 and inverted["rotated_share"] == 0.8
    assert inverted["median_error_px"] == 0 and inverted["median_error_body"] == 0  # labels kept, pixels exact
    text = bench.format_text(result)
    assert "1 stream" in text and "3 streams" in text and len(text.splitlines()) == 6 + 4 + 1


def test_bench_pose_without_rotation():
    settings = dataclasses.replace(load_config().pose, test_time_rotation=False)
    clips = {"flip.mp4": [body_image(INVERTED_BODY)] * 3}
    result = bench.bench_pose(clips, settings, streams=1, backend_factory=dot_factory)
    assert result["backend"] == "dots" and result["one_stream"]["detection_rate"] == 0.0


def test_load_clips(shared_data):
    clips = bench.load_clips([str(shared_data / "videos" / "pose2sim_cam01.mp4")], 3)
    assert list(clips) == ["pose2sim_cam01.mp4"]
    assert [image.shape for image in clips["pose2sim_cam01.mp4"]] == [(1920, 1080, 3)] * 3


def test_load_clips_names_a_bad_file(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("x")
    with pytest.raises(ValueError, match="bad.mp4"):
        bench.load_clips([str(bad)], 3)


def test_cli_json_on_real_video(shared_data, capsys):
    import argparse

    from skillstream.stream.cli import bench as cli

    parser = argparse.ArgumentParser(prog="skillstream")
    cli.register(parser.add_subparsers(dest="command", required=True))
    video = str(shared_data / "videos" / "pose2sim_cam01.mp4")
    args = parser.parse_args(["bench", "pose", "--json", "--video", video, "--frames", "3", "--streams", "1"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["backend"] == "mediapipe+rotation" and result["one_stream"]["frames"] == 2
    assert len(result["inverted"]) == 4 and result["target"]["fps"] == 25.0
