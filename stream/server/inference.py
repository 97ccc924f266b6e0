"""The classifier behind the event loop: one inference thread, batched across streams.

Streams `await submit(window)` a closed segment and get a future of its
`Prediction`. One worker coroutine takes every window waiting (up to
`max_batch`) and runs one `Classifier.classify` call for them in the single
inference thread; while it runs, new windows gather for the next batch. The
queue is bounded: a stream that submits faster than the classifier answers
waits in `submit` (recorded sources slow down; nothing is lost).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from skillstream.models.inference import Classifier, Prediction

log = logging.getLogger(__name__)


class ClassifierService:
    def __init__(self, classifier: Classifier, max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.classifier = classifier
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[np.ndarray, asyncio.Future[Prediction]]] = asyncio.Queue(4 * max_batch)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classifier")
        self._worker: asyncio.Task | None = None
        self.batches = 0  # forward passes so far
        self.windows = 0  # windows classified so far

    async def startup(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="classifier")

    async def submit(self, window: np.ndarray) -> asyncio.Future[Prediction]:
        """Queue `window` float32 (T, 25, 3); waits only for room in the queue."""
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        await self._queue.put((window, future))
        return future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            windows = [window for window, _ in batch]
            try:
                predictions = await loop.run_in_executor(self._executor, self.classifier.classify, windows)
            except Exception as error:  # a bad window must not stop the classifier for every stream
                log.exception("classifier failed on a batch of %d windows", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.batches += 1
            self.windows += len(batch)
            for (_, future), prediction in zip(batch, predictions):
                if not future.done():
                    future.set_result(prediction)

    async def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
