"""RingBuffer: capacity, order, windows by index, look-ups by time, bad input."""

import numpy as np
import pytest

from skillstream.stream.core.ring import RingBuffer


def frame(value: float) -> np.ndarray:
    return np.full((25, 3), value, np.float32)


def test_keeps_the_newest_frames_in_order():
    ring = RingBuffer(3)
    assert len(ring) == 0 and ring.last_index is None and ring.capacity == 3
    for index in (0, 2, 5, 6):  # gaps allowed
        ring.push(index, index / 10, frame(index))
    assert len(ring) == 3 and ring.last_index == 6
    keypoints, index, ts = ring.window(0, 100)
    assert index.tolist() == [2, 5, 6] and ts.tolist() == [0.2, 0.5, 0.6]
    assert keypoints.dtype == np.float32 and keypoints.shape == (3, 25, 3)
    assert keypoints[:, 0, 0].tolist() == [2, 5, 6]


def test_window_is_inclusive_and_a_copy():
    ring = RingBuffer(8)
    for index in range(10, 15):
        ring.push(index, float(index), frame(index))
    keypoints, index, _ = ring.window(11, 13)
    assert index.tolist() == [11, 12, 13]
    keypoints[:] = -1
    assert ring.window(11, 11)[0][0, 0, 0] == 11
    assert ring.window(3, 9)[1].size == 0 and ring.window(20, 30)[0].shape == (0, 25, 3)


def test_push_copies_the_frame():
    ring = RingBuffer(2)
    points = frame(1)
    ring.push(0, 0.0, points)
    points[:] = 7
    assert ring.window(0, 0)[0][0, 0, 0] == 1


def test_lookups_by_time():
    ring = RingBuffer(4)
    for index in range(6):  # frames 2-5 stay, at 0.2-0.5 s
        ring.push(index, index / 10, frame(index))
    assert ring.first_at_or_after(0.0) == (2, 0.2)
    assert ring.first_at_or_after(0.31) == (4, 0.4)
    assert ring.first_at_or_after(0.6) is None
    assert ring.last_at_or_before(0.31) == (3, 0.3)
    assert ring.last_at_or_before(9.0) == (5, 0.5)
    assert ring.last_at_or_before(0.1) is None


@pytest.mark.parametrize("index, ts, shape, message", [
    (1, 0.0, (25, 3), "not above the newest"),
    (3, 0.5, (25, 3), "is before the newest"),
    (3, 2.0, (18, 3), "must have shape"),
])
def test_bad_frames_are_refused(index, ts, shape, message):
    ring = RingBuffer(4)
    ring.push(1, 1.0, frame(0))
    with pytest.raises(ValueError, match=message):
        ring.push(index, ts, np.zeros(shape, np.float32))


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)
