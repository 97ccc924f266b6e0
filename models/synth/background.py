"""Non-skill motion on the beam: what a gymnast does between skills.

Standing, posing with the arms, walking along the beam, waving the arms,
small steps, small hops and turning round. They join skills in a routine
and, as clips labelled `background`, teach a classifier what is not a skill
(open-set rejection). Each takes a `Performer` and the foot in front, and
leaves the body standing on both feet.
"""

from __future__ import annotations

from collections.abc import Callable

from .performer import Performer, mirror, other
from .timeline import FEET, FLIGHT

MotionScript = Callable[[Performer, str], None]


def front_foot(p: Performer) -> str:
    """The foot in front at the last key ('l' or 'r')."""
    return "l" if p.current("l_hip_flex") >= p.current("r_hip_flex") else "r"


def stand(p: Performer, lead: str) -> None:
    """Stand still (postural sway only) for 0.6-2 s."""
    p.idle(p.seconds(0.6, 2.0))


def pose(p: Performer, lead: str) -> None:
    """Raise the arms to a pose (overhead, to the side, one up and one to
    the side), hold it, lower them."""
    choice = p.rng.integers(3)
    if choice == 0:
        arms = p.arms_up()
    elif choice == 1:
        arms = p.arms_side()
    else:
        arms = {**p.arms(p.uniform(150, 175), p.uniform(10, 30), 10.0, side=lead),
                **p.arms(p.uniform(0, 20), p.uniform(70, 95), 10.0, side=other(lead))}
    p.key(p.seconds(0.4, 0.7), FEET, **arms, head_flex=p.uniform(-15, 5))
    p.idle(p.seconds(0.4, 1.2))
    p.key(p.seconds(0.4, 0.7), FEET, **p.arms_down(), head_flex=0.0)


def walk(p: Performer, lead: str) -> None:
    """Two to four steps forward along the beam, arms a little out."""
    leg = other(lead)
    arms = p.arms(p.uniform(0, 20), p.uniform(20, 50), 15.0)
    for _ in range(int(p.rng.integers(2, 5))):
        land = p.stance(leg, p.uniform(0.2, 0.3), -p.uniform(0.15, 0.25), drop=p.uniform(0.01, 0.04))
        p.step(leg, p.seconds(0.45, 0.65), land, **arms)
        leg = other(leg)
    p.key(p.seconds(0.2, 0.4), FEET, **p.stand(other(leg)), **p.arms_down())


def arm_wave(p: Performer, lead: str) -> None:
    """Two or three slow arm swings (forward-up and back), as when keeping
    balance or warming up."""
    for _ in range(int(p.rng.integers(2, 4))):
        p.key(p.seconds(0.35, 0.6), FEET, **p.arms(p.uniform(110, 170), p.uniform(10, 40), 20.0))
        p.key(p.seconds(0.35, 0.6), FEET, **p.arms(p.uniform(-20, 20), p.uniform(10, 40), 20.0))
    p.key(p.seconds(0.3, 0.5), FEET, **p.arms_down())


def small_steps(p: Performer, lead: str) -> None:
    """One to three short steps adjusting the feet, forward or back."""
    leg = other(lead)
    for _ in range(int(p.rng.integers(1, 4))):
        land = p.stance(leg, p.uniform(0.08, 0.16), -p.uniform(0.06, 0.14))
        p.step(leg, p.seconds(0.4, 0.6), land, lift=20.0)
        leg = other(leg)


def hop(p: Performer, lead: str) -> None:
    """A small jump from both feet: plié, 0.2-0.3 s in the air, land in plié."""
    p.key(p.seconds(0.2, 0.35), FEET, **p.stance(lead, 0.1, -0.1, drop=p.uniform(0.08, 0.15)),
          **p.arms(p.uniform(-30, 0), 15.0, 15.0))
    p.key(p.seconds(0.08, 0.12), FEET, **p.stance(lead, 0.08, -0.08, releve=30.0), **p.arms_up())
    p.key(p.uniform(0.2, 0.3), FLIGHT, travel=p.uniform(-0.05, 0.25),
          **p.free_leg(lead, 5.0, ankle=40.0), **p.free_leg(other(lead), -5.0, ankle=40.0))
    p.key(p.seconds(0.15, 0.25), FEET, **p.stance(lead, 0.1, -0.1, drop=p.uniform(0.06, 0.12)), **p.arms_side())
    p.key(p.seconds(0.3, 0.5), FEET, **p.stand(lead), **p.arms_down())


def pivot(p: Performer, lead: str) -> None:
    """Turn round on the balls of both feet (a half turn): afterwards the
    gymnast faces, and travels, the other way along the beam."""
    m = mirror(lead)
    p.key(p.seconds(0.2, 0.35), FEET, **p.stance(lead, 0.1, -0.1, releve=p.uniform(25, 40)),
          **p.arms(p.uniform(60, 90), p.uniform(30, 60), 30.0))
    p.key(p.seconds(0.4, 0.7), FEET, yaw=p.current("yaw") - m * 180.0)
    p.tl.direction = -p.tl.direction
    # After a half turn the back foot is in front.
    p.key(p.seconds(0.2, 0.35), FEET, **p.stand(other(lead)), **p.arms_down())


MOTIONS: dict[str, MotionScript] = {
    "stand": stand,
    "pose": pose,
    "walk": walk,
    "arm_wave": arm_wave,
    "small_steps": small_steps,
    "hop": hop,
    "pivot": pivot,
}
