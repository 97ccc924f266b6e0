import asyncio

import numpy as np

from skillstream.stream.server.inference import ClassifierService


def windows(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 500, (int(rng.integers(30, 120)), 25, 3)).astype(np.float32) for _ in range(n)]


async def test_windows_from_many_streams_share_forward_passes(classifier):
    service = ClassifierService(classifier, max_batch=64)
    await service.startup()
    try:
        batch = windows(12)
        futures = [await service.submit(window) for window in batch]  # queued before the worker runs
        predictions = await asyncio.gather(*futures)
    finally:
        await service.shutdown()
    assert predictions == classifier.classify(batch)
    assert service.windows == 12 and service.batches < 12


async def test_a_bad_window_fails_its_batch_not_the_service(classifier):
    service = ClassifierService(classifier, max_batch=1)
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
