import pytest

from skillstream.stream.server.stages import RECENT_CALLS, StageTimer


def test_totals_count_every_call_and_the_recent_mean_only_the_last_ones():
    timer = StageTimer()
    assert timer.recent_ms == 0.0 and timer.calls == 0
    for _ in range(RECENT_CALLS):
        timer.add(0.004)
    for _ in range(RECENT_CALLS // 2):
        timer.add(0.001)
    assert timer.calls == RECENT_CALLS * 3 // 2
    assert timer.seconds == pytest.approx(RECENT_CALLS * 0.004 + RECENT_CALLS // 2 * 0.001)
    assert timer.recent_ms == pytest.approx(2.5)  # half 4 ms, half 1 ms
