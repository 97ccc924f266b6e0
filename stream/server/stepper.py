"""One task that steps every clock-paced replay stream, tick by tick.

A stream whose source is `steppable` (a keypoint replay at pace=realtime:
its frames are known and due at known times) does not wake its own task for
every frame. Its pipeline registers here (`run_stream`), and one task wakes
every `tick_s`, and, for each stream whose next frame is due, takes its due
frames through the pipeline's synchronous step (`StreamPipeline.step`). At
a thousand 30 fps streams that is 100 wake-ups a second instead of 30,000:
the per-frame cost of the event loop (a timer, a future and a task switch
per frame: about half of the loop's time at 600 streams, profiled in
the README's performance section) goes, and the recording, segmenter and publishing work is the
same code as a task-driven stream's. The loop gets a turn every
STREAMS_PER_TURN streams of a tick. A frame is taken about `tick_s` at most
after it is due; `latency_ms` counts from when it is taken, as for every
source. A stream that cannot take a frame (its classifier queue full) is
left at that frame and tried again on the next tick: replays lose nothing.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from skillstream.stream.sources import SourceEnded

if TYPE_CHECKING:
    from .pipeline import StreamPipeline

TICK_S = 0.01  # a due frame waits at most this long; each tick costs a pass over the streams
# Streams stepped between two turns of the event loop (about 1 ms of work at 30 fps
# and a 10 ms tick): a tick of a thousand streams must not hold back, for all its
# length, the classifier's answers and the clients' sends, each of which takes
# several turns of the loop to reach a client.
STREAMS_PER_TURN = 100


class Stepper:
    """The task and its streams (see the module's docstring). The task starts
    with the first stream and ends with `close()`."""

    def __init__(self, tick_s: float = TICK_S) -> None:
        if not tick_s > 0:
            raise ValueError(f"tick_s: expected a positive number of seconds, got {tick_s!r}")
        self.tick_s = tick_s
        self._due: dict[StreamPipeline, float] = {}  # the time.monotonic() its next frame is due
        self._done: dict[StreamPipeline, asyncio.Future[None]] = {}
        self._task: asyncio.Task | None = None
        self.ticks = 0

    def __len__(self) -> int:
        return len(self._due)

    async def run_stream(self, pipeline: StreamPipeline) -> None:
        """Step `pipeline` until its source ends (returns) or a step fails (raises);
        cancelling the caller takes the stream out."""
        done = asyncio.get_running_loop().create_future()
        self._due[pipeline] = pipeline.source.next_due()
        self._done[pipeline] = done
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="stepper")
        try:
            await done
        finally:
            self._due.pop(pipeline, None)
            self._done.pop(pipeline, None)

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            due = [p for p, at in self._due.items() if at <= started]
            for n, pipeline in enumerate(due):
                if n and n % STREAMS_PER_TURN == 0:
                    await asyncio.sleep(0)  # the answers and sends waiting meanwhile
                if pipeline not in self._due:  # removed while the loop had its turn
                    continue
                try:
                    self._due[pipeline] = pipeline.step(started)
                except Exception as error:  # SourceEnded, or this stream's failure: the others go on
                    self._finish(pipeline, None if isinstance(error, SourceEnded) else error)
            self.ticks += 1
            await asyncio.sleep(max(started + self.tick_s - time.monotonic(), 0.0))

    def _finish(self, pipeline: StreamPipeline, error: Exception | None) -> None:
        del self._due[pipeline]
        done = self._done[pipeline]
        if not done.done():
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
