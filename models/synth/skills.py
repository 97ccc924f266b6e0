"""Kinematic scripts of the ten balance-beam skills.

Each script appends keys to a `Performer` standing on the beam: a random
preparation, `tl.begin(label)` at the first frame of the skill's movement,
the skill, `tl.end()` at the end of its landing, and a short finish (arms,
stand up). It is written for a `lead` side ('l' or 'r'; `mirror` flips the
signed root and spine channels for 'r') and travels along `tl.direction`.
Every duration is drawn from a range (contact phases scaled by the
performer's tempo; flight times are not, since they set the height of the
ballistic arc) and every amplitude (split, arch, pike, rotation) from a
range, so no two performances are alike. docs/synthetic-data.md describes each skill.
"""

from __future__ import annotations

from collections.abc import Callable

from .performer import Performer, merge, mirror, other
from .timeline import FEET, FLIGHT, HANDS, foot, hand

SkillScript = Callable[[Performer, str], None]


def _arms_up_prep(p: Performer) -> None:
    """Preparation: raise the arms overhead and pause."""
    p.key(p.seconds(0.3, 0.6), FEET, **p.arms_up())
    p.idle(p.seconds(0.1, 0.4))


def _lunge(p: Performer, lead: str, arms: dict[str, float] | None = None) -> None:
    """Preparation: step the `lead` foot forward into a lunge."""
    land = p.stance(lead, p.uniform(0.35, 0.5), -p.uniform(0.25, 0.4), drop=p.uniform(0.05, 0.12))
    p.step(lead, p.seconds(0.35, 0.55), land, spine_flex=p.uniform(5, 20), **(arms or p.arms_up()))


def _over_front_foot(p: Performer, lead: str) -> None:
    """From a lunge, bring the hips over the front foot (the back leg
    leaves the beam): skills that turn on that foot start here."""
    p.key(p.seconds(0.12, 0.2), foot(lead), **p.single(lead, drop=p.uniform(0.05, 0.1)),
          **p.free_leg(other(lead), -p.uniform(25, 40), knee=p.uniform(10, 30)))


def _finish(p: Performer, lead: str) -> None:
    """Finish: close the feet into a stance and present the arms."""
    arms = p.arms_up() if p.chance(0.5) else p.arms_side()
    p.key(p.seconds(0.3, 0.5), FEET, **p.stand(lead), **p.upright(), **arms)


def full_turn(p: Performer, lead: str) -> None:
    """360 degrees on the ball of the `lead` foot, free leg in passé."""
    free = other(lead)
    yaw0 = p.current("yaw")
    spin = 1.0 if p.chance(0.5) else -1.0  # towards or away from the support leg
    # Preparation: step into fourth position (small plié), arms opened one
    # forward, one to the side.
    p.key(p.seconds(0.3, 0.5), FEET, **p.stance(lead, p.uniform(0.1, 0.2), -p.uniform(0.15, 0.25),
                                                 drop=p.uniform(0.04, 0.08)),
          **p.arms(p.uniform(70, 90), p.uniform(0, 15), p.uniform(20, 40), side=lead),
          **p.arms(p.uniform(0, 15), p.uniform(70, 90), p.uniform(10, 30), side=free))
    p.idle(p.seconds(0.05, 0.25))
    p.tl.begin("full_turn")
    # Rise to relevé on the support leg, free leg to passé, arms close in front.
    rounded = p.arms(p.uniform(60, 90), p.uniform(15, 30), p.uniform(40, 70)) if p.chance(0.7) else p.arms_up()
    p.key(p.seconds(0.15, 0.25), foot(lead), **p.single(lead, releve=p.uniform(45, 65)), **p.passe(free),
          **rounded, yaw=yaw0 + spin * p.uniform(15, 30))
    # The turn itself: under- or over-rotated a little, then the landing
    # squares the hips to exactly one revolution.
    p.key(p.seconds(0.55, 1.0), foot(lead), yaw=yaw0 + spin * p.uniform(330, 375),
          spine_flex=p.uniform(-4, 4))
    p.key(p.seconds(0.25, 0.4), FEET, **p.stance(lead, p.uniform(0.05, 0.15), -p.uniform(0.05, 0.12)),
          **p.arms_side(), yaw=yaw0 + spin * 360)
    p.tl.end()
    p.idle(p.seconds(0.1, 0.3))


