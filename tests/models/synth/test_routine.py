"""Continuous routines: ground-truth segments, continuity, files on disk."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.npz import read_npz
from skillstream.models.keypoints.openpose_json import read_openpose_folder
from skillstream.models.keypoints.openpose_json import SEGMENTS_NAME
from skillstream.models.synth import SKILL_NAMES, Sample, Segment, generate_routine, write_routine
from skillstream.models.synth.detector import inversion
from skillstream.models.synth.timeline import BEAM_LENGTH

SECONDS = 45.0


@functools.cache
def routine(seed: int) -> tuple[Sample, list[Segment]]:
    return generate_routine(SECONDS, np.random.default_rng(seed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segments_are_ordered_skills_inside_the_stream(seed: int) -> None:
    sample, segments = routine(seed)
    frames = len(sample.clip)
    assert frames == SECONDS * 30 and sample.clip.label is None
    assert len(segments) >= 3
    assert all(s.label in SKILL_NAMES for s in segments)
    assert all(0 <= s.start_frame < s.end_frame < frames for s in segments)
    assert all(a.end_frame < b.start_frame for a, b in zip(segments, segments[1:]))
    # The segment is the skill proper: an inverting skill inverts inside it,
    # and nobody is upside down between skills.
    upside_down = inversion(sample.motion.points) > 0.5
    inside = np.zeros(frames, bool)
    for s in segments:
        inside[s.start_frame:s.end_frame + 1] = True
    assert not (upside_down & ~inside).any()
    for s in segments:
        if s.label in ("back_handspring", "back_walkover", "front_walkover", "cartwheel"):
            assert upside_down[s.start_frame:s.end_frame + 1].any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_body_moves_continuously_on_the_beam(seed: int) -> None:
    sample, _ = routine(seed)
    root = sample.motion.root
    assert np.linalg.norm(np.diff(root, axis=0), axis=1).max() < 0.4  # metres per frame: no teleport
    assert np.abs(root[:, 0]).max() < BEAM_LENGTH / 2
    assert sample.camera.follow == 1.0


def test_routines_are_deterministic() -> None:
    a, segments_a = generate_routine(20.0, np.random.default_rng(5))
    b, segments_b = generate_routine(20.0, np.random.default_rng(5))
    np.testing.assert_array_equal(a.clip.keypoints, b.clip.keypoints)
    assert segments_a == segments_b
    c, _ = generate_routine(20.0, np.random.default_rng(6))
    assert not np.array_equal(a.clip.keypoints, c.clip.keypoints)


def test_write_routine_as_openpose_and_npz(tmp_path: Path) -> None:
    sample, segments = write_routine(tmp_path / "op", 15.0, seed=3)
    on_disk = json.loads((tmp_path / "op" / SEGMENTS_NAME).read_text())
    assert on_disk == [{"label": s.label, "start_frame": s.start_frame, "end_frame": s.end_frame} for s in segments]
    clip = read_openpose_folder(tmp_path / "op")
    assert (len(clip), clip.width, clip.height, clip.fps) == (450, 1280, 720, 30.0)
    assert (tmp_path / "op" / "routine_000000000000_keypoints.json").is_file()
    np.testing.assert_allclose(clip.keypoints[..., :2], sample.clip.keypoints[..., :2], atol=0.006)
    write_routine(tmp_path / "npz", 15.0, seed=3, fmt="npz")
    np.testing.assert_array_equal(read_npz(tmp_path / "npz" / "routine.npz").keypoints, sample.clip.keypoints)
    assert json.loads((tmp_path / "npz" / SEGMENTS_NAME).read_text()) == on_disk


def test_too_short_routines_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 10 s"):
        generate_routine(5.0, np.random.default_rng(0))
