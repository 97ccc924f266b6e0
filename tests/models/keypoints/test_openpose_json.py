"""OpenPose JSON folders: reading (frame order, layouts, people, errors),
following the main person, writing; validated on genuine OpenPose output."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.clip import Clip, KeypointDataError
from skillstream.models.keypoints.openpose_json import (
    choose_main_person,
    read_openpose_folder,
    write_openpose_folder,
)
from skillstream.models.keypoints.skeleton import BODY25_INDEX, COCO18, to_body25
from tests.conftest import scaled_timeout

NECK, MID_HIP = BODY25_INDEX["neck"], BODY25_INDEX["mid_hip"]


def body(cx: float, cy: float, height: float, confidence: float, n_points: int = 25) -> list[float]:
    """Flat x, y, c values of a person whose points span a box `height` tall
    and `height / 2` wide centred at (cx, cy), every point of `confidence`."""
    i = np.arange(n_points)
    x = cx + 0.25 * height * np.cos(i)
    x[:2] = cx - 0.25 * height, cx + 0.25 * height  # make the box exactly height / 2 wide
    y = cy - height / 2 + height * i / (n_points - 1)
    return np.stack([x, y, np.full(n_points, confidence)], axis=1).round(3).ravel().tolist()


def write_frame(folder: Path, frame: int | str, people: list, *, key: str = "pose_keypoints_2d",
                version: float = 1.3, clip: str = "clip") -> Path:
    """Write one OpenPose frame file `<clip>_<frame:012d>_keypoints.json` (a
    str `frame` is used verbatim) holding `people`, each a list of values."""
    folder.mkdir(parents=True, exist_ok=True)
    number = frame if isinstance(frame, str) else f"{frame:012d}"
    path = folder / f"{clip}_{number}_keypoints.json"
    path.write_text(json.dumps({"version": version, "people": [
        {"person_id": [-1], key: values, "face_keypoints_2d": []} for values in people]}))
    return path


def as_points(values: list[float]) -> np.ndarray:
    return np.asarray(values, np.float32).reshape(-1, 3)


# ---------------------------------------------------------------- reading


def test_frames_are_ordered_by_frame_number_not_name_or_mtime(tmp_path: Path) -> None:
    # Unpadded numbers: by name "clip_10" sorts before "clip_2"; mtimes run backwards.
    for frame in range(12):
        path = write_frame(tmp_path, str(frame), [body(100 + frame, 300, 200, 0.8)])
        os.utime(path, (1_000_000 - frame, 1_000_000 - frame))
    clip = read_openpose_folder(tmp_path)
    assert len(clip) == 12
    np.testing.assert_allclose(clip.keypoints[:, NECK, 0], 100 + np.arange(12) + 50, atol=1e-3)


def test_clip_fields_without_sidecar(tmp_path: Path) -> None:
    write_frame(tmp_path, 0, [body(100, 300, 200, 0.8)])
    write_frame(tmp_path, 1, [body(102, 300, 200, 0.8)])
    clip = read_openpose_folder(tmp_path, fps=25.0)
    assert (clip.fps, clip.width, clip.height, clip.label, clip.layout) == (25.0, 0, 0, None, "body25")
    assert clip.source == str(tmp_path)
    assert clip.keypoints.shape == (2, 25, 3) and clip.keypoints.dtype == np.float32
    np.testing.assert_allclose(clip.keypoints[1], as_points(body(102, 300, 200, 0.8)))
    np.testing.assert_array_equal(clip.people, [1, 1])


def test_routine_ground_truth_beside_the_frames_is_passed_over(tmp_path: Path) -> None:
    write_frame(tmp_path, 0, [body(100, 300, 200, 0.8)])
    (tmp_path / "segments.json").write_text('[{"label": "cartwheel", "start_frame": 0, "end_frame": 0}]')
    assert len(read_openpose_folder(tmp_path)) == 1


def test_frames_start_anywhere(tmp_path: Path) -> None:
    for frame in (40, 41, 42):
        write_frame(tmp_path, frame, [body(100, 300, 200, 0.8)])
    assert len(read_openpose_folder(tmp_path)) == 3


def test_empty_frames_and_all_zero_people_are_kept_as_absent(tmp_path: Path) -> None:
    write_frame(tmp_path, 0, [body(100, 300, 200, 0.8)])
    write_frame(tmp_path, 1, [])
    write_frame(tmp_path, 2, [[0] * 75])  # a person with all-zero keypoints: no detection
    write_frame(tmp_path, 3, [[0] * 75, body(101, 300, 200, 0.8)])
    clip = read_openpose_folder(tmp_path)
    np.testing.assert_array_equal(clip.people, [1, 0, 0, 1])
    np.testing.assert_array_equal(clip.keypoints[1:3], 0.0)
    np.testing.assert_allclose(clip.keypoints[3], as_points(body(101, 300, 200, 0.8)))


def test_all_frames_empty(tmp_path: Path) -> None:
    write_frame(tmp_path, 0, [])
    write_frame(tmp_path, 1, [])
    clip = read_openpose_folder(tmp_path)
    assert clip.keypoints.shape == (2, 25, 3) and not clip.keypoints.any()
    np.testing.assert_array_equal(clip.people, [0, 0])


@pytest.mark.parametrize("version", [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7])
def test_versions(tmp_path: Path, version: float) -> None:
    key = "pose_keypoints" if version < 1.2 else "pose_keypoints_2d"
    write_frame(tmp_path, 0, [body(100, 300, 200, 0.8)], key=key, version=version)
    assert read_openpose_folder(tmp_path).layout == "body25"


def test_old_key_and_coco18_map_into_body25(tmp_path: Path) -> None:
    people = [body(100 + frame, 300, 200, 0.5 + 0.1 * frame, n_points=18) for frame in range(3)]
    for frame, values in enumerate(people):
        write_frame(tmp_path, frame, [values], key="pose_keypoints", version=1.1)
    clip = read_openpose_folder(tmp_path)
    assert clip.layout == "coco18"
    coco = np.stack([as_points(values) for values in people])  # (3, 18, 3)
    np.testing.assert_array_equal(clip.keypoints[:, NECK], coco[:, 1])  # kept, not derived
    np.testing.assert_allclose(clip.keypoints[:, MID_HIP, :2], (coco[:, 8, :2] + coco[:, 11, :2]) / 2)
    np.testing.assert_array_equal(clip.keypoints[:, 19:], 0.0)  # no feet in COCO-18
    np.testing.assert_array_equal(clip.keypoints, to_body25(coco, COCO18))


def test_follows_the_largest_person_not_the_first_listed(tmp_path: Path) -> None:
    large = [body(600 + 3 * t, 400, 300, 0.9) for t in range(10)]
    small = [body(150, 300 + 2 * t, 100, 0.6) for t in range(10)]
    for t in range(10):
        write_frame(tmp_path, t, [large[t], small[t]] if t % 2 else [small[t], large[t]])
    clip = read_openpose_folder(tmp_path)
    np.testing.assert_allclose(clip.keypoints, np.stack([as_points(v) for v in large]))
    np.testing.assert_array_equal(clip.people, np.full(10, 2))


def test_follows_the_most_confident_of_equal_sizes(tmp_path: Path) -> None:
    for t in range(6):
        sure, unsure = body(600, 400 + t, 300, 0.9), body(200, 400 - t, 300, 0.3)
        write_frame(tmp_path, t, [unsure, sure] if t % 2 else [sure, unsure])
    clip = read_openpose_folder(tmp_path)
    np.testing.assert_allclose(clip.keypoints[:, :, 2], 0.9)
    np.testing.assert_allclose(clip.keypoints[:, NECK, 0], 600 + 75)


# ---------------------------------------------------------------- choosing the person


def detections(*people: list[float] | None) -> list[np.ndarray]:
    return [as_points(values) for values in people if values is not None]


def test_main_person_is_followed_through_a_frame_where_a_bystander_is_larger() -> None:
    # Per-frame "largest" would switch to the bystander in frame 5; the main
    # person's track has the larger summed score, so it is kept throughout.
    frames = []
    for t in range(10):
        main = body(600 + 5 * t, 400, 80 if t == 5 else 300, 0.9)
        bystander = body(150, 300, 200, 0.8)
        frames.append(detections(bystander, main) if t % 3 else detections(main, bystander))
    chosen = choose_main_person(frames)
    expected = [1 if t % 3 else 0 for t in range(10)]
    np.testing.assert_array_equal(chosen, expected)


def test_a_long_track_beats_a_brief_larger_one() -> None:
    frames = [detections(body(300 + t, 300, 150, 0.8), body(800, 300, 400, 0.9) if t == 4 else None)
              for t in range(10)]
    np.testing.assert_array_equal(choose_main_person(frames), np.zeros(10))


def test_short_gaps_are_bridged_long_ones_are_not() -> None:
    def clip_with_gap(gap: int) -> list[list[np.ndarray]]:
        seen = [detections(body(300 + t, 300, 200, 0.9)) for t in range(5)]
        return seen + [[] for _ in range(gap)] + seen

    chosen = choose_main_person(clip_with_gap(3), max_gap=3)
    np.testing.assert_array_equal(chosen, [0] * 5 + [-1] * 3 + [0] * 5)
    chosen = choose_main_person(clip_with_gap(4), max_gap=3)  # two tracks of equal score: the first
    np.testing.assert_array_equal(chosen, [0] * 5 + [-1] * 9)


def test_no_detection_at_all() -> None:
    assert choose_main_person([]).shape == (0,)
    np.testing.assert_array_equal(choose_main_person([[], [as_points([0] * 75)]]), [-1, -1])
    with pytest.raises(ValueError):
        choose_main_person([], max_shift=0)


# ---------------------------------------------------------------- writing


def synthetic_clip(frames: int = 20, **fields) -> Clip:
    rng = np.random.default_rng(7)
    keypoints = np.zeros((frames, 25, 3), np.float32)  # (T, 25, 3)
    keypoints[..., :2] = rng.uniform(0, 1000, (frames, 25, 2))
    keypoints[..., 2] = rng.uniform(0.05, 1.0, (frames, 25))
    keypoints[3] = 0.0  # a frame without the person
    keypoints[4, 7] = 0.0  # a missing point
    defaults = dict(keypoints=keypoints, fps=25.0, width=1280, height=720, label="leap",
                    source="synth seed 7", layout="mediapipe33")
    return Clip(**(defaults | fields))


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    clip = synthetic_clip()
    folder = write_openpose_folder(clip, tmp_path / "leap_001")
    names = sorted(os.listdir(folder))
    assert names == ["clip.json"] + [f"leap_001_{t:012d}_keypoints.json" for t in range(20)]
    back = read_openpose_folder(folder, fps=99.0)
    np.testing.assert_allclose(back.keypoints[..., :2], clip.keypoints[..., :2], atol=0.005 + 1e-4)
    np.testing.assert_allclose(back.keypoints[..., 2], clip.keypoints[..., 2], atol=0.0005 + 1e-6)
    assert (back.fps, back.width, back.height, back.label, back.layout) == (25.0, 1280, 720, "leap", "mediapipe33")
    assert back.source == str(folder)
    np.testing.assert_array_equal(back.people, [0 if t == 3 else 1 for t in range(20)])
    assert json.loads((folder / "clip.json").read_text())["source"] == "synth seed 7"


def test_written_files_are_openpose_1_3(tmp_path: Path) -> None:
    folder = write_openpose_folder(synthetic_clip(), tmp_path / "c", name="other")
    frame = json.loads((folder / "other_000000000000_keypoints.json").read_text())
    assert frame["version"] == 1.3 and len(frame["people"]) == 1
    person = frame["people"][0]
    assert person["person_id"] == [-1] and len(person["pose_keypoints_2d"]) == 75
    assert json.loads((folder / "other_000000000003_keypoints.json").read_text()) == {"version": 1.3, "people": []}


def test_write_refuses_to_mix_with_old_frames_unless_overwrite(tmp_path: Path) -> None:
    write_openpose_folder(synthetic_clip(20), tmp_path / "c")
    with pytest.raises(FileExistsError):
        write_openpose_folder(synthetic_clip(5), tmp_path / "c")
    write_openpose_folder(synthetic_clip(5), tmp_path / "c", overwrite=True)
    assert len(read_openpose_folder(tmp_path / "c")) == 5


def test_read_300_frames_quickly(tmp_path: Path) -> None:
    folder = write_openpose_folder(synthetic_clip(300), tmp_path / "long")
    start = time.perf_counter()
    assert len(read_openpose_folder(folder)) == 300
    assert time.perf_counter() - start < scaled_timeout(1.0)


# ---------------------------------------------------------------- bad input


def good(folder: Path, frames: int = 2) -> None:
    for t in range(frames):
        write_frame(folder, t, [body(300, 300, 200, 0.8)])


def raw_frame(folder: Path, frame: int, content: bytes) -> Path:
    good(folder)
    path = folder / f"clip_{frame:012d}_keypoints.json"
    path.write_bytes(content)
    return path


def person_json(values: str) -> str:
    return '{"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": [%s]}]}' % values


VALUES = ", ".join(["1.5"] * 75)
BAD_FRAMES = {
    "malformed": ('{"version": 1.3, "people": [', "malformed JSON"),
    "not utf-8": (b'{"people": [\xff]}', "malformed JSON"),
    "no people": ('{"version": 1.3}', "no 'people' key"),
    "people not a list": ('{"version": 1.3, "people": {}}', "'people' must be a list"),
    "person not an object": ('{"version": 1.3, "people": [[1, 2, 3]]}', "person 0: expected an object"),
    "no pose key": ('{"version": 1.3, "people": [{"face_keypoints_2d": []}]}', "person 0: no pose keypoints"),
    "pose not a list": ('{"people": [{"pose_keypoints_2d": "1,2,3"}]}', "must be a list"),
    "60 values": (person_json(", ".join(["1.5"] * 60)), "60 values (20 points) is no known layout"),
    "74 values": (person_json(", ".join(["1.5"] * 74)), "not a multiple of 3"),
    "no values": (person_json(""), "0 values"),
    "NaN": (person_json(VALUES.replace("1.5", "NaN", 1)), "NaN or infinity"),
    "Infinity": (person_json(VALUES.replace("1.5", "-Infinity", 1)), "NaN or infinity"),
    "overflow": (person_json(VALUES.replace("1.5", "1e999", 1)), "NaN or infinity"),
    "string": (person_json(VALUES.replace("1.5", '"12"', 1)), 'value 0 is "12", not a number'),
    "null": (person_json(VALUES[:-3] + "null"), "value 74 is null, not a number"),
    "bool": (person_json(VALUES.replace("1.5", "true", 1)), "value 0 is true, not a number"),
    "second person differs": ('{"people": [{"pose_keypoints_2d": [%s]}, {"pose_keypoints_2d": [%s]}]}'
                              % (VALUES, ", ".join(["1.5"] * 54)), "person 1: 54 values, but person 0 has 75"),
}


@pytest.mark.parametrize("case", BAD_FRAMES)
def test_bad_frame_file_names_file_and_reason(tmp_path: Path, case: str) -> None:
    content, reason = BAD_FRAMES[case]
    path = raw_frame(tmp_path, 1, content if isinstance(content, bytes) else content.encode())
    with pytest.raises(KeypointDataError) as caught:
        read_openpose_folder(tmp_path)
    assert caught.value.where == str(path)
    assert reason in caught.value.reason


def test_layout_changing_between_files(tmp_path: Path) -> None:
    good(tmp_path)
    path = write_frame(tmp_path, 2, [body(300, 300, 200, 0.8, n_points=18)], key="pose_keypoints")
    with pytest.raises(KeypointDataError) as caught:
        read_openpose_folder(tmp_path)
    assert caught.value.where == str(path)
    assert caught.value.reason == "54 values per person (coco18), but earlier files have 75 (body25)"


@pytest.mark.parametrize(("names", "bad", "reason"), [
    ([], None, "no OpenPose keypoint JSON files"),
    (["clip.json"], None, "no OpenPose keypoint JSON files"),
    (["notes.txt", ".clip_000000000000_keypoints.json"], None, "no OpenPose keypoint JSON files"),
    (["clip_000000000000_keypoints.json", "clip_keypoints.json"], "clip_keypoints.json", "no frame number"),
    (["clip_000000000000_keypoints.json", "frame.json"], "frame.json", "no frame number"),
    (["a_000000000000_keypoints.json", "b_000000000001_keypoints.json"], None, "several clips"),
    (["clip_000000000000_keypoints.json", "clip_1_keypoints.json", "clip_01_keypoints.json"],
     "clip_1_keypoints.json", "frame 1 repeats"),
    (["clip_000000000000_keypoints.json", "clip_000000000003_keypoints.json"],
     "clip_000000000003_keypoints.json", "jump from 0 to 3: 2 frame file(s) missing"),
])
def test_bad_folder(tmp_path: Path, names: list[str], bad: str | None, reason: str) -> None:
    for name in names:
        (tmp_path / name).write_text(person_json(VALUES) if name.endswith(".json") else "notes")
    if "clip.json" in names:
        (tmp_path / "clip.json").write_text('{"fps": 30}')
    with pytest.raises(KeypointDataError) as caught:
        read_openpose_folder(tmp_path)
    assert caught.value.where == str(tmp_path / bad if bad else tmp_path)
    assert reason in caught.value.reason
    if "repeats" in reason:
        assert "clip_01_keypoints.json" in caught.value.reason or "clip_1" in caught.value.reason


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(KeypointDataError, match="cannot list the folder"):
        read_openpose_folder(tmp_path / "nothing")


@pytest.mark.parametrize(("sidecar", "reason"), [
    ("{", "malformed JSON"),
    ("[30]", "expected a JSON object"),
    ('{"fps": 0}', "'fps' must be a positive number"),
    ('{"fps": "30"}', "'fps' must be a positive number"),
    ('{"width": -1}', "'width' must be a non-negative integer"),
    ('{"height": 1.5}', "'height' must be a non-negative integer"),
    ('{"label": 3}', "'label' must be a string or null"),
    ('{"layout": "body21"}', "'layout' must be one of"),
    ('{"layout": ["body25"]}', "'layout' must be one of"),
])
def test_bad_sidecar(tmp_path: Path, sidecar: str, reason: str) -> None:
    good(tmp_path)
    (tmp_path / "clip.json").write_text(sidecar)
    with pytest.raises(KeypointDataError) as caught:
        read_openpose_folder(tmp_path)
    assert caught.value.where == str(tmp_path / "clip.json")
    assert reason in caught.value.reason


# ---------------------------------------------------------------- genuine OpenPose output


def file_people(folder: Path) -> list[list[np.ndarray]]:
    """Each frame's people as (N, 3) arrays, read here with plain json, in frame order."""
    frames = []
    for path in sorted(folder.glob("*_keypoints.json")):
        people = json.loads(path.read_text())["people"]
        frames.append([np.asarray(p.get("pose_keypoints_2d", p.get("pose_keypoints")), np.float32).reshape(-1, 3)
                       for p in people])
    return frames


