"""`skillstream inspect`: clip folders, .npz clips, datasets, errors; and the
genuine OpenPose output."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.npz import write_npz
from skillstream.models.keypoints.openpose_json import write_openpose_folder
from skillstream.models.keypoints.skeleton import BODY25_NAMES


@pytest.fixture
def run_inspect(run_cli):
    return functools.partial(run_cli, "inspect")


def make_clip(frames: int, label: str = "leap") -> Clip:
    keypoints = np.zeros((frames, 25, 3), np.float32)  # (T, 25, 3)
    keypoints[:, :, :2] = 100.0
    keypoints[:, :, 2] = 0.5
    keypoints[0] = 0.0  # frame 0 without the person
    return Clip(keypoints, fps=25.0, width=640, height=480, label=label, layout="mediapipe33")


def test_clip_folder_table(tmp_path: Path, run_inspect) -> None:
    folder = write_openpose_folder(make_clip(10), tmp_path / "leap_1")
    status, out, err = run_inspect(folder)
    assert (status, err) == (0, "")
    assert out.startswith(f"OpenPose JSON folder  {folder}\n")
    for row in ("layout                      mediapipe33", "label                       leap",
                "frames                      10", "fps                         25",
                "duration                    0.40 s", "frame size                  640 x 480",
                "frames without a person     1 (10.0%)", "frames with several people  0",
                "nose             0.450     90.0%", "r_heel           0.450     90.0%"):
        assert f"  {row}\n" in out


def test_clip_json(tmp_path: Path, run_inspect) -> None:
    write_npz(make_clip(8), tmp_path / "c.npz")
    status, out, _ = run_inspect(tmp_path / "c.npz", "--json")
    report = json.loads(out)
    assert status == 0 and report["kind"] == "npz"
    assert (report["frames"], report["fps"], report["frames_without_person"]) == (8, 25.0, 1)
    assert list(report["mean_confidence"]) == list(BODY25_NAMES)
    assert report["mean_confidence"]["neck"] == pytest.approx(0.5 * 7 / 8)


def make_dataset(root: Path) -> Path:
    for i, frames in enumerate((6, 9, 12)):
        write_npz(make_clip(frames), root / "leap" / f"l{i}.npz")
    write_openpose_folder(make_clip(20), root / "turn" / "t0")
    return root


def test_dataset_table_has_totals_not_clip_rows(tmp_path: Path, run_inspect) -> None:
    status, out, _ = run_inspect(make_dataset(tmp_path))
    assert status == 0 and out.startswith(f"dataset  {tmp_path}\n")
    for row in ("clips                       4 in 2 labels", "frames                      47",
                "frames per clip             min 6, median 10.5, max 20", "layouts                     mediapipe33 (4)",
                "frames without a person     4", "leap                          3", "turn                          1"):
        assert f"  {row}\n" in out
    assert "nose" not in out and "skipped" not in out


def test_dataset_json(tmp_path: Path, run_inspect) -> None:
    status, out, _ = run_inspect(make_dataset(tmp_path), "--json")
    report = json.loads(out)
    assert status == 0 and report["kind"] == "dataset"
    assert report["clips_per_label"] == {"leap": 3, "turn": 1}
    assert (report["total_clips"], report["total_frames"], report["frames_median"]) == (4, 47, 10.5)


def test_bad_clip_fails_or_is_skipped(tmp_path: Path, run_inspect) -> None:
    root = make_dataset(tmp_path)
    (root / "leap" / "l1.npz").write_bytes(b"broken")
    status, out, err = run_inspect(root)
    assert status == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"skillstream inspect: error: {root}: 1 bad clip: leap/l1.npz: not a readable .npz")
    status, out, err = run_inspect(root, "--skip-bad")
    assert status == 0
    assert "clips                       3 in 2 labels" in out
    assert "\nskipped 1 bad clip:\n  leap/l1.npz: not a readable .npz" in out
    status, out, _ = run_inspect(root, "--skip-bad", "--json")
    assert json.loads(out)["skipped"][0]["where"] == "leap/l1.npz"


def test_bad_clip_folder_and_missing_path(tmp_path: Path, run_inspect) -> None:
    folder = write_openpose_folder(make_clip(3), tmp_path / "c")
    bad = folder / "c_000000000001_keypoints.json"
    bad.write_text('{"version": 1.3, "people": [{"pose_keypoints_2d": [1, 2, 3]}]}')
    status, _, err = run_inspect(folder)
    assert status == 2
    assert err == (f"skillstream inspect: error: {bad}: person 0: 3 values (1 point) is no known layout "
                   f"(75 = body25, 54 = coco18)\n")
    status, _, err = run_inspect(tmp_path / "missing")
    assert status == 2 and "missing: no such file or folder" in err


def test_fps_for_clips_that_do_not_say(tmp_path: Path, run_inspect) -> None:
    folder = write_openpose_folder(make_clip(10), tmp_path / "c")
    (folder / "clip.json").unlink()
    _, out, _ = run_inspect(folder, "--json", "--fps", "50")
    report = json.loads(out)
    assert (report["fps"], report["duration"], report["width"]) == (50.0, 0.2, 0)


def test_real_openpose_clip(shared_data: Path, run_inspect) -> None:
    folder = shared_data / "openpose_json" / "body25_soccer" / "Kick_10"
    files = [json.loads(path.read_text()) for path in sorted(folder.glob("*_keypoints.json"))]
    status, out, _ = run_inspect(folder, "--json")
    report = json.loads(out)
    assert status == 0 and report["kind"] == "openpose" and report["layout"] == "body25"
    assert report["frames"] == len(files) == 90
    # Every detection in this clip belongs to the one player, so only empty files lack a person.
    assert report["frames_without_person"] == sum(1 for f in files if not f["people"]) == 18
    assert report["frames_with_several_people"] == sum(1 for f in files if len(f["people"]) > 1) == 6


def test_real_openpose_coco18_clip(shared_data: Path, run_inspect) -> None:
    status, out, _ = run_inspect(shared_data / "openpose_json" / "coco18_v1.1" / "bicep_bad_1")
    assert status == 0
    assert "  layout                      coco18\n" in out and "  frames                      108\n" in out
