"""record:DIR source: recorded index and ts, pacing, truncated and bad recordings."""

from __future__ import annotations

import asyncio
import re
import time

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.stream.record import RECORDING_FILE, StreamRecorder
from skillstream.stream.sources import SourceEnded, SourceError, create_source
from tests.conftest import scaled_timeout

OPTIONS = load_config().source_options
META = {"source": "camera:0", "fps": 30.0, "width": 1280, "height": 720}
INDICES = [0, 1, 4, 5, 9]  # a live source dropped frames 2, 3, 6-8
TIMES = [0.0, 0.034, 0.141, 0.166, 0.2]


def keypoints(index: int) -> np.ndarray:
    points = np.zeros((25, 3), np.float32)  # (25, 3)
    points[:, 0] = 300 + index + np.arange(25) * 0.25
    points[:, 1] = 400 - np.arange(25) * 0.5
    points[:, 2] = 0.75
    return points


def record(root, meta=META) -> StreamRecorder:
    recorder = StreamRecorder(root, "cam", meta)
    for index, ts in zip(INDICES, TIMES):
        recorder.write_frame(index, ts, keypoints(index))
        recorder.write_event({"type": "pose", "frame": index})
    recorder.close()
    return recorder


async def replay(uri: str) -> tuple[object, list]:
    source = create_source(uri, OPTIONS)
    await source.start()
    frames = []
    while True:
        try:
            frames.append(await source.recv())
        except SourceEnded:
            return source, frames


def test_replays_the_recorded_frames(tmp_path):
    recorder = record(tmp_path)
    source, frames = asyncio.run(replay(f"record:{recorder.path}?pace=max"))
    assert [frame.index for frame in frames] == INDICES
    assert [frame.ts for frame in frames] == TIMES
    np.testing.assert_array_equal(np.stack([frame.keypoints for frame in frames]),
                                  np.stack([keypoints(index) for index in INDICES]))
    assert (source.fps, source.width, source.height, source.state, source.live) == (30.0, 1280, 720, "ended", False)


def test_realtime_pace_follows_the_recorded_times(tmp_path):
    recorder = record(tmp_path)

    async def timed() -> float:
        source = create_source(f"record:{recorder.path}", OPTIONS)
        await source.start()
        await source.recv()
        started = time.monotonic()
        for _ in INDICES[1:]:
            await source.recv()
        return time.monotonic() - started

    assert 0.2 - 0.01 <= asyncio.run(timed()) < 0.2 + scaled_timeout(0.15)


def test_a_truncated_last_record_is_passed_over(tmp_path):
    recorder = record(tmp_path)
    with open(recorder.path / RECORDING_FILE, "ab") as file:
        file.write(b'{"i":10,"t":0.23,"k":[301.00,40')  # the server was killed mid-write
    _, frames = asyncio.run(replay(f"record:{recorder.path}?pace=max"))
    assert [frame.index for frame in frames] == INDICES


def test_an_empty_recording_ends_at_once(tmp_path):
    recorder = StreamRecorder(tmp_path, "cam", META)
    recorder.close()
    _, frames = asyncio.run(replay(f"record:{recorder.path}"))
    assert frames == []


def test_bad_recordings_name_the_uri_the_line_and_the_reason(tmp_path):
    recorder = record(tmp_path / "a")
    file = recorder.path / RECORDING_FILE
    lines = file.read_bytes().splitlines(keepends=True)
    lines[3] = b'{"i":0,"t":0.0,"k":[]}\n'
    file.write_bytes(b"".join(lines))
    uri = f"record:{recorder.path}"
    with pytest.raises(SourceError, match=re.escape(f"{uri!r}: {file}:4: frame index must be an integer above "
                                                    "the previous one (0)")):
        asyncio.run(replay(uri))
    recorder = record(tmp_path / "b", {**META, "fps": "30"})
    uri = f"record:{recorder.path}"
    with pytest.raises(SourceError, match=re.escape(f"{uri!r}: {recorder.path / RECORDING_FILE}:1: meta 'fps' "
                                                    "must be a finite non-negative number, got '30'")):
        asyncio.run(replay(uri))
    uri = f"record:{tmp_path / 'a'}"
    with pytest.raises(SourceError, match=re.escape(f"{uri!r}: {tmp_path / 'a'}: no {RECORDING_FILE}: this is "
                                                    "the folder `--record` wrote; replay one stream's folder "
                                                    "inside it (cam)")):
        asyncio.run(replay(uri))


@pytest.mark.parametrize("uri, reason", [
    ("record:rec/cam?fps=30", "unknown option 'fps' (this source takes: pace)"),
    ("record:rec/cam?pace=slow", "pace must be one of realtime, max, got 'slow'"),
    ("record:", "no path: expected record:DIR"),
])
def test_bad_options_are_refused_when_created(uri, reason):
    with pytest.raises(SourceError, match=re.escape(f"{uri!r}: {reason}")):
        create_source(uri, OPTIONS)
