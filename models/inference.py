"""The serving API of the skill classifier: windows of keypoints in, skills out.

`Classifier.load(path)` reads a checkpoint once (see `models.checkpoint`),
warms up the preprocessing kernels and the network, and then answers
`classify(windows)` and `probabilities(windows)` for windows float32
(T, 25, 3) of BODY_25 keypoints in pixels (any T >= 1; the checkpoint's
preprocessing pads or resamples them). It does no I/O after loading and
keeps no state between calls, so one instance can serve every stream from
one inference thread.

The open-set rule (`open_set_decisions`): a window is a skill when the
network's most probable class is not the background class and the best
skill's probability reaches the checkpoint's threshold; otherwise it is no
skill ("a window that is no skill must not come out as a skill"). Training
chooses the threshold on its validation split (`models.training.openset`);
evaluation applies this same function.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .checkpoint import Checkpoint, load_checkpoint
from .preprocess import preprocess_batch, warm_up

TOP_K = 3
MAX_BATCH = 64  # windows per network call: bounds the memory of one call


@dataclass(frozen=True)
class Prediction:
    """The answer for one window.

    label: the most probable skill class (never the background class), also
        when the window is no skill: then it says what it looked most like.
    confidence: that skill's probability.
    top: the TOP_K most probable classes (background included) as
        (name, probability), most probable first.
    is_skill: the open-set verdict: True when the window is reported as
        `label`; False when it is no skill.
    """

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    is_skill: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; `top` as a list of [name, probability]."""
        return {"label": self.label, "confidence": self.confidence,
                "top": [[name, p] for name, p in self.top], "is_skill": self.is_skill}


def open_set_decisions(probabilities: np.ndarray, background_index: int | None,
                       threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open-set rule for class probabilities (B, C).

    Returns best_skill int64 (B,), the most probable class other than the
    background; skill_probability float (B,), its probability; and is_skill
    bool (B,): the most probable class over all is not the background and
    skill_probability >= threshold. Without a background class
    (background_index None) only the threshold decides.
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(f"probabilities: expected shape (B, C) with C >= 2, got {probabilities.shape}")
    skills = probabilities.copy()  # (B, C)
    if background_index is not None:
        skills[:, background_index] = -np.inf
    best_skill = skills.argmax(axis=1)  # (B,)
    skill_probability = np.take_along_axis(probabilities, best_skill[:, None], axis=1)[:, 0]  # (B,)
    is_skill = skill_probability >= threshold  # (B,)
    if background_index is not None:
        is_skill &= probabilities.argmax(axis=1) != background_index
    return best_skill.astype(np.int64), skill_probability, is_skill


class Classifier:
    """A loaded classifier (see the module's docstring). Not thread-safe:
    call it from one thread (torch's own threads do the parallel work)."""

    def __init__(self, checkpoint: Checkpoint, threads: int | None = None) -> None:
        """Serve `checkpoint`'s network (put in eval mode). `threads`: set
        torch's intra-op thread count (process-wide) when given."""
        if threads is not None and threads < 1:
            raise ValueError(f"threads: expected a positive integer, got {threads}")
        self.checkpoint = checkpoint
        self.network = checkpoint.network.eval()
        warm_up()
        if threads is not None:
            # After warm_up: loading the kernels starts Numba's OpenMP layer, which resets
            # the OpenMP thread count that torch shares.
            torch.set_num_threads(threads)
        # The first network call allocates and picks kernels: pay it here, not on the first skill.
        self.probabilities([np.zeros((checkpoint.preprocess.max_timesteps, 25, 3), np.float32)])

    @classmethod
    def load(cls, path: str | os.PathLike[str], threads: int | None = None) -> Classifier:
        """Load the checkpoint at `path` (errors as `load_checkpoint`) and warm up."""
        return cls(load_checkpoint(path), threads=threads)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.checkpoint.classes

    def probabilities(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """Class probabilities float32 (B, C), in `classes` order, of B windows (T_i, 25, 3).

        B = 0 gives an empty (0, C) array. Bad windows raise
        KeypointDataError naming the window (see `models.preprocess`).
        """
        out = np.empty((len(windows), len(self.classes)), np.float32)  # (B, C)
        with torch.inference_mode():
            for start in range(0, len(windows), MAX_BATCH):
                chunk = windows[start:start + MAX_BATCH]
                features, masks = preprocess_batch(list(chunk), self.checkpoint.preprocess)  # (b, M, F), (b, M)
                probabilities = self.network.sequence_probabilities(
                    torch.from_numpy(features), torch.from_numpy(masks))  # (b, C)
                out[start:start + len(chunk)] = probabilities.numpy()
        return out

    def classify(self, windows: Sequence[np.ndarray]) -> list[Prediction]:
        """One `Prediction` per window (T_i, 25, 3), in order, under the open-set rule."""
        if len(windows) == 0:
            return []
        probabilities = self.probabilities(windows)  # (B, C)
        best_skill, skill_probability, is_skill = open_set_decisions(
            probabilities, self.checkpoint.background_index, self.checkpoint.threshold)
        top = np.argsort(-probabilities, axis=1, kind="stable")[:, :TOP_K]  # (B, K)
        return [
            Prediction(label=self.classes[best_skill[b]], confidence=float(skill_probability[b]),
                       top=tuple((self.classes[k], float(probabilities[b, k])) for k in top[b]),
                       is_skill=bool(is_skill[b]))
            for b in range(len(probabilities))
        ]
