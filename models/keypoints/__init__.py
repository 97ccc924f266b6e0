"""BODY_25 keypoints: the skeleton, the in-memory clip, clip files and datasets.

- `skeleton`: BODY_25 and the layouts mapped into it.
- `clip`: `Clip` (T, 25, 3) and `KeypointDataError`.
- `openpose_json`: OpenPose `--write_json` folders (read, follow the main person, write).
- `npz`: the compact `.npz` clip.
- `dataset`: `DATASET/<label>/<clip>` folders.
- `summary`: the figures behind `skillstream inspect`.
"""

from .clip import Clip, KeypointDataError
from .dataset import (
    BadClip,
    ClipEntry,
    Dataset,
    DatasetError,
    find_clips,
    load_clip,
    load_dataset,
    path_kind,
)
from .npz import read_npz, write_npz
from .openpose_json import choose_main_person, read_openpose_folder, write_openpose_folder
from .summary import ClipSummary, DatasetSummary, summarize_clip, summarize_dataset

__all__ = [
    "BadClip", "Clip", "ClipEntry", "ClipSummary", "Dataset", "DatasetError", "DatasetSummary",
    "KeypointDataError", "choose_main_person", "find_clips", "load_clip", "load_dataset", "path_kind",
    "read_npz", "read_openpose_folder", "summarize_clip", "summarize_dataset", "write_npz",
    "write_openpose_folder",
]
