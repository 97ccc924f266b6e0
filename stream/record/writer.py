"""`StreamRecorder`: append one stream's keypoints and events to disk as they happen.

A recording is a folder holding one file, `recording.jsonl`, one compact
JSON record per line, in the order they happened:

    {"version":1,"stream":"demo","created":1718000000.0,"meta":{"source":"synth:?seed=0","fps":30.0,...}}
    {"i":0,"t":0.0,"k":[x0,y0,c0,...,x24,y24,c24]}
    {"e":{"type":"segment_start",...}}

The first line is the meta record; then a frame record per frame (index,
ts exactly as floats print, 75 keypoint values: x and y with 2 decimals of
a pixel, confidence with 3) and an event record per protocol message.
Each record is one `write()` of one whole line on an unbuffered file, so a
crash or `kill -9` loses at most the line being written, which the reader
(`reader.read_recording`) passes over. Nothing is fsynced: the kernel keeps
what a killed process wrote (a power cut may lose more).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

from skillstream.config import check_stream_id
from skillstream.models.keypoints.skeleton import N_BODY25

RECORDING_FILE = "recording.jsonl"
FORMAT_VERSION = 1

_FRAME_RECORD = '{"i":%d,"t":%s,"k":[' + ",".join(["%.2f,%.2f,%.3f"] * N_BODY25) + "]}\n"


def round_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """What the recorder keeps of float (..., 25, 3) keypoints: x and y to 2
    decimals, confidence to 3, as float32. Keypoints already rounded so are
    recorded and read back exactly."""
    values = np.asarray(keypoints, np.float64)  # (..., 25, 3)
    return np.concatenate([np.round(values[..., :2], 2), np.round(values[..., 2:], 3)], axis=-1).astype(np.float32)


def _compact_json(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), allow_nan=False)


class StreamRecorder:
    """Appends one stream's frames and events to a new recording folder.

    `StreamRecorder(root, stream_id, meta)` creates `root/<stream_id>/` (and
    `root`); where that folder exists, it takes the first free one of
    `<stream_id>.2`, `<stream_id>.3`, ...: an existing recording is never
    touched. `path` is the folder (what `record:` replays). `meta` is a JSON-ready
    dict, {"source": uri, "fps": ..., "width": ..., "height": ...}, written
    first (TypeError / ValueError for one that is not JSON-ready, ConfigError
    for a bad stream id). Methods are blocking but each costs one short write to the page
    cache; they raise OSError when the disk refuses (the caller decides
    whether to stop recording) and ValueError after `close()`.
    """

    def __init__(self, root: Path, stream_id: str, meta: dict) -> None:
        check_stream_id(stream_id, "recording")  # a plain name: no path can escape `root`
        # Serialised first: meta that is not JSON-ready leaves no empty recording behind.
        first = _compact_json({"version": FORMAT_VERSION, "stream": stream_id,
                               "created": round(time.time(), 3), "meta": meta}) + "\n"
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        for name in itertools.chain([stream_id], (f"{stream_id}.{n}" for n in itertools.count(2))):
            try:
                (root / name).mkdir()  # atomic: two recorders never share a folder
            except FileExistsError:
                continue
            self.path = root / name
            break
        # Unbuffered: every write() below is one system call, so what a killed
        # process leaves ends at a record boundary or inside the last record.
        self._file = open(self.path / RECORDING_FILE, "xb", buffering=0)
        self._write(first)

    def write_frame(self, index: int, ts: float, keypoints: np.ndarray) -> None:
        """Append frame `index` at stream time `ts` with float (25, 3) `keypoints`
        (x, y, confidence; rounded as `round_keypoints`). ValueError for a
        wrong shape or a non-finite value."""
        points = np.asarray(keypoints)
        if points.shape != (N_BODY25, 3):
            raise ValueError(f"keypoints must have shape ({N_BODY25}, 3), got {points.shape}")
        if not (math.isfinite(ts) and np.isfinite(points).all()):
            raise ValueError(f"frame {index}: ts and keypoints must be finite")
        # repr(float) prints the shortest text that reads back as the same float: ts is kept exactly.
        self._write(_FRAME_RECORD % (index, repr(float(ts)), *points.reshape(3 * N_BODY25).tolist()))

    def write_event(self, message: dict) -> None:
        """Append a JSON-ready protocol message (skill, segment_start, ...).
        TypeError / ValueError for one that is not JSON-ready."""
        self._write(_compact_json({"e": message}) + "\n")

    def close(self) -> None:
        """Close the file (idempotent); what was written stays."""
        self._file.close()

    def _write(self, line: str) -> None:
        data = line.encode("utf-8")
        written = self._file.write(data)
        while written < len(data):  # a regular file writes short only when nearly full: finish the line
            written += self._file.write(data[written:])


__all__ = ["FORMAT_VERSION", "RECORDING_FILE", "StreamRecorder", "round_keypoints"]
