"""Synthetic balance-beam skills as BODY_25 keypoint clips.

No public dataset has the paper's clips, so this package makes them: a 3D
gymnast with random proportions performs the ten skills (and non-skill
motion) on a beam, a random camera films her, and a model of a real pose
estimator's failures turns the projections into OpenPose-like keypoints.
docs/synthetic-data.md describes the kinematics and the failure models.

Modules: body (skeleton, forward kinematics), timeline (keys, interpolation,
contact with the beam), performer (poses and phases), skills (the ten
skills), background (non-skill motion), camera, detector, dataset (clips,
datasets on disk), routine (continuous routines with ground-truth segments).
"""

from .camera import parse_yaw_ranges
from .dataset import (
    BACKGROUND, LABELS, MAX_FRAMES, MIN_FRAMES, DatasetSummary, Sample, SynthOptions, clip_rng,
    generate_background_clip, generate_clip, generate_sample, write_dataset,
)
from .detector import DetectorParams
from .routine import Segment, generate_routine, write_routine
from .skills import SKILL_NAMES

__all__ = [
    "BACKGROUND", "LABELS", "MAX_FRAMES", "MIN_FRAMES", "SKILL_NAMES",
    "DatasetSummary", "DetectorParams", "Sample", "Segment", "SynthOptions",
    "clip_rng", "generate_background_clip", "generate_clip", "generate_routine", "generate_sample",
    "parse_yaw_ranges", "write_dataset", "write_routine",
]
