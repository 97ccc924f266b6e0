"""A fixed-capacity ring buffer of one stream's pose frames.

The arrays are allocated once in `__init__`; `push` copies a frame into the
oldest slot, so a stream's memory is bounded and no frame allocates. Frames
carry their stream index (strictly increasing; gaps allowed where a live
source dropped frames) and timestamp (seconds, non-decreasing), and are
looked up by either.
"""

from __future__ import annotations

import numpy as np

from skillstream.models.keypoints.skeleton import N_BODY25


class RingBuffer:
    """The newest `capacity` frames: keypoints float32 (capacity, 25, 3),
    index int64 (capacity,), ts float64 (capacity,)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"RingBuffer capacity: must be at least 1, got {capacity}")
        self.capacity = capacity
        self._keypoints = np.zeros((capacity, N_BODY25, 3), np.float32)  # (C, 25, 3)
        self._index = np.zeros(capacity, np.int64)  # (C,)
        self._ts = np.zeros(capacity, np.float64)  # (C,)
        self._next = 0  # the slot the next frame goes to
        self._size = 0
        # The newest frame's index and time as Python numbers: push compares
        # them every frame, and numpy scalars are slow to read and compare.
        self._newest_index: int | None = None
        self._newest_ts = -np.inf

    def __len__(self) -> int:
        return self._size

    @property
    def last_index(self) -> int | None:
        """The newest frame's index, None while empty."""
        return self._newest_index

    def push(self, index: int, ts: float, keypoints: np.ndarray) -> None:
        """Copy in one frame (keypoints (25, 3)), replacing the oldest when
        full. Raises ValueError for a bad shape, an index not above the
        newest one or a timestamp below the newest one."""
        if keypoints.shape != (N_BODY25, 3):
            raise ValueError(f"RingBuffer.push: keypoints must have shape ({N_BODY25}, 3), got {keypoints.shape}")
        if self._newest_index is not None:
            if index <= self._newest_index:
                raise ValueError(f"RingBuffer.push: frame index {index} is not above the newest {self._newest_index}")
            if ts < self._newest_ts:
                raise ValueError(f"RingBuffer.push: timestamp {ts} of frame {index} is before the newest "
                                 f"{self._newest_ts}")
        slot = self._next
        self._keypoints[slot] = keypoints
        self._index[slot] = index
        self._ts[slot] = ts
        self._newest_index, self._newest_ts = int(index), float(ts)
        self._next = slot + 1 if slot + 1 < self.capacity else 0
        if self._size < self.capacity:
            self._size += 1

    def _order(self) -> np.ndarray:
        """Slot numbers of the buffered frames, oldest first: int (N,)."""
        return (np.arange(self._size) + (self._next - self._size)) % self.capacity

    def window(self, start_index: int, end_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the buffered frames with start_index <= index <= end_index,
        oldest first: keypoints float32 (T, 25, 3), index int64 (T,), ts
        float64 (T,). T is 0 when none is buffered in that range."""
        order = self._order()  # (N,)
        indices = self._index[order]  # (N,)
        lo = int(np.searchsorted(indices, start_index, side="left"))
        hi = int(np.searchsorted(indices, end_index, side="right"))
        slots = order[lo:hi]  # (T,)
        return self._keypoints[slots], self._index[slots], self._ts[slots]

    def first_at_or_after(self, ts: float) -> tuple[int, float] | None:
        """(index, ts) of the oldest buffered frame at or after time `ts`, None if there is none."""
        order = self._order()
        position = int(np.searchsorted(self._ts[order], ts, side="left"))
        return self._frame(order[position]) if position < self._size else None

    def last_at_or_before(self, ts: float) -> tuple[int, float] | None:
        """(index, ts) of the newest buffered frame at or before time `ts`, None if there is none."""
        order = self._order()
        position = int(np.searchsorted(self._ts[order], ts, side="right")) - 1
        return self._frame(order[position]) if position >= 0 else None

    def _frame(self, slot: int) -> tuple[int, float]:
        return int(self._index[slot]), float(self._ts[slot])