def box(points: np.ndarray) -> np.ndarray:
    seen = points[points[:, 2] > 0, :2]
    return np.concatenate([seen.min(axis=0), seen.max(axis=0)])


def followed_index(people: list[np.ndarray], keypoints: np.ndarray) -> int:
    """Which of a frame's people the clip shows (-1: none)."""
    if not keypoints[:, 2].any():
        return -1
    matches = [i for i, p in enumerate(people) if np.array_equal(p, keypoints)]
    assert len(matches) == 1
    return matches[0]


REAL_CLIPS = {
    "body25_soccer/Kick_10": ("body25", 90),
    "body25_soccer/Kick_13": ("body25", 89),
    "body25_soccer/Kick_17": ("body25", 88),
    "body25_multiperson": ("body25", 40),
    "coco18_v1.1/bicep_bad_1": ("coco18", 108),
}


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_real_clip_frames_people_and_layout(shared_data: Path, name: str) -> None:
    folder = shared_data / "openpose_json" / name
    layout, frames = REAL_CLIPS[name]
    people = file_people(folder)
    clip = read_openpose_folder(folder)
    assert len(clip) == len(people) == frames
    assert clip.layout == layout
    np.testing.assert_array_equal(clip.people, [sum(bool(p[:, 2].any()) for p in f) for f in people])
    empty_files = sum(1 for f in people if not f)
    absent = ~clip.keypoints[..., 2].any(axis=1)  # (T,)
    assert absent[[not f for f in people]].all()
    assert absent.sum() >= empty_files


