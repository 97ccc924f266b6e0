"""openpose:DIR and npz:PATH sources: frames, times, pacing, errors."""

from __future__ import annotations

import asyncio
import json
import re
import time

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.npz import write_npz
from skillstream.models.keypoints.openpose_json import SEGMENTS_NAME, SIDECAR_NAME, write_openpose_folder
from skillstream.stream.sources import Frame, SourceEnded, SourceError, create_source
from skillstream.stream.sources import keypoints as keypoints_module
from tests.conftest import scaled_timeout

OPTIONS = load_config().source_options


def make_clip(frames: int = 5, fps: float = 25.0) -> Clip:
    """A clip whose values survive the OpenPose writer's 2 and 3 decimals exactly."""
    points = np.zeros((frames, 25, 3), np.float32)  # (T, 25, 3)
    points[..., 0] = 100 + np.arange(frames)[:, None] + np.arange(25) / 4
    points[..., 1] = 200 + np.arange(25) / 2
    points[..., 2] = 0.5
    points[-1, 7] = 0  # a missing point
    return Clip(points, fps, 640, 480, label="leap", source="test")


async def drain(source, limit: int = 1000) -> list[Frame]:
    """Every frame up to SourceEnded (at most `limit`)."""
    frames = []
    while len(frames) < limit:
        try:
            frames.append(await source.recv())
        except SourceEnded:
            return frames
    raise AssertionError(f"no SourceEnded after {limit} frames")


async def replay(uri: str) -> tuple[object, list[Frame]]:
    source = create_source(uri, OPTIONS)
    await source.start()
    frames = await drain(source)
    return source, frames


def test_openpose_folder_replays_every_frame(tmp_path):
    clip = make_clip()
    write_openpose_folder(clip, tmp_path / "clip")
    (tmp_path / "clip" / SEGMENTS_NAME).write_text('[{"label": "leap", "start_frame": 1, "end_frame": 3}]')
    source, frames = asyncio.run(replay(f"openpose:{tmp_path / 'clip'}?pace=max"))
    assert [frame.index for frame in frames] == [0, 1, 2, 3, 4]
    assert [frame.ts for frame in frames] == [0.0, 0.04, 0.08, 0.12, 0.16]
    assert all(frame.image is None and frame.keypoints.dtype == np.float32 for frame in frames)
    np.testing.assert_array_equal(np.stack([frame.keypoints for frame in frames]), clip.keypoints)
    assert (source.fps, source.width, source.height, source.state, source.live) == (25.0, 640, 480, "ended", False)
    assert not frames[0].keypoints.flags.writeable  # a consumer cannot corrupt the clip


def test_fps_from_the_clip_else_the_parameter_else_30(tmp_path):
    write_openpose_folder(make_clip(frames=3), tmp_path / "clip")
    (tmp_path / "clip" / SIDECAR_NAME).unlink()  # OpenPose itself writes no frame rate
    source, frames = asyncio.run(replay(f"openpose:{tmp_path / 'clip'}?fps=10&pace=max"))
    assert [frame.ts for frame in frames] == [0.0, 0.1, 0.2] and source.fps == 10.0
    source, frames = asyncio.run(replay(f"openpose:{tmp_path / 'clip'}?pace=max"))
    assert [frame.ts for frame in frames] == [0.0, 1 / 30, 2 / 30] and source.fps == 30.0
    write_npz(make_clip(frames=3, fps=50.0), tmp_path / "clip.npz")
    source, frames = asyncio.run(replay(f"npz:{tmp_path / 'clip.npz'}?fps=10&pace=max"))  # the file says 50
    assert [frame.ts for frame in frames] == [0.0, 0.02, 0.04] and source.fps == 50.0


def test_npz_clip_replays_every_frame(tmp_path):
    clip = make_clip(frames=4)
    clip.keypoints[1, 3, 0] = 123.456789  # .npz keeps float32 exactly
    write_npz(clip, tmp_path / "clip.npz")
    _, frames = asyncio.run(replay(f"npz:{tmp_path / 'clip.npz'}?pace=max"))
    assert [frame.index for frame in frames] == [0, 1, 2, 3]
    np.testing.assert_array_equal(np.stack([frame.keypoints for frame in frames]), clip.keypoints)


def test_a_looping_clip_starts_again_with_increasing_index_and_time(tmp_path):
    clip = make_clip(frames=3, fps=25.0)
    write_npz(clip, tmp_path / "clip.npz")

    async def first_frames():
        source = create_source(f"npz:{tmp_path / 'clip.npz'}?pace=max&loop=true", OPTIONS)
        await source.start()
        return [await source.recv() for _ in range(7)]

    frames = asyncio.run(first_frames())
    assert [frame.index for frame in frames] == list(range(7))
    assert [frame.ts for frame in frames] == [k / 25.0 for k in range(7)]
    np.testing.assert_array_equal(np.stack([frame.keypoints for frame in frames]), clip.keypoints[[0, 1, 2, 0, 1, 2, 0]])


def test_realtime_pace_releases_frames_at_their_times(tmp_path):
    write_npz(make_clip(frames=5, fps=20.0), tmp_path / "clip.npz")

    async def timed() -> tuple[list[Frame], float]:
        source = create_source(f"npz:{tmp_path / 'clip.npz'}", OPTIONS)
        await source.start()
        first = await source.recv()
        started = time.monotonic()
        rest = await drain(source)
        return [first, *rest], time.monotonic() - started

    frames, elapsed = asyncio.run(timed())
    assert len(frames) == 5
    assert 0.2 - 0.01 <= elapsed < 0.2 + scaled_timeout(0.15)  # frame 4 is due 4/20 s after frame 0


