"""The compact .npz clip: round trip, other layouts, defaults, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.clip import Clip, KeypointDataError
from skillstream.models.keypoints.npz import read_npz, write_npz
from skillstream.models.keypoints.skeleton import BODY25_INDEX, COCO18, JHMDB15, to_body25


def make_clip(frames: int = 12, label: str | None = "turn") -> Clip:
    rng = np.random.default_rng(3)
    keypoints = rng.uniform(0.05, 900, (frames, 25, 3)).astype(np.float32)  # (T, 25, 3)
    keypoints[..., 2] = rng.uniform(0.05, 1, (frames, 25))
    keypoints[2] = 0.0
    return Clip(keypoints, fps=59.94, width=1920, height=1080, label=label, source="cam 2",
                layout="coco17", people=np.arange(frames) % 3)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    clip = make_clip()
    write_npz(clip, tmp_path / "turn_01.npz")
    back = read_npz(tmp_path / "turn_01.npz")
    np.testing.assert_array_equal(back.keypoints, clip.keypoints)
    assert back.keypoints.dtype == np.float32
    assert (back.fps, back.width, back.height, back.label, back.layout) == (59.94, 1920, 1080, "turn", "coco17")
    assert back.source == str(tmp_path / "turn_01.npz")
    np.testing.assert_array_equal(back.people, clip.people)
    assert back.people.dtype == np.int16


def test_no_label_and_stored_fields(tmp_path: Path) -> None:
    write_npz(make_clip(label=None), tmp_path / "c.npz")
    assert read_npz(tmp_path / "c.npz").label is None
    with np.load(tmp_path / "c.npz", allow_pickle=False) as stored:
        assert sorted(stored.files) == ["fps", "height", "keypoints", "label", "layout", "people", "source", "width"]
        assert str(stored["source"]) == "cam 2"


def test_name_is_used_as_given(tmp_path: Path) -> None:
    write_npz(make_clip(), tmp_path / "clip.data")
    assert (tmp_path / "clip.data").exists() and not (tmp_path / "clip.data.npz").exists()


def test_other_layout_is_mapped(tmp_path: Path) -> None:
    coco = np.random.default_rng(1).uniform(0.1, 500, (5, 18, 3)).astype(np.float32)  # (T, 18, 3)
    np.savez_compressed(tmp_path / "c.npz", keypoints=coco, layout="coco18", fps=12.5)
    clip = read_npz(tmp_path / "c.npz")
    assert (clip.layout, clip.fps) == ("coco18", 12.5)
    np.testing.assert_array_equal(clip.keypoints, to_body25(coco, COCO18))


def test_body25_keypoints_keep_the_recorded_layout(tmp_path: Path) -> None:
    keypoints = np.random.default_rng(4).uniform(0.1, 500, (3, 25, 3)).astype(np.float32)  # (T, 25, 3)
    np.savez(tmp_path / "m.npz", keypoints=keypoints, layout="mediapipe33")
    clip = read_npz(tmp_path / "m.npz")
    assert clip.layout == "mediapipe33"
    np.testing.assert_array_equal(clip.keypoints, keypoints)


def test_layout_inferred_from_point_count_and_xy_only(tmp_path: Path) -> None:
    joints = np.random.default_rng(2).uniform(-1, 1, (7, 15, 2)).astype(np.float32)  # (T, 15, 2)
    np.savez(tmp_path / "j.npz", keypoints=joints)
    clip = read_npz(tmp_path / "j.npz", fps=30.0)
    assert clip.layout == "jhmdb15"
    np.testing.assert_array_equal(clip.keypoints, to_body25(joints, JHMDB15))
    assert (clip.keypoints[:, BODY25_INDEX["nose"], 2] == 1.0).all()


def test_defaults_for_missing_keys(tmp_path: Path) -> None:
    np.savez(tmp_path / "k.npz", keypoints=np.ones((4, 25, 3), np.float32))
    clip = read_npz(tmp_path / "k.npz", fps=24.0)
    assert (clip.fps, clip.width, clip.height, clip.label, clip.layout) == (24.0, 0, 0, None, "body25")
    np.testing.assert_array_equal(clip.people, [-1, -1, -1, -1])


GOOD = {"keypoints": np.ones((4, 25, 3), np.float32)}
BAD_ARRAYS = {
    "no keypoints": ({"fps": 30.0}, "", "no 'keypoints' array (has: fps)"),
    "2-d keypoints": ({"keypoints": np.ones((4, 75))}, "keypoints", "shape (T, N, 2|3)"),
    "4 channels": ({"keypoints": np.ones((4, 25, 4))}, "keypoints", "shape (T, N, 2|3)"),
    "strings": ({"keypoints": np.full((4, 25, 3), "1")}, "keypoints", "expected numbers"),
    "no frames": ({"keypoints": np.ones((0, 25, 3))}, "keypoints", "no frames"),
    "NaN": ({"keypoints": np.full((4, 25, 3), np.nan)}, "keypoints", "NaN or infinity"),
    "unknown count": ({"keypoints": np.ones((4, 21, 3))}, "keypoints", "21 points per frame is no known layout"),
    "unknown layout": (GOOD | {"layout": "openpose"}, "layout", "unknown layout 'openpose'"),
    "layout mismatch": ({"keypoints": np.ones((4, 17, 3)), "layout": "coco18"}, "keypoints",
                        "layout coco18 has 18 points, the keypoints have 17"),
    "people shape": (GOOD | {"people": np.ones(3, np.int16)}, "people", "shape (4,)"),
    "people floats": (GOOD | {"people": np.ones(4)}, "people", "expected integers"),
    "fps array": (GOOD | {"fps": np.array([30.0, 25.0])}, "fps", "expected a single number"),
    "width float": (GOOD | {"width": 640.5}, "width", "expected a single integer"),
    "label number": (GOOD | {"label": 3}, "label", "expected a single string"),
}


@pytest.mark.parametrize("case", BAD_ARRAYS)
def test_bad_arrays(tmp_path: Path, case: str) -> None:
    arrays, field, reason = BAD_ARRAYS[case]
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(KeypointDataError) as caught:
        read_npz(path)
    assert caught.value.where == (f"{path}: {field}" if field else str(path))
    assert reason in caught.value.reason


def test_bad_values_checked_by_clip(tmp_path: Path) -> None:
    np.savez(tmp_path / "f.npz", **GOOD, fps=0.0)
    with pytest.raises(KeypointDataError, match="fps must be a positive number") as caught:
        read_npz(tmp_path / "f.npz")
    assert caught.value.where == str(tmp_path / "f.npz")


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "text.npz").write_text("not a zip")
    write_npz(make_clip(), tmp_path / "whole.npz")
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    np.savez(tmp_path / "pickled.npz", keypoints=np.array([{"x": 1}], dtype=object))
    (tmp_path / "folder.npz").mkdir()
    for name in ("text.npz", "cut.npz", "pickled.npz", "folder.npz"):
        with pytest.raises(KeypointDataError, match="not a readable .npz") as caught:
            read_npz(tmp_path / name)
        assert caught.value.where == str(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        read_npz(tmp_path / "missing.npz")
