"""The I/O-free per-stream core: frames with timestamps in, events out.

`RingBuffer` keeps a stream's newest pose frames (bounded, preallocated);
`Segmenter` finds where skills start and end and hands each closed
segment's keypoint window to the classifier; `match_segments` scores
segments against ground truth (benchmarks, evaluation). No sockets, awaits
or wall clock here: the server feeds frames and ships the events.
"""

from .matching import SegmentMatch, match_segments
from .ring import RingBuffer
from .segmenter import SegmentCancel, SegmentEnd, Segmenter, SegmentStart

__all__ = ["RingBuffer", "SegmentCancel", "SegmentEnd", "SegmentMatch", "SegmentStart", "Segmenter",
           "match_segments"]
