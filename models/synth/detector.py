"""How a real pose estimator fails: from exact projections to OpenPose-like output.

`detect` takes the true pixel positions of the 25 BODY_25 points and their
3D geometry and returns what a BODY_25 estimator would report: positions
with jitter, confidences in OpenPose's range (higher for the trunk, lower for
the face, the feet and the far side of the body), points missed, frames
lost, left and right swapped, and, the failure Chambers names, a body that
goes upside down is lost or scrambled. Every rate is a field of
`DetectorParams`; `scale` multiplies all of them (0 = a perfect detector
that still reports realistic confidences). docs/synthetic-data.md lists the
defaults and what they were matched to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillstream.models.keypoints.skeleton import BODY25_FLIP, BODY25_INDEX, N_BODY25

from .camera import Camera

# Typical confidence of each point when seen (medians of genuine OpenPose
# 1.3 BODY_25 output on sports video): trunk high, face and feet lower.
BASE_CONFIDENCE = np.array([
    0.85, 0.90,              # nose, neck
    0.88, 0.85, 0.82,        # right arm
    0.88, 0.85, 0.82,        # left arm
    0.85,                    # mid-hip
    0.83, 0.81, 0.80,        # right leg
    0.83, 0.81, 0.80,        # left leg
    0.82, 0.82, 0.74, 0.74,  # eyes, ears
    0.68, 0.64, 0.70,        # left foot: big toe, small toe, heel
    0.68, 0.64, 0.70,        # right foot
])
# Jitter multiplier per point: extremities move and blur most.
JITTER_WEIGHT = np.array([
    0.8, 1.0, 1.0, 1.3, 1.7, 1.0, 1.3, 1.7, 1.0, 1.0, 1.3, 1.6, 1.0, 1.3, 1.6,
    0.8, 0.8, 0.9, 0.9, 1.8, 1.8, 1.6, 1.8, 1.8, 1.6,
])
_FACE = [BODY25_INDEX[name] for name in ("nose", "r_eye", "l_eye")]
_EARS = [BODY25_INDEX["r_ear"], BODY25_INDEX["l_ear"]]
_ARMS = [BODY25_INDEX[f"{side}_{part}"] for side in "rl" for part in ("shoulder", "elbow", "wrist")]
_LEGS = [BODY25_INDEX[f"{side}_{part}"] for side in "rl" for part in ("hip", "knee", "ankle", "big_toe", "small_toe", "heel")]


def _confusions() -> np.ndarray:
    """Where each point lands when an upside-down body is misread (hands
    taken for feet, shoulders for hips, the head for the hips): (25,) index."""
    stand_in = np.arange(N_BODY25)
    for a, b in (("r_wrist", "r_ankle"), ("l_wrist", "l_ankle"), ("r_elbow", "r_knee"), ("l_elbow", "l_knee"),
                 ("r_shoulder", "r_hip"), ("l_shoulder", "l_hip"), ("nose", "mid_hip"), ("neck", "mid_hip")):
        stand_in[BODY25_INDEX[a]], stand_in[BODY25_INDEX[b]] = BODY25_INDEX[b], BODY25_INDEX[a]
    return stand_in


_CONFUSED_WITH = _confusions()
_FLIP = np.array(BODY25_FLIP)
_MIN_CONFIDENCE = 0.05  # OpenPose reports nothing weaker


@dataclass(frozen=True)
class DetectorParams:
    """Failure model of the pose estimator. Probabilities are per point and
    frame unless stated; `scale` multiplies every rate, the jitter and the
    confidence penalties (probabilities capped at 1)."""

    scale: float = 1.0
    jitter: float = 0.006                 # position noise sd, fraction of the body's height in pixels
    jitter_correlation: float = 0.6       # frame-to-frame correlation of the noise (AR(1))
    confidence_noise: float = 0.06        # sd of confidence around the point's typical value
    occlusion_penalty: float = 0.25       # confidence lost by a point hidden behind the body
    occlusion_loss: float = 0.10          # extra miss probability of a fully hidden point
    random_loss: float = 0.02             # miss probability of any point
    low_confidence_loss: float = 0.5      # miss probability of a point at the lowest confidences
    small_body_pixels: float = 180.0      # below this body height (pixels) confidences fall
    inverted_penalty: float = 0.3         # confidence lost when fully upside down
    inverted_loss: float = 0.35           # miss probability of a point when fully upside down
    inverted_frame_loss: float = 0.15     # probability of losing the whole frame when fully upside down
    inverted_jump: float = 0.08           # probability that a point jumps to a wrong place when upside down
    swap_rate: float = 0.004              # whole-body left/right swaps starting per frame
    limb_swap_rate: float = 0.006         # arm-pair or leg-pair swaps starting per frame
    swap_frames: tuple[int, int] = (1, 6)  # length of a swap, frames (inclusive)
    missing_frame_rate: float = 0.008     # lost-frame bursts starting per frame
    missing_frames: tuple[int, int] = (1, 4)  # length of a burst, frames (inclusive)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            values = value if isinstance(value, tuple) else (value,)
            if any(not np.isfinite(v) or v < 0 for v in values):
                raise ValueError(f"detector parameter {name} must be finite and >= 0, got {value!r}")
        for name in ("swap_frames", "missing_frames"):
            low, high = getattr(self, name)
            if not (1 <= low <= high):
                raise ValueError(f"detector parameter {name} must be (low, high) with 1 <= low <= high")
        if self.jitter_correlation >= 1:
            raise ValueError("detector parameter jitter_correlation must be < 1")

    def rate(self, name: str) -> float:
        """The scaled value of rate `name`, capped at 1."""
        return min(1.0, self.scale * getattr(self, name))


@dataclass(frozen=True)
class Detection:
    """The estimator's output and a record of what went wrong.

    keypoints: float32 (T, 25, 3) pixels + confidence, (0, 0, 0) = missing;
    inversion: (T,) 0 upright .. 1 head straight below the hips;
    body_swapped, limbs_swapped, frame_lost: (T,) bool; jumped: (T, 25) bool.
    """

    keypoints: np.ndarray
    inversion: np.ndarray
    body_swapped: np.ndarray
    limbs_swapped: np.ndarray
    frame_lost: np.ndarray
    jumped: np.ndarray


def inversion(points: np.ndarray) -> np.ndarray:
    """How upside down the body is, (T,) in [0, 1]: 0 while the neck is at or
    above the hips' height, 1 with the neck straight below them (the cosine
    of the trunk's angle to straight down)."""
    trunk = points[:, BODY25_INDEX["neck"]] - points[:, BODY25_INDEX["mid_hip"]]  # (T, 3)
    return np.clip(-trunk[:, 2] / np.linalg.norm(trunk, axis=1), 0.0, 1.0)


