"""`record:DIR[?pace=realtime|max]`: replay one stream recorded by `serve --record`.

DIR is that stream's recording folder (`<record dir>/<stream id>`). Read
whole in a worker thread by `start()` (`record.read_recording`); `recv()`
gives its frames with their recorded index and ts (gaps and irregular times
of a live source stay as they were), paced by `Pacer`, then SourceEnded.
fps and frame size are the recorded ones. A truncated last record (the
server was killed) is passed over; any other bad record: SourceError naming
the URI, `file:line` and the reason. The recorded events are not replayed:
the pipeline makes them again.
"""

from __future__ import annotations

import math
from pathlib import Path

from skillstream.config import SourceOptions
from skillstream.stream.record import RECORDING_FILE, RecordingError, read_recording

from .base import SourceError, SourceURI
from .keypoints import ReplaySource, Track, pace_param, path_target

_META_TYPES = {"fps": (int, float), "width": (int,), "height": (int,)}


class RecordSource(ReplaySource):
    """A recorded stream (see the module's docstring)."""

    def __init__(self, uri: SourceURI, path: Path, pace: str) -> None:
        super().__init__(uri, pace)
        self.path = path

    def _load(self) -> Track:
        try:
            recording = read_recording(self.path)
        except RecordingError as error:
            raise SourceError(f"{self.uri.text!r}: {error}") from error
        for key, types in _META_TYPES.items():
            value = recording.meta.get(key, 0)
            if type(value) not in types or not 0 <= value < math.inf:
                raise SourceError(f"{self.uri.text!r}: {self.path / RECORDING_FILE}:1: meta {key!r} must be "
                                  f"a finite non-negative {'number' if key == 'fps' else 'integer'}, got {value!r}")
        return Track(recording.index, recording.ts, recording.keypoints, float(recording.meta.get("fps", 0)),
                     recording.meta.get("width", 0), recording.meta.get("height", 0))


def create(uri: SourceURI, options: SourceOptions) -> RecordSource:
    """The source for a `record:DIR` URI (not started); SourceError for bad options."""
    uri.check_params(("pace",))
    return RecordSource(uri, path_target(uri, "DIR"), pace_param(uri))
