"""`GET /metrics`: the server's figures in Prometheus' text format (version 0.0.4).

Per live stream (label `stream`; ended streams have no series): frames in, processed and dropped, segments
and skills (counters), frame rates, pose and segmenter times and queue depth
(gauges), the same figures as the stream's `status` messages. Server-wide:
streams, clients, the events kept for late subscribers (characters),
classifier forward passes, windows, queue and worker
restarts, the time spent in each server-wide stage (label `stage`: the
classifier's preprocessing kernels and network per batch, a window's wait
from submission to answer, an event's wait in a client's queue until
written; seconds and calls, whose ratio of rates is the mean), and the
messages clients lost (pose and status dropped, events skipped) since the
server started.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import Server

log = logging.getLogger(__name__)

# status field -> (metric name, type, help)
STREAM_METRICS = (
    ("frames_in", "skillstream_frames_in_total", "counter", "frames taken from the source"),
    ("frames_processed", "skillstream_frames_processed_total", "counter", "frames through pose and the segmenter"),
    ("frames_dropped", "skillstream_frames_dropped_total", "counter", "frames a live source dropped (the pipeline was behind)"),
    ("segments", "skillstream_segments_total", "counter", "segments closed and classified"),
    ("skills", "skillstream_skills_total", "counter", "segments reported as skills"),
    ("fps_in", "skillstream_fps_in", "gauge", "frames per second taken from the source (last 2 s)"),
    ("fps_processed", "skillstream_fps_processed", "gauge", "frames per second processed (last 2 s)"),
    ("pose_ms", "skillstream_pose_ms", "gauge", "mean pose time of the stream's recent frames, ms"),
    ("segmenter_ms", "skillstream_segmenter_ms", "gauge", "mean segmenter time of the stream's recent frames, ms"),
    ("queue_depth", "skillstream_queue_depth", "gauge", "frames waiting for pose and segments waiting for the classifier"),
    ("clients", "skillstream_stream_clients", "gauge", "clients subscribed to the stream"),
)


def render(server: Server) -> str:
    """The exposition text of `server`'s figures now."""
    lines: list[str] = []
    statuses = {}
    for stream_id, pipeline in list(server.streams.items()):
        if pipeline.state == "live":
            try:
                statuses[stream_id] = pipeline.status()
            except Exception:  # one stream's bad figure must not hide every other one
                log.exception("metrics of stream %s", stream_id)
    for field, name, kind, help_text in STREAM_METRICS:
        lines += _family(name, kind, help_text,
                         ((f'{{stream="{stream_id}"}}', status[field]) for stream_id, status in statuses.items()))
    hub, classifier = server.hub, server.classifier
    lines += _family("skillstream_streams", "gauge", "streams being served", [("", len(server.streams))])
    lines += _family("skillstream_clients", "gauge", "websocket clients connected", [("", len(hub.clients))])
    kept = [*server.streams.values(), *server.ended.values()]
    lines += _family("skillstream_history_chars", "gauge",
                     "characters of the events kept for late subscribers (bounded by clients.history_events per stream)",
                     [("", sum(pipeline.history_chars for pipeline in kept))])
    lines += _family("skillstream_classifier_batches_total", "counter", "classifier forward passes",
                     [("", classifier.batches if classifier else 0)])
    lines += _family("skillstream_classifier_windows_total", "counter", "segments classified",
                     [("", classifier.windows if classifier else 0)])
    lines += _family("skillstream_classifier_queue", "gauge", "segments waiting for a classifier batch",
                     [("", classifier.queue_depth if classifier else 0)])
    lines += _family("skillstream_classifier_restarts_total", "counter", "classifier worker processes replaced",
                     [("", classifier.restarts if classifier else 0)])
    stages = {**(classifier.stages if classifier else {}), "send": hub.send_time}
    lines += _family("skillstream_stage_seconds_total", "counter", "seconds spent in a server-wide stage",
                     ((f'{{stage="{name}"}}', timer.seconds) for name, timer in stages.items()))
    lines += _family("skillstream_stage_calls_total", "counter", "calls of a server-wide stage (batches, windows or events)",
                     ((f'{{stage="{name}"}}', timer.calls) for name, timer in stages.items()))
    lines += _family("skillstream_client_messages_dropped_total", "counter",
                     "pose and status messages dropped for slow clients", [("", hub.droppable_dropped())])
    lines += _family("skillstream_client_events_skipped_total", "counter",
                     "events slow clients did not receive (they were told)", [("", hub.events_skipped())])
    return "\n".join(lines) + "\n"


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}",
            *(f"{name}{labels} {_number(value)}" for labels, value in samples)]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
