"""OpenPose's BODY_25 model through its Python binding `pyopenpose` (GPU).

UNTESTED HERE: pyopenpose is built from source with CUDA and cannot be
installed on the development machine; this module follows OpenPose's own
Python examples (`examples/tutorial_api_python/`): `op.WrapperPython()`,
`configure(params)`, `start()`, one `op.Datum()` per image with
`cvInputData` set, `emplaceAndPop(op.VectorDatum([...]))`, and
`datum.poseKeypoints` (people, 25, 3) in pixels (None when nobody is
found). docs/pose.md says how to build and install it.

Only this module imports pyopenpose, and only when the backend is created.
A batch is one `emplaceAndPop` call with one datum per image (OpenPose runs
its pipeline over every datum of the vector). When OpenPose finds several
people, the one with the largest total keypoint confidence is returned.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

import numpy as np

from skillstream.config import PoseSettings
from skillstream.models.keypoints.skeleton import N_BODY25, clear_missing

from .base import PoseBackend, PoseBackendError

BUILD_HELP = (
    "pose.backend = 'openpose' needs OpenPose's Python module (pyopenpose), built from source: "
    "git clone https://github.com/CMU-Perceptual-Computing-Lab/openpose; cd openpose; "
    "git submodule update --init --recursive; mkdir build; cd build; "
    "cmake -DBUILD_PYTHON=ON -DPYTHON_EXECUTABLE=$(which python) ..; make -j$(nproc); "
    "then put build/python on PYTHONPATH (or `sudo make install`, which installs "
    "/usr/local/python/openpose) and set pose.openpose.model_folder or $OPENPOSE_MODELS "
    "to openpose/models. See docs/pose.md."
)


def import_pyopenpose():
    """The pyopenpose module; PoseBackendError with build instructions when it is missing."""
    errors = []
    for name in ("openpose.pyopenpose", "pyopenpose"):  # after `make install` / from build/python/openpose
        try:
            return importlib.import_module(name)
        except ImportError as error:
            errors.append(f"{name}: {error}")
    raise PoseBackendError(f"{BUILD_HELP} (import failed: {'; '.join(errors)})")


def best_person(pose_keypoints: np.ndarray | None) -> np.ndarray:
    """The skeleton with the largest total confidence among OpenPose's
    `poseKeypoints` (people, 25, 3), as float32 (25, 3); zeros when there is
    nobody (OpenPose gives None or an empty array then)."""
    if pose_keypoints is None:
        return np.zeros((N_BODY25, 3), np.float32)
    people = np.asarray(pose_keypoints, np.float32)
    if people.ndim != 3 or people.shape[0] == 0:
        return np.zeros((N_BODY25, 3), np.float32)
    if people.shape[1:] != (N_BODY25, 3):
        raise ValueError(f"OpenPose returned keypoints of shape {people.shape}, expected (people, 25, 3) "
                         "(is model_pose BODY_25?)")
    person = people[int(np.argmax(people[:, :, 2].sum(axis=1)))].copy()  # (25, 3)
    return clear_missing(person)  # OpenPose's missing points are already 0, 0, 0; keep the rule exact


def openpose_params(settings: PoseSettings) -> dict[str, object]:
    """The flags given to `WrapperPython.configure`. PoseBackendError when no model folder is set."""
    model_folder = settings.openpose.model_folder or os.environ.get("OPENPOSE_MODELS", "")
    if not model_folder:
        raise PoseBackendError("pose.openpose.model_folder is empty and $OPENPOSE_MODELS is not set: "
                               "point one of them at OpenPose's models/ folder")
    if not os.path.isdir(model_folder):
        raise PoseBackendError(f"pose.openpose.model_folder: {model_folder!r} is not a folder")
    return {
        "model_folder": model_folder,
        "model_pose": "BODY_25",
        "net_resolution": settings.openpose.net_resolution,
        "number_people_max": settings.openpose.number_people_max,
        "render_pose": 0,  # keypoints only: no rendered output image
        "display": 0,
    }


class OpenPoseBackend(PoseBackend):
    """OpenPose BODY_25 (see the module's docstring). One OpenPose wrapper,
    used by one thread at a time (`workers` 1); up to `max_batch` images per call."""

    name = "openpose"
    workers = 1  # one wrapper on the GPU; its emplaceAndPop is not meant for concurrent callers

    def __init__(self, settings: PoseSettings) -> None:
        self._op = import_pyopenpose()
        params = openpose_params(settings)
        self.max_batch = settings.max_batch
        self._wrapper = self._op.WrapperPython()
        self._wrapper.configure(params)
        self._wrapper.start()

    def estimate(self, items: Sequence[tuple[str, np.ndarray]]) -> list[np.ndarray]:
        datums = []
        for _, image in items:
            datum = self._op.Datum()
            datum.cvInputData = image  # OpenPose takes BGR, like cv2
            datums.append(datum)
        self._wrapper.emplaceAndPop(self._op.VectorDatum(datums))
        return [best_person(datum.poseKeypoints) for datum in datums]

    def close(self) -> None:
        if self._wrapper is not None:
            self._wrapper.stop()
            self._wrapper = None


def create(settings: PoseSettings) -> OpenPoseBackend:
    """The backend for `pose.backend = "openpose"`."""
    return OpenPoseBackend(settings)
