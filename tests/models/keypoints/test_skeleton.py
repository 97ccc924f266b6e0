"""The layouts and their mapping into BODY_25, checked against index tables
written out from each layout's published order (not derived from skeleton.py)."""

from __future__ import annotations

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import (
    BODY25_FLIP,
    BODY25_INDEX,
    BODY25_LIMBS,
    BODY25_NAMES,
    COCO17,
    COCO18,
    JHMDB15,
    LAYOUTS,
    MEDIAPIPE33,
    Layout,
    clear_missing,
    flip_left_right,
    to_body25,
)

NECK, MID_HIP, R_SHOULDER, L_SHOULDER, R_HIP, L_HIP = 1, 8, 2, 5, 9, 12

# Layout point index -> BODY_25 index, from OpenPose's COCO order, the MS-COCO
# keypoint order, BlazePose's landmark list and the JHMDB puppet joint order.
COCO18_TO_BODY25 = {i: j for i, j in enumerate([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])}
COCO17_TO_BODY25 = {i: j for i, j in enumerate([0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11])}
MEDIAPIPE33_TO_BODY25 = {0: 0, 2: 16, 5: 15, 7: 18, 8: 17, 11: 5, 12: 2, 13: 6, 14: 3, 15: 7, 16: 4,
                         23: 12, 24: 9, 25: 13, 26: 10, 27: 14, 28: 11, 29: 21, 30: 24, 31: 19, 32: 22}
JHMDB15_TO_BODY25 = {0: 1, 2: 0, 3: 2, 4: 5, 5: 9, 6: 12, 7: 3, 8: 6, 9: 10, 10: 13, 11: 4, 12: 7,
                     13: 11, 14: 14}


def distinct_points(n_points: int, channels: int = 3) -> np.ndarray:
    """(n, channels) points whose values identify the point: x = 10 + i,
    y = 200 + 2 i, confidence = 0.3 + 0.02 i."""
    i = np.arange(n_points, dtype=np.float32)
    points = np.stack([10 + i, 200 + 2 * i, 0.3 + 0.02 * i], axis=1)
    return points[:, :channels]


def test_body25_order_follows_openpose() -> None:
    assert len(BODY25_NAMES) == 25
    expected = {"nose": 0, "neck": 1, "r_shoulder": 2, "r_wrist": 4, "l_shoulder": 5, "l_wrist": 7,
                "mid_hip": 8, "r_hip": 9, "r_ankle": 11, "l_hip": 12, "l_ankle": 14, "r_eye": 15,
                "l_ear": 18, "l_big_toe": 19, "l_heel": 21, "r_big_toe": 22, "r_heel": 24}
    assert {name: BODY25_INDEX[name] for name in expected} == expected
    assert len(BODY25_LIMBS) == 24 and all(0 <= a < 25 and 0 <= b < 25 for a, b in BODY25_LIMBS)


def test_layouts_registry() -> None:
    assert set(LAYOUTS) == {"body25", "coco18", "coco17", "mediapipe33", "jhmdb15"}
    assert {name: layout.n_points for name, layout in LAYOUTS.items()} == {
        "body25": 25, "coco18": 18, "coco17": 17, "mediapipe33": 33, "jhmdb15": 15}


@pytest.mark.parametrize(("layout", "table"), [
    (COCO18, COCO18_TO_BODY25), (COCO17, COCO17_TO_BODY25),
    (MEDIAPIPE33, MEDIAPIPE33_TO_BODY25), (JHMDB15, JHMDB15_TO_BODY25),
])
def test_mapping_copies_points_derives_neck_and_mid_hip(layout: Layout, table: dict[int, int]) -> None:
    points = distinct_points(layout.n_points)
    body = to_body25(points, layout)
    assert body.dtype == np.float32 and body.shape == (25, 3)
    for source, target in table.items():
        np.testing.assert_array_equal(body[target], points[source], err_msg=f"{layout.name} point {source}")
    derived = {NECK: (R_SHOULDER, L_SHOULDER), MID_HIP: (R_HIP, L_HIP)}
    for point, (a, b) in derived.items():
        if point in table.values():
            continue  # the layout has it: copied above, not derived
        np.testing.assert_allclose(body[point, :2], (body[a, :2] + body[b, :2]) / 2)
        assert body[point, 2] == min(body[a, 2], body[b, 2])
    missing = set(range(25)) - set(table.values()) - set(derived)
    np.testing.assert_array_equal(body[sorted(missing)], 0.0)


