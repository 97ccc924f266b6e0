"""Keyframes, PCHIP interpolation and the root solver (contact and flight)."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_INDEX as P
from skillstream.models.synth.body import mean_body
from skillstream.models.synth.timeline import (
    ALL_CHANNELS, BEAM_HEIGHT, FEET, FLIGHT, GRAVITY, Timeline, foot, pchip,
)

SHAPE = mean_body(1.6)
FPS = 30.0


def neutral() -> dict[str, float]:
    return {name: 0.0 for name in ALL_CHANNELS}


def test_pchip_interpolates_without_overshoot() -> None:
    times = np.array([0.0, 0.4, 1.0, 1.7])
    at = np.linspace(-0.5, 2.0, 101)
    # Interior slopes of a line are exact, so the inner interval is the line;
    # the end slopes are zero (motions start and stop at rest).
    inner = np.linspace(0.4, 1.0, 13)
    np.testing.assert_allclose(pchip(times, 3 * times - 1, inner), 3 * inner - 1)
    assert pchip(times, 3 * times - 1, np.array([-0.5, 2.0])).tolist() == [-1.0, 3 * 1.7 - 1]
    steps = np.array([0.0, 0.0, 10.0, 10.0])
    curve = pchip(times, steps, at)
    np.testing.assert_allclose(pchip(times, steps, times), steps)
    assert curve.min() == 0.0 and curve.max() == pytest.approx(10.0, abs=1e-12)
    assert np.all(np.diff(curve) >= -1e-12)  # monotone data, monotone curve
    np.testing.assert_allclose(pchip(np.array([0.3]), np.array([7.0]), at), 7.0)


def test_unmentioned_channels_hold() -> None:
    tl = Timeline(neutral(), fps=FPS)
    tl.key(1.0, FEET, l_elbow=90.0)
    tl.key(1.0, FEET, r_elbow=40.0)
    motion = tl.render(SHAPE)
    elbow = motion.angles[:, ALL_CHANNELS.index("l_elbow")]
    assert len(motion) == 61
    np.testing.assert_allclose(elbow[30:], 90.0)  # held through the second key
    assert motion.angles[30, ALL_CHANNELS.index("r_elbow")] == 0.0


def test_key_validation() -> None:
    tl = Timeline(neutral(), fps=FPS)
    with pytest.raises(ValueError, match="positive"):
        tl.key(0.0, FEET)
    with pytest.raises(ValueError, match="unknown channels"):
        tl.key(0.5, FEET, l_tail=3.0)
    with pytest.raises(ValueError, match="only for flight"):
        tl.key(0.5, FEET, travel=1.0)
    with pytest.raises(ValueError, match="lacks channels"):
        Timeline({"yaw": 0.0})
    tl.key(0.5, FLIGHT)
    with pytest.raises(ValueError, match="end in contact"):
        tl.render(SHAPE)


def test_standing_on_the_beam() -> None:
    tl = Timeline(neutral(), fps=FPS)
    tl.key(1.0, FEET, spine_flex=20.0, l_shoulder_flex=90.0)
    motion = tl.render(SHAPE)
    soles = motion.points[:, [P["l_heel"], P["r_big_toe"]], 2]
    np.testing.assert_allclose(soles, BEAM_HEIGHT + 0.01)  # sole points rest on the beam
    np.testing.assert_allclose(motion.root[:, :2], np.broadcast_to(motion.root[0, :2], (31, 2)))  # no sliding
    assert motion.contact.all()


def test_flight_is_ballistic_and_travels() -> None:
    tl = Timeline(neutral(), fps=FPS, direction=-1.0)
    tl.key(0.2, FEET)
    tl.key(0.4, FLIGHT, travel=0.6)  # 12 frames in the air
    tl.key(0.2, FEET)
    motion = tl.render(SHAPE)
    take_off, landing = 6, 18  # last frame on the beam, first back on it
    assert not motion.contact[take_off + 1:landing].any() and motion.contact[landing]
    apex = motion.root[12, 2] - motion.root[take_off, 2]
    assert apex == pytest.approx(GRAVITY * 0.4 ** 2 / 8)
    assert motion.root[landing, 0] - motion.root[take_off, 0] == pytest.approx(-0.6)  # direction -1
    np.testing.assert_allclose(motion.points[landing:, P["l_heel"], 2], BEAM_HEIGHT + 0.01)


def test_support_change_keeps_the_planted_foot() -> None:
    tl = Timeline(neutral(), fps=FPS)
    tl.key(0.3, foot("l"), r_hip_flex=40.0, r_knee=60.0)
    tl.key(0.3, foot("l"), l_hip_flex=-20.0, spine_flex=30.0)
    motion = tl.render(SHAPE)
    left = motion.points[:, P["l_ankle"], :2]  # (T, 2) the planted foot pivots about its ankle
    np.testing.assert_allclose(left[1:, 0], left[1, 0], atol=1e-9)  # planted along the beam
    # Across it, the foot (9 cm off the line in this wide stance) is pulled
    # halfway back to the beam line, smoothly.
    assert left[-1, 1] == pytest.approx(left[0, 1] / 2) and np.all(np.diff(left[:, 1]) <= 1e-12)
    assert np.ptp(motion.root[:, 0]) > 0.05  # while the body moves over it
    # The support foot rests on the beam (lifted by a few millimetres while
    # the other foot's toes, over the beam, swing through).
    lowest = motion.points[:, list(foot("l")), 2].min(axis=1)
    np.testing.assert_allclose(lowest, BEAM_HEIGHT + 0.01, atol=0.01)
    assert np.mean(np.abs(lowest - BEAM_HEIGHT - 0.01) < 1e-9) > 0.7


def test_segments_and_windows() -> None:
    tl = Timeline(neutral(), fps=FPS)
    tl.key(0.5, FEET)
    tl.begin("full_turn")
    with pytest.raises(ValueError, match="still open"):
        tl.begin("cartwheel")
    tl.key(1.0, FEET, yaw=360.0)
    tl.end()
    tl.key(0.5, FEET)
    motion = tl.render(SHAPE)
    assert motion.segments == [("full_turn", 15, 45)]
    assert motion.window(10, 50).segments == [("full_turn", 5, 35)]
    assert motion.window(20, 50).segments == []
    moved = motion.moved_along_beam(1.5)
    np.testing.assert_allclose(moved.points - motion.points, np.broadcast_to([1.5, 0.0, 0.0], motion.points.shape))


def test_extend_joins_timelines() -> None:
    first = Timeline(neutral(), fps=FPS)
    first.key(0.5, FEET, l_elbow=30.0)
    second = Timeline(dict(first.pose), fps=FPS, direction=-1.0)
    second.begin("pose")
    second.key(1.0, FEET, r_elbow=30.0)
    second.end()
    first.extend(second)
    assert first.time == pytest.approx(1.5) and first.direction == -1.0
    assert first.render(SHAPE).segments == [("pose", 15, 45)]
