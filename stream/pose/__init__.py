"""Pose estimation: images in, BODY_25 skeletons out, off the event loop.

- `base`: the backend interface (`PoseBackend`, `PoseBackendError`);
- `mediapipe_backend`: BlazePose full (CPU), one tracker per stream;
- `openpose_backend`: OpenPose's BODY_25 through `pyopenpose` (GPU; untested
  here, see docs/pose.md for how to build it);
- `rotation`: test-time rotation, a wrapper around any backend that also
  tries the frame turned 180 degrees for upside-down bodies;
- `service`: `PoseService`, which feeds a backend from the event loop
  through a bounded queue, worker threads and batches across streams.

`create_backend(settings)` builds the configured backend; only the chosen
backend's module is imported, so a missing library only matters when it is
asked for.
"""

from __future__ import annotations

import importlib

from skillstream.config import PoseSettings

from .base import PoseBackend, PoseBackendError

# settings.backend -> module of this package with `create(settings) -> PoseBackend`.
BACKEND_MODULES: dict[str, str] = {
    "mediapipe": "mediapipe_backend",
    "openpose": "openpose_backend",
}


def create_backend(settings: PoseSettings) -> PoseBackend:
    """The backend named by `settings.backend`, wrapped in test-time rotation
    when `settings.test_time_rotation` is set. Loads the models (seconds);
    call it from a thread or before the event loop starts. Raises
    PoseBackendError (how to fix it) when the backend cannot start."""
    module = BACKEND_MODULES.get(settings.backend)
    if module is None:
        raise PoseBackendError(f"pose.backend: unknown backend {settings.backend!r} "
                               f"(known: {', '.join(sorted(BACKEND_MODULES))})")
    backend = importlib.import_module(f"{__name__}.{module}").create(settings)
    if settings.test_time_rotation:
        from .rotation import RotatingBackend

        backend = RotatingBackend(backend)
    return backend


__all__ = ["BACKEND_MODULES", "PoseBackend", "PoseBackendError", "create_backend"]
