"""JHMDB's packed joint files -> a keypoint dataset `DIR/<label>/<clip>.npz`.

The packed file (one train or test split, as DD-Net distributes JHMDB's
ground-truth joints, converted to npz) holds:
- poses float32 (total_frames, 15, 2): x, y of the 15 puppet joints,
  already centred and normalised (so they may be negative), no confidence;
- offsets int (n_clips + 1): clip i is poses[offsets[i]:offsets[i + 1]],
  from 0 to total_frames, ascending;
- labels str (n_clips): the action of each clip.

Each clip is written as `DIR/<label>/<label>_<index:04d>.npz` (index: its
place in the packed file) with keypoints (T, 15, 2) in the `jhmdb15`
layout, fps 30, frame size 0 x 0 (unknown: the coordinates are not
pixels). `models.keypoints.read_npz` maps them into BODY_25 on load, every
joint present with confidence 1.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np

from ..keypoints.clip import KeypointDataError
from ..keypoints.npz import read_npz_arrays
from ..keypoints.skeleton import JHMDB15

JHMDB_FPS = 30.0


def read_jhmdb_split(path: str | os.PathLike[str]) -> list[tuple[str, np.ndarray]]:
    """The clips of a packed file as (label, keypoints float32 (T, 15, 2)), in file order.

    Raises FileNotFoundError for a missing file and KeypointDataError naming
    the file and key for an unreadable file, a missing key, a wrong shape or
    dtype, offsets that do not cut the poses into non-empty clips, NaN or
    infinity, or a label that cannot be a folder name.
    """
    where = str(path)
    arrays = read_npz_arrays(path)
    for key in ("poses", "offsets", "labels"):
        if key not in arrays:
            raise KeypointDataError(where, f"no {key!r} array (has: {', '.join(sorted(arrays)) or 'nothing'}); "
                                           "expected a packed JHMDB split with poses, offsets, labels")
    poses, offsets, labels = arrays["poses"], arrays["offsets"], arrays["labels"]
    if poses.dtype.kind != "f" or poses.ndim != 3 or poses.shape[1:] != (JHMDB15.n_points, 2):
        raise KeypointDataError(f"{where}: poses", f"expected floats of shape (frames, {JHMDB15.n_points}, 2), "
                                                   f"got {poses.dtype} {poses.shape}")
    if not np.isfinite(poses).all():
        raise KeypointDataError(f"{where}: poses", "NaN or infinity")
    if labels.dtype.kind != "U" or labels.ndim != 1 or len(labels) == 0:
        raise KeypointDataError(f"{where}: labels", f"expected a non-empty list of strings, got {labels.dtype} "
                                                    f"{labels.shape}")
    if offsets.dtype.kind not in "iu" or offsets.shape != (len(labels) + 1,):
        raise KeypointDataError(f"{where}: offsets", f"expected {len(labels) + 1} integers (clips + 1), "
                                                     f"got {offsets.dtype} {offsets.shape}")
    if offsets[0] != 0 or offsets[-1] != len(poses) or (np.diff(offsets) < 1).any():
        raise KeypointDataError(f"{where}: offsets", f"must rise strictly from 0 to {len(poses)} (the frames), "
                                                     f"got {offsets[0]}..{offsets[-1]}")
    for label in set(labels.tolist()):
        if not label or label.startswith(".") or any(c in label for c in "/\\\0"):
            raise KeypointDataError(f"{where}: labels", f"{label!r} cannot be a folder name")
    poses = poses.astype(np.float32)
    return [(str(label), poses[offsets[i]:offsets[i + 1]]) for i, label in enumerate(labels)]


def write_jhmdb_dataset(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> Counter[str]:
    """Write the clips of the packed file `path` into the dataset folder `out`
    (see the module's docstring); returns the clip count per label."""
    clips = read_jhmdb_split(path)
    source = Path(path).name
    counts: Counter[str] = Counter()
    for index, (label, keypoints) in enumerate(clips):
        target = Path(out) / label / f"{label}_{index:04d}.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as file:
            np.savez_compressed(
                file,
                keypoints=keypoints,  # (T, 15, 2)
                fps=np.float64(JHMDB_FPS),
                width=np.int64(0),
                height=np.int64(0),
                label=np.str_(label),
                source=np.str_(f"{source}#{index}"),
                layout=np.str_(JHMDB15.name),
            )
        counts[label] += 1
    return counts
