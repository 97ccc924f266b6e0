"""Segmenter: exact frames of a stick figure in, exact events out.

The figure: torso 100 px (mid-hip at (300, 400), neck 100 px above); its
ankles drop 160 px below the hip when standing (stand_leg_drop 1.6, so the
leg raise is 0); `raised(level)` lifts one ankle so that the posture score
is `level`. Frames come every 0.25 s (exact in binary), smoothing is off.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from skillstream.config.schema import SegmenterSettings
from skillstream.stream.core.segmenter import SegmentCancel, SegmentEnd, Segmenter, SegmentStart

DT = 0.25
SETTINGS = SegmenterSettings(
    min_confidence=0.1, max_fps=4.0, scale_window_s=3.0, upright_lean_deg=30.0, stand_leg_drop=1.6,
    smoothing_s=0.0, start_threshold=0.5, stop_threshold=0.3, start_hold_s=0.5, start_margin_s=0.5,
    end_margin_s=0.5, quiet_tail_s=0.75, release_s=3.0, pre_roll_s=0.5, min_duration_s=2.0, max_frames=20)
HIP, NECK, R_ANKLE, L_ANKLE = 8, 1, 11, 14


def figure(level: float = 0.0, lean_deg: float = 0.0, scale: float = 1.0, shift: float = 0.0) -> np.ndarray:
    """The stick figure (25, 3): the right ankle raised to posture score
    `level`, the torso leaning `lean_deg` from upright, scaled and shifted."""
    points = np.zeros((25, 3), np.float32)
    hip = np.array([300.0, 400.0])
    lean = math.radians(lean_deg)
    points[HIP, :2] = hip
    points[NECK, :2] = hip + 100 * np.array([math.sin(lean), -math.cos(lean)])
    points[L_ANKLE, :2] = hip + [0, 160]
    points[R_ANKLE, :2] = hip + [40, 160 * (1 - level)]
    points[[HIP, NECK, R_ANKLE, L_ANKLE], 2] = 0.9
    points[..., :2] = points[..., :2] * scale + shift
    points[points[:, 2] == 0] = 0
    return points


def feed(segmenter: Segmenter, frames: list[np.ndarray], indices: list[int] | None = None) -> dict[int, list]:
    """Push frames (index i at i x DT unless `indices`); the events by index."""
    out = {}
    for index, points in zip(indices or range(len(frames)), frames):
        events = segmenter.push(index, index * DT, points)
        if events:
            out[index] = events
    return out


def stand(n: int) -> list[np.ndarray]:
    return [figure()] * n


def test_a_raise_opens_and_the_quiet_tail_closes():
    frames = stand(10) + [figure(1.0)] * 6 + stand(10)
    segmenter = Segmenter(SETTINGS)
    events = feed(segmenter, frames)
    # Rise at frame 10 (2.5 s), held 0.5 s: open at 12; start 0.5 s before the rise.
    assert events[12] == [SegmentStart(8, 2.0)]
    # Last active frame 15 (3.75 s); quiet 0.75 s at frame 18; end 0.5 s after the last active frame.
    assert events[18] == [SegmentEnd(8, 17, 2.0, 4.25, np.empty(0), "quiet")]
    assert list(events) == [12, 18]
    window = events[18][0].window
    assert window.dtype == np.float32 and window.shape == (13, 25, 3)  # frames 6 (pre-roll) to 18
    np.testing.assert_array_equal(window, np.stack(frames[6:19]))
    assert segmenter.flush() == []


def test_too_short_is_cancelled_and_a_blip_opens_nothing():
    events = feed(Segmenter(SETTINGS), stand(10) + [figure(1.0)] * 3 + stand(6) + [figure(1.0)] + stand(6))
    # Open at 12 (start 8 at 2.0 s), last active 12 (3.0 s), quiet at 15: end 3.5 s, 1.5 s < min_duration_s.
    assert events == {12: [SegmentStart(8, 2.0)], 15: [SegmentCancel(8, 2.0)]}


def test_hysteresis_keeps_a_segment_open_between_the_thresholds():
    frames = stand(10) + [figure(1.0)] * 4 + [figure(0.4)] * 6 + stand(6)
    events = feed(Segmenter(SETTINGS), frames)
    assert events[12] == [SegmentStart(8, 2.0)]
    # Active to frame 19 (4.75 s): quiet at 22 (5.5 s), end at 5.25 s = frame 21.
    assert events[22] == [SegmentEnd(8, 21, 2.0, 5.25, np.empty(0), "quiet")]
    # Between the thresholds for release_s after the last strong frame (13, 3.25 s): closed at 6.25 s.
    events = feed(Segmenter(SETTINGS), stand(10) + [figure(1.0)] * 4 + [figure(0.4)] * 20)
    assert events[25] == [SegmentEnd(8, 25, 2.0, 6.25, np.empty(0), "quiet")]
    # The middle level alone never opens one.
    assert feed(Segmenter(SETTINGS), stand(5) + [figure(0.4)] * 20) == {}


def test_max_frames_cuts_and_the_next_segment_starts_after_the_cut():
    events = feed(Segmenter(SETTINGS), stand(10) + [figure(1.0)] * 30)
    assert events[12] == [SegmentStart(8, 2.0)]
    cut = events[27]
    assert cut == [SegmentEnd(8, 27, 2.0, 6.75, np.empty(0), "max_frames")]
    assert len(cut[0].window) == 22  # pre-roll frames 6-7 and the 20 frames 8-27
    # Reopened after start_hold_s: rise at 28, open at 30; the start is clamped after the cut.
    assert events[30] == [SegmentStart(28, 7.0)]
    assert list(events) == [12, 27, 30]


def test_flush_closes_the_open_segment():
    segmenter = Segmenter(SETTINGS)
    feed(segmenter, stand(10) + [figure(1.0)] * 8)
    [end] = segmenter.flush()
    assert end == SegmentEnd(8, 17, 2.0, 4.25, np.empty(0), "stream_end")
    assert segmenter.flush() == []


def test_empty_frames_hold_the_score():
    frames = stand(10) + [figure(1.0)] * 6 + [np.zeros((25, 3), np.float32)] * 4 + stand(6)
    events = feed(Segmenter(SETTINGS), frames)
    # Frames 16-19 show nobody: still active; quiet from frame 20 on.
    assert events[22] == [SegmentEnd(8, 21, 2.0, 5.25, np.empty(0), "quiet")]


def test_durations_follow_timestamps_not_frame_counts():
    indices = list(range(17)) + [19, 20, 21]  # frames 17 and 18 were dropped
    frames = stand(10) + [figure(1.0)] * 7 + stand(3)
    events = feed(Segmenter(SETTINGS), frames, indices)
    # Last active 4.0 s; frame 19 (4.75 s) is 0.75 s later; the end (4.5 s) falls in the gap: frame 16.
    assert events[19] == [SegmentEnd(8, 16, 2.0, 4.0, np.empty(0), "quiet")]


@pytest.mark.parametrize("scale, shift", [(0.5, 0.0), (2.0, -150.0)])
def test_scale_and_position_do_not_matter(scale, shift):
    frames = stand(10) + [figure(1.0)] * 6 + stand(10)
    moved = [figure(1.0 if 10 <= i < 16 else 0.0, scale=scale, shift=shift) for i in range(len(frames))]
    assert feed(Segmenter(SETTINGS), moved) == feed(Segmenter(SETTINGS), frames)


def test_a_turn_over_opens_a_segment():
    # Leaning 66 degrees scores (66 - 30) / 60 = 0.6: enough; 40 degrees (0.17) is not.
    frames = stand(10) + [figure(lean_deg=66.0)] * 10 + stand(6)
    assert feed(Segmenter(SETTINGS), frames)[12] == [SegmentStart(8, 2.0)]
    assert feed(Segmenter(SETTINGS), stand(10) + [figure(lean_deg=40.0)] * 10) == {}


def test_bad_frames_are_refused():
    segmenter = Segmenter(SETTINGS)
    segmenter.push(5, 1.0, figure())
    with pytest.raises(ValueError, match="not above the newest 5"):
        segmenter.push(5, 1.25, figure())


def test_recent_median_is_numpys_median_of_the_window():
    from skillstream.stream.core.segmenter import _RecentMedian

    rng = np.random.default_rng(5)
    slots, window = 40, 1.0
    recent = _RecentMedian(slots, window)
    history = []
    ts = 0.0
    for _ in range(2000):
        ts += float(rng.choice([1 / 60, 1 / 30, 0.2, 1.5]))  # dense stretches, gaps, frames beyond the slots
        value = float(rng.choice([rng.uniform(0.5, 2.0), 1.0]))  # repeated values too
        recent.add(ts, value)
        history.append((ts, value))
        kept = [v for t, v in history[-slots:] if t > ts - window]
        assert recent.median == float(np.median(kept))