def _approach(p: Performer, takeoff: str) -> None:
    """Preparation for a leap: one or two walking steps, the last onto the
    take-off foot."""
    steps = 1 + int(p.chance(0.5))
    leg = takeoff if steps == 1 else other(takeoff)
    for _ in range(steps):
        land = p.stance(leg, p.uniform(0.25, 0.35), -p.uniform(0.2, 0.3), drop=p.uniform(0.03, 0.08))
        p.step(leg, p.seconds(0.35, 0.5), land, **p.arms(p.uniform(20, 50), p.uniform(40, 70), 20.0))
        leg = other(leg)


def split_leap(p: Performer, lead: str) -> None:
    """Take off from one foot, 180-degree front/back split in the air, land
    on the front (`lead`) leg."""
    takeoff = other(lead)
    _approach(p, takeoff)
    p.tl.begin("split_leap")
    # Plié on the take-off leg while the lead leg swings through.
    p.key(p.seconds(0.12, 0.2), foot(takeoff), **p.single(takeoff, forward=0.05, drop=p.uniform(0.05, 0.1)),
          **p.free_leg(lead, p.uniform(10, 30), knee=p.uniform(20, 40)))
    split = p.uniform(150, 195)
    front = split * p.uniform(0.48, 0.56)
    flight = p.uniform(0.36, 0.48)
    arms = (merge(p.arms(p.uniform(80, 100), p.uniform(0, 20), 5.0, side=lead),
                  p.arms(p.uniform(0, 20), p.uniform(80, 100), 5.0, side=takeoff))
            if p.chance(0.6) else p.arms_up())
    p.key(flight * 0.2, FLIGHT, **p.free_leg(lead, front * 0.7), **p.free_leg(takeoff, -20.0), **arms,
          pitch=p.current("pitch") + p.uniform(0, 8))
    p.key(flight * 0.35, FLIGHT, **p.free_leg(lead, front), **p.free_leg(takeoff, front - split),
          spine_flex=p.uniform(0, 12), head_flex=p.uniform(-10, 5))
    travel = p.uniform(0.7, 1.1)
    p.key(flight * 0.45, FLIGHT, travel=travel, **p.free_leg(lead, front * 0.45, ankle=10.0),
          **p.free_leg(takeoff, -split * 0.3))
    _land_from_leap(p, lead, takeoff, pitch=p.current("pitch"))
    p.tl.end()
    _finish(p, lead)


def switch_leap(p: Performer, lead: str) -> None:
    """Take off from the `lead` foot, the other leg swings forward, then the
    legs switch to a split with the other leg behind; land on `lead`."""
    swing = other(lead)
    _approach(p, lead)
    p.tl.begin("switch_leap")
    p.key(p.seconds(0.12, 0.2), foot(lead), **p.single(lead, forward=0.05, drop=p.uniform(0.05, 0.1)),
          **p.free_leg(swing, p.uniform(35, 55), knee=p.uniform(0, 20)))
    flight = p.uniform(0.4, 0.52)
    split = p.uniform(150, 195)
    front = split * p.uniform(0.48, 0.56)
    p.key(flight * 0.3, FLIGHT, **p.free_leg(swing, p.uniform(45, 70)), **p.free_leg(lead, -p.uniform(10, 25)),
          **p.arms(p.uniform(60, 100), p.uniform(20, 60), 10.0))
    p.key(flight * 0.3, FLIGHT, **p.free_leg(swing, front - split), **p.free_leg(lead, front),
          spine_flex=p.uniform(0, 12), **p.arms_side())
    p.key(flight * 0.4, FLIGHT, travel=p.uniform(0.6, 1.0), **p.free_leg(lead, front * 0.45, ankle=10.0),
          **p.free_leg(swing, -split * 0.3))
    _land_from_leap(p, lead, swing)
    p.tl.end()
    _finish(p, lead)