@pytest.mark.parametrize("name", ["Kick_10", "Kick_13"])
def test_real_kick_clip_loses_no_detected_frame(shared_data: Path, name: str) -> None:
    # In these two clips every detection belongs to the one player.
    folder = shared_data / "openpose_json" / "body25_soccer" / name
    clip = read_openpose_folder(folder)
    absent = ~clip.keypoints[..., 2].any(axis=1)
    np.testing.assert_array_equal(absent, [not f for f in file_people(folder)])


@pytest.mark.parametrize("name", ["body25_soccer/Kick_10", "body25_soccer/Kick_13", "body25_soccer/Kick_17",
                                  "body25_multiperson"])
def test_real_clip_follows_one_person(shared_data: Path, name: str) -> None:
    folder = shared_data / "openpose_json" / name
    people = file_people(folder)
    clip = read_openpose_folder(folder)
    chosen = [followed_index(f, k) for f, k in zip(people, clip.keypoints)]
    # Neck and mid-hip move less than a fifth of a body height between frames.
    for t in range(1, len(chosen)):
        if chosen[t] < 0 or chosen[t - 1] < 0:
            continue
        before, after = people[t - 1][chosen[t - 1]], people[t][chosen[t]]
        height = max(box(before)[3] - box(before)[1], box(after)[3] - box(after)[1])
        for point in (NECK, MID_HIP):
            if before[point, 2] > 0 and after[point, 2] > 0:
                assert np.linalg.norm(after[point, :2] - before[point, :2]) < 0.2 * height, (t, point)
    # Where several people were seen, the followed one is the largest almost always.
    crowded = [t for t, f in enumerate(people) if len(f) > 1 and chosen[t] >= 0]
    largest = [t for t in crowded if chosen[t] == int(np.argmax([np.prod(box(p)[2:] - box(p)[:2])
                                                                 for p in people[t]]))]
    assert len(crowded) >= 5
    assert len(largest) >= 0.85 * len(crowded)


