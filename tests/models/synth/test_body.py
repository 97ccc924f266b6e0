"""Body proportions and forward kinematics: lengths kept, conventions as documented."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_INDEX as P
from skillstream.models.synth.body import (
    CHANNEL_INDEX, HEIGHT_RANGE, N_CHANNELS, forward_kinematics, mean_body, root_rotation, sample_body,
)

SHAPE = mean_body(1.60)


def pose(frames: int = 1, **angles: float) -> np.ndarray:
    out = np.zeros((frames, N_CHANNELS))
    for name, value in angles.items():
        out[:, CHANNEL_INDEX[name]] = value
    return out


def upright(frames: int = 1) -> np.ndarray:
    return root_rotation(np.zeros(frames), np.zeros(frames), np.zeros(frames))


def test_neutral_pose_geometry() -> None:
    points = forward_kinematics(SHAPE, pose(), upright())[0]  # (25, 3)
    np.testing.assert_allclose(points[P["mid_hip"]], 0.0)
    # Straight legs: the soles are a leg length below the hips.
    for name in ("l_heel", "r_heel", "l_big_toe", "r_small_toe"):
        assert points[P[name], 2] == pytest.approx(-SHAPE.leg)
    assert points[P["neck"], 2] == pytest.approx(SHAPE.spine)
    assert np.linalg.norm(points[P["l_shoulder"]] - points[P["r_shoulder"]]) == pytest.approx(SHAPE.shoulder_width)
    assert np.linalg.norm(points[P["l_hip"]] - points[P["r_hip"]]) == pytest.approx(SHAPE.pelvis_width)
    # Left is +y, the face and the toes point forward (+x).
    assert points[P["l_hip"], 1] > 0 > points[P["r_hip"], 1]
    assert points[P["l_ear"], 1] > 0 > points[P["r_ear"], 1]
    assert points[P["nose"], 0] > points[P["l_ear"], 0]
    assert points[P["l_big_toe"], 0] > points[P["l_heel"], 0]
    assert points[P["nose"], 2] > points[P["neck"], 2]


def test_segment_lengths_survive_any_pose() -> None:
    rng = np.random.default_rng(5)
    angles = rng.uniform(-180, 180, (50, N_CHANNELS))
    rotation = root_rotation(*rng.uniform(-400, 400, (3, 50)))
    points = forward_kinematics(SHAPE, angles, rotation)  # (50, 25, 3)
    for a, b, length in (("r_shoulder", "r_elbow", SHAPE.upper_arm), ("l_elbow", "l_wrist", SHAPE.forearm),
                         ("l_hip", "l_knee", SHAPE.thigh), ("r_knee", "r_ankle", SHAPE.shank)):
        np.testing.assert_allclose(np.linalg.norm(points[:, P[a]] - points[:, P[b]], axis=1), length)


def test_joint_conventions() -> None:
    flexed = forward_kinematics(SHAPE, pose(l_hip_flex=90, r_shoulder_flex=180, l_knee=90), upright())[0]
    # Hip flexion lifts the leg forward; a bent knee drops the shin.
    assert flexed[P["l_knee"], 0] == pytest.approx(SHAPE.thigh)
    assert flexed[P["l_ankle"], 2] == pytest.approx(flexed[P["l_knee"], 2] - SHAPE.shank)
    assert flexed[P["r_wrist"], 2] > flexed[P["nose"], 2]  # arm overhead
    abducted = forward_kinematics(SHAPE, pose(l_hip_abd=90, r_hip_abd=90), upright())[0]
    assert abducted[P["l_ankle"], 1] > 0.5 > -0.5 > abducted[P["r_ankle"], 1]  # both legs out sideways
    arched = forward_kinematics(SHAPE, pose(spine_flex=-90), upright())[0]
    assert arched[P["neck"], 0] < 0  # an arch leans back
    assert np.linalg.norm(arched[P["neck"]]) < SHAPE.spine  # and shortens the hip-neck chord


def test_root_rotation_conventions() -> None:
    up = np.array([0.0, 0.0, 1.0])
    one = np.ones(1)
    np.testing.assert_allclose(root_rotation(0 * one, 90 * one, 0 * one)[0] @ up, [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(root_rotation(0 * one, 0 * one, 90 * one)[0] @ up, [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(root_rotation(90 * one, 0 * one, 0 * one)[0] @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_random_bodies_vary_within_bounds() -> None:
    rng = np.random.default_rng(0)
    bodies = [sample_body(rng) for _ in range(200)]
    heights = np.array([b.height for b in bodies])
    assert HEIGHT_RANGE[0] <= heights.min() and heights.max() <= HEIGHT_RANGE[1]
    ratios = np.array([b.shoulder_width / b.height for b in bodies])
    assert ratios.std() > 0.005 and np.all(np.abs(ratios / 0.225 - 1) <= 0.14 + 1e-9)
    assert len({b.thigh for b in bodies}) == 200


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match="expected angles"):
        forward_kinematics(SHAPE, np.zeros((3, N_CHANNELS - 1)), upright(3))
