import asyncio
import multiprocessing
import os
import signal

import numpy as np
import pytest

from skillstream.stream.server import inference
from skillstream.stream.server.inference import ClassifierService, WorkerDied


def windows(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 500, (int(rng.integers(30, 120)), 25, 3)).astype(np.float32) for _ in range(n)]


def assert_same(predictions, expected):
    """The same answers, up to float rounding (the service runs torch with another thread count)."""
    assert [(p.label, p.is_skill, [name for name, _ in p.top]) for p in predictions] == \
        [(p.label, p.is_skill, [name for name, _ in p.top]) for p in expected]
    assert np.allclose([[q for _, q in p.top] for p in predictions], [[q for _, q in p.top] for p in expected],
                       atol=1e-5)


def service_of(classifier, max_batch, worker):
    return ClassifierService(classifier.checkpoint, classifier.options, 1, max_batch, worker)


@pytest.mark.parametrize("worker", ["thread", "process"])
async def test_windows_from_many_streams_share_forward_passes(classifier, worker):
    service = service_of(classifier, 64, worker)
    await service.startup()
    try:
        batch = windows(12)
        futures = [await service.submit(window) for window in batch]  # queued before the worker runs
        predictions = await asyncio.gather(*futures)
    finally:
        await service.shutdown()
    assert_same(predictions, classifier.classify(batch))
    assert service.windows == 12 and service.batches < 12
    assert service.stages["network"].calls == service.batches and service.stages["network"].seconds > 0
    assert service.stages["classify"].calls == 12


@pytest.mark.parametrize("worker", ["thread", "process"])
async def test_a_bad_window_fails_its_batch_not_the_service(classifier, worker):
    service = service_of(classifier, 1, worker)
    await service.startup()
    try:
        bad = np.full((40, 25, 3), np.nan, np.float32)
        failed = await service.submit(bad)
        good = await service.submit(windows(1, seed=3)[0])
        assert isinstance(await asyncio.gather(failed, return_exceptions=True), list)
        assert failed.exception() is not None and "NaN" in str(failed.exception())
        assert (await good).label in classifier.classes
    finally:
        await service.shutdown()


def worker_process():
    [worker] = [p for p in multiprocessing.active_children() if p.name == "skillstream-classifier"]
    return worker


async def kill_worker_process():
    worker = worker_process()
    os.kill(worker.pid, signal.SIGKILL)
    await asyncio.to_thread(worker.join, 10)


async def test_a_worker_process_that_dies_under_a_batch_fails_it_and_is_replaced(classifier):
    service = service_of(classifier, 64, "process")
    await service.startup()
    try:
        worker = worker_process()
        os.kill(worker.pid, signal.SIGSTOP)  # alive, but it will not answer
        lost = await service.submit(windows(1)[0])
        await asyncio.sleep(0.3)  # the batch is sent
        os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(WorkerDied, match="exit code -9"):
            await lost
        window = windows(1, seed=5)[0]
        assert_same([await (await service.submit(window))], classifier.classify([window]))
        assert service.restarts == 1
    finally:
        await service.shutdown()
    assert not [p for p in multiprocessing.active_children() if p.name == "skillstream-classifier"]


async def test_a_worker_process_found_dead_is_replaced_before_the_batch(classifier):
    service = service_of(classifier, 64, "process")
    await service.startup()
    try:
        await kill_worker_process()
        window = windows(1, seed=6)[0]
        assert_same([await (await service.submit(window))], classifier.classify([window]))
        assert service.restarts == 1
    finally:
        await service.shutdown()


async def test_a_replacement_that_fails_to_start_is_tried_again(classifier, monkeypatch):
    service = service_of(classifier, 64, "process")
    await service.startup()
    try:
        await kill_worker_process()
        real_start = inference._ProcessWorker.start
        tries = []

        async def failing_once(self):
            tries.append(1)
            if len(tries) == 1:
                raise RuntimeError("out of memory")
            await real_start(self)

        monkeypatch.setattr(inference._ProcessWorker, "start", failing_once)
        monkeypatch.setattr(inference, "RESTART_DELAY_S", 0.5)
        with pytest.raises(RuntimeError, match="out of memory"):
            await (await service.submit(windows(1)[0]))
        with pytest.raises(WorkerDied, match="failed to start"):  # within the delay: no new try
            await (await service.submit(windows(1)[0]))
        await asyncio.sleep(0.6)
        window = windows(1, seed=7)[0]
        assert_same([await (await service.submit(window))], classifier.classify([window]))
        assert len(tries) == 2
    finally:
        await service.shutdown()


async def test_shutdown_cancels_what_waits(classifier):
    service = service_of(classifier, 1, "thread")
    await service.startup()
    waiting = [await service.submit(window) for window in windows(5)]
    await service.shutdown()
    assert all(future.done() for future in waiting)
    assert any(future.cancelled() for future in waiting)