def _land_from_leap(p: Performer, lead: str, trailing: str, **extra: float) -> None:
    """Land on the `lead` foot, absorbing; the `trailing` leg follows down."""
    p.key(p.seconds(0.12, 0.2), foot(lead), **p.single(lead, forward=0.05, drop=p.uniform(0.06, 0.12)),
          **p.free_leg(trailing, -p.uniform(30, 50)), **extra)
    p.key(p.seconds(0.2, 0.3), FEET, **p.stance(lead, p.uniform(0.15, 0.25), -p.uniform(0.15, 0.25)),
          spine_flex=0.0)


def _sit_and_jump_back(p: Performer, lead: str) -> None:
    """Arm swing down and back with a sit (hips back, knees bent), then the
    jump: legs extend, arms swing overhead, the body starts to tip back."""
    p.key(p.seconds(0.25, 0.4), FEET, **p.stance(lead, p.uniform(0.15, 0.22), p.uniform(0.05, 0.12),
                                                 drop=p.uniform(0.15, 0.22), pitch=15.0),
          pitch=p.current("pitch") + 15.0, spine_flex=p.uniform(15, 30), head_flex=10.0,
          **p.arms(-p.uniform(30, 50), p.uniform(5, 15), 10.0))
    p.key(p.seconds(0.1, 0.16), FEET, **p.stance(lead, 0.05, 0.0, pitch=-25.0, releve=35.0),
          pitch=p.current("pitch") - 40.0, spine_flex=-p.uniform(5, 15), head_flex=-p.uniform(10, 25),
          **p.arms_up())


def back_handspring(p: Performer, lead: str) -> None:
    """Jump backwards onto the hands (handstand on the beam), snap down to
    the feet: travels backwards."""
    _arms_up_prep(p)
    p.tl.begin("back_handspring")
    pitch0 = p.current("pitch")
    _sit_and_jump_back(p, lead)
    apart = p.uniform(0, 40) if p.chance(0.5) else 0.0  # legs together or slightly split
    p.key(p.uniform(0.2, 0.28), FLIGHT, travel=-p.uniform(0.5, 0.7), pitch=pitch0 - p.uniform(150, 165),
          spine_flex=-p.uniform(20, 35), head_flex=-p.uniform(20, 40), **p.arms_to_beam(),
          **p.free_leg(lead, -5.0 + apart / 2), **p.free_leg(other(lead), -5.0 - apart / 2))
    p.key(p.seconds(0.1, 0.16), HANDS, pitch=pitch0 - p.uniform(195, 210), spine_flex=-p.uniform(5, 15))
    p.key(p.uniform(0.16, 0.24), FLIGHT, travel=-p.uniform(0.25, 0.4), pitch=pitch0 - p.uniform(310, 325),
          spine_flex=p.uniform(5, 15), head_flex=0.0, **p.free_leg(lead, p.uniform(25, 40), knee=10.0),
          **p.free_leg(other(lead), p.uniform(25, 40), knee=10.0), **p.arms(p.uniform(120, 160), 15.0, 10.0))
    p.key(p.seconds(0.15, 0.22), FEET, pitch=pitch0 - 360.0,
          **p.stance(lead, p.uniform(0.1, 0.2), -p.uniform(0.0, 0.1), drop=p.uniform(0.08, 0.15)),
          spine_flex=p.uniform(10, 20))
    p.tl.end()
    _finish(p, lead)