def test_real_multiperson_clip_is_not_first_listed(shared_data: Path) -> None:
    folder = shared_data / "openpose_json" / "body25_multiperson"
    people = file_people(folder)
    clip = read_openpose_folder(folder)
    chosen = [followed_index(f, k) for f, k in zip(people, clip.keypoints)]
    assert min(chosen) >= 0 and len(set(chosen)) >= 5  # the near player moves around in the lists
    # The near player stays in the lower part of the broadcast picture, around x = 1100.
    hips = clip.keypoints[:, MID_HIP]
    assert (hips[:, 1] > 600).all() and (abs(hips[:, 0] - 1100) < 150).all()


def test_real_coco18_clip_keeps_neck_and_derives_mid_hip(shared_data: Path) -> None:
    folder = shared_data / "openpose_json" / "coco18_v1.1" / "bicep_bad_1"
    coco = np.stack([f[0] for f in file_people(folder)])  # (108, 18, 3)
    clip = read_openpose_folder(folder)
    np.testing.assert_array_equal(clip.keypoints[:, NECK], coco[:, 1])
    hips = (coco[:, 8, 2] > 0) & (coco[:, 11, 2] > 0)
    assert hips.all()
    np.testing.assert_allclose(clip.keypoints[:, MID_HIP, :2], (coco[:, 8, :2] + coco[:, 11, :2]) / 2)
    assert math.isclose(float(clip.keypoints[0, BODY25_INDEX["nose"], 0]), 725.322, rel_tol=1e-6)
