"""create_backend: the configured backend, wrapped in test-time rotation when asked."""

import dataclasses

import pytest

from skillstream.config import load_config
from skillstream.stream.pose import PoseBackendError, create_backend
from skillstream.stream.pose.mediapipe_backend import MediaPipeBackend
from skillstream.stream.pose.rotation import RotatingBackend


@pytest.mark.parametrize("rotation", [True, False])
def test_mediapipe_with_and_without_rotation(rotation):
    settings = dataclasses.replace(load_config().pose, test_time_rotation=rotation)
    backend = create_backend(settings)
    try:
        inner = backend.backend if rotation else backend
        assert isinstance(backend, RotatingBackend) is rotation
        assert isinstance(inner, MediaPipeBackend) and backend.max_batch == 1
        assert backend.name == ("mediapipe+rotation" if rotation else "mediapipe")
    finally:
        backend.close()


def test_unknown_backend():
    settings = dataclasses.replace(load_config().pose, backend="alphapose")
    with pytest.raises(PoseBackendError, match="alphapose"):
        create_backend(settings)
