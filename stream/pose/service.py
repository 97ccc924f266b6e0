"""`PoseService`: feeds a `PoseBackend` from the event loop.

The coroutines of the pipeline call `await service.estimate(stream_id,
image)`; the service puts the frame on a bounded queue, worker threads take
frames off it in batches (up to `backend.max_batch` frames from different
streams, waiting at most `settings.batch_wait_ms` for a batch to fill), run
the backend, and hand each answer back to the event loop. The backend never
runs in a coroutine; opening and closing a backend stream (which loads or
frees models) run in a thread too.

Flow control: at most `settings.queue` frames are queued or being estimated
across all streams; `estimate` waits for room when the queue is full, which
holds the sources back (a live source then keeps its newest frame). One
stream's frames never overlap: a stream's next frame waits until its
previous frame's answer is in, as the backend interface requires.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from skillstream.config import PoseSettings
from skillstream.models.keypoints.skeleton import N_BODY25

from .base import PoseBackend

RECENT_FRAMES = 30  # frames averaged by stats()


@dataclass(eq=False)
class _Stream:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # held from a frame's submission to its answer
    opened: bool = False  # backend.open_stream has run
    previous: asyncio.Task | None = None  # the closing of an earlier stream of the same id
    pose_ms: deque = field(default_factory=lambda: deque(maxlen=RECENT_FRAMES))
    latency_ms: deque = field(default_factory=lambda: deque(maxlen=RECENT_FRAMES))
    frames: int = 0


@dataclass(eq=False)
class _Job:
    stream_id: str
    stream: _Stream
    image: np.ndarray
    future: asyncio.Future
    submitted: float


class PoseService:
    """Feeds a PoseBackend from the event loop: a bounded queue
    (settings.queue), worker threads (settings.workers; 0 = os.cpu_count(),
    capped by backend.workers), batches up to backend.max_batch frames across
    streams waiting at most settings.batch_wait_ms. Never runs the backend in
    a coroutine.

    The service owns `backend`: `shutdown()` closes it. Lifecycle:
    `await startup()`, then `open_stream(id)` before a stream's first
    `estimate`, `close_stream(id)` after its last, and `await shutdown()`.
    """

    def __init__(self, backend: PoseBackend, settings: PoseSettings) -> None:
        if settings.queue < 1:
            raise ValueError(f"pose.queue: must be at least 1, got {settings.queue}")
        if backend.max_batch < 1 or backend.workers < 1:
            raise ValueError(f"pose backend {backend.name!r}: max_batch and workers must be at least 1, "
                             f"got {backend.max_batch} and {backend.workers}")
        self.backend = backend
        self.settings = settings
        self.workers = max(1, min(settings.workers or os.cpu_count() or 1, backend.workers))
        self.max_batch = backend.max_batch
        self._batch_wait_s = settings.batch_wait_ms / 1e3
        # Frames are admitted by _room, so at most settings.queue are ever on
        # _jobs; the extra places are for the workers' stop markers.
        self._room = asyncio.Semaphore(settings.queue)
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=settings.queue + self.workers)
        self._streams: dict[str, _Stream] = {}
        self._closing: dict[str, asyncio.Task] = {}
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = 0
        self._stopped = False

    async def startup(self) -> None:
        """Start the worker threads."""
        if self._loop is not None:
            raise RuntimeError("PoseService.startup() called twice")
        self._loop = asyncio.get_running_loop()
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"pose-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def open_stream(self, stream_id: str) -> None:
        """Register a stream (the backend's per-stream state is created in a
        thread before its first frame). ValueError if it is already open."""
        if stream_id in self._streams:
            raise ValueError(f"pose stream {stream_id!r} is already open")
        self._streams[stream_id] = _Stream(previous=self._closing.get(stream_id))

    def close_stream(self, stream_id: str) -> None:
        """Unregister a stream; its backend state is dropped in a thread once
        its last frame is answered. Unknown ids are ignored."""
        stream = self._streams.pop(stream_id, None)
        if stream is None:
            return
        task = asyncio.get_running_loop().create_task(self._close_backend_stream(stream_id, stream))
        self._closing[stream_id] = task
        task.add_done_callback(self._closed)

    def _closed(self, task: asyncio.Task) -> None:
        for stream_id, closing in list(self._closing.items()):
            if closing is task:
                del self._closing[stream_id]

    async def _close_backend_stream(self, stream_id: str, stream: _Stream) -> None:
        if stream.previous is not None:
            await stream.previous
        async with stream.lock:
            if stream.opened:
                await asyncio.to_thread(self.backend.close_stream, stream_id)

    async def estimate(self, stream_id: str, image: np.ndarray) -> np.ndarray:
        """The BODY_25 skeleton of `image` (uint8 (H, W, 3) BGR): float32
        (25, 3) x, y, confidence in pixels, zeros when nobody is found. Waits
        for room when the queue is full and for the stream's previous frame.
        KeyError for a stream that is not open; the backend's exception if it
        fails on this frame."""
        if self._loop is None or self._stopped:
            raise RuntimeError("PoseService is not running (startup() first, not after shutdown())")
        stream = self._streams.get(stream_id)
        if stream is None:
            raise KeyError(f"pose stream {stream_id!r} is not open (open_stream first)")
        await stream.lock.acquire()
        try:
            if stream.previous is not None:
                await stream.previous
                stream.previous = None
            if not stream.opened:
                await asyncio.to_thread(self.backend.open_stream, stream_id)
                stream.opened = True
            await self._room.acquire()
        except BaseException:
            stream.lock.release()
            raise
        if self._stopped:  # shut down while this frame waited: no worker is left to answer it
            self._room.release()
            stream.lock.release()
            raise RuntimeError("PoseService was shut down")
        future = self._loop.create_future()
        self._in_flight += 1
        self._jobs.put_nowait(_Job(stream_id, stream, image, future, time.perf_counter()))
        # _deliver releases the room and the stream's lock, even if this
        # coroutine is cancelled meanwhile (the frame is still being estimated).
        return await future

    def stats(self, stream_id: str) -> dict:
        """{"pose_ms": mean duration of the backend calls that estimated the
        stream's recent frames, "latency_ms": mean time from estimate() to the
        answer of those frames, "frames": frames answered, "queue_depth":
        frames queued or being estimated across all streams}. KeyError for a
        stream that is not open."""
        stream = self._streams.get(stream_id)
        if stream is None:
            raise KeyError(f"pose stream {stream_id!r} is not open")
        return {
            "pose_ms": float(np.mean(stream.pose_ms)) if stream.pose_ms else 0.0,
            "latency_ms": float(np.mean(stream.latency_ms)) if stream.latency_ms else 0.0,
            "frames": stream.frames,
            "queue_depth": self._in_flight,
        }

    async def shutdown(self) -> None:
        """Answer the frames already queued, stop the workers, drop the
        streams and close the backend (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        for stream_id in list(self._streams):
            self.close_stream(stream_id)
        for _ in self._threads:
            self._jobs.put(None)  # after the queued frames: those are answered first
        for thread in self._threads:
            await asyncio.to_thread(thread.join)
        await asyncio.gather(*self._closing.values())
        await asyncio.to_thread(self.backend.close)

    # Worker threads.

    def _work(self) -> None:
        stop = False
        while not stop:
            job = self._jobs.get()
            if job is None:
                return
            batch = [job]
            deadline = time.perf_counter() + self._batch_wait_s
            while len(batch) < self.max_batch:
                try:
                    job = self._jobs.get(timeout=max(0.0, deadline - time.perf_counter()))
                except queue.Empty:
                    break
                if job is None:
                    stop = True  # this worker's stop marker: answer the batch, then end
                    break
                batch.append(job)
            self._run(batch)

    def _run(self, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            results = self.backend.estimate([(job.stream_id, job.image) for job in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"pose backend {self.backend.name!r} returned {len(results)} skeletons "
                                   f"for {len(batch)} images")
            results = [np.asarray(result, np.float32).reshape(N_BODY25, 3) for result in results]
            error = None
        except Exception as exc:  # handed to the waiting coroutines, which re-raise it
            results, error = [None] * len(batch), exc
        pose_ms = (time.perf_counter() - started) * 1e3
        for job, result in zip(batch, results):
            self._loop.call_soon_threadsafe(self._deliver, job, result, error, pose_ms)

    def _deliver(self, job: _Job, result: np.ndarray | None, error: Exception | None, pose_ms: float) -> None:
        """On the event loop: answer one frame and free its places."""
        self._in_flight -= 1
        self._room.release()
        job.stream.lock.release()
        job.stream.frames += 1
        job.stream.pose_ms.append(pose_ms)
        job.stream.latency_ms.append((time.perf_counter() - job.submitted) * 1e3)
        if job.future.done():  # the caller was cancelled
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)
