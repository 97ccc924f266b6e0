"""Recordings: `serve --record DIR` writes every stream's keypoints and events
as they happen (`StreamRecorder`), and `record:DIR/<stream id>` replays them
(`read_recording`, used by `stream.sources.record`). The file format is
described in `writer`."""

from .reader import Recording, RecordingError, read_recording
from .writer import RECORDING_FILE, StreamRecorder, round_keypoints

__all__ = ["RECORDING_FILE", "Recording", "RecordingError", "StreamRecorder", "read_recording", "round_keypoints"]
