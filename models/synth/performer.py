"""The vocabulary that skills and non-skill motions are written in.

A `Performer` wraps a `Timeline` with the gymnast's body and random state:
it samples durations (scaled by a per-performance tempo) and builds the
recurring poses: two-foot stances and one-leg stands solved by two-link leg
IK so that the keyed feet really reach the beam, passé, arm positions, steps.
Sides are 'l' and 'r'; a motion is written for a `lead` side and `mirror`
gives the sign that flips yaw, roll, twist and side bend for the other side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .body import CHANNELS, BodyShape, forward_kinematics, root_rotation
from .timeline import FEET, Support, Timeline, foot

Pose = dict[str, float]


def other(side: str) -> str:
    return {"l": "r", "r": "l"}[side]


def mirror(side: str) -> float:
    """+1 for a motion led by the left side, -1 for the right."""
    return {"l": 1.0, "r": -1.0}[side]


def wrap(degrees: float) -> float:
    """An angle in [-180, 180): root angles accumulate over a routine (each
    back somersault adds -360 to the pitch), joint angles must not."""
    return (degrees + 180.0) % 360.0 - 180.0


def merge(*poses: Pose) -> Pose:
    out: Pose = {}
    for pose in poses:
        out.update(pose)
    return out


@dataclass
class PoseKit:
    """Builds poses for a gymnast of `shape`; `turnout` is her habitual
    external hip rotation (degrees)."""

    shape: BodyShape
    rng: np.random.Generator
    turnout: float

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def chance(self, probability: float) -> bool:
        return bool(self.rng.random() < probability)

    # --- poses ------------------------------------------------------------

    def leg_ik(self, forward: float, down: float) -> tuple[float, float]:
        """(hip_flex, knee) in degrees that put the ankle `forward` metres in
        front of and `down` metres below the hip joint (pelvis frame,
        sagittal plane). Out-of-reach targets straighten the leg towards them."""
        a, b = self.shape.thigh, self.shape.shank
        r = min(math.hypot(forward, down), 0.999 * (a + b))
        knee = 180.0 - math.degrees(math.acos((a * a + b * b - r * r) / (2 * a * b)))
        hip = math.degrees(math.atan2(forward, down) + math.acos((a * a + r * r - b * b) / (2 * a * r)))
        return hip, knee

    def stance(self, lead: str, lead_x: float, other_x: float, drop: float = 0.0,
               pitch: float = 0.0, releve: float = 0.0) -> Pose:
        """Both feet on the beam line, flat (or on the balls with `releve`
        degrees of extra ankle extension).

        lead_x, other_x: horizontal position of each ankle relative to the hip
        joints along the facing direction (metres, > 0 in front); drop: how
        far the pelvis sits below the highest it could with these offsets;
        pitch: the root pitch the pose will be keyed with (the legs
        compensate it so the feet stay on the beam).
        """
        reach = 0.995 * (self.shape.thigh + self.shape.shank)
        down = math.sqrt(max(reach ** 2 - max(lead_x ** 2, other_x ** 2), 0.01)) - drop
        out: Pose = {}
        for side, x in ((lead, lead_x), (other(lead), other_x)):
            out.update(self._planted_leg(side, x, down, pitch, releve))
        return out

    def single(self, side: str, forward: float = 0.0, drop: float = 0.0, pitch: float = 0.0,
               releve: float = 0.0, roll: float = 0.0) -> Pose:
        """The support leg of a one-leg stand: ankle `forward` of the hip,
        pelvis `drop` below full extension, foot flat (+ `releve`); `pitch`
        and `roll` are the root's, which the leg compensates to stay upright."""
        reach = 0.995 * (self.shape.thigh + self.shape.shank)
        down = math.sqrt(max(reach ** 2 - forward ** 2, 0.01)) - drop
        leg = self._planted_leg(side, forward, down, pitch, releve)
        # Roll tips the pelvis sideways; abducting this leg by the same angle
        # (signed per side) keeps it pointing down to the foot.
        leg[f"{side}_hip_abd"] -= wrap(roll) * mirror(side)
        return leg

    def _planted_leg(self, side: str, forward: float, down: float, pitch: float, releve: float) -> Pose:
        # The target is given in world axes; the leg angles live in the
        # pelvis frame, which `pitch` has turned about the lateral axis.
        pitch = wrap(pitch)
        p = math.radians(pitch)
        x = math.cos(p) * forward + math.sin(p) * down
        z = math.sin(p) * forward - math.cos(p) * down
        flex, knee = self.leg_ik(x, -z)
        # Adduction that brings the foot under the body's midline (the beam).
        adduct = math.degrees(math.atan2(self.shape.pelvis_width / 2, down))
        # Turn-out fades as the body tips or the knee bends: a thigh rotated
        # with the pelvis pitched or the knee bent swings the foot sideways
        # off the beam.
        turnout = self.turnout * max(math.cos(p), 0.0) * max(1.0 - knee / 30.0, 0.0)
        return {f"{side}_hip_flex": flex, f"{side}_knee": knee, f"{side}_ankle": flex - knee + pitch + releve,
                f"{side}_hip_abd": -adduct, f"{side}_hip_rot": turnout}

    def free_leg(self, side: str, flex: float, knee: float = 0.0, ankle: float = 45.0,
                 abd: float = 0.0, rot: float | None = None) -> Pose:
        """A leg in the air: pointed foot by default."""
        return {f"{side}_hip_flex": flex, f"{side}_knee": knee, f"{side}_ankle": ankle,
                f"{side}_hip_abd": abd, f"{side}_hip_rot": self.turnout if rot is None else rot}

    def reach_down(self, side: str, flex: float) -> Pose:
        """A straight leg reaching for the beam (about to land): adducted so
        that the foot comes down on the body's midline, foot flat."""
        adduct = math.degrees(math.atan2(self.shape.pelvis_width / 2, self.shape.leg))
        return self.free_leg(side, flex, ankle=0.0, abd=-adduct, rot=0.0)

    def passe(self, side: str) -> Pose:
        """Free leg in passé (retiré): thigh turned out and raised, toe at the
        support knee."""
        return self.free_leg(side, flex=self.uniform(65, 85), knee=self.uniform(125, 140),
                             ankle=self.uniform(35, 55), abd=self.uniform(25, 40),
                             rot=self.uniform(40, 55))

    def arms(self, flex: float, abd: float, elbow: float = 5.0, side: str | None = None) -> Pose:
        """Shoulder flexion/abduction and elbow of one side, or both when
        `side` is None."""
        sides = ("l", "r") if side is None else (side,)
        return {name: value for s in sides for name, value in (
            (f"{s}_shoulder_flex", flex), (f"{s}_shoulder_abd", abd), (f"{s}_elbow", elbow))}

    def arms_up(self) -> Pose:
        return self.arms(self.uniform(160, 178), self.uniform(5, 20), self.uniform(0, 15))

    def arms_to_beam(self) -> Pose:
        """Arms straight overhead and drawn in, so that the hands land close
        together on the 10 cm beam."""
        inward = math.degrees(math.asin(min(1.0, (self.shape.shoulder_width / 2 - 0.04)
                                                 / (self.shape.upper_arm + self.shape.forearm))))
        return self.arms(180.0, -inward + self.uniform(-3, 3), 0.0)

    def arms_side(self) -> Pose:
        return self.arms(self.uniform(0, 20), self.uniform(75, 95), self.uniform(5, 20))

    def arms_down(self) -> Pose:
        return self.arms(self.uniform(-5, 10), self.uniform(5, 15), self.uniform(5, 20))

    def upright(self) -> Pose:
        return {"spine_flex": self.uniform(-3, 3), "spine_bend": 0.0, "spine_twist": 0.0,
                "head_flex": self.uniform(-5, 5)}

    def stand(self, lead: str) -> Pose:
        """A relaxed stance on the beam, `lead` foot in front."""
        return self.stance(lead, self.uniform(0.06, 0.16), -self.uniform(0.04, 0.12))


