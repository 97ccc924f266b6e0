"""A tiny, easy keypoint dataset for training tests: three poses that any working trainer separates.

- arms_up: both wrists and elbows above the head;
- wave: the right wrist swings left and right (about 1.5 Hz), the left arm down;
- background: standing with both arms down (the non-skill label of `skillstream synth`).
Each clip: 20-40 frames, a slightly random position and size, pixel noise, a few missing points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from skillstream.models.checkpoint import Checkpoint, save_checkpoint
from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.npz import write_npz
from skillstream.models.keypoints.skeleton import BODY25_INDEX
from skillstream.models.network import build_network
from skillstream.models.preprocess import PreprocessSettings

LABELS = ("arms_up", "wave", "background")

# A standing body, arms down, in units of its height (y down), centred on the mid-hip.
_STANDING = {
    "nose": (0.0, -0.85), "neck": (0.0, -0.7), "r_shoulder": (-0.12, -0.7), "r_elbow": (-0.15, -0.45),
    "r_wrist": (-0.16, -0.22), "l_shoulder": (0.12, -0.7), "l_elbow": (0.15, -0.45), "l_wrist": (0.16, -0.22),
    "mid_hip": (0.0, 0.0), "r_hip": (-0.08, 0.0), "r_knee": (-0.09, 0.25), "r_ankle": (-0.09, 0.5),
    "l_hip": (0.08, 0.0), "l_knee": (0.09, 0.25), "l_ankle": (0.09, 0.5), "r_eye": (-0.03, -0.88),
    "l_eye": (0.03, -0.88), "r_ear": (-0.06, -0.86), "l_ear": (0.06, -0.86), "l_big_toe": (0.12, 0.53),
    "l_small_toe": (0.14, 0.53), "l_heel": (0.08, 0.52), "r_big_toe": (-0.12, 0.53), "r_small_toe": (-0.14, 0.53),
    "r_heel": (-0.08, 0.52),
}
STANDING = np.zeros((25, 2), np.float32)
for _name, _point in _STANDING.items():
    STANDING[BODY25_INDEX[_name]] = _point


def toy_clip(label: str, rng: np.random.Generator) -> Clip:
    """One clip of `label` (see the module's docstring), pixels of a 640 x 480 frame."""
    frames = int(rng.integers(20, 41))
    pose = np.repeat(STANDING[None], frames, axis=0)  # (T, 25, 2)
    if label == "arms_up":
        for side in "rl":
            pose[:, BODY25_INDEX[f"{side}_elbow"], 1] = -0.95
            pose[:, BODY25_INDEX[f"{side}_wrist"], 1] = -1.2
    elif label == "wave":
        swing = 0.25 * np.sin(2 * np.pi * 1.5 * np.arange(frames) / 30 + rng.uniform(0, 2 * np.pi))  # (T,)
        pose[:, BODY25_INDEX["r_elbow"]] = (-0.25, -0.75)
        pose[:, BODY25_INDEX["r_wrist"], 0] = -0.3 + swing
        pose[:, BODY25_INDEX["r_wrist"], 1] = -1.0
    # Nearly the same place and size in every clip: timestep normalisation takes the min and max over
    # x and y together, so the features keep the body's position, and a tiny training set must not
    # have to learn that away.
    height = rng.uniform(190, 210)
    centre = rng.uniform((310, 230), (330, 250))
    keypoints = np.empty((frames, 25, 3), np.float32)  # (T, 25, 3)
    keypoints[..., :2] = pose * height + centre + rng.normal(0, 1.5, pose.shape)
    keypoints[..., 2] = rng.uniform(0.6, 1.0, 25)  # per point, steady over the clip
    keypoints[rng.random((frames, 25)) < 0.03] = 0.0
    return Clip(keypoints, fps=30.0, width=640, height=480, label=label, source=f"toy {label}")


def toy_clips(per_class: int, seed: int, labels: tuple[str, ...] = LABELS) -> list[Clip]:
    rng = np.random.default_rng(seed)
    return [toy_clip(label, rng) for label in labels for _ in range(per_class)]


def write_toy_dataset(root: Path, per_class: int, seed: int, labels: tuple[str, ...] = LABELS) -> Path:
    """root/<label>/<label>_<i>.npz; returns root."""
    for i, clip in enumerate(toy_clips(per_class, seed, labels)):
        write_npz(clip, root / clip.label / f"{clip.label}_{i:03d}.npz")
    return root


def write_toy_checkpoint(path: Path, seed: int = 0, threshold: float = 0.4) -> Path:
    """An untrained default-network checkpoint for LABELS (background the last class); returns path."""
    torch.manual_seed(seed)
    settings = PreprocessSettings(confidence=True)
    network = build_network("default", {"n_classes": len(LABELS), "n_features": settings.n_features})
    save_checkpoint(Checkpoint(network=network, classes=LABELS, preprocess=settings, background="background",
                               threshold=threshold, training={"epochs": 0}, metrics={"accuracy": None},
                               seed=seed), path)
    return path


@pytest.fixture
def restore_torch_threads():
    """Put torch's thread count back after a test that sets it (it is process-wide).
    Import it into a test module and name it in the tests that need it."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
