"""Each skill's kinematic signature in 3D, over several random performances."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from skillstream.models.keypoints.skeleton import BODY25_INDEX as P
from skillstream.models.synth.body import EFFECTOR_CLEARANCE, EFFECTORS
from skillstream.models.synth.dataset import perform
from skillstream.models.synth.detector import inversion
from skillstream.models.synth.skills import SKILL_NAMES
from skillstream.models.synth.timeline import BEAM_HEIGHT, BEAM_LENGTH, Motion

SEEDS = range(4)
INVERTING = ("back_layout_stepout", "front_aerial", "side_aerial", "back_handspring", "back_walkover",
             "front_walkover", "cartwheel")
HANDS_DOWN = ("back_handspring", "back_walkover", "front_walkover", "cartwheel")
LEAPS = ("split_leap", "switch_leap")
FEET = [P[name] for name in ("l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel")]
WRISTS = [P["l_wrist"], P["r_wrist"]]
CLEARANCE = np.array(EFFECTOR_CLEARANCE)


@functools.cache
def performances(label: str) -> tuple[Motion, ...]:
    return tuple(perform(label, np.random.default_rng([7, seed, SKILL_NAMES.index(label)])) for seed in SEEDS)


def skill_frames(motion: Motion) -> Motion:
    (_, first, last), = motion.segments
    return motion.window(first, last + 1)


def hip_opening(motion: Motion) -> np.ndarray:
    """(T,) degrees between the two thighs."""
    left = motion.points[:, P["l_knee"]] - motion.points[:, P["l_hip"]]
    right = motion.points[:, P["r_knee"]] - motion.points[:, P["r_hip"]]
    cos = np.einsum("ti,ti->t", left, right) / np.linalg.norm(left, axis=1) / np.linalg.norm(right, axis=1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


@pytest.mark.parametrize("label", SKILL_NAMES)
def test_every_clip_stays_on_the_beam(label: str) -> None:
    for motion in performances(label):
        assert [s[0] for s in motion.segments] == [label]
        assert np.abs(motion.root[:, 0]).max() < BEAM_LENGTH / 2
        # In contact, a foot or hand rests on the beam (its height eases for
        # a few frames after a change of support) near the beam's line (a
        # turned-out foot spans +-12 cm; a foot or hand put down while the
        # other support holds the body may land up to 30 cm off the line).
        effectors = motion.points[motion.contact][:, list(EFFECTORS)]  # (C, 8, 3)
        gap = np.abs(effectors[..., 2] - BEAM_HEIGHT - CLEARANCE)  # (C, 8)
        assert ((gap < 0.06) & (np.abs(effectors[..., 1]) < 0.3)).any(axis=1).all()
        assert (gap.min(axis=1) < 0.01).mean() > 0.85
        # ...nothing over the beam goes through it...
        over = np.abs(motion.points[:, list(EFFECTORS), 1]) < 0.09
        assert np.all(motion.points[:, list(EFFECTORS), 2][over] > BEAM_HEIGHT)
        # ...and the body never teleports.
        assert np.linalg.norm(np.diff(motion.root, axis=0), axis=1).max() < 0.4


@pytest.mark.parametrize("label", INVERTING)
def test_inverting_skills_go_upside_down(label: str) -> None:
    for motion in performances(label):
        skill = skill_frames(motion)
        assert np.any(skill.points[:, P["nose"], 2] < skill.points[:, P["mid_hip"], 2] - 0.3)
        assert inversion(skill.points).max() > 0.7  # the trunk within 45 degrees of straight down
        # ...and only during the skill: preparation and finish are upright.
        (_, first, last), = motion.segments
        assert inversion(motion.points[:first]).max() == 0 and inversion(motion.points[last + 1:]).max() == 0


@pytest.mark.parametrize("label", HANDS_DOWN)
def test_skills_through_the_hands_put_them_on_the_beam(label: str) -> None:
    for motion in performances(label):
        wrists = skill_frames(motion).points[:, WRISTS]  # (T, 2, 3)
        on_beam = (np.abs(wrists[..., 2] - BEAM_HEIGHT - 0.05) < 0.03) & (np.abs(wrists[..., 1]) < 0.3)
        assert on_beam.sum() >= 3  # a hand on the beam for at least 0.1 s
        assert not on_beam[:2].any()  # not from the very start


@pytest.mark.parametrize("label", ("front_aerial", "side_aerial", *LEAPS, "back_layout_stepout"))
def test_no_hands_skills_fly(label: str) -> None:
    for motion in performances(label):
        skill = skill_frames(motion)
        assert skill.points[:, WRISTS, 2].min() > BEAM_HEIGHT + 0.2
        airborne = skill.points[:, FEET, 2].min(axis=1) > BEAM_HEIGHT + 0.05
        assert airborne.sum() >= 6  # at least 0.2 s with both feet off the beam


def test_full_turn_spins_once_and_never_inverts() -> None:
    for motion in performances("full_turn"):
        skill = skill_frames(motion)
        assert inversion(motion.points).max() == 0
        shoulders = skill.points[:, P["l_shoulder"], :2] - skill.points[:, P["r_shoulder"], :2]  # (T, 2)
        heading = np.unwrap(np.arctan2(shoulders[:, 1], shoulders[:, 0]))
        assert abs(np.degrees(heading[-1] - heading[0])) == pytest.approx(360, abs=25)
        # On one foot (the ball of it) with the free leg lifted for most of it.
        feet_apart = np.abs(skill.points[:, P["l_ankle"], 2] - skill.points[:, P["r_ankle"], 2])
        assert np.mean(feet_apart > 0.25) > 0.4


@pytest.mark.parametrize("label", LEAPS)
def test_leaps_split_in_the_air(label: str) -> None:
    for motion in performances(label):
        skill = skill_frames(motion)
        airborne = skill.points[:, FEET, 2].min(axis=1) > BEAM_HEIGHT + 0.05
        assert hip_opening(skill)[airborne].max() > 140


def test_switch_leap_switches_legs_in_the_air_and_split_leap_does_not() -> None:
    def leg_in_front_changes(motion: Motion) -> bool:
        skill = skill_frames(motion)
        knees = skill.points[:, P["l_knee"], :2] - skill.points[:, P["r_knee"], :2]  # (T, 2)
        facing = skill.points[:, P["nose"], :2] - skill.points[:, P["neck"], :2]
        left_ahead = np.einsum("ti,ti->t", knees, facing)[~skill.contact]  # > 0: left knee in front
        return bool(left_ahead.max() > 0.02 and left_ahead.min() < -0.02)
    assert all(leg_in_front_changes(m) for m in performances("switch_leap"))
    assert not any(leg_in_front_changes(m) for m in performances("split_leap"))


def test_front_and_side_aerials_turn_about_different_axes() -> None:
    """The front aerial rotates about the body's left-right axis, which lies
    across the beam; the side aerial about its front-back axis, so its
    shoulders line up with the beam when upside down."""
    for label, along_beam in (("front_aerial", False), ("side_aerial", True)):
        for motion in performances(label):
            skill = skill_frames(motion)
            upside_down = np.argmax(inversion(skill.points))
            shoulders = skill.points[upside_down, P["l_shoulder"]] - skill.points[upside_down, P["r_shoulder"]]
            assert (abs(shoulders[0]) > abs(shoulders[1])) == along_beam


def test_performances_differ() -> None:
    for label in SKILL_NAMES:
        lengths = {len(m) for m in performances(label)}
        assert len(lengths) > 1, label
