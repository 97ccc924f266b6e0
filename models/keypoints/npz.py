"""The compact `.npz` clip: one file per clip, written by `write_npz`.

Keys: keypoints float32 (T, 25, 3) BODY_25; fps float; width, height int;
label, source str (label "" = none); layout str, the layout the keypoints
were in before they were mapped to BODY_25 (provenance, as `Clip.layout`);
people int16 (T,).

`read_npz` also takes files written by other tools: only `keypoints` is
required, and it may hold another layout, (T, N, 2|3) with N != 25: then
`layout` names that layout (a name in `skeleton.LAYOUTS`; when the key is
absent, the layout with N points) and the points are mapped into BODY_25.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .clip import Clip, KeypointDataError
from .skeleton import BODY25, LAYOUTS, Layout, to_body25

_LAYOUT_BY_POINT_COUNT: dict[int, Layout] = {layout.n_points: layout for layout in LAYOUTS.values()}


def write_npz(clip: Clip, path: str | os.PathLike[str]) -> None:
    """Write `clip` to `path`, compressed, creating its folder (the name is
    used as given: no suffix is added). The clip's source is kept as provenance."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        np.savez_compressed(
            file,
            keypoints=clip.keypoints,  # (T, 25, 3)
            fps=np.float64(clip.fps),
            width=np.int64(clip.width),
            height=np.int64(clip.height),
            label=np.str_(clip.label or ""),
            source=np.str_(clip.source),
            layout=np.str_(clip.layout),
            people=clip.people,  # (T,)
        )


def read_npz(path: str | os.PathLike[str], *, fps: float = 30.0) -> Clip:
    """Read a `.npz` clip into a BODY_25 `Clip`.

    Missing optional keys take defaults: fps the `fps` argument, frame size
    0 x 0 (unknown), no label, people -1 (unknown), layout body25.
    `Clip.source` is `path` (the stored source is provenance only). Nothing is
    unpickled. Raises KeypointDataError naming the file (and key) for an
    unreadable or corrupt file, a missing `keypoints`, a wrong shape or
    dtype, an unknown layout name or one that does not fit the point count, no
    frames, NaN or infinity.
    """
    where = str(path)
    arrays = read_npz_arrays(path)
    if "keypoints" not in arrays:
        raise KeypointDataError(where, f"no 'keypoints' array (has: {', '.join(sorted(arrays)) or 'nothing'})")
    points = arrays["keypoints"]
    if points.dtype.kind not in "iuf" or points.ndim != 3 or points.shape[2] not in (2, 3):
        raise KeypointDataError(f"{where}: keypoints", f"expected numbers of shape (T, N, 2|3), "
                                                       f"got {points.dtype} {points.shape}")
    if len(points) == 0:
        raise KeypointDataError(f"{where}: keypoints", "no frames")
    if not np.isfinite(points).all():
        raise KeypointDataError(f"{where}: keypoints", "NaN or infinity")
    layout, layout_name = _layouts(arrays, points.shape[1], where)
    people = arrays.get("people")
    if people is not None and (people.dtype.kind not in "iu" or people.shape != points.shape[:1]):
        raise KeypointDataError(f"{where}: people", f"expected integers of shape ({len(points)},), "
                                                    f"got {people.dtype} {people.shape}")
    return Clip(
        keypoints=to_body25(points, layout),  # (T, 25, 3)
        fps=_scalar(arrays, "fps", "iuf", fps, where),
        width=_scalar(arrays, "width", "iu", 0, where),
        height=_scalar(arrays, "height", "iu", 0, where),
        label=_scalar(arrays, "label", "U", "", where) or None,
        source=str(Path(path)),
        layout=layout_name,
        people=people,
    )


def _layouts(arrays: dict[str, np.ndarray], n_points: int, where: str) -> tuple[Layout, str]:
    """The layout the stored keypoints are in, and the layout name the clip records."""
    name = _scalar(arrays, "layout", "U", None, where)
    if name is not None and name not in LAYOUTS:
        raise KeypointDataError(f"{where}: layout", f"unknown layout {name!r} (known: {', '.join(LAYOUTS)})")
    if n_points == BODY25.n_points:
        return BODY25, name or BODY25.name
    if name is None:
        if n_points not in _LAYOUT_BY_POINT_COUNT:
            raise KeypointDataError(f"{where}: keypoints", f"{n_points} points per frame is no known "
                                                           f"layout and no 'layout' names one")
        name = _LAYOUT_BY_POINT_COUNT[n_points].name
    if LAYOUTS[name].n_points != n_points:
        raise KeypointDataError(f"{where}: keypoints", f"layout {name} has {LAYOUTS[name].n_points} points, "
                                                       f"the keypoints have {n_points}")
    return LAYOUTS[name], name


_KIND_NAMES = {"iuf": "number", "iu": "integer", "U": "string"}


def _scalar(arrays: dict[str, np.ndarray], key: str, kinds: str, default, where: str):
    """The 0-d array `key` as a Python value of one of the dtype `kinds`, or `default`."""
    if key not in arrays:
        return default
    value = arrays[key]
    if value.ndim != 0 or value.dtype.kind not in kinds:
        raise KeypointDataError(f"{where}: {key}", f"expected a single {_KIND_NAMES[kinds]}, "
                                                   f"got {value.dtype} {value.shape}")
    return value.item()


def read_npz_arrays(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of the `.npz` at `path`, nothing unpickled.

    Raises FileNotFoundError for a missing file and KeypointDataError naming
    the file for one that is unreadable or no valid `.npz`.
    """
    try:
        # Our own file object: np.load leaves its file open when the zip is corrupt.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise KeypointDataError(str(path), f"not a readable .npz ({error})") from error