def _event_spans(rng: np.random.Generator, n: int, rate: float, length: tuple[int, int]) -> list[slice]:
    """Frames covered by events that start with probability `rate` per frame
    and last a uniform number of frames in `length` (cut at frame n)."""
    return [slice(start, start + int(rng.integers(length[0], length[1] + 1)))
            for start in np.flatnonzero(rng.random(n) < rate)]


def _covered(n: int, spans: list[slice]) -> np.ndarray:
    mask = np.zeros(n, bool)
    for span in spans:
        mask[span] = True
    return mask


def detect(rng: np.random.Generator, points: np.ndarray, camera: Camera,
           params: DetectorParams = DetectorParams()) -> Detection:
    """What the estimator reports for world `points` (T, 25, 3) filmed by
    `camera`. Points outside the frame, or behind the camera, are missing
    whatever the parameters."""
    n = len(points)
    pixels, depth = camera.project(points)  # (T, 25, 2), (T, 25)
    inv = inversion(points)  # (T,)
    # Body size in pixels: its 3D extent at the depth of the hips.
    extent = np.linalg.norm(points.max(axis=1) - points.min(axis=1), axis=1)  # (T,)
    body_px = np.maximum(camera.focal * extent / np.maximum(depth[:, BODY25_INDEX["mid_hip"]], 1e-6), 1.0)  # (T,)

    # Jitter: AR(1) noise in pixels, proportional to the body's size.
    rho = params.jitter_correlation
    white = rng.standard_normal((n, N_BODY25, 2))  # (T, 25, 2)
    noise = np.empty_like(white)
    noise[0] = white[0]
    for t in range(1, n):
        noise[t] = rho * noise[t - 1] + np.sqrt(1 - rho * rho) * white[t]
    sigma = params.scale * params.jitter * body_px[:, None] * JITTER_WEIGHT[None, :]  # (T, 25)
    xy = pixels + sigma[..., None] * noise  # (T, 25, 2)

    # Confidence: typical value + noise, minus penalties.
    confidence = BASE_CONFIDENCE + params.scale * params.confidence_noise * rng.standard_normal((n, N_BODY25))
    to_camera = camera.position - points  # (T, 25, 3)
    # Self-occlusion by depth order: a left/right point farther from the
    # camera than its mirror point is behind the body.
    behind = np.clip((depth - depth[:, _FLIP]) / 0.25, 0.0, 1.0)  # (T, 25)
    head_forward = points[:, BODY25_INDEX["nose"]] - 0.5 * points[:, _EARS].sum(axis=1)  # (T, 3)
    facing = np.einsum("ti,ti->t", head_forward, to_camera[:, BODY25_INDEX["nose"]]) / np.maximum(
        np.linalg.norm(head_forward, axis=1) * np.linalg.norm(to_camera[:, BODY25_INDEX["nose"]], axis=1), 1e-9)
    behind[:, _FACE] = np.clip(-facing, 0.0, 1.0)[:, None]  # the face turned away
    confidence -= params.scale * params.occlusion_penalty * behind
    confidence -= params.scale * params.inverted_penalty * inv[:, None]
    small = 1.0 - np.clip(body_px / max(params.small_body_pixels, 1e-9), 0.6, 1.0)  # (T,) 0 .. 0.4
    confidence *= 1.0 - min(params.scale, 1.0) * small[:, None]
    confidence = np.clip(confidence, _MIN_CONFIDENCE, 0.98)

    # Misses.
    p_loss = (params.rate("random_loss") + params.rate("occlusion_loss") * behind
              + params.rate("inverted_loss") * inv[:, None]
              + params.rate("low_confidence_loss") * np.clip((0.3 - confidence) / 0.25, 0.0, 1.0))  # (T, 25)
    lost = rng.random((n, N_BODY25)) < p_loss

    # Upside-down confusion: a point lands on its stand-in (hands read as
    # feet...) or somewhere nearby, with a low confidence.
    jumped = rng.random((n, N_BODY25)) < params.rate("inverted_jump") * inv[:, None]
    stand_in = xy[:, _CONFUSED_WITH]  # (T, 25, 2)
    scatter = 0.25 * body_px[:, None, None] * rng.standard_normal((n, N_BODY25, 2))
    to_stand_in = (rng.random((n, N_BODY25)) < 0.5) & (_CONFUSED_WITH != np.arange(N_BODY25))  # (T, 25)
    target = np.where(to_stand_in[..., None], stand_in, xy + scatter)
    xy = np.where(jumped[..., None], target, xy)
    confidence = np.where(jumped, rng.uniform(0.1, 0.5, (n, N_BODY25)), confidence)

    keypoints = np.concatenate([xy, confidence[..., None]], axis=-1)  # (T, 25, 3)
    keypoints[lost] = 0.0

    # Left/right swaps: the whole body, or one pair of limbs.
    body_swapped = _covered(n, _event_spans(rng, n, params.rate("swap_rate"), params.swap_frames))
    keypoints[body_swapped] = keypoints[body_swapped][:, _FLIP]
    limb_spans = _event_spans(rng, n, params.rate("limb_swap_rate"), params.swap_frames)
    for span in limb_spans:
        limb = _ARMS if rng.random() < 0.5 else _LEGS
        keypoints[span, limb] = keypoints[span, _FLIP[limb]]
    limbs_swapped = _covered(n, limb_spans)

    # Whole frames lost: at random, and often while upside down.
    frame_lost = (_covered(n, _event_spans(rng, n, params.rate("missing_frame_rate"), params.missing_frames))
                  | (rng.random(n) < params.rate("inverted_frame_loss") * inv ** 2))
    keypoints[frame_lost] = 0.0

    outside = ((keypoints[..., 0] < 0) | (keypoints[..., 0] >= camera.width)
               | (keypoints[..., 1] < 0) | (keypoints[..., 1] >= camera.height) | (depth <= 0))
    keypoints[outside] = 0.0
    keypoints[keypoints[..., 2] <= 0] = 0.0
    return Detection(keypoints.astype(np.float32), inv, body_swapped, limbs_swapped, frame_lost, jumped & ~lost)
