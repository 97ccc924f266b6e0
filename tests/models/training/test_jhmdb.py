"""JHMDB's packed joint files -> DATASET/<label>/<clip>.npz, read back as BODY_25."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.clip import KeypointDataError
from skillstream.models.keypoints.dataset import load_dataset
from skillstream.models.keypoints.skeleton import BODY25_INDEX, JHMDB15
from skillstream.models.training.jhmdb import read_jhmdb_split, write_jhmdb_dataset


def packed(path: Path, overrides: dict | None = None) -> Path:
    """A packed split: clips wave (3 frames), run (2), wave (4); joint j of frame f of clip i is
    (i + f/10, -j/10); `overrides` replaces arrays (None leaves one out)."""
    lengths, labels = (3, 2, 4), ("wave", "run", "wave")
    poses = np.concatenate([
        np.stack(np.broadcast_arrays(i + np.arange(n)[:, None] / 10, -np.arange(15)[None] / 10), axis=-1)
        for i, n in enumerate(lengths)]).astype(np.float32)  # (frames, 15, 2)
    arrays = {"poses": poses, "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
              "labels": np.array(labels)}
    arrays.update(overrides or {})
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})
    return path


def test_read_split_cuts_the_clips(tmp_path: Path) -> None:
    clips = read_jhmdb_split(packed(tmp_path / "split.npz"))
    assert [(label, keypoints.shape) for label, keypoints in clips] == [
        ("wave", (3, 15, 2)), ("run", (2, 15, 2)), ("wave", (4, 15, 2))]
    assert clips[2][1][1, 4].tolist() == pytest.approx([2.1, -0.4])


def test_written_dataset_reads_back_as_body25(tmp_path: Path) -> None:
    counts = write_jhmdb_dataset(packed(tmp_path / "split.npz"), tmp_path / "out")
    assert counts == {"wave": 2, "run": 1}
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.npz")) == [
        "run/run_0001.npz", "wave/wave_0000.npz", "wave/wave_0002.npz"]
    dataset = load_dataset(tmp_path / "out")
    clip = dataset.clips[2]  # wave_0002
    assert (clip.label, clip.layout, clip.fps, clip.width, clip.height) == ("wave", "jhmdb15", 30.0, 0, 0)
    assert clip.keypoints.shape == (4, 25, 3)
    # JHMDB joint 11 (right wrist) lands on BODY_25's r_wrist with confidence 1; the belly is dropped.
    r_wrist = BODY25_INDEX["r_wrist"]
    assert clip.keypoints[1, r_wrist].tolist() == pytest.approx([2.1, -1.1, 1.0])
    assert JHMDB15.point_names[11] == "right_wrist"
    mid_hip = BODY25_INDEX["mid_hip"]  # derived from the hips (joints 5, 6): y = -0.55
    assert clip.keypoints[0, mid_hip].tolist() == pytest.approx([2.0, -0.55, 1.0])
    assert not clip.keypoints[:, BODY25_INDEX["l_big_toe"]].any()


@pytest.mark.parametrize("overrides, where, reason", [
    ({"labels": None}, "", "no 'labels' array"),
    ({"poses": np.zeros((9, 14, 2), np.float32)}, ": poses", "expected floats of shape (frames, 15, 2)"),
    ({"offsets": np.array([0, 3, 5, 9])[:3]}, ": offsets", "expected 4 integers"),
    ({"offsets": np.array([0, 3, 3, 9])}, ": offsets", "must rise strictly from 0 to 9"),
    ({"labels": np.array(["wave", "../x", "wave"])}, ": labels", "'../x' cannot be a folder name"),
    ({"poses": np.full((9, 15, 2), np.nan, np.float32)}, ": poses", "NaN or infinity"),
])
def test_bad_files_name_the_file_and_the_key(tmp_path: Path, overrides: dict, where: str, reason: str) -> None:
    path = packed(tmp_path / "bad.npz", overrides)
    with pytest.raises(KeypointDataError) as error:
        read_jhmdb_split(path)
    assert error.value.where == f"{path}{where}" and reason in error.value.reason


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(KeypointDataError, match="junk.npz: not a readable .npz"):
        read_jhmdb_split(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError):
        read_jhmdb_split(tmp_path / "missing.npz")


def test_real_split_1_test_file(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "jhmdb" / "jhmdb_test_1.npz"
    counts = write_jhmdb_dataset(source, tmp_path)
    assert sum(counts.values()) == 176 and len(counts) == 14
    assert counts["pour"] == 16 and counts["run"] == 11 and counts["wave"] == 12
    dataset = load_dataset(tmp_path)
    lengths = [len(clip) for clip in dataset.clips]
    assert min(lengths) == 15 and max(lengths) == 40 and sum(lengths) == 5918
    assert all(clip.layout == "jhmdb15" for clip in dataset.clips)
    points = np.concatenate([clip.keypoints for clip in dataset.clips])  # (5918, 25, 3)
    mapped = [i for i in JHMDB15.body25_index if i >= 0] + [BODY25_INDEX["mid_hip"]]
    assert (points[:, mapped, 2] == 1.0).all()  # every mapped joint present (confidence 1)
    assert (points[..., :2] < 0).any()  # centred coordinates: negative ones survive
