"""The online segmenter: where a skill starts and ends in one live stream.

I/O-free: `Segmenter.push(index, ts, keypoints)` takes one pose frame and
returns the events it caused; `flush()` ends the stream. Durations are
measured with the frames' timestamps, so dropped frames do not stretch time.

The signal. A balance-beam skill is where the body leaves its upright
stance: it turns over (walkovers, handsprings, aerials, cartwheels) or
lifts a leg towards hip height (leaps, a turn in passé). Walking, small
steps, hops, turns on both feet, poses and arm waves do neither, and the
arms are left out on purpose. Per frame, from keypoints scaled by the torso
length (neck to mid-hip; the median over recent upright frames, so zoom,
distance and a foreshortened torso upside down do not matter):

    lean  = angle of mid-hip -> neck from image-up / 90 degrees
    raise = 1 - (higher ankle's drop below the mid-hip) / stand_leg_drop
    score = clip(max(lean, raise), 0, 1), smoothed exponentially

A frame with no mid-hip (nobody seen, or the hips lost) leaves the score as
it was, so a gymnast briefly lost upside down does not split her skill.

The segment. A score held at `start_threshold` for `start_hold_s` opens a
segment (SegmentStart); its start is `start_margin_s` before the score
first rose above `stop_threshold` (the take-off precedes the posture
change). A score below `stop_threshold` for `quiet_tail_s`, or below
`start_threshold` for `release_s` (a foot put down slowly keeps the score
between the two: this bounds the delay after the landing), closes it: the
end is `end_margin_s` after the score last was above `stop_threshold` (the
landing). A
segment shorter than `min_duration_s` is cancelled (SegmentCancel); one
that reaches `max_frames` frames is cut (SegmentEnd, reason "max_frames")
and a new one may open afterwards. The window sent to the classifier runs
from `pre_roll_s` before the start (the preparation the classifier was
trained with) to the frame that closed the segment.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from skillstream.config.schema import SegmenterSettings
from skillstream.models.keypoints.skeleton import BODY25_INDEX

from .ring import RingBuffer

_NECK, _MID_HIP = BODY25_INDEX["neck"], BODY25_INDEX["mid_hip"]
_SHOULDERS = (BODY25_INDEX["r_shoulder"], BODY25_INDEX["l_shoulder"])
_HIPS = (BODY25_INDEX["r_hip"], BODY25_INDEX["l_hip"])
# Each leg's lowest point: the ankle, else the heel.
_FEET = ((BODY25_INDEX["r_ankle"], BODY25_INDEX["r_heel"]), (BODY25_INDEX["l_ankle"], BODY25_INDEX["l_heel"]))


@dataclass(frozen=True, slots=True)
class SegmentStart:
    """A segment opened: motion confirmed, starting at frame `start_frame`."""

    start_frame: int
    start_ts: float


@dataclass(frozen=True, slots=True)
class SegmentCancel:
    """The segment opened at `start_frame` was too short: no SegmentEnd follows."""

    start_frame: int
    start_ts: float


@dataclass(frozen=True, slots=True)
class SegmentEnd:
    """A closed segment, frames start_frame..end_frame inclusive.

    window: float32 (T, 25, 3), the buffered keypoints from `pre_roll_s`
        before the start to the frame that closed the segment: what goes to
        the classifier (it compares by identity, not by value).
    reason: "quiet" (the quiet tail), "max_frames" (cut) or "stream_end" (flush).
    """

    start_frame: int
    end_frame: int
    start_ts: float
    end_ts: float
    window: np.ndarray = field(compare=False, repr=False)
    reason: str


Event = SegmentStart | SegmentCancel | SegmentEnd


class _RecentMedian:
    """The median of the values added in the last `window_s` seconds, over at
    most `slots` values. The values are also kept sorted, so that a new one
    costs a binary search instead of a median over the whole window (the
    result is exactly `np.median` of the same values)."""

    def __init__(self, slots: int, window_s: float) -> None:
        self.slots = slots
        self.window_s = window_s
        self._recent: deque[tuple[float, float]] = deque()  # (ts, value), oldest first; at most `slots`
        self._sorted: list[float] = []  # the same values, ascending
        self.median: float | None = None  # None until a value is added

    def add(self, ts: float, value: float) -> None:
        if len(self._recent) == self.slots:
            self._drop_oldest()
        self._recent.append((ts, value))
        bisect.insort(self._sorted, value)
        while self._recent[0][0] <= ts - self.window_s:
            self._drop_oldest()
        middle, odd = divmod(len(self._sorted), 2)
        self.median = self._sorted[middle] if odd else (self._sorted[middle - 1] + self._sorted[middle]) / 2

    def _drop_oldest(self) -> None:
        _, value = self._recent.popleft()
        del self._sorted[bisect.bisect_left(self._sorted, value)]


class _Posture:
    """The per-frame posture score (see the module's docstring)."""

    def __init__(self, settings: SegmenterSettings) -> None:
        self.settings = settings
        # Torso lengths of the upright frames of the last scale_window_s (bounded by the highest frame rate).
        self.scale = _RecentMedian(math.ceil(settings.scale_window_s * settings.max_fps) + 1, settings.scale_window_s)
        self.score = 0.0
        self._last_ts: float | None = None

    def update(self, ts: float, keypoints: np.ndarray) -> float:
        """Take one frame (25, 3) and return the smoothed score."""
        settings = self.settings
        points = keypoints.tolist()
        min_confidence = settings.min_confidence
        hip = _point(points, min_confidence, _MID_HIP, _HIPS)
        if hip is None:
            return self.score
        raw = 0.0
        neck = _point(points, min_confidence, _NECK, _SHOULDERS)
        if neck is not None and neck != hip:
            dx, dy = neck[0] - hip[0], neck[1] - hip[1]
            lean = math.degrees(math.atan2(abs(dx), -dy))  # 0 upright .. 180 upside down
            raw = (lean - settings.upright_lean_deg) / (90.0 - settings.upright_lean_deg)
            if lean < settings.upright_lean_deg:
                self.scale.add(ts, math.hypot(dx, dy))
        if self.scale.median is not None:
            feet = [next((j for j in leg if points[j][2] >= min_confidence), None) for leg in _FEET]
            drops = [points[j][1] - hip[1] for j in feet if j is not None]
            if drops:
                raw = max(raw, 1.0 - min(drops) / (self.scale.median * settings.stand_leg_drop))
        raw = min(max(raw, 0.0), 1.0)
        if self._last_ts is None or settings.smoothing_s == 0:
            self.score = raw
        else:
            alpha = 1.0 - math.exp(-(ts - self._last_ts) / settings.smoothing_s)
            self.score += alpha * (raw - self.score)
        self._last_ts = ts
        return self.score


def _point(points: list[list[float]], min_confidence: float, index: int,
           pair: tuple[int, int]) -> tuple[float, float] | None:
    """Point `index`, else the mean of the seen ones (confidence at least
    `min_confidence`) of `pair`, else None."""
    x, y, confidence = points[index]
    if confidence >= min_confidence:
        return x, y
    found = [points[j] for j in pair if points[j][2] >= min_confidence]
    if not found:
        return None
    return sum(p[0] for p in found) / len(found), sum(p[1] for p in found) / len(found)


class Segmenter:
    """One stream's segmenter (see the module's docstring). Owns a
    RingBuffer of max_frames + pre_roll_s x max_fps frames."""

    def __init__(self, settings: SegmenterSettings) -> None:
        self.settings = settings
        self.ring = RingBuffer(settings.max_frames + math.ceil(settings.pre_roll_s * settings.max_fps))
        self._posture = _Posture(settings)
        self._last_end: int | None = None  # segments never overlap: the next one starts after this frame
        self._reset()

    def _reset(self) -> None:
        self._rise_ts: float | None = None  # the current run above stop_threshold began
        self._above_ts: float | None = None  # the current run at start_threshold began
        self._start: tuple[int, float] | None = None  # the open segment's start frame and time
        self._active_ts = 0.0  # the open segment's last time above stop_threshold
        self._strong_ts = 0.0  # and above start_threshold

    @property
    def score(self) -> float:
        """The current smoothed posture score (for monitoring)."""
        return self._posture.score

    def push(self, index: int, ts: float, keypoints: np.ndarray) -> list[Event]:
        """Take frame `index` at time `ts` (seconds): keypoints float32 (25, 3)
        in pixels, all zeros when nobody is seen. Indices must increase and
        timestamps must not decrease (ValueError). Returns the events, in order."""
        self.ring.push(index, ts, keypoints)
        score = self._posture.update(ts, keypoints)
        settings = self.settings
        if self._start is None:
            self._rise_ts = (self._rise_ts if self._rise_ts is not None else ts) if score >= settings.stop_threshold \
                else None
            self._above_ts = (self._above_ts if self._above_ts is not None else ts) \
                if score >= settings.start_threshold else None
            if self._above_ts is None or ts - self._above_ts < settings.start_hold_s:
                return []
            assert self._rise_ts is not None  # the start threshold is not below the stop threshold
            self._start = self._frame_since(self._rise_ts - settings.start_margin_s)
            if self._last_end is not None and self._start[0] <= self._last_end:
                _, indices, times = self.ring.window(self._last_end + 1, index)
                self._start = int(indices[0]), float(times[0])
            self._active_ts = self._strong_ts = ts
            events: list[Event] = [SegmentStart(*self._start)]
        else:
            events = []
            if score >= settings.stop_threshold:
                self._active_ts = ts
            if score >= settings.start_threshold:
                self._strong_ts = ts
        start_frame = self._start[0]
        if index - start_frame + 1 >= settings.max_frames:
            events.append(self._close(index, ts, "max_frames"))
        elif ts - self._active_ts >= settings.quiet_tail_s or ts - self._strong_ts >= settings.release_s:
            events.append(self._close(index, min(self._active_ts + settings.end_margin_s, ts), "quiet"))
        return events

    def flush(self) -> list[Event]:
        """End of stream: close the open segment (reason "stream_end") or
        cancel it if too short; nothing when none is open. The segmenter can
        then take a new stream's frames (with higher indices)."""
        newest = self.ring.last_index
        if self._start is None or newest is None:
            self._reset()
            return []
        _, newest_ts = self._frame_until(math.inf)
        return [self._close(newest, min(self._active_ts + self.settings.end_margin_s, newest_ts), "stream_end")]

    def _close(self, index: int, end_ts: float, reason: str) -> SegmentEnd | SegmentCancel:
        """Close the open segment at the last frame at or before `end_ts`;
        the window runs to frame `index`."""
        assert self._start is not None
        start_frame, start_ts = self._start
        end_frame, end_ts = self._frame_until(end_ts) if reason != "max_frames" else (index, end_ts)
        self._reset()
        if end_ts - start_ts < self.settings.min_duration_s and reason != "max_frames":
            return SegmentCancel(start_frame, start_ts)
        self._last_end = end_frame
        first, _ = self._frame_since(start_ts - self.settings.pre_roll_s)
        window, _, _ = self.ring.window(first, index)  # (T, 25, 3)
        return SegmentEnd(start_frame, end_frame, start_ts, end_ts, window, reason)

    def _frame_since(self, ts: float) -> tuple[int, float]:
        """The oldest buffered frame at or after `ts` (the oldest one when all are later)."""
        found = self.ring.first_at_or_after(ts)
        assert found is not None  # the newest frame is at or after any time asked for here
        return found

    def _frame_until(self, ts: float) -> tuple[int, float]:
        """The newest buffered frame at or before `ts`."""
        found = self.ring.last_at_or_before(ts)
        assert found is not None  # the segment's start is buffered and at or before `ts`
        return found
