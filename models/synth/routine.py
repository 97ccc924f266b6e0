"""A continuous beam routine: skills joined by non-skill motion, one camera.

One gymnast performs for the whole routine on one timeline, so the body
never jumps between skills: each motion starts in the pose where the
previous one ended and the keys blend into each other. Between skills come
one or two non-skill motions (standing, posing, walking, ...). Every motion
is first tried on a forked timeline; it is kept only if the gymnast stays
on the beam, else she turns round (or another motion is drawn). The ground
truth is the list of skill segments: the skill proper, from the first frame
of its movement to the end of its landing, inclusive frames.

On disk (`write_routine`): DIR as an OpenPose JSON folder (or
DIR/routine.npz) with the ground truth DIR/segments.json.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skillstream.models.keypoints.npz import write_npz
from skillstream.models.keypoints.openpose_json import SEGMENTS_NAME, write_openpose_folder

from .background import MOTIONS, front_foot, pivot, walk
from .body import sample_body
from .dataset import BEAM_MARGIN, Sample, SynthOptions, film
from .performer import Performer, start_performance
from .skills import SKILL_NAMES, SKILLS
from .timeline import BEAM_LENGTH, Motion

ROUTINE_NAME = "routine"
ROUTINE_SECONDS = (10.0, 3600.0)  # the lengths a routine may have (the generator's cost grows faster than linearly)
# Non-skill motions drawn between skills (turning round happens when needed).
_TRANSITIONS = ("stand", "pose", "walk", "arm_wave", "small_steps", "hop")
_ATTEMPTS = 6
_LONGEST_SKILL = 7.0  # seconds: a skill with its preparation and finish (walkovers: up to 6.5 s)
_DRIFT_ROOM = 0.35


@dataclass(frozen=True)
class Segment:
    label: str
    start_frame: int
    end_frame: int  # inclusive

    def as_json(self) -> dict:
        return {"label": self.label, "start_frame": self.start_frame, "end_frame": self.end_frame}


class _Stage:
    """Keeps the gymnast on the beam: tracks her position along x and
    appends a motion only after trying it on a fork."""

    def __init__(self, p: Performer, x: float) -> None:
        self.p = p
        self.x = x
        # The fork's render predicts the main one's only to a few
        # centimetres per motion; the spare room absorbs the drift.
        self.room = BEAM_LENGTH / 2 - BEAM_MARGIN - _DRIFT_ROOM

    def attempt(self, motion: Callable[[Performer, str], None]) -> bool:
        """Try `motion` from the current pose; keep it if the hips stay over
        the beam throughout. Returns whether it was kept."""
        fork = self.p.fork()
        motion(fork, front_foot(self.p))
        rendered = fork.tl.render(self.p.shape)
        path = self.x + rendered.root[:, 0] - rendered.root[0, 0]  # (T,)
        if path.min() < -self.room or path.max() > self.room:
            return False
        self.p.tl.extend(fork.tl)
        self.x = float(path[-1])
        return True

    def facing_the_middle(self) -> bool:
        return self.x * self.p.tl.direction < 0


def perform_routine(seconds: float, rng: np.random.Generator, fps: float = 30.0) -> Motion:
    """The 3D ground truth of a routine of round(`seconds` x `fps`) frames:
    a `timeline.Motion` whose segments are the skills performed."""
    if not ROUTINE_SECONDS[0] <= seconds <= ROUTINE_SECONDS[1]:
        raise ValueError(f"a routine lasts at least {ROUTINE_SECONDS[0]:g} s and at most {ROUTINE_SECONDS[1]:g} s, "
                         f"got {seconds}")
    shape = sample_body(rng)
    direction = 1.0 if rng.random() < 0.5 else -1.0
    p = start_performance(rng, shape, 0.0 if direction > 0 else 180.0, direction, fps,
                          "l" if rng.random() < 0.5 else "r")
    stage = _Stage(p, x=float(rng.uniform(-1.5, 1.5)))
    p.idle(p.seconds(0.5, 1.5))
    while True:
        for _ in range(int(rng.integers(1, 3))):
            if not (stage.attempt(MOTIONS[_TRANSITIONS[rng.integers(len(_TRANSITIONS))]]) or stage.attempt(pivot)):
                p.idle(p.seconds(0.3, 0.8))
        if p.tl.time > seconds - _LONGEST_SKILL:
            break  # no skill is cut off by the end of the stream: the tail is standing
        label = SKILL_NAMES[rng.integers(len(SKILL_NAMES))]
        for attempt in range(_ATTEMPTS):
            if stage.attempt(SKILLS[label]):
                break
            # No room this way: turn round, or walk towards the middle.
            if attempt % 2 == 0 or not stage.facing_the_middle():
                stage.attempt(pivot)
            else:
                stage.attempt(walk)
    p.idle(max(seconds - p.tl.time, 0.0) + 0.5)
    motion = p.tl.render(shape).window(0, int(round(seconds * fps)))
    # Centre what was performed on the beam (the drift moved it a little).
    return motion.moved_along_beam(-0.5 * float(motion.root[:, 0].min() + motion.root[:, 0].max()))


def generate_routine(seconds: float, rng: np.random.Generator,
                     options: SynthOptions = SynthOptions(), source: str = "synth:routine") -> tuple[Sample, list[Segment]]:
    """A routine filmed by one panning camera: the sample (clip unlabelled)
    and its skill segments, ordered and non-overlapping."""
    motion = perform_routine(seconds, rng, options.fps)
    sample = film(motion, rng, options, None, source, follow=1.0)
    return sample, [Segment(label, a, b) for label, a, b in motion.segments]


def write_routine(out: str | os.PathLike[str], seconds: float, seed: int, fmt: str = "openpose",
                  options: SynthOptions = SynthOptions()) -> tuple[Sample, list[Segment]]:
    """Write a routine into the folder `out`: its keypoints, making `out` an
    OpenPose JSON folder (`routine_<frame>_keypoints.json` + the `clip.json`
    sidecar; replay it with `openpose:DIR`) or as `out`/routine.npz, and
    `out`/segments.json, a list of {"label", "start_frame", "end_frame"}
    (inclusive frames), which the OpenPose reader passes over."""
    out = Path(out)
    # Clips draw from streams (seed, label, index); a routine from (seed,).
    sample, segments = generate_routine(seconds, np.random.default_rng(np.random.SeedSequence([seed])),
                                        options, source=f"synth:seed={seed}:routine")
    if fmt == "npz":
        write_npz(sample.clip, out / f"{ROUTINE_NAME}.npz")
    elif fmt == "openpose":
        write_openpose_folder(sample.clip, out, name=ROUTINE_NAME, overwrite=True)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    (out / SEGMENTS_NAME).write_text(json.dumps([s.as_json() for s in segments], indent=1) + "\n", encoding="utf-8")
    return sample, segments
