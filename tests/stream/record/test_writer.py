"""StreamRecorder: exact lines, exact round trip, fresh folders, and what a kill -9 leaves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

from skillstream.config import ConfigError
from skillstream.stream.record import RECORDING_FILE, StreamRecorder, read_recording, round_keypoints
from tests.conftest import REPO, scaled_timeout

META = {"source": "synth:?seed=0", "fps": 30.0, "width": 1280, "height": 720}


def frame_keypoints(index: int) -> np.ndarray:
    """Frame `index` of the test streams: unrounded values, one point missing."""
    points = np.empty((25, 3), np.float32)  # (25, 3)
    points[:, 0] = index + np.arange(25) / 7
    points[:, 1] = 720 - index / 3 - np.arange(25) / 11
    points[:, 2] = np.arange(25) / 24.5
    points[4] = 0  # a missing point is (0, 0, 0)
    return points


def test_lines_are_compact_and_rounded(tmp_path):
    recorder = StreamRecorder(tmp_path, "beam", META)
    points = np.zeros((25, 3), np.float32)
    points[0] = 1.234, 5.678, 0.98765
    points[24] = -0.001, 719.999, 0.0004
    recorder.write_frame(3, 0.1, points)
    recorder.write_event({"type": "segment_start", "stream": "beam", "frame": 3})
    recorder.close()
    head, frame, event, end = (recorder.path / RECORDING_FILE).read_text().split("\n")
    assert json.loads(head)["version"] == 1 and json.loads(head)["stream"] == "beam"
    assert json.loads(head)["meta"] == META
    assert frame == ('{"i":3,"t":0.1,"k":[1.23,5.68,0.988,' + "0.00,0.00,0.000," * 23
                     + '-0.00,720.00,0.000]}')
    assert event == '{"e":{"type":"segment_start","stream":"beam","frame":3}}'
    assert end == ""


def test_round_trip_is_exact_to_the_rounding(tmp_path):
    recorder = StreamRecorder(tmp_path, "beam", META)
    indices = [0, 1, 2, 5, 6, 40]  # a live source's gaps stay
    times = [0.0, 1 / 3, 0.7000000000000001, 1.9, 2.25, 13.333333333333334]
    events = [{"type": "segment_start", "frame": 1}, {"type": "skill", "label": "leap", "confidence": 0.875}]
    for number, (index, ts) in enumerate(zip(indices, times)):
        recorder.write_frame(index, ts, frame_keypoints(index))
        if number in (1, 4):
            recorder.write_event(events[number // 4])
    recorder.close()
    recording = read_recording(recorder.path)
    original = np.stack([frame_keypoints(index) for index in indices])  # (T, 25, 3)
    assert recording.stream_id == "beam" and recording.meta == META and recording.events == events
    assert recording.index.dtype == np.int64 and recording.index.tolist() == indices
    assert recording.ts.dtype == np.float64 and recording.ts.tolist() == times  # exact floats
    assert recording.keypoints.dtype == np.float32 and recording.keypoints.shape == (6, 25, 3)
    np.testing.assert_array_equal(recording.keypoints, round_keypoints(original))
    assert np.abs(recording.keypoints[..., :2] - original[..., :2]).max() <= 0.005 + 1e-4
    assert np.abs(recording.keypoints[..., 2] - original[..., 2]).max() <= 0.0005 + 1e-6
    assert not recording.truncated


def test_rounded_keypoints_are_kept_exactly(tmp_path):
    rounded = round_keypoints(np.stack([frame_keypoints(index) for index in range(30)]))  # (30, 25, 3)
    recorder = StreamRecorder(tmp_path, "beam", META)
    for index, points in enumerate(rounded):
        recorder.write_frame(index, index / 30, points)
    recorder.close()
    np.testing.assert_array_equal(read_recording(recorder.path).keypoints, rounded)
    np.testing.assert_array_equal(round_keypoints(rounded), rounded)


def test_an_existing_recording_is_never_overwritten(tmp_path):
    first = StreamRecorder(tmp_path / "rec", "beam", META)
    first.write_frame(0, 0.0, frame_keypoints(0))
    first.close()
    before = (first.path / RECORDING_FILE).read_bytes()
    second = StreamRecorder(tmp_path / "rec", "beam", META)
    third = StreamRecorder(tmp_path / "rec", "beam", META)
    second.close()
    third.close()
    assert [first.path, second.path, third.path] == [tmp_path / "rec" / name for name in ("beam", "beam.2", "beam.3")]
    assert (first.path / RECORDING_FILE).read_bytes() == before


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="stream id"):
        StreamRecorder(tmp_path, "../elsewhere", META)
    with pytest.raises(TypeError):
        StreamRecorder(tmp_path, "beam", {"fps": np.float32(30)})
    assert list(tmp_path.iterdir()) == []  # nothing left behind by refused recorders
    recorder = StreamRecorder(tmp_path, "beam", META)
    with pytest.raises(ValueError, match=r"shape \(25, 3\)"):
        recorder.write_frame(0, 0.0, np.zeros((24, 3), np.float32))
    points = frame_keypoints(0)
    points[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        recorder.write_frame(0, 0.0, points)
    with pytest.raises(ValueError, match="finite"):
        recorder.write_frame(0, float("inf"), frame_keypoints(0))
    with pytest.raises(ValueError):
        recorder.write_event({"confidence": float("nan")})
    recorder.close()
    recorder.close()  # idempotent
    with pytest.raises(ValueError):
        recorder.write_frame(0, 0.0, frame_keypoints(0))
    assert read_recording(recorder.path).index.tolist() == []  # only the meta line was written


_RECORDING_CHILD = """
import sys
from pathlib import Path
from tests.stream.record.test_writer import META, frame_keypoints
from skillstream.stream.record import StreamRecorder
recorder = StreamRecorder(Path(sys.argv[1]), "beam", META)
index = 0
while True:
    recorder.write_frame(index, index / 30, frame_keypoints(index))
    if index % 7 == 3:
        recorder.write_event({"type": "skill", "frame": index})
    if index == 200:
        print("recording", flush=True)
    index += 1
"""


def test_a_killed_recorder_leaves_a_readable_recording(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", _RECORDING_CHILD, str(tmp_path)], stdout=subprocess.PIPE,
                             text=True, cwd=REPO)
    try:
        assert child.stdout.readline() == "recording\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=scaled_timeout(10))
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    recording = read_recording(tmp_path / "beam")
    count = len(recording.index)
    assert count > 200
    assert recording.index.tolist() == list(range(count))
    assert recording.ts.tolist() == [index / 30 for index in range(count)]
    np.testing.assert_array_equal(recording.keypoints,
                                  round_keypoints(np.stack([frame_keypoints(i) for i in range(count)])))
    # Each event follows its frame: the kill may have come between the last frame and its event.
    expected = [index for index in range(count) if index % 7 == 3]
    frames_of_events = [event["frame"] for event in recording.events]
    assert frames_of_events in (expected, expected[:-1])
