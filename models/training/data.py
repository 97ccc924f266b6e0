"""Training data: clips -> class names and label indices, the validation split, network inputs.

Classes are ordered once, here, and that order is the network's output order
(stored in the checkpoint): the skill labels sorted, then the background
label (`BACKGROUND`, the label `skillstream synth` gives non-skill clips)
last when the data has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..keypoints.clip import Clip, KeypointDataError
from ..preprocess import PreprocessSettings, preprocess_batch
from ..synth import BACKGROUND

PREPROCESS_CHUNK = 256  # windows preprocessed at once: bounds the packed batch's memory


def class_names(labels: Iterable[str], background: str = BACKGROUND) -> tuple[str, ...]:
    """The distinct labels as classes: skills sorted, then `background` last if present."""
    distinct = set(labels)
    return tuple(sorted(distinct - {background})) + ((background,) if background in distinct else ())


def encode_labels(clips: Sequence[Clip], classes: Sequence[str]) -> np.ndarray:
    """The class index int64 (N,) of each clip's label. Raises KeypointDataError
    naming the clip when its label is None or not one of `classes`."""
    index = {name: i for i, name in enumerate(classes)}
    encoded = np.empty(len(clips), np.int64)  # (N,)
    for i, clip in enumerate(clips):
        if clip.label not in index:
            raise KeypointDataError(clip.source or f"clip {i}",
                                    f"label {clip.label!r} is not one of the classes ({', '.join(classes)})")
        encoded[i] = index[clip.label]
    return encoded


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices int64 of the training and validation items, each sorted ascending.

    labels: int (N,) class indices. Each class gives round(n * val_fraction)
    of its n items to validation, but at least one when n >= 2 (every class
    is validated) and at most n - 1 (every class is trained on); a class
    with one item stays in training. Which items is drawn from
    `np.random.default_rng(seed)`, class by class in ascending order, so the
    split depends only on the labels, the fraction and the seed.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction: expected a fraction in (0, 1), got {val_fraction!r}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    val = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)  # (n,)
        n_val = min(max(round(len(members) * val_fraction), 1), len(members) - 1)
        val.append(rng.permutation(members)[:n_val])
    val_indices = np.sort(np.concatenate(val)).astype(np.int64)
    train_indices = np.setdiff1d(np.arange(len(labels)), val_indices).astype(np.int64)
    return train_indices, val_indices


def carve_validation(clips: Sequence[Clip], val_fraction: float, seed: int) -> tuple[list[Clip], list[Clip]]:
    """The training and validation clips of one dataset: `stratified_split` of its labels."""
    labels = encode_labels(clips, class_names(clip.label for clip in clips))
    train_indices, val_indices = stratified_split(labels, val_fraction, seed)
    return [clips[i] for i in train_indices], [clips[i] for i in val_indices]


def preprocess_windows(windows: Sequence[np.ndarray],
                       settings: PreprocessSettings) -> tuple[np.ndarray, np.ndarray]:
    """`preprocess_batch` of any number of windows (T_i, 25, 3), a chunk at a time:
    features float32 (N, max_timesteps, F) and masks bool (N, max_timesteps)."""
    features = np.empty((len(windows), settings.max_timesteps, settings.n_features), np.float32)  # (N, M, F)
    masks = np.empty((len(windows), settings.max_timesteps), np.bool_)  # (N, M)
    for start in range(0, len(windows), PREPROCESS_CHUNK):
        stop = start + PREPROCESS_CHUNK
        features[start:stop], masks[start:stop] = preprocess_batch(list(windows[start:stop]), settings)
    return features, masks
