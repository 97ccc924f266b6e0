"""The typed configuration: one frozen dataclass per TOML section.

The values live in one place, `config/default.toml`, which documents every
key; these classes say what each key is and check it. A user's file is laid
over the default one key by key (`load_config`), so it only names what it
changes. Every check raises `ConfigError` naming the key (`section.key`) and
the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from skillstream.models.openset.gates import GateSettings
from skillstream.models.openset.rule import OpenSetOptions

# Stream ids appear in URLs, file names and JSON: keep them plain.
STREAM_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class ConfigError(ValueError):
    """A bad configuration value or file: the message names the key and the reason."""


def check_stream_id(stream_id: object, where: str) -> str:
    """Return `stream_id` if it is a valid stream id, else raise ConfigError naming `where`."""
    if not isinstance(stream_id, str) or not STREAM_ID_PATTERN.fullmatch(stream_id):
        raise ConfigError(f"{where}: stream id {stream_id!r} must be 1-64 letters, digits, '_', '.' or '-', "
                          "starting with a letter or digit")
    return stream_id


def _at_least(key: str, value: float, low: float) -> None:
    if value < low:
        raise ConfigError(f"{key}: must be at least {low}, got {value}")


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    token: str
    max_message_bytes: int
    max_streams: int
    max_clients: int
    ended_streams_kept: int
    shutdown_timeout_s: float

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"server.port: must be 0-65535, got {self.port}")
        _at_least("server.max_message_bytes", self.max_message_bytes, 256)
        _at_least("server.max_streams", self.max_streams, 1)
        _at_least("server.max_clients", self.max_clients, 1)
        _at_least("server.ended_streams_kept", self.ended_streams_kept, 0)
        _at_least("server.shutdown_timeout_s", self.shutdown_timeout_s, 0.1)


@dataclass(frozen=True)
class ModelSettings:
    path: str
    worker: Literal["process", "thread"]
    threads: int
    no_skill: Literal["suppress", "report"]
    max_batch: int
    threshold: float

    def __post_init__(self) -> None:
        _at_least("model.threads", self.threads, 1)
        if self.threshold != -1 and not 0 <= self.threshold <= 1:
            raise ConfigError(f"model.threshold: must be -1 (the checkpoint's) or in [0, 1], got {self.threshold}")
        _at_least("model.max_batch", self.max_batch, 1)


    @property
    def threshold_override(self) -> float | None:
        """The threshold to pass to the classifier (None: the checkpoint's)."""
        return None if self.threshold == -1 else self.threshold


@dataclass(frozen=True)
class OpenSetSettings:
    """The open-set rule's checks besides the threshold (`models.openset`)."""

    ood: bool
    ood_margin: float
    gates: GateSettings

    def __post_init__(self) -> None:
        if not self.ood_margin > 0:
            raise ConfigError(f"openset.ood_margin: must be above 0, got {self.ood_margin}")

    def options(self, threshold: float | None) -> OpenSetOptions:
        """The classifier's open-set options with probability `threshold` (None: the checkpoint's)."""
        return OpenSetOptions(threshold=threshold, ood_margin=self.ood_margin if self.ood else None, gates=self.gates)


@dataclass(frozen=True)
class OpenPoseSettings:
    model_folder: str
    net_resolution: str
    number_people_max: int

    def __post_init__(self) -> None:
        if not re.fullmatch(r"-?\d+x-?\d+", self.net_resolution):
            raise ConfigError(f"pose.openpose.net_resolution: expected WIDTHxHEIGHT such as -1x368, "
                              f"got {self.net_resolution!r}")
        _at_least("pose.openpose.number_people_max", self.number_people_max, 1)


@dataclass(frozen=True)
class PoseSettings:
    backend: Literal["mediapipe", "openpose"]
    workers: int
    max_batch: int
    batch_wait_ms: float
    queue: int
    min_detection_confidence: float
    test_time_rotation: bool
    openpose: OpenPoseSettings

    def __post_init__(self) -> None:
        _at_least("pose.workers", self.workers, 0)
        _at_least("pose.max_batch", self.max_batch, 1)
        _at_least("pose.batch_wait_ms", self.batch_wait_ms, 0)
        _at_least("pose.queue", self.queue, 1)
        if not 0 <= self.min_detection_confidence <= 1:
            raise ConfigError(f"pose.min_detection_confidence: must be in [0, 1], got {self.min_detection_confidence}")


@dataclass(frozen=True)
class SegmenterSettings:
    """The online segmenter's parameters (see `stream.core.segmenter`)."""

    min_confidence: float
    max_fps: float
    scale_window_s: float
    upright_lean_deg: float
    stand_leg_drop: float
    smoothing_s: float
    start_threshold: float
    stop_threshold: float
    start_hold_s: float
    start_margin_s: float
    end_margin_s: float
    quiet_tail_s: float
    release_s: float
    pre_roll_s: float
    min_duration_s: float
    max_frames: int

    def __post_init__(self) -> None:
        if not 0 <= self.min_confidence <= 1:
            raise ConfigError(f"segmenter.min_confidence: must be in [0, 1], got {self.min_confidence}")
        _at_least("segmenter.max_fps", self.max_fps, 1)
        _at_least("segmenter.scale_window_s", self.scale_window_s, 0.1)
        if not 0 <= self.upright_lean_deg < 90:
            raise ConfigError(f"segmenter.upright_lean_deg: must be in [0, 90), got {self.upright_lean_deg}")
        _at_least("segmenter.stand_leg_drop", self.stand_leg_drop, 0.1)
        _at_least("segmenter.smoothing_s", self.smoothing_s, 0)
        _at_least("segmenter.stop_threshold", self.stop_threshold, 0.01)
        if not self.stop_threshold <= self.start_threshold <= 1:
            raise ConfigError(f"segmenter.start_threshold: must be between stop_threshold "
                              f"({self.stop_threshold}) and 1, got {self.start_threshold}")
        _at_least("segmenter.start_hold_s", self.start_hold_s, 0)
        _at_least("segmenter.start_margin_s", self.start_margin_s, 0)
        _at_least("segmenter.end_margin_s", self.end_margin_s, 0)
        _at_least("segmenter.quiet_tail_s", self.quiet_tail_s, 0)
        if self.end_margin_s > self.quiet_tail_s:
            raise ConfigError(f"segmenter.end_margin_s: must not exceed quiet_tail_s ({self.quiet_tail_s}), "
                              f"got {self.end_margin_s}")
        if self.release_s < self.quiet_tail_s:
            raise ConfigError(f"segmenter.release_s: must be at least quiet_tail_s ({self.quiet_tail_s}), "
                              f"got {self.release_s}")
        _at_least("segmenter.pre_roll_s", self.pre_roll_s, 0)
        _at_least("segmenter.min_duration_s", self.min_duration_s, 0)
        _at_least("segmenter.max_frames", self.max_frames, 2)


@dataclass(frozen=True)
class SourceOptions:
    """How sources behave (every stream alike)."""

    reconnect_min_s: float
    reconnect_max_s: float
    read_ahead: int
    synth_seconds: float

    def __post_init__(self) -> None:
        _at_least("source_options.reconnect_min_s", self.reconnect_min_s, 0.01)
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ConfigError(f"source_options.reconnect_max_s: must be at least reconnect_min_s "
                              f"({self.reconnect_min_s}), got {self.reconnect_max_s}")
        _at_least("source_options.read_ahead", self.read_ahead, 1)
        _at_least("source_options.synth_seconds", self.synth_seconds, 10)


@dataclass(frozen=True)
class ClientSettings:
    pose_fps: float
    send_queue: int
    max_skipped_skill_events: int
    status_interval_s: float
    history_events: int

    def __post_init__(self) -> None:
        _at_least("clients.pose_fps", self.pose_fps, 0)
        _at_least("clients.history_events", self.history_events, 0)
        _at_least("clients.send_queue", self.send_queue, 4)
        _at_least("clients.max_skipped_skill_events", self.max_skipped_skill_events, 0)
        _at_least("clients.status_interval_s", self.status_interval_s, 0.05)


@dataclass(frozen=True)
class WebRTCSettings:
    allow_loopback: bool
    stun_server: str

    def __post_init__(self) -> None:
        if self.stun_server and not self.stun_server.startswith(("stun:", "stuns:")):
            raise ConfigError(f"webrtc.stun_server: expected a stun: URL such as stun:stun.example.org:3478, "
                              f"got {self.stun_server!r}")


@dataclass(frozen=True)
class RecordSettings:
    dir: str


@dataclass(frozen=True)
class Config:
    """The whole configuration. `sources` maps stream id -> source URI."""

    server: ServerSettings
    model: ModelSettings
    openset: OpenSetSettings
    pose: PoseSettings
    segmenter: SegmenterSettings
    source_options: SourceOptions
    clients: ClientSettings
    webrtc: WebRTCSettings
    record: RecordSettings
    sources: dict[str, str]

    def __post_init__(self) -> None:
        for stream_id, uri in self.sources.items():
            check_stream_id(stream_id, f"sources.{stream_id}")
            if not isinstance(uri, str) or not uri:
                raise ConfigError(f"sources.{stream_id}: expected a source URI string, got {uri!r}")
