"""Time spent in one stage of the pipeline, for `status` messages and `/metrics`.

A `StageTimer` keeps the totals since the server started (seconds and
calls: Prometheus counters, from which an operator takes rates) and the
mean of the most recent calls (what `status` shows). Adding a call is a
few attribute updates and one append to a bounded deque: cheap enough for
every frame of every stream.
"""

from __future__ import annotations

from collections import deque

RECENT_CALLS = 100  # calls averaged by `recent_ms`


class StageTimer:
    """Seconds and calls of one stage (see the module's docstring)."""

    __slots__ = ("calls", "seconds", "_recent", "_recent_sum")

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0
        self._recent: deque[float] = deque(maxlen=RECENT_CALLS)
        self._recent_sum = 0.0  # sum of _recent, kept as calls come and go

    def add(self, seconds: float) -> None:
        """Count one call that took `seconds`."""
        self.calls += 1
        self.seconds += seconds
        recent = self._recent
        if len(recent) == RECENT_CALLS:
            self._recent_sum -= recent[0]
        recent.append(seconds)
        self._recent_sum += seconds

    @property
    def recent_ms(self) -> float:
        """Mean of the last RECENT_CALLS calls in ms (0 before the first), rounded to 0.001 ms."""
        if not self._recent:
            return 0.0
        # The running sum drifts by float rounding; clamp it at zero.
        return round(max(self._recent_sum, 0.0) / len(self._recent) * 1e3, 3)
