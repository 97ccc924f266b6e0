"""Video sources: files through OpenCV on a file written here, live feeds through fake captures."""

import asyncio
import dataclasses
import threading
import time

import cv2
import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.stream.sources import SourceEnded, SourceError, SourceURI, create_source
from skillstream.stream.sources.video import LiveVideoSource, VideoFileSource, open_capture
from tests.conftest import scaled_timeout

FPS = 20.0


def options(**changes):
    return dataclasses.replace(load_config().source_options, **changes)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, scaled_timeout(10)))


@pytest.fixture
def video(tmp_path):
    """12 frames of 32x24, frame i filled with grey 20 * i, at 20 fps (MJPG)."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (32, 24))
    for i in range(12):
        writer.write(np.full((24, 32, 3), 20 * i, np.uint8))
    writer.release()
    return path


def test_file_frames_are_lossless_and_end(video):
    async def main():
        source = create_source(f"file:{video}?pace=max", options())
        assert isinstance(source, VideoFileSource) and not source.live
        await source.start()
        frames = [await source.recv() for _ in range(12)]
        with pytest.raises(SourceEnded):
            await source.recv()
        with pytest.raises(SourceEnded):
            await source.recv()
        await source.stop()
        return source, frames

    source, frames = run(main())
    assert (source.fps, source.width, source.height, source.state) == (FPS, 32, 24, "ended")
    assert [frame.index for frame in frames] == list(range(12))
    assert [frame.ts for frame in frames] == [i / FPS for i in range(12)]
    for i, frame in enumerate(frames):
        assert frame.image.shape == (24, 32, 3) and frame.image.dtype == np.uint8
        assert abs(float(frame.image.mean()) - 20 * i) < 4  # MJPG is lossy
    assert frames[0].keypoints is None


def test_file_read_ahead_is_bounded(video):
    reads = []

    def counting_opener(target):
        capture = open_capture(target)

        class Counting:
            def read(self):
                reads.append(1)
                return capture.read()

            def get(self, prop):
                return capture.get(prop)

            def release(self):
                capture.release()

        return Counting()

    async def main():
        source = VideoFileSource(SourceURI.parse(f"file:{video}?pace=max"), options(read_ahead=3), counting_opener)
        await source.start()
        await asyncio.sleep(scaled_timeout(0.3))
        before = len(reads)
        await source.recv()
        await asyncio.sleep(scaled_timeout(0.3))
        after = len(reads)
        await source.stop()
        return before, after

    before, after = run(main())
    # The first frame read at start, then three handed over and the fourth waiting for room.
    assert (before, after) == (4, 5)


def test_file_realtime_pace(video):
    async def main():
        source = create_source(f"file:{video}", options())
        await source.start()
        await source.recv()
        started = time.monotonic()
        for _ in range(11):
            await source.recv()
        await source.stop()
        return time.monotonic() - started

    assert run(main()) >= 11 / FPS - 0.02


def test_missing_and_undecodable_files_name_the_file(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")

    async def main(path):
        await create_source(f"file:{path}", options()).start()

    with pytest.raises(SourceError, match="no such video file .*missing.mp4"):
        run(main(tmp_path / "missing.mp4"))
    with pytest.raises(SourceError, match="junk.mp4"):
        run(main(junk))


@pytest.mark.parametrize("uri, message", [("file:x.mp4?speed=2", "unknown option 'speed'"),
                                          ("file:x.mp4?pace=slow", "pace must be one of"),
                                          ("camera:front", "camera index must be an integer"),
                                          ("camera:0?fps=5", "unknown option 'fps'")])
def test_bad_uris(uri, message):
    with pytest.raises(SourceError, match=message):
        create_source(uri, options())


def test_live_uris():
    camera = create_source("camera:1", options())
    assert isinstance(camera, LiveVideoSource) and camera.live and camera.target == 1
    stream = create_source("rtsp://cam.local:554/live?token=a", options())
    assert stream.target == "rtsp://cam.local:554/live?token=a"


class ScriptedCapture:
    """Gives `frames` frames (frame i filled with i) as fast as asked, then
    fails a read after `tail_s`; `forever`: keeps giving a frame every 5 ms."""

    def __init__(self, frames, tail_s=0.01, forever=False):
        self.frames, self.tail_s, self.forever = frames, tail_s, forever
        self.served = 0
        self.released = threading.Event()

    def read(self):
        if self.served < self.frames or self.forever:
            if self.forever:
                time.sleep(0.005)
            self.served += 1
            return True, np.full((4, 6, 3), self.served - 1, np.uint8)
        time.sleep(self.tail_s)
        return False, None

    def get(self, prop):
        return 30.0

    def release(self):
        self.released.set()


class Opener:
    """Fails the first `failures` opens, then hands out `capture`; records when it was called."""

    def __init__(self, failures, capture_factory):
        self.failures, self.capture_factory = failures, capture_factory
        self.calls: list[float] = []
        self.captures = []

    def __call__(self, target):
        self.calls.append(time.monotonic())
        if len(self.calls) <= self.failures:
            raise OSError(f"cannot open {target}")
        capture = self.capture_factory()
        self.captures.append(capture)
        return capture


async def wait_until(condition):
    while not condition():
        await asyncio.sleep(0.005)


def test_live_keeps_the_newest_frame_and_counts_drops():
    opener = Opener(0, lambda: ScriptedCapture(10, tail_s=0.05))

    async def main():
        source = LiveVideoSource(SourceURI.parse("camera:0"), options(reconnect_min_s=5.0, reconnect_max_s=5.0),
                                 0, opener)
        await source.start()
        await wait_until(lambda: source.state == "reconnecting")  # all 10 read, then the read failed
        frame = await source.recv()
        dropped = source.frames_dropped
        waiting = asyncio.create_task(source.recv())
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await source.stop()
        with pytest.raises(SourceEnded):
            await waiting
        return source, frame, dropped, time.monotonic() - started

    source, frame, dropped, stop_s = run(main())
    assert frame.index == 9 and frame.image[0, 0, 0] == 9
    assert dropped == 9 and source.state == "ended"
    assert "read failed" in source.last_error and opener.captures[0].released.is_set()
    assert stop_s < scaled_timeout(0.5)  # the back-off wait (5 s) ends at once


def test_live_reconnects_with_exponential_back_off():
    opener = Opener(4, lambda: ScriptedCapture(0, forever=True))

    async def main():
        source = LiveVideoSource(SourceURI.parse("rtsp://x/y"), options(reconnect_min_s=0.05, reconnect_max_s=0.2),
                                 "rtsp://x/y", opener)
        await source.start()
        await wait_until(lambda: source.state == "reconnecting")
        frame = await source.recv()
        state = source.state
        started = time.monotonic()
        await source.stop()
        return source, frame, state, time.monotonic() - started

    source, frame, state, stop_s = run(main())
    gaps = np.diff(opener.calls)
    expected = [0.05, 0.1, 0.2, 0.2]
    assert len(gaps) == 4 and all(expected[i] - 0.005 <= gaps[i] < expected[i] + scaled_timeout(0.15) for i in range(4)), gaps
    assert source.reconnects == 4 and "cannot open" in source.last_error
    assert state == "live" and frame.image.shape == (4, 6, 3)
    assert stop_s < scaled_timeout(0.5) and opener.captures[0].released.is_set()
