"""The websocket protocol, version 1 (documented in docs/protocol.md).

Messages are JSON objects with a `type`. Every server message also carries
`stream` (the stream id, or null for messages about the connection) and
`server_time` (seconds since the Unix epoch, the server's clock).

This module parses and checks client messages (`parse_client_message`) and
builds server messages (`server_message`); it does no I/O.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

PROTOCOL_VERSION = 1
TOPICS = ("skill", "segment", "pose", "status")
# Which topic each server message belongs to; messages without one (hello,
# stream_start, stream_end, error, ...) reach every subscriber of the stream.
MESSAGE_TOPICS = {
    "skill": "skill",
    "segment_start": "segment",
    "segment_end": "segment",
    "pose": "pose",
    "status": "status",
}


class ProtocolError(Exception):
    """A client message the server cannot act on; answered with an `error` message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Subscribe:
    streams: frozenset[str] | None  # None: every stream ("*"), present and future
    topics: frozenset[str]
    pose_fps: float | None          # None: the server's default
    history: bool = False           # first send each stream's kept events (late joiners)


@dataclass(frozen=True)
class AddStream:
    id: str
    source: str
    token: str


@dataclass(frozen=True)
class RemoveStream:
    id: str
    token: str


@dataclass(frozen=True)
class WebRTCOffer:
    id: str
    sdp: str
    token: str


@dataclass(frozen=True)
class WebRTCClose:
    id: str
    token: str


ClientMessage = Subscribe | AddStream | RemoveStream | WebRTCOffer | WebRTCClose


def parse_client_message(data: str | bytes, max_bytes: int) -> ClientMessage:
    """The client message in `data`, checked field by field.

    Raises ProtocolError with code "too_large", "bad_json", "bad_message"
    (a field missing or of the wrong type: the message names it) or
    "unknown_type". Stream ids are not checked against the running streams
    here (the server does that).
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError("too_large", f"message of {size} bytes exceeds the limit of {max_bytes}")
    try:
        message = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError("bad_json", f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_message", f"expected a JSON object, got {type(message).__name__}")
    kind = message.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r} (known: {', '.join(_PARSERS)})")
    return parser(message)


def _parse_subscribe(message: dict[str, Any]) -> Subscribe:
    _known_fields(message, ("type", "streams", "topics", "pose_fps", "history"))
    streams_value = message.get("streams", ["*"])
    if not isinstance(streams_value, list) or not all(isinstance(s, str) for s in streams_value):
        raise ProtocolError("bad_message", "subscribe.streams: expected a list of stream ids or [\"*\"]")
    streams = None if "*" in streams_value else frozenset(streams_value)
    topics_value = message.get("topics", ["skill", "segment", "status"])
    if not isinstance(topics_value, list) or not all(isinstance(t, str) for t in topics_value):
        raise ProtocolError("bad_message", f"subscribe.topics: expected a list of topics from {list(TOPICS)}")
    unknown = [t for t in topics_value if t not in TOPICS]
    if unknown:
        raise ProtocolError("bad_message", f"subscribe.topics: unknown topic {unknown[0]!r} (known: {', '.join(TOPICS)})")
    pose_fps = message.get("pose_fps")
    if pose_fps is not None and (isinstance(pose_fps, bool) or not isinstance(pose_fps, (int, float))
                                 or not math.isfinite(pose_fps) or pose_fps < 0):
        raise ProtocolError("bad_message", f"subscribe.pose_fps: expected a number >= 0 (0: every frame), got {pose_fps!r}")
    history = message.get("history", False)
    if not isinstance(history, bool):
        raise ProtocolError("bad_message", f"subscribe.history: expected true or false, got {history!r}")
    return Subscribe(streams, frozenset(topics_value), None if pose_fps is None else float(pose_fps), history)


def _control_parser(cls: type, kind: str) -> Callable[[dict[str, Any]], Any]:
    """The parser of control message `kind` into `cls`, whose fields are all
    strings: non-empty ones, and `token` (may be absent: empty)."""
    names = tuple(field.name for field in fields(cls))

    def parse(message: dict[str, Any]) -> Any:
        _known_fields(message, ("type", *names))
        return cls(*(_token(message, kind) if name == "token" else _string(message, kind, name) for name in names))

    return parse


_PARSERS = {"subscribe": _parse_subscribe,
            **{kind: _control_parser(cls, kind) for kind, cls in (
                ("add_stream", AddStream), ("remove_stream", RemoveStream),
                ("webrtc_offer", WebRTCOffer), ("webrtc_close", WebRTCClose))}}


def _known_fields(message: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in message:
        if key not in known:
            raise ProtocolError("bad_message", f"{message['type']}.{key}: unknown field (known: {', '.join(known)})")


def _string(message: dict[str, Any], kind: str, key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError("bad_message", f"{kind}.{key}: expected a non-empty string, got {value!r}")
    return value


def _token(message: dict[str, Any], kind: str) -> str:
    value = message.get("token", "")
    if not isinstance(value, str):
        raise ProtocolError("bad_message", f"{kind}.token: expected a string")
    return value


def server_message(kind: str, stream: str | None, **fields: Any) -> dict[str, Any]:
    """A server message: `type`, `stream`, `server_time`, then `fields`."""
    return {"type": kind, "stream": stream, "server_time": round(time.time(), 4), **fields}


def error_message(code: str, message: str, stream: str | None = None) -> dict[str, Any]:
    return server_message("error", stream, code=code, message=message)


# A pose message is sent for every processed frame: its keypoints are
# formatted directly (0.1 px, confidence 0.001) instead of through json.
_POSE_KEYPOINTS = "[" + ",".join(["[%.1f,%.1f,%.3f]"] * 25) + "]"


def encode_pose(stream: str, frame: int, ts: float, keypoints: Any) -> str:
    """The JSON text of a `pose` message: `frame`, `ts` and `keypoints`, the 25
    [x, y, confidence] of a float (25, 3) array, rounded for the wire."""
    values = _POSE_KEYPOINTS % tuple(keypoints.ravel().tolist())
    return (f'{{"type":"pose","stream":{json.dumps(stream)},"server_time":{round(time.time(), 4)},'
            f'"frame":{int(frame)},"ts":{round(float(ts), 4)},"keypoints":{values}}}')


def encode(message: dict[str, Any]) -> str:
    """Compact JSON text of a server message."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)