def back_layout_stepout(p: Performer, lead: str) -> None:
    """Backward somersault with a straight body, legs separating to land one
    foot at a time (`lead` first)."""
    _arms_up_prep(p)
    p.tl.begin("back_layout_stepout")
    pitch0 = p.current("pitch")
    _sit_and_jump_back(p, lead)
    flight = p.uniform(0.52, 0.64)
    arms = p.arms(p.uniform(160, 180), 10.0, 0.0) if p.chance(0.5) else p.arms(p.uniform(0, 15), 20.0, 10.0)
    p.key(flight * 0.45, FLIGHT, pitch=pitch0 - 180.0, spine_flex=-p.uniform(10, 25), head_flex=-10.0, **arms,
          **p.free_leg(lead, -5.0), **p.free_leg(other(lead), -5.0))
    p.key(flight * 0.3, FLIGHT, pitch=pitch0 - 295.0, spine_flex=-5.0, head_flex=0.0,
          **p.free_leg(lead, p.uniform(50, 65)), **p.free_leg(other(lead), -p.uniform(5, 20)),
          **p.arms(p.uniform(120, 170), p.uniform(20, 60), 10.0))
    p.key(flight * 0.25, FLIGHT, travel=-p.uniform(0.3, 0.6), pitch=pitch0 - 335.0,
          **p.free_leg(lead, p.uniform(25, 35), ankle=20.0))
    p.key(p.seconds(0.12, 0.2), foot(lead), pitch=pitch0 - 360.0,
          **p.single(lead, forward=0.1, drop=p.uniform(0.05, 0.1)), **p.free_leg(other(lead), -p.uniform(30, 45)))
    p.key(p.seconds(0.2, 0.3), FEET, **p.stance(lead, p.uniform(0.15, 0.25), -p.uniform(0.25, 0.35)))
    p.tl.end()
    _finish(p, lead)


def back_walkover(p: Performer, lead: str) -> None:
    """Arch back into a bridge through the hands, the `lead` leg over first,
    then the other: slow, travels backwards."""
    support = other(lead)
    pitch0 = p.current("pitch")
    _arms_up_prep(p)
    p.tl.begin("back_walkover")
    p.key(p.seconds(0.3, 0.5), foot(support), **p.single(support), **p.free_leg(lead, p.uniform(30, 55)),
          spine_flex=-p.uniform(15, 25), head_flex=-10.0, **p.arms_to_beam())
    # Arch back until the hands reach the beam, the support leg upright.
    arch = merge({"spine_flex": -p.uniform(70, 95), "head_flex": -p.uniform(30, 45)},
                 p.free_leg(lead, p.uniform(55, 80)))
    p.key(p.seconds(0.6, 0.9), foot(support), **p.lean("pitch", pitch0 - 30, pitch0 - 150, HANDS, support, **arch))
    # Bridge on hands and one foot: the lead leg kicks up, the foot pushes off.
    p.key(p.seconds(0.1, 0.2), foot(support) + HANDS, **p.free_leg(lead, p.uniform(95, 115)),
          **{f"{support}_ankle": p.current(f"{support}_ankle") + 20})
    split = p.uniform(150, 190)
    p.key(p.seconds(0.3, 0.5), HANDS, pitch=pitch0 - p.uniform(175, 190), spine_flex=-p.uniform(15, 30),
          head_flex=-p.uniform(10, 30), **p.free_leg(lead, split * 0.55), **p.free_leg(support, -split * 0.45))
    # The lead foot comes down behind the hands.
    down = merge({"spine_flex": -p.uniform(5, 20)}, p.reach_down(lead, p.uniform(80, 100)),
                 p.free_leg(support, -p.uniform(40, 70)))
    p.key(p.seconds(0.25, 0.4), HANDS, **down,
          pitch=p.level("pitch", pitch0 - 200, pitch0 - 300, foot(lead), HANDS, **down))
    p.key(p.seconds(0.1, 0.2), HANDS + foot(lead), spine_flex=p.current("spine_flex") + 10)
    # Stand up over the lead leg, the other leg still raised behind.
    p.key(p.seconds(0.4, 0.6), foot(lead), pitch=pitch0 - p.uniform(320, 335), spine_flex=-p.uniform(15, 30),
          head_flex=-10.0, **p.free_leg(support, -p.uniform(50, 80)),
          **p.single(lead, forward=0.05, pitch=p.uniform(25, 40), drop=0.05))
    p.key(p.seconds(0.3, 0.5), foot(lead), pitch=pitch0 - 360.0, spine_flex=-5.0, head_flex=0.0,
          **p.single(lead), **p.free_leg(support, -p.uniform(40, 70)), **p.arms_up())
    p.key(p.seconds(0.25, 0.4), FEET, **p.stance(lead, p.uniform(0.05, 0.15), -p.uniform(0.15, 0.25)))
    p.tl.end()
    _finish(p, lead)


