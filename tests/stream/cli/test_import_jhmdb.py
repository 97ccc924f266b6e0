"""`skillstream import-jhmdb`: a packed split becomes a dataset that `train` and `inspect` read."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.dataset import load_dataset


@pytest.fixture
def run_import(run_cli):
    return functools.partial(run_cli, "import-jhmdb")


def packed(path: Path) -> Path:
    rng = np.random.default_rng(0)
    np.savez(path, poses=rng.normal(0, 0.3, (50, 15, 2)).astype(np.float32),
             offsets=np.array([0, 15, 35, 50]), labels=np.array(["pour", "clap", "pour"]))
    return path


def test_import(run_import, tmp_path: Path) -> None:
    status, out, err = run_import(packed(tmp_path / "split.npz"), "--out", tmp_path / "out")
    assert status == 0 and err == ""
    assert out == f"import-jhmdb: 3 clips in 2 labels (clap 1, pour 2) -> {tmp_path / 'out'}\n"
    dataset = load_dataset(tmp_path / "out")
    assert [(clip.label, len(clip)) for clip in dataset.clips] == [("clap", 20), ("pour", 15), ("pour", 15)]


def test_refuses_a_folder_with_files_and_bad_sources(run_import, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("x")
    status, _, err = run_import(packed(tmp_path / "split.npz"), "--out", tmp_path / "out")
    assert status == 2 and "exists and is not an empty folder" in err
    np.savez(tmp_path / "bad.npz", poses=np.zeros((3, 15, 2), np.float32))
    status, _, err = run_import(tmp_path / "bad.npz", "--out", tmp_path / "new")
    assert status == 2 and "bad.npz: no 'offsets' array" in err and not (tmp_path / "new").exists()
    status, _, err = run_import(tmp_path / "missing.npz", "--out", tmp_path / "new")
    assert status == 2 and "missing.npz" in err


def test_real_split(run_import, shared_data: Path, tmp_path: Path) -> None:
    status, out, _ = run_import(shared_data / "jhmdb" / "jhmdb_test_1.npz", "--out", tmp_path / "test1")
    assert status == 0 and out.startswith("import-jhmdb: 176 clips in 14 labels (catch 14, clap 13, golf 12, ")
