"""Synthetic clips and datasets: one skill (or non-skill motion) per clip.

`perform` makes the 3D ground truth of a clip (a random gymnast doing the
skill on the beam, with random start and end padding), `film` puts a random
camera and the pose-estimator failure model on it, `generate_clip` does
both. `write_dataset` writes DIR/<label>/<label>_<index>.npz (or an OpenPose
JSON folder per clip) in parallel. Every clip is drawn from its own random
stream seeded by (seed, label, index), so the output depends on the seed
only, not on the number of workers or the order of the work.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.npz import write_npz
from skillstream.models.keypoints.openpose_json import write_openpose_folder

from .background import MOTIONS, front_foot
from .body import sample_body
from .camera import DEFAULT_YAW_RANGES, Camera, sample_camera
from .detector import Detection, DetectorParams, detect
from .performer import Performer, start_performance
from .skills import SKILL_NAMES, SKILLS
from .timeline import BEAM_LENGTH, Motion

BACKGROUND = "background"
LABELS: tuple[str, ...] = SKILL_NAMES + (BACKGROUND,)
MIN_FRAMES, MAX_FRAMES = 30, 281
FORMATS = ("npz", "openpose")
# Non-skill motions that a background clip is made of (turning round is
# kept for routines, where it is needed).
BACKGROUND_MOTIONS = tuple(name for name in MOTIONS if name != "pivot")
BEAM_MARGIN = 0.15  # metres kept between the hips and the beam's ends
CLIP_SLACK_SECONDS = (0.1, 1.2)  # standing before and after the skill in a clip


@dataclass(frozen=True)
class SynthOptions:
    """What the camera and the detector may do. yaw_ranges: degrees (see
    `camera.sample_yaw`); fps: frame rate of the clips."""

    yaw_ranges: tuple[tuple[float, float], ...] = DEFAULT_YAW_RANGES
    detector: DetectorParams = field(default_factory=DetectorParams)
    fps: float = 30.0


@dataclass(frozen=True)
class Sample:
    """A generated clip with its ground truth (for tests and analysis)."""

    clip: Clip
    motion: Motion
    camera: Camera
    detection: Detection


def clip_rng(seed: int, label: str, index: int) -> np.random.Generator:
    """The random stream of clip `index` of `label` for dataset `seed`."""
    return np.random.default_rng(np.random.SeedSequence([seed, LABELS.index(label), index]))


def _background(p: Performer, lead: str) -> None:
    """One to three non-skill motions, at least 1.5 s together."""
    start = p.tl.time
    for count in range(3):
        if count and p.tl.time - start >= 1.5 and p.chance(0.5):
            break
        MOTIONS[BACKGROUND_MOTIONS[p.rng.integers(len(BACKGROUND_MOTIONS))]](p, lead)
        lead = front_foot(p)


def perform(label: str, rng: np.random.Generator, fps: float = 30.0) -> Motion:
    """The 3D ground truth of one clip of `label` (a skill or BACKGROUND).

    A random gymnast, facing either way along the beam, leading with either
    side, stands (CLIP_SLACK_SECONDS), performs, and stands again. A clip
    longer than MAX_FRAMES is trimmed to MAX_FRAMES frames around the skill
    (the standing goes first; non-skill motion keeps its middle), and placed
    at a random spot on the beam where it fits.
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r} (known: {', '.join(LABELS)})")
    shape = sample_body(rng)
    direction = 1.0 if rng.random() < 0.5 else -1.0
    lead = "l" if rng.random() < 0.5 else "r"
    yaw = (0.0 if direction > 0 else 180.0) + float(rng.normal(0.0, 4.0))
    p = start_performance(rng, shape, yaw, direction, fps, lead)
    # Standing before and after the skill: hand-cut clips (the paper's) and
    # the live segmenter's windows both carry uneven slack around the skill.
    p.idle(p.seconds(*CLIP_SLACK_SECONDS))
    (_background if label == BACKGROUND else SKILLS[label])(p, lead)
    p.idle(p.seconds(*CLIP_SLACK_SECONDS))
    motion = p.tl.render(shape)
    if len(motion) > MAX_FRAMES:
        if motion.segments:  # the skill stays whole; the standing around it is trimmed
            first, last = motion.segments[0][1:]
            spare = MAX_FRAMES - (last - first + 1)
            if spare < 0:
                raise RuntimeError(f"{label}: the skill alone lasts {last - first + 1} frames, over {MAX_FRAMES}")
            begin = max(0, min(first - spare // 2, len(motion) - MAX_FRAMES))
        else:  # non-skill motion has no part that must stay whole
            begin = (len(motion) - MAX_FRAMES) // 2
        motion = motion.window(begin, begin + MAX_FRAMES)
    low, high = motion.root[:, 0].min(), motion.root[:, 0].max()
    room = BEAM_LENGTH / 2 - BEAM_MARGIN
    shift = rng.uniform(-room - low, room - high) if high - low < 2 * room else -0.5 * (low + high)
    return motion.moved_along_beam(float(shift))


def film(motion: Motion, rng: np.random.Generator, options: SynthOptions, label: str | None, source: str,
         follow: float | None = None) -> Sample:
    """Film `motion` with a random camera and the detector of `options`."""
    camera = sample_camera(rng, motion.points, motion.fps, options.yaw_ranges, follow)
    detection = detect(rng, motion.points, camera, options.detector)
    people = (detection.keypoints[..., 2] > 0).any(axis=1).astype(np.int16)  # (T,)
    clip = Clip(detection.keypoints, motion.fps, camera.width, camera.height, label=label, source=source,
                people=people)
    return Sample(clip, motion, camera, detection)


def generate_sample(label: str, rng: np.random.Generator, options: SynthOptions = SynthOptions(),
                    source: str = "synth") -> Sample:
    """One clip of `label` with its ground truth."""
    return film(perform(label, rng, options.fps), rng, options, label, source)


def generate_clip(label: str, rng: np.random.Generator, options: SynthOptions = SynthOptions(),
                  source: str = "synth") -> Clip:
    """One clip of skill `label` (or BACKGROUND): BODY_25 keypoints in a
    1280 x 720 frame, 30-281 frames."""
    return generate_sample(label, rng, options, source).clip


def generate_background_clip(rng: np.random.Generator, options: SynthOptions = SynthOptions(),
                             source: str = "synth") -> Clip:
    """One non-skill clip, labelled BACKGROUND: standing, posing, walking,
    arm waves, small steps, small hops (for open-set rejection)."""
    return generate_clip(BACKGROUND, rng, options, source)


@dataclass(frozen=True)
class DatasetSummary:
    clips: dict[str, int]
    frames: int
    seconds: float  # wall-clock time of the generation

    def line(self) -> str:
        counts = ", ".join(f"{label} {count}" for label, count in self.clips.items())
        return (f"{sum(self.clips.values())} clips ({counts}), {self.frames} frames "
                f"in {self.seconds:.1f} s")


def _write_one(task: tuple[str, int, int, str, str, SynthOptions]) -> int:
    label, index, seed, out, fmt, options = task
    name = f"{label}_{index:04d}"
    clip = generate_clip(label, clip_rng(seed, label, index), options, source=f"synth:seed={seed}:{name}")
    if fmt == "npz":
        write_npz(clip, Path(out) / label / f"{name}.npz")
    else:
        write_openpose_folder(clip, Path(out) / label / name, overwrite=True)
    return len(clip)


def write_dataset(out: str | os.PathLike[str], clips_per_class: int, seed: int, fmt: str = "npz",
                  options: SynthOptions = SynthOptions(), background_clips: int = 0,
                  labels: Sequence[str] = SKILL_NAMES, workers: int = 1) -> DatasetSummary:
    """Write `clips_per_class` clips of each of `labels` and
    `background_clips` BACKGROUND clips under `out`/<label>/ as `fmt`
    ('npz': <label>_<index:04d>.npz; 'openpose': a folder of that name),
    with `workers` processes. Existing files of the same names are replaced."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if clips_per_class < 0 or background_clips < 0 or workers < 1:
        raise ValueError("clip counts must be >= 0 and workers >= 1")
    started = time.perf_counter()
    counts = {label: clips_per_class for label in labels}
    if background_clips:
        counts[BACKGROUND] = background_clips
    tasks = [(label, i, seed, str(out), fmt, options) for label, n in counts.items() for i in range(n)]
    if workers == 1 or len(tasks) < 2:
        frames = sum(map(_write_one, tasks))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            frames = sum(pool.map(_write_one, tasks, chunksize=max(1, len(tasks) // (8 * workers))))
    return DatasetSummary(counts, frames, time.perf_counter() - started)