def front_walkover(p: Performer, lead: str) -> None:
    """From a lunge on the `lead` leg, forward through a split handstand into
    a bridge on the other (kick) leg, stand up one leg at a time."""
    kick = other(lead)
    pitch0 = p.current("pitch")
    _arms_up_prep(p)
    _lunge(p, lead)
    p.tl.begin("front_walkover")
    # Reach forward and down until the hands meet the beam, the support leg
    # upright and the kick leg lifting behind.
    reach = merge({"spine_flex": p.uniform(0, 10), "head_flex": -10.0}, p.free_leg(kick, -p.uniform(50, 70)),
                  p.arms_to_beam())
    p.key(p.seconds(0.4, 0.6), foot(lead), **p.lean("pitch", pitch0 + 40, pitch0 + 160, HANDS, lead, **reach))
    p.key(p.seconds(0.1, 0.2), foot(lead) + HANDS, **p.free_leg(kick, -p.uniform(90, 110)),
          **{f"{lead}_ankle": p.current(f"{lead}_ankle") + 20})
    split = p.uniform(150, 190)
    p.key(p.seconds(0.3, 0.5), HANDS, pitch=pitch0 + p.uniform(180, 195), spine_flex=-p.uniform(20, 35),
          head_flex=-20.0, **p.free_leg(kick, -split * 0.55), **p.free_leg(lead, split * 0.45))
    # The kick foot comes down beyond the hands: a bridge.
    arch = p.uniform(60, 85)
    down = merge({"spine_flex": -arch, "head_flex": -30.0}, p.reach_down(kick, -p.uniform(30, 45)),
                 p.free_leg(lead, p.uniform(70, 100)))
    p.key(p.seconds(0.25, 0.4), HANDS, **down,
          pitch=p.level("pitch", pitch0 + 200, pitch0 + 300, foot(kick), HANDS, **down))
    p.key(p.seconds(0.1, 0.2), HANDS + foot(kick), **p.free_leg(lead, p.uniform(90, 110)))
    # Stand up over the kick leg, the lead leg raised in front, then step down.
    rise = pitch0 + p.uniform(315, 330)
    p.key(p.seconds(0.4, 0.6), foot(kick), pitch=rise, spine_flex=-arch * 0.5,
          **p.single(kick, pitch=rise, drop=0.08), **p.free_leg(lead, p.uniform(60, 90)))
    p.key(p.seconds(0.3, 0.5), foot(kick), pitch=pitch0 + 360.0, spine_flex=0.0, head_flex=0.0,
          **p.single(kick), **p.free_leg(lead, p.uniform(30, 60)), **p.arms_up())
    p.key(p.seconds(0.25, 0.4), FEET, **p.stance(lead, p.uniform(0.15, 0.25), -p.uniform(0.05, 0.15)))
    p.tl.end()
    _finish(p, lead)


def _aerial_entry(p: Performer, lead: str) -> None:
    """Shared by both aerials (which is what makes them look alike): arms up,
    a lunge on the `lead` leg with the arms swinging down."""
    _arms_up_prep(p)
    _lunge(p, lead, arms=p.arms(p.uniform(-40, -10), p.uniform(20, 50), 10.0))
    _over_front_foot(p, lead)


