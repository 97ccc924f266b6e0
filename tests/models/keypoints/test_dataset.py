"""Datasets DATASET/<label>/<clip>: finding, loading, labels, bad clips, path kinds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.clip import Clip, KeypointDataError
from skillstream.models.keypoints.dataset import (
    ClipEntry,
    DatasetError,
    find_clips,
    load_clip,
    load_dataset,
    path_kind,
)
from skillstream.models.keypoints.npz import write_npz
from skillstream.models.keypoints.openpose_json import write_openpose_folder


def make_clip(frames: int, x: float = 100.0, label: str | None = "stored label") -> Clip:
    keypoints = np.zeros((frames, 25, 3), np.float32)  # (T, 25, 3)
    keypoints[..., 0] = x
    keypoints[..., 1] = np.arange(25) * 10.0
    keypoints[..., 2] = 0.75
    return Clip(keypoints, fps=25.0, width=640, height=480, label=label)


def make_dataset(root: Path) -> Path:
    """beam_leap: a_json (JSON, 6 frames), b.npz (4); turn: c.npz (8); plus
    things that are not clips."""
    write_openpose_folder(make_clip(6, x=1.0), root / "beam_leap" / "a_json")
    write_npz(make_clip(4, x=2.0), root / "beam_leap" / "b.npz")
    write_npz(make_clip(8, x=3.0, label=None), root / "turn" / "c.npz")
    (root / "turn" / "notes.txt").write_text("not a clip")
    (root / ".cache" / "x").mkdir(parents=True)
    (root / "README.md").write_text("not a label")
    return root


def test_find_clips_lists_without_reading(tmp_path: Path) -> None:
    root = make_dataset(tmp_path)
    assert find_clips(root) == [
        ClipEntry("beam_leap", root / "beam_leap" / "a_json"),
        ClipEntry("beam_leap", root / "beam_leap" / "b.npz"),
        ClipEntry("turn", root / "turn" / "c.npz"),
    ]


def test_load_dataset_labels_from_folders_in_order(tmp_path: Path) -> None:
    dataset = load_dataset(make_dataset(tmp_path))
    assert [(clip.label, len(clip), float(clip.keypoints[0, 0, 0])) for clip in dataset.clips] == [
        ("beam_leap", 6, 1.0), ("beam_leap", 4, 2.0), ("turn", 8, 3.0)]
    assert dataset.labels == ["beam_leap", "turn"]
    assert dataset.skipped == [] and dataset.root == tmp_path


def corrupt(root: Path) -> tuple[Path, Path]:
    """Break a JSON clip and an .npz clip of `root`; return the two bad files."""
    bad_json = root / "beam_leap" / "a_json" / "a_json_000000000002_keypoints.json"
    bad_json.write_text('{"people": [')
    bad_npz = root / "turn" / "c.npz"
    bad_npz.write_bytes(b"garbage")
    return bad_json, bad_npz


def test_every_bad_clip_is_reported(tmp_path: Path) -> None:
    root = make_dataset(tmp_path)
    corrupt(root)
    with pytest.raises(DatasetError) as caught:
        load_dataset(root)
    error = caught.value
    assert [(bad.path, bad.where) for bad in error.bad] == [
        (root / "beam_leap" / "a_json", "beam_leap/a_json/a_json_000000000002_keypoints.json"),
        (root / "turn" / "c.npz", "turn/c.npz"),
    ]
    assert "malformed JSON" in error.bad[0].reason and "not a readable .npz" in error.bad[1].reason
    assert error.where == str(root)
    assert str(error).startswith(f"{root}: 2 bad clips: beam_leap/a_json/a_json_000000000002_keypoints.json: "
                                 f"malformed JSON")
    assert "; turn/c.npz: not a readable .npz" in str(error)
    assert "\n" not in str(error)
    assert isinstance(error, KeypointDataError)


def test_skip_bad_leaves_them_out_and_says_which(tmp_path: Path) -> None:
    root = make_dataset(tmp_path)
    corrupt(root)
    dataset = load_dataset(root, skip_bad=True)
    assert [clip.source for clip in dataset.clips] == [str(root / "beam_leap" / "b.npz")]
    assert [str(bad) for bad in dataset.skipped][1].startswith("turn/c.npz: not a readable .npz")
    assert len(dataset.skipped) == 2


def test_fps_passed_to_clips_that_do_not_say(tmp_path: Path) -> None:
    (tmp_path / "walk").mkdir()
    np.savez(tmp_path / "walk" / "w.npz", keypoints=np.ones((3, 25, 3), np.float32))
    assert load_dataset(tmp_path, fps=50.0).clips[0].fps == 50.0


def test_dataset_without_clips(tmp_path: Path) -> None:
    (tmp_path / "empty_label").mkdir()
    with pytest.raises(KeypointDataError, match="no clips") as caught:
        load_dataset(tmp_path)
    assert caught.value.where == str(tmp_path)


def test_clip_folder_parent_given_as_dataset_gets_a_hint(tmp_path: Path) -> None:
    write_openpose_folder(make_clip(3), tmp_path / "kicks" / "k1")
    with pytest.raises(KeypointDataError, match="pass the folder above them"):
        load_dataset(tmp_path / "kicks")
    assert [clip.label for clip in load_dataset(tmp_path).clips] == ["kicks"]


def test_bad_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        load_dataset(tmp_path / "file")


def test_path_kind(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "data")
    assert path_kind(root) == "dataset"
    assert path_kind(root / "beam_leap" / "a_json") == "openpose"
    assert path_kind(root / "beam_leap" / "b.npz") == "npz"
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "frame.json").write_text("{}")
    assert path_kind(tmp_path / "odd") == "openpose"  # so that the reader says what is wrong
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeypointDataError, match="no keypoint JSON files and no label folders"):
        path_kind(tmp_path / "empty")
    with pytest.raises(KeypointDataError, match="not a clip or dataset"):
        path_kind(root / "README.md")
    with pytest.raises(FileNotFoundError):
        path_kind(tmp_path / "missing")


def test_load_clip_dispatches(tmp_path: Path) -> None:
    root = make_dataset(tmp_path)
    assert len(load_clip(root / "beam_leap" / "a_json")) == 6
    assert len(load_clip(root / "beam_leap" / "b.npz")) == 4
    with pytest.raises(KeypointDataError, match="not a clip"):
        load_clip(root / "README.md")
    with pytest.raises(FileNotFoundError):
        load_clip(root / "missing.txt")
