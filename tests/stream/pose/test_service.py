"""PoseService with a fake backend: batching, bounds, per-stream order, errors, lifecycle."""

import asyncio
import dataclasses
import os
import threading
import time

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.stream.pose.base import PoseBackend
from skillstream.stream.pose.service import PoseService
from tests.conftest import scaled_timeout


def settings(**changes):
    return dataclasses.replace(load_config().pose, **changes)


def image(value: int) -> np.ndarray:
    return np.full((4, 6, 3), value, np.uint8)


class FakeBackend(PoseBackend):
    """Answers keypoint 0 = (image value, stream number, 1); records batches and
    checks that one stream's frames never overlap. `gate`: calls wait for it."""

    name = "fake"

    def __init__(self, max_batch=1, workers=4, delay=0.0, fail_on=None):
        self.max_batch, self.workers, self.delay, self.fail_on = max_batch, workers, delay, fail_on
        self.batches: list[list[str]] = []
        self.events: list[tuple[str, str]] = []
        self.busy: set[str] = set()
        self.overlaps = 0
        self.closed = False
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()

    def open_stream(self, stream_id):
        self.events.append(("open", stream_id))

    def close_stream(self, stream_id):
        self.events.append(("close", stream_id))

    def estimate(self, items):
        ids = [stream_id for stream_id, _ in items]
        with self.lock:
            self.batches.append(ids)
            self.overlaps += len(self.busy & set(ids))
            self.busy |= set(ids)
        try:
            self.gate.wait()
            time.sleep(self.delay)
            out = []
            for stream_id, img in items:
                if self.fail_on is not None and img[0, 0, 0] == self.fail_on:
                    raise ValueError(f"bad frame {self.fail_on}")
                keypoints = np.zeros((25, 3), np.float32)
                keypoints[0] = (img[0, 0, 0], int(stream_id[1:]), 1)
                out.append(keypoints)
            return out
        finally:
            with self.lock:
                self.busy -= set(ids)

    def close(self):
        self.closed = True


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, scaled_timeout(10)))


def test_workers_follow_settings_and_the_backend():
    assert PoseService(FakeBackend(workers=3), settings(workers=0)).workers == min(os.cpu_count(), 3)
    assert PoseService(FakeBackend(workers=3), settings(workers=2)).workers == 2
    assert PoseService(FakeBackend(workers=1), settings(workers=8)).workers == 1


def test_answers_go_to_their_streams_in_order():
    backend = FakeBackend(workers=2, delay=0.002)

    async def main():
        service = PoseService(backend, settings(workers=2))
        await service.startup()
        for i in range(3):
            service.open_stream(f"s{i}")

        async def play(i):
            return [(await service.estimate(f"s{i}", image(10 * i + k)))[0].tolist() for k in range(5)]

        answers = await asyncio.gather(*(play(i) for i in range(3)))
        stats = service.stats("s1")
        await service.shutdown()
        return answers, stats

    answers, stats = run(main())
    assert answers == [[[10 * i + k, i, 1] for k in range(5)] for i in range(3)]
    assert backend.overlaps == 0
    assert stats["frames"] == 5 and stats["queue_depth"] == 0 and stats["pose_ms"] >= 2.0
    assert stats["latency_ms"] >= stats["pose_ms"]
    expected = [("open", f"s{i}") for i in range(3)] + [("close", f"s{i}") for i in range(3)]
    assert sorted(backend.events) == sorted(expected)
    assert backend.closed


def test_frames_of_several_streams_are_batched():
    backend = FakeBackend(max_batch=4, workers=1)

    async def main():
        service = PoseService(backend, settings(workers=1, batch_wait_ms=200.0))
        await service.startup()
        for i in range(4):
            service.open_stream(f"s{i}")
            await service.estimate(f"s{i}", image(0))  # opens the backend stream
        answers = await asyncio.gather(*(service.estimate(f"s{i}", image(i)) for i in range(4)))
        await service.shutdown()
        return answers

    answers = run(main())
    assert backend.batches[-1] == ["s0", "s1", "s2", "s3"]
    assert [answer[0].tolist() for answer in answers] == [[i, i, 1] for i in range(4)]


def test_one_stream_never_overlaps_even_when_called_concurrently():
    backend = FakeBackend(workers=4, delay=0.005)

    async def main():
        service = PoseService(backend, settings(workers=4))
        await service.startup()
        service.open_stream("s7")
        answers = await asyncio.gather(*(service.estimate("s7", image(k)) for k in range(6)))
        await service.shutdown()
        return answers

    answers = run(main())
    assert [answer[0, 0] for answer in answers] == list(range(6))
    assert backend.overlaps == 0 and len(backend.batches) == 6


def test_the_queue_is_bounded_and_estimate_waits_for_room():
    backend = FakeBackend(workers=4)
    backend.gate.clear()

    async def main():
        service = PoseService(backend, settings(workers=4, queue=2))
        await service.startup()
        for i in range(5):
            service.open_stream(f"s{i}")
        tasks = [asyncio.create_task(service.estimate(f"s{i}", image(i))) for i in range(5)]
        await asyncio.sleep(0.2)
        depth = service.stats("s0")["queue_depth"]
        waiting = sum(not task.done() for task in tasks)
        started = len(backend.batches)
        backend.gate.set()
        answers = await asyncio.gather(*tasks)
        await service.shutdown()
        return depth, waiting, started, answers

    depth, waiting, started, answers = run(main())
    assert depth == 2 and waiting == 5 and started == 2
    assert [answer[0, 0] for answer in answers] == list(range(5))


def test_backend_errors_reach_the_caller_and_the_service_goes_on():
    backend = FakeBackend(fail_on=3)

    async def main():
        service = PoseService(backend, settings(workers=1))
        await service.startup()
        service.open_stream("s1")
        with pytest.raises(ValueError, match="bad frame 3"):
            await service.estimate("s1", image(3))
        answer = await service.estimate("s1", image(4))
        await service.shutdown()
        return answer

    assert run(main())[0].tolist() == [4, 1, 1]


def test_stream_and_lifecycle_errors():
    async def main():
        service = PoseService(FakeBackend(), settings(workers=1))
        service.open_stream("s1")
        with pytest.raises(RuntimeError, match="startup"):
            await service.estimate("s1", image(0))
        await service.startup()
        with pytest.raises(ValueError, match="already open"):
            service.open_stream("s1")
        with pytest.raises(KeyError, match="s9"):
            await service.estimate("s9", image(0))
        with pytest.raises(KeyError, match="s9"):
            service.stats("s9")
        await service.shutdown()
        await service.shutdown()  # idempotent
        with pytest.raises(RuntimeError, match="not running"):
            await service.estimate("s1", image(0))

    run(main())


def test_a_reopened_stream_waits_for_its_old_state_to_close():
    backend = FakeBackend()

    async def main():
        service = PoseService(backend, settings(workers=1))
        await service.startup()
        service.open_stream("s1")
        await service.estimate("s1", image(1))
        service.close_stream("s1")
        service.open_stream("s1")
        await service.estimate("s1", image(2))
        await service.shutdown()

    run(main())
    assert backend.events == [("open", "s1"), ("close", "s1"), ("open", "s1"), ("close", "s1")]
