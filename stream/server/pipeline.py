"""One stream through the pipeline: source -> pose -> segmenter -> classifier -> hub.

`StreamPipeline.run()` is the stream's task. It pulls a frame from the
source when it is ready for one (so recorded sources are lossless and live
ones drop at the source), gets the skeleton (from the frame, or from the
pose service for image frames), feeds the I/O-free segmenter, and sends
every closed segment to the classifier service without waiting for the
answer: a per-stream publisher task awaits the answers in order and
publishes them, so a slow classification never holds frames back. A
steppable source (a clock-paced keypoint replay) is not pulled by the task:
the server's `Stepper` calls `step()` for its due frames each tick, through
the same per-frame code, and the task waits for the end.
Everything the stream publishes (except pose and status) is also written
to its recording when the server records.
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from skillstream.config import Config
from skillstream.stream.core.segmenter import Event, SegmentCancel, SegmentEnd, Segmenter, SegmentStart
from skillstream.stream.pose.service import PoseService
from skillstream.stream.record import StreamRecorder, round_keypoints
from skillstream.stream.sources import Frame, Source, SourceEnded

from .hub import Hub
from .inference import ClassifierService
from .protocol import encode, server_message
from .stages import StageTimer
from .stepper import Stepper

log = logging.getLogger(__name__)

PENDING_SEGMENTS = 16  # closed segments of one stream waiting for the classifier; more holds the stream back
RATE_WINDOW_S = 2.0    # frame rates in `status` are measured over this many recent seconds
# What a no_skill segment_end carries of its prediction.
NO_SKILL_FIELDS = ("reason", "label", "confidence", "ood_distance", "ood_limit", "gates")


@dataclass
class _Pending:
    segment: SegmentEnd
    closed_at: float  # time.monotonic() when the frame that closed the segment arrived
    prediction: asyncio.Future


class StreamPipeline:
    """A stream's task and its counters (see the module's docstring)."""

    def __init__(self, stream_id: str, source: Source, config: Config, hub: Hub,
                 classifier: ClassifierService, pose: Callable[[], Awaitable[PoseService]],
                 recorder: Callable[[Source], StreamRecorder] | None = None,
                 stepper: Stepper | None = None) -> None:
        self.id = stream_id
        self.source = source
        self.config = config
        self.hub = hub
        self.classifier = classifier
        self._pose_provider = pose
        self._pose: PoseService | None = None
        self._recorder_factory = recorder
        self._stepper = stepper
        self.recorder: StreamRecorder | None = None
        self.segmenter = Segmenter(config.segmenter)
        self.segmenter_time = StageTimer()  # per frame
        self.state = "starting"
        self.started_at: float | None = None  # wall-clock time of the first frame
        self.frames_in = 0
        self.frames_processed = 0
        self.segments = 0
        self.skills = 0
        self.end_reason: str | None = None
        self._arrivals: deque[float] = deque(maxlen=256)   # monotonic times of recent frames in
        self._processed: deque[float] = deque(maxlen=256)  # ... and processed
        self._pending: asyncio.Queue[_Pending | None] = asyncio.Queue(PENDING_SEGMENTS)
        # Encoded events (not pose or status) for late subscribers (subscribe's history).
        self.history: deque[tuple[str, str]] = deque(maxlen=config.clients.history_events)  # (type, text)
        self.history_chars = 0  # of the texts in `history`: memory that grows until the history is full

    # -- the task -------------------------------------------------------------------
    async def run(self) -> None:
        """Run until the source ends (then `stream_end`); cancellation stops it
        (the caller publishes why). Failures end this stream only."""
        publisher = asyncio.create_task(self._publish_predictions(), name=f"publish:{self.id}")
        try:
            self.state = "live"
            try:
                if self._stepper is not None and self.source.steppable:
                    await self._stepper.run_stream(self)
                else:
                    await self._consume()
                for event in self.segmenter.flush():
                    await self._on_segment_event(event, time.monotonic())
                self.end_reason = "finished"
            except asyncio.CancelledError:
                raise
            except Exception as error:  # this stream fails, the server and other streams go on
                log.exception("stream %s failed", self.id)
                self.end_reason = "failed"
                self._publish(server_message("error", self.id, code="stream_failed",
                                             message=f"stream {self.id}: {type(error).__name__}: {error}"))
            await self._pending.put(None)  # the publisher publishes what is queued, then stops
            await publisher
        finally:
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)
            await self.close()
        self.publish_end(self.end_reason)

    async def _consume(self) -> None:
        while True:
            try:
                frame = await self.source.recv()
            except SourceEnded:
                return
            arrived = self._arrive()
            if frame.keypoints is not None:
                keypoints = frame.keypoints  # (25, 3)
            else:
                if self._pose is None:
                    self._pose = await self._pose_provider()
                    self._pose.open_stream(self.id)
                keypoints = await self._pose.estimate(self.id, frame.image)  # (25, 3)
            for event in self._process(frame, keypoints):
                await self._on_segment_event(event, arrived)
            self._processed.append(time.monotonic())

    def step(self, now: float) -> float:
        """Take every frame of the steppable source due at time.monotonic() `now`
        while the classifier can take a segment (at most one closes per frame);
        returns when the next frame is due (`now` when the stream is held back).
        SourceEnded after the last frame."""
        while self.classifier.has_room and not self._pending.full():
            frame = self.source.poll(now)
            if frame is None:
                return self.source.next_due()
            arrived = self._arrive()
            for event in self._process(frame, frame.keypoints):
                self._on_segment_event_now(event, arrived)
            self._processed.append(arrived)
        return now

    def _arrive(self) -> float:
        """Count a frame in (the first one starts the stream); its arrival time.monotonic()."""
        arrived = time.monotonic()
        self.frames_in += 1
        self._arrivals.append(arrived)
        if self.started_at is None:
            self._on_first_frame()
        return arrived

    def _process(self, frame: Frame, keypoints: np.ndarray) -> list[Event]:
        """Record, publish and segment one frame's keypoints (25, 3); the segmenter's events."""
        if self.recorder is not None:
            # The pipeline works on what the recording keeps (0.01 px), so that
            # replaying the recording gives exactly the same skills.
            keypoints = round_keypoints(keypoints)
            self._record(self.recorder.write_frame, frame.index, frame.ts, keypoints)
        self.hub.publish_pose(self.id, frame.index, frame.ts, keypoints)
        started = time.perf_counter()
        events = self.segmenter.push(frame.index, frame.ts, keypoints)
        self.segmenter_time.add(time.perf_counter() - started)
        self.frames_processed += 1
        return events

    def _on_first_frame(self) -> None:
        self.started_at = time.time()
        if self._recorder_factory is not None:
            self.recorder = self._recorder_factory(self.source)
        self._publish(server_message("stream_start", self.id, source=self.source.uri.text,
                                     live=self.source.live, fps=self.source.fps,
                                     width=self.source.width, height=self.source.height,
                                     started_at=round(self.started_at, 4)))

    async def _on_segment_event(self, event: Event, arrived: float) -> None:
        """Publish a start or cancel; queue a closed segment, waiting for room."""
        if self._announce(event):
            prediction = await self.classifier.submit(event.window)
            await self._pending.put(_Pending(event, arrived, prediction))

    def _on_segment_event_now(self, event: Event, arrived: float) -> None:
        """`_on_segment_event` where the caller made sure of room (`step`)."""
        if self._announce(event):
            self._pending.put_nowait(_Pending(event, arrived, self.classifier.submit_nowait(event.window)))

    def _announce(self, event: Event) -> bool:
        """Publish a start or cancel (False); count a closed segment (True: it goes to the classifier)."""
        if isinstance(event, SegmentStart):
            self._publish(server_message("segment_start", self.id, start_frame=event.start_frame,
                                         start_ts=round(event.start_ts, 4)))
            return False
        if isinstance(event, SegmentCancel):
            self._publish(server_message("segment_end", self.id, outcome="cancelled",
                                         start_frame=event.start_frame, start_ts=round(event.start_ts, 4)))
            return False
        self.segments += 1
        return True

    async def _publish_predictions(self) -> None:
        report_no_skill = self.config.model.no_skill == "report"
        while (pending := await self._pending.get()) is not None:
            segment = pending.segment
            try:
                prediction = await pending.prediction
            except Exception as error:  # the classifier refused this window (logged there)
                self._publish(server_message("error", self.id, code="classifier_failed",
                                             message=f"segment {segment.start_frame}-{segment.end_frame}: {error}"))
                continue
            span = {"start_frame": segment.start_frame, "end_frame": segment.end_frame,
                    "start_ts": round(segment.start_ts, 4), "end_ts": round(segment.end_ts, 4)}
            if prediction.is_skill or report_no_skill:
                self.skills += prediction.is_skill
                self._publish(server_message(
                    "skill", self.id, **prediction.to_dict(), **span, cut=segment.reason,
                    latency_ms=round((time.monotonic() - pending.closed_at) * 1e3, 2)))
            else:
                # Why it is no skill, and how far each check was from its limit (an operator tunes [openset]).
                answer = prediction.to_dict()
                self._publish(server_message("segment_end", self.id, outcome="no_skill", **span,
                                             **{key: answer[key] for key in NO_SKILL_FIELDS}))

    # -- publishing and state -----------------------------------------------------------
    def _publish(self, message: dict[str, Any]) -> None:
        if self.recorder is not None:
            self._record(self.recorder.write_event, message)
        self._publish_now(message)

    def _publish_now(self, message: dict[str, Any]) -> None:
        text = encode(message)
        if len(self.history) == self.history.maxlen:
            self.history_chars -= len(self.history[0][1])
        self.history.append((message["type"], text))
        self.history_chars += len(text)
        self.hub.publish(message, text)

    def _record(self, write: Callable[..., None], *record: Any) -> None:
        """Write one record; a recording that fails (disk full) stops, the stream goes on."""
        try:
            write(*record)
        except OSError as error:
            log.error("stream %s: recording stopped: %s", self.id, error)
            self._publish_now(server_message("error", self.id, code="recording_failed", message=str(error)))
            self.recorder.close()
            self.recorder = None

    def publish_end(self, reason: str, message: str = "") -> None:
        """Announce the end of the stream, once (every ending comes through
        here), and close its recording after writing the `stream_end` into it."""
        if self.state == "ended":
            return
        self.state = "ended"
        self._publish(server_message("stream_end", self.id, reason=reason, message=message,
                                     frames=self.frames_processed, segments=self.segments, skills=self.skills))
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None

    async def close(self) -> None:
        """Release the source and the pose state (idempotent; the recording
        stays open for the `stream_end` of `publish_end`)."""
        try:
            await self.source.stop()
        finally:
            if self._pose is not None:
                self._pose.close_stream(self.id)
                self._pose = None

    def status(self) -> dict[str, Any]:
        """The fields of this stream's `status` message. Stage times are recent
        means in ms: pose and segmenter per frame of this stream; classifier
        (from a segment's submission to its answer, queue included) and send
        (an event's wait in a client's queue until written) server-wide."""
        pose = self._pose.stats(self.id) if self._pose is not None else {}
        state = self.source.state if self.state == "live" else self.state
        return {"state": state, "live": self.source.live, "fps_in": _rate(self._arrivals),
                "fps_processed": _rate(self._processed), "pose_ms": round(pose.get("pose_ms", 0.0), 2),
                "segmenter_ms": self.segmenter_time.recent_ms,
                "classifier_ms": self.classifier.stages["classify"].recent_ms,
                "send_ms": self.hub.send_time.recent_ms,
                "queue_depth": pose.get("queue_depth", 0) + self._pending.qsize(),
                "classifier_queue": self.classifier.queue_depth,
                "frames_in": self.frames_in, "frames_processed": self.frames_processed,
                "frames_dropped": self.source.frames_dropped, "segments": self.segments,
                "skills": self.skills, "clients": self.hub.subscribers(self.id)}

    def describe(self) -> dict[str, Any]:
        """The stream as listed in `hello` and `stream_added`."""
        return {"id": self.id, "source": self.source.uri.text, "live": self.source.live, "state": self.state,
                "fps": self.source.fps, "started_at": self.started_at}


def _rate(times: deque[float]) -> float:
    """Events per second over the last RATE_WINDOW_S seconds of `times` (monotonic, ascending)."""
    first = bisect_left(times, time.monotonic() - RATE_WINDOW_S)
    if len(times) - first < 2:
        return 0.0
    return round((len(times) - first - 1) / max(times[-1] - times[first], 1e-6), 2)
