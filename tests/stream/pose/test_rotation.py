"""Test-time rotation on an exact synthetic case: a detector of coloured dots that loses upside-down bodies."""

import threading

import numpy as np

from skillstream.models.keypoints.skeleton import BODY25_INDEX
from skillstream.stream.pose.base import PoseBackend
from skillstream.stream.pose.rotation import (ROTATED_SUFFIX, RotatingBackend, is_upside_down, rotate_image_180,
                                              rotate_keypoints_180)

WIDTH, HEIGHT = 64, 48
# An upside-down person facing the camera (head at the bottom). Facing the
# camera, their left wrist is on the image's right whichever way up they are
# drawn here: the points are given in the original frame.
INVERTED_BODY = {
    "nose": (20, 44), "neck": (20, 38), "mid_hip": (21, 12),
    "r_wrist": (9, 40), "l_wrist": (33, 41), "r_ankle": (17, 2), "l_ankle": (25, 3),
}


def body_image(points: dict[str, tuple[int, int]]) -> np.ndarray:
    """A black uint8 (H, W, 3) image with one dot per point: channel 0 holds 10 * (BODY_25 index + 1)."""
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for name, (x, y) in points.items():
        image[y, x, 0] = 10 * (BODY25_INDEX[name] + 1)
    return image


def expected_keypoints(points: dict[str, tuple[int, int]], confidence: float = 1.0) -> np.ndarray:
    out = np.zeros((25, 3), np.float32)
    for name, (x, y) in points.items():
        out[BODY25_INDEX[name]] = (x, y, confidence)
    return out


class DotBackend(PoseBackend):
    """Finds the dots of `body_image` exactly. Like a network trained on
    upright people, it loses a body whose nose is below its mid-hip, or
    (`inverted_confidence` > 0) reports it with that low confidence."""

    name = "dots"

    def __init__(self, inverted_confidence: float = 0.0) -> None:
        self.inverted_confidence = inverted_confidence
        self.calls: list[list[str]] = []
        self.open: set[str] = set()
        self._lock = threading.Lock()

    def open_stream(self, stream_id):
        self.open.add(stream_id)

    def close_stream(self, stream_id):
        self.open.discard(stream_id)

    def estimate(self, items):
        with self._lock:
            self.calls.append([stream_id for stream_id, _ in items])
        out = []
        for _, image in items:
            keypoints = np.zeros((25, 3), np.float32)
            ys, xs = np.nonzero(image[:, :, 0])
            for y, x in zip(ys, xs):
                keypoints[image[y, x, 0] // 10 - 1] = (x, y, 1.0)
            if is_upside_down(keypoints):
                keypoints[:, 2] *= self.inverted_confidence
                keypoints[keypoints[:, 2] == 0] = 0.0
            out.append(keypoints)
        return out


def test_rotate_keypoints_maps_pixels_and_keeps_missing_points():
    keypoints = np.zeros((25, 3), np.float32)
    keypoints[0] = (0, 0, 0.5)
    keypoints[4] = (63, 10, 1.0)
    back = rotate_keypoints_180(keypoints, WIDTH, HEIGHT)
    assert back[0].tolist() == [63, 47, 0.5] and back[4].tolist() == [0, 37, 1.0]
    assert not back[[i for i in range(25) if i not in (0, 4)]].any()  # missing stays (0, 0, 0)
    np.testing.assert_array_equal(rotate_keypoints_180(back, WIDTH, HEIGHT), keypoints)


def test_rotated_image_moves_each_pixel_where_the_keypoint_mapping_says():
    image = body_image(INVERTED_BODY)
    rotated = rotate_image_180(image)
    for name, (x, y) in INVERTED_BODY.items():
        assert rotated[HEIGHT - 1 - y, WIDTH - 1 - x, 0] == 10 * (BODY25_INDEX[name] + 1)


def test_is_upside_down():
    assert is_upside_down(expected_keypoints(INVERTED_BODY))
    upright = {name: (x, HEIGHT - 1 - y) for name, (x, y) in INVERTED_BODY.items()}
    assert not is_upside_down(expected_keypoints(upright))
    assert not is_upside_down(expected_keypoints({"nose": (1, 40)}))  # no hips: unknown, not upside down


def test_inverted_body_is_found_through_the_rotated_frame_with_its_own_labels():
    inner = DotBackend()
    image = body_image(INVERTED_BODY)
    assert not inner.estimate([("a", image)])[0].any()  # the plain detector loses it
    backend = RotatingBackend(inner)
    backend.open_stream("a")
    assert inner.open == {"a", "a" + ROTATED_SUFFIX}
    [keypoints] = backend.estimate([("a", image)])
    # Exactly the drawn points, left wrist still the left wrist (image right).
    np.testing.assert_array_equal(keypoints, expected_keypoints(INVERTED_BODY))
    assert inner.calls[-2:] == [["a"], ["a" + ROTATED_SUFFIX]]
    assert (backend.frames, backend.rotated, backend.chosen_rotated) == (1, 1, 1)
    backend.close_stream("a")
    assert inner.open == set()


def test_upright_frames_cost_one_call_and_an_upside_down_stream_keeps_trying_both():
    inner = DotBackend(inverted_confidence=0.25)
    backend = RotatingBackend(inner)
    backend.open_stream("s")
    upright = {name: (x, HEIGHT - 1 - y) for name, (x, y) in INVERTED_BODY.items()}
    [keypoints] = backend.estimate([("s", body_image(upright))])
    np.testing.assert_array_equal(keypoints, expected_keypoints(upright))
    assert inner.calls == [["s"]]
    # Found upright-only with low confidence: kept (nothing says to look again) ...
    [keypoints] = backend.estimate([("s", body_image(INVERTED_BODY))])
    np.testing.assert_array_equal(keypoints, expected_keypoints(INVERTED_BODY, 0.25))
    assert len(inner.calls) == 2
    # ... but it is upside down, so the next frame is also tried rotated and the surer answer wins.
    [keypoints] = backend.estimate([("s", body_image(INVERTED_BODY))])
    np.testing.assert_array_equal(keypoints, expected_keypoints(INVERTED_BODY))
    assert inner.calls[2:] == [["s"], ["s" + ROTATED_SUFFIX]]


def test_batches_retry_only_the_frames_that_need_it():
    inner = DotBackend()
    backend = RotatingBackend(inner)
    for stream_id in ("up", "down", "empty"):
        backend.open_stream(stream_id)
    upright = {name: (x, HEIGHT - 1 - y) for name, (x, y) in INVERTED_BODY.items()}
    items = [("up", body_image(upright)), ("down", body_image(INVERTED_BODY)), ("empty", body_image({}))]
    up, down, empty = backend.estimate(items)
    np.testing.assert_array_equal(up, expected_keypoints(upright))
    np.testing.assert_array_equal(down, expected_keypoints(INVERTED_BODY))
    assert not empty.any()
    assert inner.calls == [["up", "down", "empty"], ["down" + ROTATED_SUFFIX, "empty" + ROTATED_SUFFIX]]
