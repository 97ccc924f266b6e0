"""Keypoint datasets on disk: `DATASET/<label>/<clip>`.

Each clip is an OpenPose JSON folder or a `.npz` file (see `openpose_json` and
`npz`); the name of the folder it lies in is its label. `load_dataset` reads
them all; `find_clips` lists them without reading, so that a caller can load
them one at a time with `load_clip`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .clip import Clip, KeypointDataError
from .npz import read_npz
from .openpose_json import KEYPOINT_FILE_PATTERN, SIDECAR_NAME, read_openpose_folder

NPZ_SUFFIX = ".npz"
PathKind = Literal["openpose", "npz", "dataset"]


@dataclass(frozen=True)
class ClipEntry:
    """A clip of a dataset, not yet read: its label and its path."""

    label: str
    path: Path


@dataclass(frozen=True)
class BadClip:
    """A clip that could not be read. `where` is the bad file (or field),
    relative to the dataset root; it begins with the clip's own path."""

    path: Path
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class DatasetError(KeypointDataError):
    """One or more clips of a dataset are bad; `bad` lists every one."""

    def __init__(self, root: Path, bad: list[BadClip]) -> None:
        super().__init__(str(root), f"{len(bad)} bad clip{'s' if len(bad) != 1 else ''}: "
                                    + "; ".join(map(str, bad)))
        self.bad = bad


@dataclass
class Dataset:
    """The clips of a dataset, in `find_clips` order, each labelled with its
    folder's name; `skipped` lists the bad clips left out (skip_bad=True)."""

    root: Path
    clips: list[Clip]
    skipped: list[BadClip] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """The labels that have at least one clip, sorted."""
        return sorted({clip.label for clip in self.clips if clip.label is not None})


def path_kind(path: str | os.PathLike[str]) -> PathKind:
    """What `path` holds: "npz" (a `.npz` file), "openpose" (a folder of
    keypoint JSON files) or "dataset" (a folder of label folders).

    A folder with a keypoint file, a sidecar, or (lacking sub-folders) any
    `*.json` file is an OpenPose folder, so that its reader can say what is
    wrong with those files. Raises FileNotFoundError for a missing path and
    KeypointDataError for anything else (another kind of file, a folder with
    neither JSON files nor sub-folders).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if not path.is_dir():
        if path.suffix.lower() == NPZ_SUFFIX:
            return "npz"
        raise KeypointDataError(str(path), "not a clip or dataset: expected a .npz file, "
                                           "an OpenPose JSON folder or a DATASET/<label>/<clip> folder")
    entries = _visible_entries(path)
    names = [entry.name for entry in entries if entry.is_file()]
    if any(name == SIDECAR_NAME or KEYPOINT_FILE_PATTERN.fullmatch(name) for name in names):
        return "openpose"
    if any(entry.is_dir() for entry in entries):
        return "dataset"
    if any(name.endswith(".json") for name in names):
        return "openpose"
    raise KeypointDataError(str(path), "no keypoint JSON files and no label folders "
                                       "(expected an OpenPose JSON folder or DATASET/<label>/<clip>)")


def load_clip(path: str | os.PathLike[str], *, fps: float = 30.0) -> Clip:
    """Read one clip, a `.npz` file or an OpenPose JSON folder. `fps` is used
    where the clip does not say. Raises KeypointDataError for bad input."""
    path = Path(path)
    if path.is_dir():
        return read_openpose_folder(path, fps=fps)
    if path.suffix.lower() == NPZ_SUFFIX:
        return read_npz(path, fps=fps)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    raise KeypointDataError(str(path), "not a clip: expected a .npz file or an OpenPose JSON folder")


def find_clips(root: str | os.PathLike[str]) -> list[ClipEntry]:
    """The clips of the dataset at `root`, sorted by label, then clip name.

    Labels are the non-hidden sub-folders of `root`; in each, every
    non-hidden sub-folder and `.npz` file is a clip (other files are
    ignored). Nothing is read. Raises FileNotFoundError / NotADirectoryError
    for a bad root and KeypointDataError when it holds no clip.
    """
    root = Path(root)
    if not root.is_dir():
        raise (NotADirectoryError if root.exists() else FileNotFoundError)(f"{root}: not a dataset folder")
    entries = [
        ClipEntry(label.name, Path(clip.path))
        for label in _visible_entries(root) if label.is_dir()
        for clip in _visible_entries(label.path)
        if clip.is_dir() or (clip.is_file() and clip.name.lower().endswith(NPZ_SUFFIX))
    ]
    if not entries:
        hint = ""
        if any(KEYPOINT_FILE_PATTERN.fullmatch(entry.name)
               for label in _visible_entries(root) if label.is_dir()
               for entry in _visible_entries(label.path)):
            hint = "; its sub-folders are OpenPose clips themselves: pass the folder above them"
        raise KeypointDataError(str(root), f"no clips (expected DATASET/<label>/<clip folder or .npz>){hint}")
    return sorted(entries, key=lambda entry: (entry.label, entry.path.name))


def load_dataset(root: str | os.PathLike[str], *, skip_bad: bool = False, fps: float = 30.0) -> Dataset:
    """Read every clip of the dataset at `root` (see `find_clips`).

    Each clip's label is its folder's name (a label stored in the clip is
    overridden); `fps` is used where a clip does not say. Every clip is
    tried: with skip_bad=False, any bad clip raises one DatasetError that
    lists every bad clip with its reason; with skip_bad=True, bad clips are
    left out and listed in `Dataset.skipped`.
    """
    root = Path(root)
    clips: list[Clip] = []
    bad: list[BadClip] = []
    for entry in find_clips(root):
        try:
            clip = load_clip(entry.path, fps=fps)
        except KeypointDataError as error:
            bad.append(BadClip(entry.path, os.path.relpath(error.where, root), error.reason))
            continue
        clip.label = entry.label
        clips.append(clip)
    if bad and not skip_bad:
        raise DatasetError(root, bad)
    return Dataset(root, clips, bad)


def _visible_entries(folder: str | os.PathLike[str]) -> list[os.DirEntry]:
    """The entries of `folder` whose names do not start with a dot, sorted by name."""
    with os.scandir(folder) as entries:
        return sorted((entry for entry in entries if not entry.name.startswith(".")),
                      key=lambda entry: entry.name)
