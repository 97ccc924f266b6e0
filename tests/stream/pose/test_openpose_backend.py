"""The OpenPose backend without OpenPose (not installable here): people selection, flags, the missing-library error."""

import dataclasses
import sys

import numpy as np
import pytest

from skillstream.config import load_config
from skillstream.stream.pose import PoseBackendError, create_backend
from skillstream.stream.pose.openpose_backend import best_person, openpose_params


def test_best_person_is_the_surest():
    people = np.zeros((3, 25, 3), np.float32)
    people[0, :5] = (10, 20, 0.5)
    people[1, :10] = (30, 40, 0.4)   # total 4.0: the surest
    people[2, :2] = (50, 60, 0.9)
    np.testing.assert_array_equal(best_person(people), people[1])
    assert best_person(people).dtype == np.float32


@pytest.mark.parametrize("nobody", [None, np.zeros((0,)), np.zeros((0, 25, 3))])
def test_nobody_gives_zeros(nobody):
    out = best_person(nobody)
    assert out.shape == (25, 3) and not out.any()


def test_wrong_layout_is_refused():
    with pytest.raises(ValueError, match="BODY_25"):
        best_person(np.ones((1, 18, 3)))


def test_params(tmp_path, monkeypatch):
    pose = load_config().pose
    monkeypatch.delenv("OPENPOSE_MODELS", raising=False)
    with pytest.raises(PoseBackendError, match="model_folder"):
        openpose_params(pose)
    monkeypatch.setenv("OPENPOSE_MODELS", str(tmp_path))
    params = openpose_params(pose)
    assert params == {"model_folder": str(tmp_path), "model_pose": "BODY_25", "net_resolution": "-1x368",
                      "number_people_max": 1, "render_pose": 0, "display": 0}
    with pytest.raises(PoseBackendError, match="not a folder"):
        openpose_params(dataclasses.replace(pose, openpose=dataclasses.replace(pose.openpose,
                                                                               model_folder=str(tmp_path / "x"))))


def test_missing_pyopenpose_says_how_to_build_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopenpose", None)  # not importable, even where it is installed
    monkeypatch.setitem(sys.modules, "openpose.pyopenpose", None)
    monkeypatch.setitem(sys.modules, "openpose", None)
    settings = dataclasses.replace(load_config().pose, backend="openpose")
    with pytest.raises(PoseBackendError, match="BUILD_PYTHON=ON"):
        create_backend(settings)