@dataclass
class Performer(PoseKit):
    """Writes keys on `tl`; `tempo` multiplies every sampled duration (speed
    variation between performances)."""

    tl: Timeline
    tempo: float = 1.0

    def seconds(self, low: float, high: float) -> float:
        """A phase duration: uniform in [low, high] seconds times the tempo."""
        return float(self.rng.uniform(low, high)) * self.tempo

    def key(self, seconds: float, support: Support, travel: float = 0.0, **values: float) -> None:
        self.tl.key(seconds, support, travel, **values)

    def fork(self) -> Performer:
        """The same gymnast (body, random state, style) on a new timeline
        that starts where this one ends: to try a motion out before keeping
        it (`Timeline.extend`)."""
        tl = Timeline(dict(self.tl.pose), fps=self.tl.fps, direction=self.tl.direction)
        return Performer(self.shape, self.rng, self.turnout, tl=tl, tempo=self.tempo)

    def current(self, channel: str) -> float:
        """The value `channel` has reached at the last key."""
        return self.tl.pose[channel]

    def level(self, channel: str, low: float, high: float, reach: Support, base: Support, **values: float) -> float:
        """The value in [low, high] of root `channel` ('pitch' or 'roll') at
        which the lowest of the `reach` points is as low as the lowest of the
        `base` points, in the pose reached so far updated with `values`: so
        that a hand or foot arrives on the beam when the key is reached while
        the other support is still down. Falls back to the closest value
        when the range has no such point."""
        pose = {**self.tl.pose, **values}
        candidates = np.linspace(low, high, 33)  # (K,)
        angles = np.array([[pose[name] for name in CHANNELS]] * len(candidates))  # (K, C)
        yaw, pitch, roll = (np.full(len(candidates), pose[name]) for name in ("yaw", "pitch", "roll"))
        {"pitch": pitch, "roll": roll}[channel][:] = candidates
        rel = forward_kinematics(self.shape, angles, root_rotation(yaw, pitch, roll))  # (K, 25, 3)
        gap = rel[:, list(reach), 2].min(axis=1) - rel[:, list(base), 2].min(axis=1)  # (K,)
        crossing = np.flatnonzero(np.sign(gap[:-1]) != np.sign(gap[1:]))
        if len(crossing) == 0:
            return float(candidates[np.argmin(np.abs(gap))])
        k = crossing[0]
        # Linear inside the bracketing step, which is a few degrees wide.
        return float(candidates[k] + (candidates[k + 1] - candidates[k]) * gap[k] / (gap[k] - gap[k + 1]))

    def lean(self, channel: str, low: float, high: float, reach: Support, leg: str,
             drop: float = 0.0, **values: float) -> Pose:
        """Tip the body (root `channel`, 'pitch' or 'roll', within [low,
        high]) over the upright support `leg` until the `reach` points come
        down to the beam: returns the key's values (the angle, the support
        leg's angles and `values`)."""
        angle = 0.5 * (low + high)
        for _ in range(3):  # the support leg's angles depend on the angle
            angle = self.level(channel, low, high, reach, foot(leg),
                               **{**values, **self.single(leg, drop=drop, **{channel: angle}), channel: angle})
        return {**values, **self.single(leg, drop=drop, **{channel: angle}), channel: angle}

    def idle(self, seconds: float) -> None:
        """Stand still for `seconds`: the legs hold, the upper body sways a little."""
        remaining = seconds
        while remaining > 1e-6:
            step = min(remaining, self.uniform(0.3, 0.7))
            self.key(step, FEET, spine_flex=self.uniform(-3, 3), spine_bend=self.uniform(-2, 2),
                     head_flex=self.uniform(-6, 6))
            remaining -= step

    def step(self, leg: str, seconds: float, land: Pose, lift: float = 35.0, **upper: float) -> None:
        """Step with `leg`: it lifts (knee `lift` degrees) and swings past the
        other, straight support leg, then lands in the two-foot stance
        `land`; `upper` keys other channels (arms, spine) at the landing."""
        mid_flex = 0.5 * (self.current(f"{leg}_hip_flex") + land[f"{leg}_hip_flex"]) + 0.3 * lift
        self.key(seconds * 0.5, foot(other(leg)), **self.single(other(leg), drop=0.01),
                 **self.free_leg(leg, mid_flex, knee=lift, ankle=15.0, abd=-3.0))
        self.key(seconds * 0.5, FEET, **land, **upper)


def start_performance(rng: np.random.Generator, shape: BodyShape, yaw: float, direction: float,
                      fps: float, lead: str = "l") -> Performer:
    """A Performer standing relaxed on the beam (feet in line, `lead` foot in
    front, arms down), facing `yaw` degrees, travelling towards `direction`
    (+1 or -1 along x), with a random turn-out and tempo."""
    kit = PoseKit(shape, rng, turnout=float(rng.uniform(10, 35)))
    start = merge(kit.stand(lead), kit.arms_down(), kit.upright(), {"yaw": yaw, "pitch": 0.0, "roll": 0.0})
    return Performer(shape, rng, kit.turnout, tl=Timeline(start, fps=fps, direction=direction),
                     tempo=float(rng.uniform(0.85, 1.2)))