def front_aerial(p: Performer, lead: str) -> None:
    """No-hands front somersault about the lateral axis, legs split: the
    kick leg goes over first and lands first; travels forward."""
    kick = other(lead)
    pitch0 = p.current("pitch")
    _aerial_entry(p, lead)
    p.tl.begin("front_aerial")
    pike = p.uniform(45, 75)
    p.key(p.seconds(0.15, 0.22), foot(lead), pitch=pitch0 + p.uniform(40, 55), spine_flex=pike * 0.7,
          **p.single(lead, pitch=45.0, drop=0.03, releve=20.0), **p.free_leg(kick, -p.uniform(40, 60)),
          **p.arms(p.uniform(-20, 20), p.uniform(60, 90), 15.0))
    flight = p.uniform(0.48, 0.6)
    split = p.uniform(140, 185)
    p.key(flight * 0.45, FLIGHT, pitch=pitch0 + p.uniform(180, 200), spine_flex=pike,
          **p.free_leg(kick, -split * 0.55), **p.free_leg(lead, split * 0.45))
    p.key(flight * 0.35, FLIGHT, pitch=pitch0 + p.uniform(290, 305), spine_flex=pike * 0.3,
          **p.free_leg(kick, -p.uniform(55, 70)), **p.free_leg(lead, p.uniform(40, 70)))
    p.key(flight * 0.2, FLIGHT, travel=p.uniform(0.6, 0.9), pitch=pitch0 + p.uniform(330, 340), spine_flex=5.0,
          **p.free_leg(kick, -p.uniform(25, 35), ankle=15.0))
    p.key(p.seconds(0.12, 0.2), foot(kick), pitch=pitch0 + 360.0,
          **p.single(kick, forward=0.05, drop=p.uniform(0.06, 0.12)), **p.free_leg(lead, p.uniform(30, 50)))
    p.key(p.seconds(0.2, 0.3), FEET, **p.stance(lead, p.uniform(0.15, 0.25), -p.uniform(0.1, 0.2)), spine_flex=0.0)
    p.tl.end()
    _finish(p, lead)


def side_aerial(p: Performer, lead: str) -> None:
    """No-hands cartwheel: a quarter turn to face across the beam, rotation
    about the front-back axis with the torso piked and the legs straddled;
    kick leg lands first, then a quarter turn back. Timing and legs as the
    front aerial's."""
    kick = other(lead)
    turn = -mirror(lead)  # the lead side faces the way of travel
    yaw0, roll0 = p.current("yaw"), p.current("roll")
    _aerial_entry(p, lead)
    p.tl.begin("side_aerial")
    pike = p.uniform(25, 45)  # more and the trunk no longer turns head-down at the apex
    tip = turn * p.uniform(35, 50)
    p.key(p.seconds(0.15, 0.22), foot(lead), yaw=yaw0 + turn * p.uniform(70, 90), roll=roll0 + tip,
          spine_flex=pike * 0.7, **p.single(lead, drop=0.03, releve=20.0, roll=tip),
          **p.free_leg(kick, -p.uniform(5, 20), abd=p.uniform(30, 50)),
          **p.arms(p.uniform(0, 30), p.uniform(60, 90), 15.0))
    flight = p.uniform(0.48, 0.6)
    straddle = p.uniform(130, 175)
    p.key(flight * 0.45, FLIGHT, yaw=yaw0 + turn * 90.0, roll=roll0 + turn * p.uniform(180, 200), spine_flex=pike,
          **p.free_leg(kick, p.uniform(-10, 10), abd=straddle * 0.55),
          **p.free_leg(lead, p.uniform(-10, 10), abd=straddle * 0.45))
    p.key(flight * 0.35, FLIGHT, roll=roll0 + turn * p.uniform(290, 305), spine_flex=pike * 0.4,
          **p.free_leg(kick, 0.0, abd=p.uniform(55, 70)), **p.free_leg(lead, 0.0, abd=p.uniform(40, 70)))
    # The kick leg reaches down: its abduction cancels the remaining roll.
    rest = p.uniform(20, 30)
    p.key(flight * 0.2, FLIGHT, travel=p.uniform(0.6, 0.9), roll=roll0 + turn * (360 - rest),
          spine_flex=10.0, **p.free_leg(kick, 0.0, abd=rest, ankle=15.0))
    # Sideways to the beam, the feet land apart along it: no adduction.
    p.key(p.seconds(0.12, 0.2), foot(kick), roll=roll0 + turn * 360.0,
          **merge(p.single(kick, drop=p.uniform(0.03, 0.06)), {f"{kick}_hip_abd": p.uniform(3, 8)}),
          **p.free_leg(lead, 0.0, abd=p.uniform(30, 50)))
    p.key(p.seconds(0.2, 0.3), FEET, yaw=yaw0, spine_flex=0.0,
          **p.stance(lead, p.uniform(0.15, 0.25), -p.uniform(0.1, 0.2)))
    p.tl.end()
    _finish(p, lead)


