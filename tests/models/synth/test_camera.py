"""The random camera: yaw ranges, projection geometry, the gymnast kept in frame."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.synth.camera import (
    DISTANCE_RANGE, HEIGHT, PITCH_RANGE, WIDTH, Camera, parse_yaw_ranges, sample_camera, sample_yaw,
)
from skillstream.models.synth.dataset import perform


def test_parse_yaw_ranges() -> None:
    assert parse_yaw_ranges("-75:75") == ((-75.0, 75.0),)
    assert parse_yaw_ranges("-75:-30, 30:75") == ((-75.0, -30.0), (30.0, 75.0))
    assert parse_yaw_ranges("10:10") == ((10.0, 10.0),)
    for bad, reason in (("75", "MIN:MAX"), ("a:b", "MIN:MAX"), ("30:-30", "MIN <= MAX"), ("-200:0", "-180"),
                        ("1:2:3", "MIN:MAX"), ("", "MIN:MAX")):
        with pytest.raises(ValueError, match=reason):
            parse_yaw_ranges(bad)


def test_yaw_is_uniform_over_the_union() -> None:
    rng = np.random.default_rng(0)
    ranges = ((-75.0, -30.0), (30.0, 75.0))
    yaws = np.array([sample_yaw(rng, ranges) for _ in range(4000)])
    assert np.all((np.abs(yaws) >= 30) & (np.abs(yaws) <= 75))
    assert abs(np.mean(yaws < 0) - 0.5) < 0.04
    wide_and_narrow = np.array([sample_yaw(rng, ((0.0, 30.0), (60.0, 70.0))) for _ in range(4000)])
    assert abs(np.mean(wide_and_narrow >= 60) - 0.25) < 0.03  # weighted by width
    assert sample_yaw(rng, ((12.0, 12.0),)) == 12.0


def test_projection_geometry() -> None:
    # Camera on the -y side, 10 m away, looking at the origin (yaw 0).
    rotation = np.array([[[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]])  # rows: right (+x), down (-z), forward (+y)
    camera = Camera(np.array([0.0, -10.0, 0.0]), rotation, np.array([1000.0]), 0.0, 0.0, 10.0, 0.0)
    points = np.array([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 5.0, 1.0]]])
    pixels, depth = camera.project(points)
    np.testing.assert_allclose(pixels[0], [[640, 360], [740, 360], [640, 260], [640, 360 - 1000 / 15]])
    np.testing.assert_allclose(depth[0], [10, 10, 10, 15])


def test_sampled_cameras_keep_the_gymnast_in_frame() -> None:
    motion = perform("front_walkover", np.random.default_rng(1))
    for seed in range(30):
        camera = sample_camera(np.random.default_rng(seed), motion.points, 30.0, ((-75.0, 75.0),), follow=0.0)
        assert -75 <= camera.yaw <= 75 and PITCH_RANGE[0] <= camera.pitch <= PITCH_RANGE[1]
        assert DISTANCE_RANGE[0] <= camera.distance <= DISTANCE_RANGE[1]
        pixels, depth = camera.project(motion.points)
        assert np.all(depth > 0)
        assert np.all((pixels[..., 0] >= 0) & (pixels[..., 0] < WIDTH) & (pixels[..., 1] >= 0)
                      & (pixels[..., 1] < HEIGHT))
        # Yaw 0 stands at the side of the beam (-y), yaw 90 at its +x end.
        direction = np.degrees(np.arctan2(camera.position[0] - motion.points[..., 0].mean(),
                                          -(camera.position[1])))
        assert direction == pytest.approx(camera.yaw, abs=8)


def test_a_following_camera_pans() -> None:
    motion = perform("split_leap", np.random.default_rng(2))
    camera = sample_camera(np.random.default_rng(0), motion.points, 30.0, follow=1.0)
    forward = camera.rotation[:, 2]  # (T, 3)
    assert np.degrees(np.arccos(np.clip(forward[0] @ forward[-1], -1, 1))) > 2
    fixed = sample_camera(np.random.default_rng(0), motion.points, 30.0, follow=0.0)
    np.testing.assert_allclose(fixed.rotation, np.broadcast_to(fixed.rotation[0], fixed.rotation.shape))
