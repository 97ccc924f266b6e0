"""read_recording: truncated records are passed over, any other bad record named by file:line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from skillstream.stream.record import RECORDING_FILE, RecordingError, StreamRecorder, read_recording

META = {"source": "openpose:clips/a", "fps": 25.0, "width": 640, "height": 480}


def make_recording(root, frames: int = 4) -> tuple[StreamRecorder, list[bytes]]:
    """A recording of `frames` frames with an event after frame 1; returns it and its lines (with newlines)."""
    recorder = StreamRecorder(root, "cam", META)
    for index in range(frames):
        points = np.full((25, 3), index + 0.25, np.float32)  # (25, 3)
        points[:, 2] = 0.5
        recorder.write_frame(index, index / 25, points)
        if index == 1:
            recorder.write_event({"type": "segment_start", "frame": 1})
    recorder.close()
    return recorder, (recorder.path / RECORDING_FILE).read_bytes().splitlines(keepends=True)


def test_reads_what_was_written(tmp_path):
    recorder, _ = make_recording(tmp_path)
    recording = read_recording(recorder.path)
    assert recording.path == recorder.path and recording.stream_id == "cam" and recording.meta == META
    assert recording.index.tolist() == [0, 1, 2, 3]
    assert recording.ts.tolist() == [0.0, 0.04, 0.08, 0.12]
    assert recording.keypoints[:, 0].tolist() == [[0.25, 0.25, 0.5], [1.25, 1.25, 0.5],
                                                  [2.25, 2.25, 0.5], [3.25, 3.25, 0.5]]
    assert recording.events == [{"type": "segment_start", "frame": 1}]
    assert not recording.truncated


def test_a_recording_cut_anywhere_gives_its_complete_records(tmp_path):
    recorder, lines = make_recording(tmp_path)
    data = b"".join(lines)
    ends = np.cumsum([len(line) for line in lines])  # byte offset after each line
    file = recorder.path / RECORDING_FILE
    # Every 11th byte, and around every line's end (where a cut is or is not a whole record).
    near_ends = {end + step for end in ends.tolist() for step in (-2, -1, 0, 1)}
    for cut in sorted({*range(0, len(data), 11), *near_ends} - {len(data) + 1}):
        file.write_bytes(data[:cut])
        complete = int((ends <= cut).sum())  # lines whose newline was written
        if complete == 0:
            with pytest.raises(RecordingError, match="no meta record"):
                read_recording(recorder.path)
            continue
        recording = read_recording(recorder.path)
        frame_lines = [n for n in range(1, complete) if n != 3]  # line 3 (0-based) is the event
        assert recording.index.tolist() == [n - 1 if n < 3 else n - 2 for n in frame_lines], cut
        assert recording.events == ([{"type": "segment_start", "frame": 1}] if complete > 3 else []), cut
        assert recording.truncated == (cut != ends[complete - 1]), cut


@pytest.mark.parametrize("line, text, reason", [
    (3, b'{"i":1,"t":0.04,"k":[1,2', "malformed JSON"),
    (2, b"[0, 0.0, []]", "expected a JSON object, got list"),
    (4, b'{"x":1}', "not a frame or event record (keys: x)"),
    (4, b'{"e":[1]}', "an event must be a JSON object"),
    (3, b'{"i":1,"t":0.04,"k":[' + b"1," * 73 + b"1]}", "'k' must be a list of 75 numbers"),
    (3, b'{"i":1,"t":0.04,"k":[' + b"1," * 74 + b'"1"]}', "'k' must be a list of 75 numbers"),
    (3, b'{"i":0,"t":0.04,"k":[' + b"1," * 74 + b"1]}", "frame index must be an integer above the previous one (0)"),
    (3, b'{"i":1.0,"t":0.04,"k":[' + b"1," * 74 + b"1]}", "frame index must be an integer"),
    (5, b'{"i":2,"t":0.01,"k":[' + b"1," * 74 + b"1]}", "ts must be a number not below the previous one (0.04)"),
    (3, b'{"i":1,"t":NaN,"k":[' + b"1," * 74 + b"1]}", "malformed JSON (NaN is not a number"),
    (3, b'{"i":1,"t":1e999,"k":[' + b"1," * 74 + b"1]}", "ts must be a number"),
    (5, b'{"i":2,"t":0.08,"k":[1e39,' + b"1," * 73 + b"1]}", "keypoint values must be finite float32 numbers"),
    (1, b'{"version":2,"stream":"cam","meta":{}}', 'expected the meta record {"version": 1'),
    (1, b'{"i":0,"t":0.0,"k":[]}', "expected the meta record"),
])
def test_a_bad_record_is_named_by_file_and_line(tmp_path, line, text, reason):
    recorder, lines = make_recording(tmp_path)
    lines[line - 1] = text + b"\n"
    (recorder.path / RECORDING_FILE).write_bytes(b"".join(lines))
    with pytest.raises(RecordingError, match=re.escape(f"{recorder.path / RECORDING_FILE}:{line}: {reason}")):
        read_recording(recorder.path)


def test_a_bad_last_line_with_its_newline_is_an_error(tmp_path):
    recorder, lines = make_recording(tmp_path)
    (recorder.path / RECORDING_FILE).write_bytes(b"".join(lines) + b'{"i":4\n')
    with pytest.raises(RecordingError, match=re.escape(f"{RECORDING_FILE}:{len(lines) + 1}: malformed JSON")):
        read_recording(recorder.path)


def test_no_recording_folder(tmp_path):
    with pytest.raises(RecordingError, match=re.escape(f"{tmp_path / 'nothing'}: no such recording folder")):
        read_recording(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordingError, match=re.escape(f"{tmp_path / 'empty'}: no {RECORDING_FILE} "
                                                       "(not a recording folder)")):
        read_recording(tmp_path / "empty")
    make_recording(tmp_path / "root")
    make_recording(tmp_path / "root")
    with pytest.raises(RecordingError, match=r"the folder `--record` wrote; replay one stream's folder inside it "
                                             r"\(cam, cam\.2\)"):
        read_recording(tmp_path / "root")