def test_start_reads_in_a_worker_thread(tmp_path, monkeypatch):
    clip = make_clip(frames=2)

    def slow_read(path, fps):
        time.sleep(0.2)
        return clip

    monkeypatch.setattr(keypoints_module, "read_npz", slow_read)

    async def ticks_during_start() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await create_source("npz:any.npz", OPTIONS).start()
        task.cancel()
        return ticks

    assert asyncio.run(ticks_during_start()) >= 5  # the loop kept running while the file was read


def test_recv_before_start_and_after_stop(tmp_path):
    write_npz(make_clip(frames=3), tmp_path / "clip.npz")

    async def run() -> None:
        source = create_source(f"npz:{tmp_path / 'clip.npz'}?pace=max", OPTIONS)
        with pytest.raises(RuntimeError, match="before start"):
            await source.recv()
        await source.start()
        assert (await source.recv()).index == 0
        await source.stop()
        await source.stop()
        assert source.state == "ended"
        with pytest.raises(SourceEnded):
            await source.recv()

    asyncio.run(run())


def test_unreadable_clips_name_the_uri_and_the_reason(tmp_path):
    async def start(uri: str) -> None:
        await create_source(uri, OPTIONS).start()

    missing = tmp_path / "missing"
    with pytest.raises(SourceError, match=re.escape(f"'openpose:{missing}': {missing}: cannot list the folder")):
        asyncio.run(start(f"openpose:{missing}"))
    with pytest.raises(SourceError, match=re.escape(f"'npz:{missing}.npz': {missing}.npz: No such file or directory")):
        asyncio.run(start(f"npz:{missing}.npz"))
    write_openpose_folder(make_clip(frames=3), tmp_path / "clip")
    bad = tmp_path / "clip" / "clip_000000000001_keypoints.json"
    bad.write_text('{"people": [')
    with pytest.raises(SourceError, match=re.escape(f"'openpose:{tmp_path / 'clip'}': {bad}: malformed JSON")):
        asyncio.run(start(f"openpose:{tmp_path / 'clip'}"))
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match=re.escape(f"{tmp_path / 'broken.npz'}: not a readable .npz")):
        asyncio.run(start(f"npz:{tmp_path / 'broken.npz'}"))


@pytest.mark.parametrize("uri, reason", [
    ("openpose:clip?speed=2", "unknown option 'speed' (this source takes: pace, fps, loop)"),
    ("npz:clip.npz?loop=yes", "loop must be one of true, false, got 'yes'"),
    ("npz:clip.npz?pace=slow", "pace must be one of realtime, max, got 'slow'"),
    ("npz:clip.npz?fps=0", "fps must be a number from 0.1 to 1000, got '0'"),
    ("openpose:clip?fps=fast", "fps must be a number from 0.1 to 1000, got 'fast'"),
    ("openpose:clip?fps=nan", "fps must be a number from 0.1 to 1000, got 'nan'"),
    ("openpose:?pace=max", "no path: expected openpose:DIR"),
    ("npz:", "no path: expected npz:PATH"),
])
def test_bad_options_are_refused_when_created(uri, reason):
    with pytest.raises(SourceError, match=re.escape(f"{uri!r}: {reason}")):
        create_source(uri, OPTIONS)


def test_segments_file_does_not_count_as_a_frame(tmp_path):
    write_openpose_folder(make_clip(frames=2), tmp_path / "routine")
    (tmp_path / "routine" / SEGMENTS_NAME).write_text(json.dumps([]))
    _, frames = asyncio.run(replay(f"openpose:{tmp_path / 'routine'}?pace=max"))
    assert len(frames) == 2


def test_a_cancelled_recv_loses_no_frame(tmp_path):
    write_npz(make_clip(frames=3, fps=5.0), tmp_path / "clip.npz")

    async def run() -> list[int]:
        source = create_source(f"npz:{tmp_path / 'clip.npz'}", OPTIONS)
        await source.start()
        first = await source.recv()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(source.recv(), 0.01)  # frame 1 is due 0.2 s after frame 0
        return [first.index, (await source.recv()).index]

    assert asyncio.run(run()) == [0, 1]


def test_a_realtime_replay_can_be_polled_without_waiting(tmp_path):
    write_npz(make_clip(frames=3, fps=20.0), tmp_path / "clip.npz")

    async def polled() -> tuple[list[float], list[int | None], bool]:
        source = create_source(f"npz:{tmp_path / 'clip.npz'}", OPTIONS)
        await source.start()
        first_due = source.next_due()  # starts the clock: frame 0 is due now
        dues, taken = [first_due], []
        taken.append(source.poll(first_due - 1.0))  # not yet due: nothing taken
        for _ in range(3):
            frame = source.poll(source.next_due())
            taken.append(frame.index)
            if frame.index < 2:
                dues.append(source.next_due())
        try:
            source.poll(time.monotonic() + 60)
        except SourceEnded:
            return dues, taken, source.steppable
        raise AssertionError("no SourceEnded after the last frame")

    dues, taken, steppable = asyncio.run(polled())
    assert steppable and taken == [None, 0, 1, 2]
    assert np.allclose(np.diff(dues), 1 / 20.0)


def test_only_realtime_replays_are_steppable(tmp_path):
    write_npz(make_clip(frames=3), tmp_path / "clip.npz")

    async def steppable(pace: str) -> bool:
        source = create_source(f"npz:{tmp_path / 'clip.npz'}?pace={pace}", OPTIONS)
        await source.start()
        return source.steppable

    assert asyncio.run(steppable("realtime")) and not asyncio.run(steppable("max"))
