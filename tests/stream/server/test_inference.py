import asyncio
import multiprocessing
import os
import signal

import numpy as np
import pytest

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
    return ClassifierService(classifier.checkpoint, classifier.threshold, 1, max_batch, worker)


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


async def test_a_killed_worker_process_fails_its_batch_and_is_replaced(classifier):
    service = service_of(classifier, 64, "process")
    await service.startup()
    try:
        [worker] = [p for p in multiprocessing.active_children() if p.name == "skillstream-classifier"]
        os.kill(worker.pid, signal.SIGKILL)
        lost = await service.submit(windows(1)[0])
        with pytest.raises(WorkerDied, match="exit code -9"):
            await lost
        window = windows(1, seed=5)[0]
        assert_same([await (await service.submit(window))], classifier.classify([window]))
        assert service.restarts == 1
    finally:
        await service.shutdown()
    assert not [p for p in multiprocessing.active_children() if p.name == "skillstream-classifier"]
