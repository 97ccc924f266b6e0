"""The classifier behind the event loop: one worker, batched across streams.

Streams `await submit(window)` a closed segment and get a future of its
`Prediction`. One coroutine takes every window waiting (up to
`max_batch`) and sends them as one `Classifier.classify` call to the
worker; while it runs, new windows gather for the next batch. The queue is
bounded: a stream that submits faster than the classifier answers waits in
`submit` (recorded sources slow down; nothing is lost).

The worker (`model.worker`):
- "process": a child process (spawned, so no lock or thread of the server
  is inherited) holding its own copy of the network, spoken to over a
  socket pair by the event loop itself (length-prefixed pickles, one batch
  in flight). The network's Python code never takes the server's GIL, so a
  busy event loop does not slow the forward passes (each torch call would
  otherwise wait for the GIL behind the loop), and no helper thread of the
  server has to win the GIL to pass a batch or its answer on (measured at
  500 streams, a concurrent.futures process pool spent 18 ms per batch of
  4 ms so). If the process dies (killed, out of memory) the batch it had
  fails; a process found dead before a batch is replaced first, and a
  replacement that cannot start is tried again every RESTART_DELAY_S while
  the batches meanwhile fail with its reason. The process ignores SIGINT and
  SIGTERM: a Ctrl-C or a service manager's stop reaches the whole process
  group, and the server ends its worker itself (it closes the socket).
- "thread": a thread of the server process; it starts at once (tests,
  small set-ups) and shares the GIL with the loop.

Stage times (`stages`): "preprocess" and "network" per batch, measured in
the worker; "classify" per window, from `submit` to the answer.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import get_args, get_type_hints

import numpy as np

from skillstream.config import ModelSettings
from skillstream.models.checkpoint import Checkpoint
from skillstream.models.inference import Classifier, ClassifyTimings, Prediction
from skillstream.models.openset import OpenSetOptions

from .stages import StageTimer

log = logging.getLogger(__name__)

WORKERS = get_args(get_type_hints(ModelSettings)["worker"])  # as the configuration spells them

Answer = tuple[list[Prediction], float, float]  # predictions, seconds preprocessing, seconds in the network
FRAME_HEADER = struct.Struct("!Q")  # the byte length of the pickle that follows
STOP_TIMEOUT_S = 5.0  # a worker process that does not exit on its own by then is killed
RESTART_DELAY_S = 2.0  # between tries to start a worker process after one failed to start

# The classifier of a worker thread, made by `_start_thread_worker` (per
# thread: several thread-mode services may share one process).
_thread_worker = threading.local()


def _classify(classifier: Classifier, windows: list[np.ndarray]) -> Answer:
    timings = ClassifyTimings()
    predictions = classifier.classify(windows, timings)
    return predictions, timings.preprocess_s, timings.network_s


def _start_thread_worker(checkpoint: Checkpoint, threads: int | None, options: OpenSetOptions) -> None:
    _thread_worker.classifier = Classifier(checkpoint, threads=threads, options=options)


def _classify_in_thread(windows: list[np.ndarray]) -> Answer:
    return _classify(_thread_worker.classifier, windows)


class _ThreadWorker:
    """The network in one thread of the server process. `start` returns once
    the thread has loaded and warmed up the network."""

    def __init__(self, checkpoint: Checkpoint, threads: int | None, options: OpenSetOptions) -> None:
        self._executor = ThreadPoolExecutor(1, "classifier", initializer=_start_thread_worker,
                                            initargs=(checkpoint, threads, options))

    usable = True  # a thread does not die under its batch

    async def start(self) -> None:
        await self.classify([])

    async def classify(self, windows: list[np.ndarray]) -> Answer:
        return await asyncio.get_running_loop().run_in_executor(self._executor, _classify_in_thread, windows)

    async def stop(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)


def _error_reply(error: Exception) -> bytes:
    try:
        reply = pickle.dumps(("error", error), pickle.HIGHEST_PROTOCOL)
        pickle.loads(reply)  # some exceptions pickle but cannot be rebuilt
        return reply
    except Exception:  # then its message goes instead
        return pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}")))


def _serve_in_process(connection: socket.socket, checkpoint: Checkpoint, threads: int | None,
                      options: OpenSetOptions) -> None:
    """The worker process: answer each batch read from `connection` until the
    server closes it. A network that cannot be loaded is the answer to every
    batch (the server's start-up names it)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    try:
        classifier, failure = Classifier(checkpoint, threads=threads, options=options), None
    except Exception as error:
        classifier, failure = None, error
    with connection, connection.makefile("rwb") as stream:
        try:
            while header := stream.read(FRAME_HEADER.size):
                windows = pickle.loads(stream.read(FRAME_HEADER.unpack(header)[0]))
                try:
                    if failure is not None:
                        raise RuntimeError(f"the classifier process could not load the network: "
                                           f"{type(failure).__name__}: {failure}")
                    reply = pickle.dumps(("answer", _classify(classifier, windows)), pickle.HIGHEST_PROTOCOL)
                except Exception as error:  # the server fails this batch only; the worker goes on
                    reply = _error_reply(error)
                stream.write(FRAME_HEADER.pack(len(reply)) + reply)
                stream.flush()
        except ConnectionError:  # the server went away mid-batch (its shutdown)
            pass


class WorkerDied(RuntimeError):
    """The classifier process ended while it had a batch."""


class _ProcessWorker:
    """The network in a child process (see the module's docstring). `start`
    returns once the process answers; `classify` raises WorkerDied when the
    process ends under it. A `classify` interrupted between sending a batch
    and reading its whole answer (cancelled) leaves the worker `usable`
    False: its next answer would be the old batch's."""

    def __init__(self, checkpoint: Checkpoint, threads: int | None, options: OpenSetOptions) -> None:
        self._args = (checkpoint, threads, options)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._socket: socket.socket | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._in_sync = True

    @property
    def usable(self) -> bool:
        return self._in_sync and self._process is not None and self._process.exitcode is None

    async def start(self) -> None:
        self._socket, theirs = socket.socketpair()
        try:
            self._process = multiprocessing.get_context("spawn").Process(
                target=_serve_in_process, args=(theirs, *self._args), name="skillstream-classifier", daemon=True)
            await asyncio.to_thread(self._process.start)
        finally:
            theirs.close()
        self._reader, self._writer = await asyncio.open_unix_connection(sock=self._socket, limit=1 << 20)
        await self.classify([])  # answers once the network is loaded and warmed up

    async def classify(self, windows: list[np.ndarray]) -> Answer:
        payload = pickle.dumps(windows, pickle.HIGHEST_PROTOCOL)
        self._in_sync = False
        try:
            self._writer.write(FRAME_HEADER.pack(len(payload)) + payload)
            await self._writer.drain()
            header = await self._reader.readexactly(FRAME_HEADER.size)
            kind, value = pickle.loads(await self._reader.readexactly(FRAME_HEADER.unpack(header)[0]))
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            await asyncio.to_thread(self._process.join, STOP_TIMEOUT_S)
            raise WorkerDied(f"the classifier process ended (exit code {self._process.exitcode})") from error
        self._in_sync = True
        if kind == "error":
            raise value
        return value

    async def stop(self) -> None:
        """End the process (idempotent; also after a failed or cancelled `start`)."""
        if self._writer is not None:
            self._writer.close()  # the process reads the end of its input and exits
        elif self._socket is not None:
            self._socket.close()
        if self._process is not None and self._process.pid is not None:
            await asyncio.to_thread(self._process.join, STOP_TIMEOUT_S)
            if self._process.is_alive():
                self._process.kill()
                await asyncio.to_thread(self._process.join)


class ClassifierService:
    """Serves `checkpoint` under the open-set `options` with
    `threads` torch threads, from a worker of kind `worker` (see the
    module's docstring). Lifecycle: `await startup()` (returns when the
    worker has loaded the network), `submit`, `await shutdown()`."""

    def __init__(self, checkpoint: Checkpoint, options: OpenSetOptions, threads: int | None, max_batch: int,
                 worker: str) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if worker not in WORKERS:
            raise ValueError(f"worker must be one of {WORKERS}, got {worker!r}")
        self.checkpoint = checkpoint
        self.options = options
        self.threads = threads
        self.max_batch = max_batch
        self.worker = worker
        self._queue: asyncio.Queue[tuple[np.ndarray, asyncio.Future[Prediction]]] = asyncio.Queue(4 * max_batch)
        self._worker: _ThreadWorker | _ProcessWorker | None = None
        self._failed_start: float | None = None  # time.monotonic() of the last worker that failed to start
        self._runner: asyncio.Task | None = None
        self.batches = 0   # forward passes so far
        self.windows = 0   # windows classified so far
        self.restarts = 0  # worker processes replaced (after dying or being interrupted)
        self.stages = {name: StageTimer() for name in ("preprocess", "network", "classify")}

    @property
    def queue_depth(self) -> int:
        """Windows waiting for a batch (not counting the batch being classified)."""
        return self._queue.qsize()

    async def _start_worker(self) -> None:
        """Start a worker and wait until it has loaded and warmed up the network
        (its reason when it cannot: then no worker is kept)."""
        kind = _ThreadWorker if self.worker == "thread" else _ProcessWorker
        worker = kind(self.checkpoint, self.threads, self.options)
        try:
            await worker.start()
        except BaseException:
            await worker.stop()
            raise
        self._worker = worker

    async def startup(self) -> None:
        await self._start_worker()
        self._runner = asyncio.create_task(self._run(), name="classifier")

    @property
    def has_room(self) -> bool:
        """Whether `submit_nowait` can queue a window now."""
        return not self._queue.full()

    async def submit(self, window: np.ndarray) -> asyncio.Future[Prediction]:
        """Queue `window` float32 (T, 25, 3); waits only for room in the queue."""
        future = self._future()
        await self._queue.put((window, future))
        return future

    def submit_nowait(self, window: np.ndarray) -> asyncio.Future[Prediction]:
        """`submit` where the caller checked `has_room` (asyncio.QueueFull otherwise)."""
        future = self._future()
        self._queue.put_nowait((window, future))
        return future

    def _future(self) -> asyncio.Future[Prediction]:
        """A window's answer, whose completion adds its time to the "classify" stage."""
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        submitted = time.perf_counter()
        future.add_done_callback(lambda _: self.stages["classify"].add(time.perf_counter() - submitted))
        return future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            windows = [window for window, _ in batch]
            try:
                await self._ensure_worker()
                predictions, preprocess_s, network_s = await self._worker.classify(windows)
            except asyncio.CancelledError:  # shutdown: nobody will answer these
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as error:  # a bad window must not stop the classifier for every stream
                log.error("classifier failed on a batch of %d windows: %s", len(batch), error)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.batches += 1
            self.windows += len(batch)
            self.stages["preprocess"].add(preprocess_s)
            self.stages["network"].add(network_s)
            for (_, future), prediction in zip(batch, predictions):
                if not future.done():
                    future.set_result(prediction)

    async def _ensure_worker(self) -> None:
        """Replace a worker that died or is out of step before it gets a batch;
        a replacement that fails to start is tried again after RESTART_DELAY_S
        (its error fails the batch at hand)."""
        if self._worker is not None and self._worker.usable:
            return
        if self._worker is not None:
            log.error("the classifier process ended; starting a new one")
            await self._worker.stop()
            self._worker = None
            self.restarts += 1
        elif self._failed_start is not None and time.monotonic() - self._failed_start < RESTART_DELAY_S:
            raise WorkerDied("no classifier process: the last one failed to start (tried again shortly)")
        try:
            await self._start_worker()
        except Exception:
            self._failed_start = time.monotonic()
            raise
        self._failed_start = None

    async def shutdown(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        while not self._queue.empty():  # windows nobody will classify now
            self._queue.get_nowait()[1].cancel()
        if self._worker is not None:
            await self._worker.stop()