def cartwheel(p: Performer, lead: str) -> None:
    """Sideways rotation through the hands, placed one after the other on the
    beam; legs straddled; lands kick leg first and turns back along the beam."""
    kick = other(lead)  # also the side of the second hand
    turn = -mirror(lead)  # the lead side faces the way of travel
    yaw0, roll0 = p.current("yaw"), p.current("roll")
    _arms_up_prep(p)
    _lunge(p, lead)
    p.tl.begin("cartwheel")
    _over_front_foot(p, lead)
    # Quarter turn and tip sideways over the lunge leg until the lead hand
    # meets the beam.
    tip = merge({"yaw": yaw0 + turn * 90.0, "spine_flex": 0.0, "spine_bend": mirror(lead) * p.uniform(20, 35)},
                p.free_leg(kick, 0.0, abd=p.uniform(30, 50)), p.arms(180.0, p.uniform(0, 10), 0.0))
    p.key(p.seconds(0.3, 0.45), foot(lead), **p.lean("roll", roll0, roll0 + turn * 150, hand(lead), lead,
                                                     drop=0.02, **tip))
    p.key(p.seconds(0.08, 0.15), foot(lead) + hand(lead), **p.free_leg(kick, 0.0, abd=p.uniform(60, 80)))
    # Over the lead hand until the other hand meets the beam.
    second = merge(p.free_leg(kick, 0.0, abd=p.uniform(70, 90)), p.free_leg(lead, 0.0, abd=p.uniform(20, 40)))
    p.key(p.seconds(0.1, 0.2), hand(lead), **second,
          roll=p.level("roll", p.current("roll"), roll0 + turn * 200, hand(kick), hand(lead), **second))
    straddle = p.uniform(120, 170)
    p.key(p.seconds(0.15, 0.25), HANDS, roll=roll0 + turn * p.uniform(175, 190), spine_bend=0.0,
          **p.free_leg(kick, 0.0, abd=straddle * 0.5), **p.free_leg(lead, 0.0, abd=straddle * 0.5))
    # Over the trailing hand until the kick foot meets the beam.
    land = merge({"spine_bend": -mirror(lead) * p.uniform(10, 20)},
                 p.free_leg(kick, 0.0, abd=p.uniform(85, 100), ankle=0.0), p.free_leg(lead, 0.0, abd=p.uniform(60, 80)))
    p.key(p.seconds(0.15, 0.25), hand(kick), **land,
          roll=p.level("roll", p.current("roll"), roll0 + turn * 330, foot(kick), hand(kick), **land))
    p.key(p.seconds(0.08, 0.15), hand(kick) + foot(kick), **p.free_leg(lead, 0.0, abd=p.uniform(40, 60)))
    # Upright on the kick leg, turning back to face along the beam before
    # the other foot comes down.
    p.key(p.seconds(0.25, 0.35), foot(kick), roll=roll0 + turn * p.uniform(320, 335), spine_flex=0.0, spine_bend=0.0,
          yaw=yaw0 + turn * p.uniform(20, 40),
          **p.single(kick, drop=0.05), **p.free_leg(lead, 0.0, abd=p.uniform(20, 40)))
    p.key(p.seconds(0.25, 0.4), FEET, roll=roll0 + turn * 360.0, yaw=yaw0,
          **p.stance(kick, p.uniform(0.2, 0.3), -p.uniform(0.15, 0.25), drop=0.05))
    p.tl.end()
    _finish(p, kick)


SKILLS: dict[str, SkillScript] = {
    "full_turn": full_turn,
    "back_layout_stepout": back_layout_stepout,
    "front_aerial": front_aerial,
    "side_aerial": side_aerial,
    "back_handspring": back_handspring,
    "back_walkover": back_walkover,
    "front_walkover": front_walkover,
    "split_leap": split_leap,
    "switch_leap": switch_leap,
    "cartwheel": cartwheel,
}
SKILL_NAMES: tuple[str, ...] = tuple(SKILLS)