def test_coco18_keeps_its_own_neck() -> None:
    points = distinct_points(18)
    points[1] = (500.0, 600.0, 0.9)  # not the shoulders' midpoint
    np.testing.assert_array_equal(to_body25(points, COCO18)[NECK], np.float32([500.0, 600.0, 0.9]))


def test_derived_point_is_missing_when_a_source_is_missing() -> None:
    points = distinct_points(17)
    points[5] = 0.0  # left shoulder missing
    body = to_body25(points, COCO17)
    np.testing.assert_array_equal(body[NECK], 0.0)
    assert body[MID_HIP, 2] > 0


def test_points_without_confidence_are_present() -> None:
    body = to_body25(distinct_points(15, channels=2), JHMDB15)
    mapped = sorted(JHMDB15_TO_BODY25.values()) + [MID_HIP]
    np.testing.assert_array_equal(body[mapped, 2], 1.0)


def test_missing_points_are_cleared_and_batches_map() -> None:
    points = np.broadcast_to(distinct_points(18), (2, 3, 18, 3)).copy()  # (2, 3, 18, 3)
    points[1, 2, 0] = (7.0, 8.0, 0.0)  # a position without confidence: missing
    body = to_body25(points, COCO18)
    assert body.shape == (2, 3, 25, 3)
    np.testing.assert_array_equal(body[1, 2, 0], 0.0)
    np.testing.assert_array_equal(body[0, 0], to_body25(distinct_points(18), COCO18))


@pytest.mark.parametrize("shape", [(18,), (17, 3), (18, 4), (2, 18, 1)])
def test_wrong_shape_is_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="coco18"):
        to_body25(np.zeros(shape, np.float32), COCO18)


def test_layout_refuses_repeated_targets() -> None:
    with pytest.raises(ValueError, match="distinct"):
        Layout("bad", ("a", "b"), (1, 1))
    with pytest.raises(ValueError, match="names"):
        Layout("bad", ("a",), (1, 2))


def test_flip_map_is_an_involution_swapping_left_and_right() -> None:
    assert sorted(BODY25_FLIP) == list(range(25))
    for i, j in enumerate(BODY25_FLIP):
        assert BODY25_FLIP[j] == i
        name = BODY25_NAMES[i]
        if name[:2] in ("r_", "l_"):
            other = ("l_" if name[:2] == "r_" else "r_") + name[2:]
            assert BODY25_NAMES[j] == other
        else:
            assert j == i
    assert sum(1 for i, j in enumerate(BODY25_FLIP) if i != j) == 22  # 11 pairs


def test_flip_left_right_mirrors_x_and_swaps_sides() -> None:
    body = to_body25(distinct_points(18), COCO18)
    flipped = flip_left_right(body, width=1000.0)
    r_wrist, l_wrist = BODY25_INDEX["r_wrist"], BODY25_INDEX["l_wrist"]
    np.testing.assert_allclose(flipped[r_wrist], (1000 - body[l_wrist, 0], body[l_wrist, 1], body[l_wrist, 2]))
    np.testing.assert_array_equal(flipped[BODY25_INDEX["l_heel"]], 0.0)  # missing stays (0, 0, 0)
    np.testing.assert_allclose(flip_left_right(flipped, 1000.0), body)


def test_clear_missing_zeroes_points_without_confidence_in_place() -> None:
    points = np.array([[1.0, 2.0, 0.0], [3.0, 4.0, -0.5], [5.0, 6.0, 0.5]], np.float32)
    assert clear_missing(points) is points
    np.testing.assert_array_equal(points, [[0, 0, 0], [0, 0, 0], [5, 6, 0.5]])
