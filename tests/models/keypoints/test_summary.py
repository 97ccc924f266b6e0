"""Clip and dataset summaries, against figures worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.dataset import BadClip, Dataset
from skillstream.models.keypoints.skeleton import BODY25_NAMES
from skillstream.models.keypoints.summary import summarize_clip, summarize_dataset


def four_frame_clip() -> Clip:
    """4 frames at 8 fps: the nose has confidence 0.8, 0.4, -, 0.6; the
    neck 1.0 in frame 0 only; frame 2 has no person; nothing else is seen."""
    keypoints = np.zeros((4, 25, 3), np.float32)  # (T, 25, 3)
    keypoints[[0, 1, 3], 0] = [[10, 10, 0.8], [11, 10, 0.4], [12, 10, 0.6]]
    keypoints[0, 1] = [10, 20, 1.0]
    return Clip(keypoints, fps=8.0, width=0, height=0, label="leap", source="c1", layout="coco18",
                people=np.array([1, 2, 0, 3]))


def test_clip_summary() -> None:
    summary = summarize_clip(four_frame_clip())
    assert (summary.source, summary.label, summary.layout) == ("c1", "leap", "coco18")
    assert (summary.frames, summary.fps, summary.duration) == (4, 8.0, 0.5)
    assert summary.frames_without_person == 1
    assert summary.frames_with_several_people == 2
    assert summary.frames_people_unknown == 0
    assert list(summary.mean_confidence) == list(BODY25_NAMES)
    assert summary.mean_confidence["nose"] == pytest.approx((0.8 + 0.4 + 0.6) / 4)
    assert summary.mean_confidence["neck"] == pytest.approx(0.25)
    assert summary.detected_fraction["nose"] == 0.75 and summary.detected_fraction["neck"] == 0.25
    assert summary.mean_confidence["r_heel"] == 0.0 and summary.detected_fraction["r_heel"] == 0.0


def test_unknown_people_counts() -> None:
    clip = four_frame_clip()
    clip.people = np.array([-1, -1, 2, 1], np.int16)
    summary = summarize_clip(clip)
    assert (summary.frames_people_unknown, summary.frames_with_several_people) == (2, 1)


def clip_of(frames: int, label: str, fps: float = 30.0, layout: str = "body25") -> Clip:
    keypoints = np.zeros((frames, 25, 3), np.float32)  # (T, 25, 3)
    keypoints[1:, 0] = (5.0, 5.0, 0.5)  # frame 0 without the person
    return Clip(keypoints, fps=fps, width=0, height=0, label=label, layout=layout)


def test_dataset_summary() -> None:
    dataset = Dataset(Path("/data"), [clip_of(10, "turn"), clip_of(40, "leap", fps=60.0, layout="coco18"),
                                      clip_of(20, "turn")],
                      [BadClip(Path("/data/turn/x.npz"), "turn/x.npz", "not a readable .npz")])
    summary = summarize_dataset(dataset)
    assert summary.root == "/data"
    assert (summary.total_clips, summary.total_frames) == (3, 70)
    assert summary.total_duration == pytest.approx(10 / 30 + 40 / 60 + 20 / 30)
    assert summary.clips_per_label == {"leap": 1, "turn": 2}
    assert (summary.frames_min, summary.frames_median, summary.frames_max) == (10, 20.0, 40)
    assert summary.fps_values == [30.0, 60.0]
    assert summary.layouts == {"body25": 2, "coco18": 1}
    assert summary.frames_without_person == 3
    assert summary.skipped == [{"where": "turn/x.npz", "reason": "not a readable .npz"}]
    assert json.loads(json.dumps(summary.to_dict())) == summary.to_dict()


def test_dataset_summary_without_readable_clips() -> None:
    summary = summarize_dataset(Dataset(Path("/data"), [], []))
    assert (summary.total_clips, summary.frames_min, summary.frames_median, summary.frames_max) == (0, None, None, None)


def test_clip_summary_is_json_ready() -> None:
    as_dict = summarize_clip(four_frame_clip()).to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
