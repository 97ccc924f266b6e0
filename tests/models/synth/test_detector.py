"""The pose-estimator failure model: each failure at its configured rate."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_FLIP, BODY25_INDEX as P
from skillstream.models.synth.body import CHANNEL_INDEX, N_CHANNELS, forward_kinematics, mean_body, root_rotation
from skillstream.models.synth.camera import Camera
from skillstream.models.synth.detector import BASE_CONFIDENCE, DetectorParams, detect, inversion

OFF = DetectorParams(scale=0.0)
QUIET = dict(jitter=0.0, confidence_noise=0.0, occlusion_penalty=0.0, occlusion_loss=0.0, random_loss=0.0,
             low_confidence_loss=0.0, inverted_penalty=0.0, inverted_loss=0.0, inverted_frame_loss=0.0,
             inverted_jump=0.0, swap_rate=0.0, limb_swap_rate=0.0, missing_frame_rate=0.0)


def body(frames: int, pitch: float = 0.0, yaw: float = 90.0) -> np.ndarray:
    """A standing (pitch 0) or handstanding (pitch 180) body, hips 2 m up, (T, 25, 3)."""
    angles = np.zeros((frames, N_CHANNELS))
    angles[:, CHANNEL_INDEX["l_shoulder_flex"]] = angles[:, CHANNEL_INDEX["r_shoulder_flex"]] = 30
    rotation = root_rotation(np.full(frames, yaw), np.full(frames, pitch), np.zeros(frames))
    return forward_kinematics(mean_body(1.6), angles, rotation) + [0.0, 0.0, 2.0]


def side_camera(frames: int) -> Camera:
    """6 m away on the -y side, looking at (0, 0, 2), focal 1000."""
    rotation = np.broadcast_to(np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]), (frames, 3, 3))
    return Camera(np.array([0.0, -6.0, 2.0]), rotation, np.full(frames, 1000.0), 0.0, 0.0, 6.0, 0.0)


def test_inversion_measure() -> None:
    assert inversion(body(1))[0] == 0.0
    assert inversion(body(1, pitch=180))[0] == pytest.approx(1.0)
    assert inversion(body(1, pitch=90))[0] == pytest.approx(0.0, abs=1e-9)
    assert inversion(body(1, pitch=135))[0] == pytest.approx(np.cos(np.radians(45)))


def test_a_perfect_detector_reports_the_projections() -> None:
    points = body(20)
    camera = side_camera(20)
    detection = detect(np.random.default_rng(0), points, camera, OFF)
    pixels, _ = camera.project(points)
    np.testing.assert_allclose(detection.keypoints[..., :2], pixels, atol=1e-3)
    np.testing.assert_allclose(detection.keypoints[..., 2], np.broadcast_to(BASE_CONFIDENCE, (20, 25)), atol=1e-6)
    assert detection.keypoints.dtype == np.float32
    assert not (detection.body_swapped.any() or detection.limbs_swapped.any() or detection.frame_lost.any())


def test_points_outside_the_frame_are_missing() -> None:
    points = body(5) + [3.84, 0.0, 0.0]  # the hips on the right edge of the 1280-pixel frame
    detection = detect(np.random.default_rng(0), points, side_camera(5), OFF)
    pixels, _ = side_camera(5).project(points)
    outside = pixels[..., 0] >= 1280
    assert outside.any() and not outside.all()
    assert np.all(detection.keypoints[outside] == 0) and np.all(detection.keypoints[~outside][:, 2] > 0)


def test_upside_down_bodies_lose_more_points() -> None:
    n = 3000
    params = DetectorParams()
    upright = detect(np.random.default_rng(1), body(n), side_camera(n), params).keypoints
    inverted = detect(np.random.default_rng(1), body(n, pitch=180), side_camera(n), params).keypoints
    lost_upright = np.mean(upright[..., 2] == 0)
    lost_inverted = np.mean(inverted[..., 2] == 0)
    assert lost_upright < 0.15
    assert lost_inverted > lost_upright + 0.25
    # Whole frames go missing too, and a harsher setting loses more.
    assert np.mean((inverted[..., 2] == 0).all(axis=1)) > 0.1
    harsh = detect(np.random.default_rng(1), body(n, pitch=180), side_camera(n),
                   DetectorParams(inverted_loss=0.9)).keypoints
    assert np.mean(harsh[..., 2] == 0) > lost_inverted + 0.3


def test_upside_down_points_jump() -> None:
    n = 2000
    params = DetectorParams(**{**QUIET, "inverted_jump": 0.2})
    detection = detect(np.random.default_rng(2), body(n, pitch=180), side_camera(n), params)
    assert detection.jumped.mean() == pytest.approx(0.2, abs=0.01)
    exact, _ = side_camera(n).project(body(n, pitch=180))
    moved = np.linalg.norm(detection.keypoints[..., :2] - exact, axis=-1) > 1.0
    present = detection.keypoints[..., 2] > 0
    assert np.array_equal(moved & present, detection.jumped & present)
    assert detection.keypoints[..., 2][detection.jumped].max() <= 0.5
    upright = detect(np.random.default_rng(2), body(n), side_camera(n), params)
    assert not upright.jumped.any()


@pytest.mark.parametrize("rate", [0.005, 0.02])
def test_left_right_swaps_happen_at_the_configured_rate(rate: float) -> None:
    n = 20000
    params = DetectorParams(**{**QUIET, "swap_rate": rate, "swap_frames": (2, 4)})
    points = body(n)
    camera = side_camera(n)
    detection = detect(np.random.default_rng(3), points, camera, params)
    # Events start with probability `rate` per frame and last 2-4 frames.
    expected = 1 - (1 - rate) ** 3  # a frame is covered if an event began in the 3 frames before it, on average
    assert detection.body_swapped.mean() == pytest.approx(expected, rel=0.15)
    exact, _ = camera.project(points)
    swapped = detection.body_swapped
    np.testing.assert_allclose(detection.keypoints[swapped][..., :2], exact[swapped][:, list(BODY25_FLIP)], atol=1e-3)
    np.testing.assert_allclose(detection.keypoints[~swapped][..., :2], exact[~swapped], atol=1e-3)


def test_limb_swaps_and_lost_frames() -> None:
    n = 20000
    params = DetectorParams(**{**QUIET, "limb_swap_rate": 0.01, "missing_frame_rate": 0.01,
                               "swap_frames": (1, 1), "missing_frames": (2, 2)})
    points = body(n)
    detection = detect(np.random.default_rng(4), points, side_camera(n), params)
    assert detection.limbs_swapped.mean() == pytest.approx(0.01, rel=0.2)
    assert detection.frame_lost.mean() == pytest.approx(1 - 0.99 ** 2, rel=0.2)
    assert np.all(detection.keypoints[detection.frame_lost] == 0)
    exact, _ = side_camera(n).project(points)
    t = np.flatnonzero(detection.limbs_swapped & ~detection.frame_lost)[0]
    wrist, ankle = P["l_wrist"], P["l_ankle"]
    # One pair of limbs swapped: the arms or the legs, not both.
    arms = np.allclose(detection.keypoints[t, wrist, :2], exact[t, P["r_wrist"]], atol=1e-3)
    legs = np.allclose(detection.keypoints[t, ankle, :2], exact[t, P["r_ankle"]], atol=1e-3)
    assert arms != legs


def test_jitter_and_confidences_look_like_openpose() -> None:
    n = 4000
    points = body(n, yaw=0.0)  # facing the camera: nothing hidden
    camera = side_camera(n)
    exact, _ = camera.project(points)
    params = DetectorParams(**{**QUIET, "jitter": 0.01})
    error = detect(np.random.default_rng(5), points, camera, params).keypoints[..., :2] - exact
    body_px = 1000 * np.linalg.norm(points[0].max(axis=0) - points[0].min(axis=0)) / 6.0  # focal x size / depth
    assert np.std(error[:, P["neck"]]) == pytest.approx(0.01 * body_px, rel=0.15)
    assert np.std(error[:, P["l_wrist"]]) > 1.4 * np.std(error[:, P["neck"]])  # extremities blur more
    confidence = detect(np.random.default_rng(6), points, camera, DetectorParams()).keypoints[..., 2]
    seen = confidence[confidence > 0]
    assert np.mean((seen >= 0.5) & (seen <= 0.95)) > 0.8
    assert seen.min() >= 0.05
    assert confidence[:, P["neck"]].mean() > confidence[:, P["l_small_toe"]].mean() + 0.1


def test_the_far_side_is_less_confident() -> None:
    n = 3000
    points = body(n, yaw=0.0)  # side-on to the camera: the left side faces it... from -y, the right side
    params = DetectorParams(**{**QUIET, "confidence_noise": 0.0, "occlusion_penalty": 0.25})
    confidence = detect(np.random.default_rng(7), points, side_camera(n), params).keypoints[..., 2]
    near, far = P["r_knee"], P["l_knee"]
    assert confidence[:, near].mean() == pytest.approx(BASE_CONFIDENCE[near])
    assert confidence[:, far].mean() < BASE_CONFIDENCE[far] - 0.15


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="swap_rate"):
        DetectorParams(swap_rate=-0.1)
    with pytest.raises(ValueError, match="missing_frames"):
        DetectorParams(missing_frames=(3, 2))
    with pytest.raises(ValueError, match="jitter_correlation"):
        DetectorParams(jitter_correlation=1.0)
