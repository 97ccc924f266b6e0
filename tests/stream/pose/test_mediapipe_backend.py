"""The BlazePose backend: the landmark mapping exactly, and the real model on a real frame."""

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_INDEX
from skillstream.stream.pose.mediapipe_backend import MediaPipeBackend, landmarks_to_body25


def test_landmarks_map_to_body25_pixels():
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[0] = (0.5, 0.25, 0.9)     # nose
    landmarks[11] = (0.75, 0.5, 0.8)    # left shoulder
    landmarks[12] = (0.25, 0.5, 0.6)    # right shoulder
    landmarks[31] = (0.5, 1.2, 0.99)    # left foot index, below the image: missing
    landmarks[15] = (0.1, 0.1, 0.0)     # left wrist with visibility 0: missing
    out = landmarks_to_body25(landmarks, 200, 100)
    assert out.dtype == np.float32 and out.shape == (25, 3)
    np.testing.assert_allclose(out[BODY25_INDEX["nose"]], (100, 25, 0.9))
    np.testing.assert_allclose(out[BODY25_INDEX["l_shoulder"]], (150, 50, 0.8))
    np.testing.assert_allclose(out[BODY25_INDEX["r_shoulder"]], (50, 50, 0.6))
    np.testing.assert_allclose(out[BODY25_INDEX["neck"]], (100, 50, 0.6))  # derived: midpoint, smaller confidence
    for name in ("l_big_toe", "l_wrist", "l_small_toe", "r_small_toe", "mid_hip"):
        assert not out[BODY25_INDEX[name]].any(), name


def test_bad_landmark_shape():
    with pytest.raises(ValueError, match=r"\(33, 3\)"):
        landmarks_to_body25(np.zeros((25, 3)), 10, 10)


@pytest.fixture(scope="module")
def video_frames(shared_data):
    import cv2

    capture = cv2.VideoCapture(str(shared_data / "videos" / "pose2sim_cam01.mp4"))
    frames = [capture.read()[1] for _ in range(3)]
    capture.release()
    return frames


def test_real_frames_give_a_skeleton_inside_the_image(video_frames):
    backend = MediaPipeBackend(0.5)
    with pytest.raises(KeyError, match="not open"):
        backend.estimate([("a", video_frames[0])])
    backend.open_stream("a")
    results = [backend.estimate([("a", frame)])[0] for frame in video_frames]
    height, width = video_frames[0].shape[:2]
    for keypoints in results:
        assert keypoints.dtype == np.float32 and keypoints.shape == (25, 3)
        present = keypoints[:, 2] > 0
        assert present.sum() >= 15
        assert (keypoints[present, 0] <= width - 1).all() and (keypoints[present, 1] <= height - 1).all()
        assert keypoints[BODY25_INDEX["neck"], 1] < keypoints[BODY25_INDEX["mid_hip"], 1]  # standing
        assert not keypoints[[BODY25_INDEX["l_small_toe"], BODY25_INDEX["r_small_toe"]]].any()
    # An image without a person.
    assert not backend.estimate([("a", np.zeros((240, 320, 3), np.uint8))])[0].any()
    backend.close_stream("a")
    backend.close()
    backend.close()
