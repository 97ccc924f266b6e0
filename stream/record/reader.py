"""`read_recording`: a recording folder written by `StreamRecorder`, back into arrays.

The format is described in `writer`. A record is complete when its newline
is written: a last line without one (the writer was killed mid-write) is
passed over silently; any other bad line is an error naming `file:line`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skillstream.models.keypoints.skeleton import N_BODY25

from .writer import FORMAT_VERSION, RECORDING_FILE


class RecordingError(ValueError):
    """A recording that cannot be read: the message names the file (and line) and the reason."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class Recording:
    """One stream's recording.

    path: the recording folder. stream_id: the stream it recorded.
    meta: the dict given to the recorder ({"source", "fps", "width", "height"}).
    index: int64 (T,) frame indices, increasing. ts: float64 (T,) stream
        times, never decreasing. keypoints: float32 (T, 25, 3).
    events: the protocol messages, in the order they were written.
    truncated: whether a partial last record was passed over.
    """

    path: Path
    stream_id: str
    meta: dict
    index: np.ndarray
    ts: np.ndarray
    keypoints: np.ndarray
    events: list[dict]
    truncated: bool


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read the recording folder `path` (blocking: the whole file is read).

    Raises RecordingError naming the file and the reason for a folder
    without a recording (naming the stream folders where `path` is the
    root that `--record` wrote), and naming `file:line` for a line that is
    not a JSON object, a first line that is no meta record of this version,
    a frame record with a bad index, ts or keypoint list (75 finite
    numbers in float32's range), an
    index that does not increase or a ts that decreases, an event that is
    not an object, or a record of no known kind.
    """
    folder = Path(path)
    file = folder / RECORDING_FILE
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise RecordingError(str(folder), _why_no_recording(folder)) from None
    except OSError as error:
        raise RecordingError(str(file), f"cannot read ({error.strerror or error})") from error
    lines = data.split(b"\n")
    # The writer ends every record with a newline: what follows the last one is a cut record.
    truncated = lines.pop() != b""
    if not lines:
        raise RecordingError(str(file), "no meta record (the recording was cut before its first line)")
    head = _parse(lines[0], file, 1)
    if not (head.get("version") == FORMAT_VERSION and isinstance(head.get("stream"), str)
            and isinstance(head.get("meta"), dict)):
        raise RecordingError(f"{file}:1", f"expected the meta record {{\"version\": {FORMAT_VERSION}, "
                                          "\"stream\": ..., \"meta\": {...}}")
    indices: list[int] = []
    frame_lines: list[int] = []
    times: list[float] = []
    rows: list[list[float]] = []
    events: list[dict] = []
    for number, line in enumerate(lines[1:], start=2):
        record = _parse(line, file, number)
        if "e" in record and len(record) == 1:
            if not isinstance(record["e"], dict):
                raise RecordingError(f"{file}:{number}", "an event must be a JSON object")
            events.append(record["e"])
        elif record.keys() == {"i", "t", "k"}:
            index, ts, values = record["i"], record["t"], record["k"]
            if type(index) is not int or (indices and index <= indices[-1]):
                raise RecordingError(f"{file}:{number}", f"frame index must be an integer above the "
                                                         f"previous one ({indices[-1] if indices else None}), "
                                                         f"got {index!r}")
            if type(ts) not in (int, float) or not math.isfinite(ts) or (times and ts < times[-1]):
                raise RecordingError(f"{file}:{number}", f"ts must be a number not below the previous one "
                                                         f"({times[-1] if times else None}), got {ts!r}")
            if not (isinstance(values, list) and len(values) == 3 * N_BODY25
                    and all(type(value) in (int, float) for value in values)):
                raise RecordingError(f"{file}:{number}", f"'k' must be a list of {3 * N_BODY25} numbers")
            indices.append(index)
            frame_lines.append(number)
            times.append(float(ts))
            rows.append(values)
        else:
            raise RecordingError(f"{file}:{number}", f"not a frame or event record (keys: {', '.join(record)})")
    values = np.array(rows, np.float64).reshape(len(rows), N_BODY25, 3)  # (T, 25, 3)
    # JSON reads 1e999 as infinity; float32 turns anything above its range into infinity.
    bad = ~(np.abs(values) <= np.finfo(np.float32).max).all(axis=(1, 2))  # (T,)
    if bad.any():
        raise RecordingError(f"{file}:{frame_lines[int(np.argmax(bad))]}",
                             "keypoint values must be finite float32 numbers")
    return Recording(
        path=folder,
        stream_id=head["stream"],
        meta=head["meta"],
        index=np.array(indices, np.int64),  # (T,)
        ts=np.array(times, np.float64),  # (T,)
        keypoints=values.astype(np.float32),  # (T, 25, 3)
        events=events,
        truncated=truncated,
    )


def _parse(line: bytes, file: Path, number: int) -> dict:
    """Line `number` of `file` as a JSON object with finite numbers."""
    try:
        record = json.loads(line, parse_constant=_no_constant)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, NaN / Infinity
        raise RecordingError(f"{file}:{number}", f"malformed JSON ({error})") from None
    if not isinstance(record, dict):
        raise RecordingError(f"{file}:{number}", f"expected a JSON object, got {type(record).__name__}")
    return record


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number the recorder writes")


def _why_no_recording(folder: Path) -> str:
    if not folder.is_dir():
        return "no such recording folder"
    streams = sorted(entry.name for entry in folder.iterdir() if (entry / RECORDING_FILE).is_file())
    if streams:
        return (f"no {RECORDING_FILE}: this is the folder `--record` wrote; replay one stream's folder "
                f"inside it ({', '.join(streams)})")
    return f"no {RECORDING_FILE} (not a recording folder)"


__all__ = ["Recording", "RecordingError", "read_recording"]
