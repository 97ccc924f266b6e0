"""synth: source: the seeded routine, looping with increasing index and ts, rounded as recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.models.synth import generate_routine
from skillstream.stream.record import StreamRecorder, read_recording, round_keypoints
from skillstream.stream.sources import SourceError, create_source
from tests.conftest import scaled_timeout

OPTIONS = dataclasses.replace(load_config().source_options, synth_seconds=10.0)


def routine_keypoints(seed: int, seconds: float) -> np.ndarray:
    """The routine `skillstream synth --routine SECONDS --seed SEED` writes, rounded as recorded."""
    sample, _ = generate_routine(seconds, np.random.default_rng(np.random.SeedSequence([seed])))
    return round_keypoints(sample.clip.keypoints)  # (T, 25, 3)


async def first_frames(uri: str, count: int, options=OPTIONS):
    source = create_source(uri, options)
    await source.start()
    frames = [await source.recv() for _ in range(count)]
    return source, frames


def test_the_routine_loops_with_index_and_ts_going_on():
    expected = routine_keypoints(seed=3, seconds=10)  # (300, 25, 3)
    length = len(expected)
    assert length == 300
    source, frames = asyncio.run(first_frames("synth:?seed=3&seconds=10&pace=max", 2 * length + 2))
    assert [frame.index for frame in frames] == list(range(2 * length + 2))
    assert [frame.ts for frame in frames] == [k / 30 for k in range(2 * length + 2)]
    got = np.stack([frame.keypoints for frame in frames])  # (602, 25, 3)
    np.testing.assert_array_equal(got, expected[np.arange(2 * length + 2) % length])
    assert (source.fps, source.width, source.height, source.state, source.live) == (30.0, 1280, 720, "live", False)


def test_seed_and_default_length():
    _, frames = asyncio.run(first_frames("synth:?pace=max", 301))  # seed 0, source_options.synth_seconds
    expected = routine_keypoints(seed=0, seconds=OPTIONS.synth_seconds)
    np.testing.assert_array_equal(frames[0].keypoints, expected[0])
    np.testing.assert_array_equal(frames[300].keypoints, expected[0])  # 10 s = 300 frames, then again
    _, other = asyncio.run(first_frames("synth:?seed=1&pace=max", 1))
    assert not np.array_equal(other[0].keypoints, frames[0].keypoints)


def test_real_time_pace_by_default():
    async def timed() -> float:
        source = create_source("synth:?seed=0", OPTIONS)
        await source.start()
        await source.recv()
        started = time.monotonic()
        for _ in range(3):
            await source.recv()
        return time.monotonic() - started

    assert 0.1 - 0.01 <= asyncio.run(timed()) < 0.1 + scaled_timeout(0.15)  # frame 3 is due 3/30 s after frame 0


def test_a_recording_of_it_replays_exactly(tmp_path):
    source, frames = asyncio.run(first_frames("synth:?seed=2&pace=max", 40))
    recorder = StreamRecorder(tmp_path, "demo", {"source": source.uri.text, "fps": source.fps,
                                                 "width": source.width, "height": source.height})
    for frame in frames:
        recorder.write_frame(frame.index, frame.ts, frame.keypoints)
    recorder.close()
    recording = read_recording(recorder.path)
    np.testing.assert_array_equal(recording.keypoints, np.stack([frame.keypoints for frame in frames]))
    assert recording.ts.tolist() == [frame.ts for frame in frames]


@pytest.mark.parametrize("uri, reason", [
    ("synth:?seed=-1", "seed must be a non-negative integer, got '-1'"),
    ("synth:?seed=1.5", "seed must be a non-negative integer, got '1.5'"),
    ("synth:?seconds=9", "seconds must be a number from 10 to 3600, got '9'"),
    ("synth:?seconds=3601", "seconds must be a number from 10 to 3600, got '3601'"),
    ("synth:?pace=fast", "pace must be one of realtime, max, got 'fast'"),
    ("synth:?seed=0&fps=60", "unknown option 'fps' (this source takes: seed, seconds, pace)"),
    ("synth:routine", "synth takes no path (write synth:?seed=S)"),
])
def test_bad_options_are_refused_when_created(uri, reason):
    with pytest.raises(SourceError, match=re.escape(f"{uri!r}: {reason}")):
        create_source(uri, OPTIONS)
