"""Shared test fixtures.

SKILLSTREAM_TEST_TIMEOUT_SCALE multiplies every time limit in the tests (slow
machines, CI under load). SKILLSTREAM_SHARED_DATA points at the folder of real
third-party data (default: ../shared/data beside the checkout); tests that
need it are skipped where it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_SCALE = float(os.environ.get("SKILLSTREAM_TEST_TIMEOUT_SCALE", "1"))


def scaled_timeout(seconds: float) -> float:
    """A time limit for a test step, scaled for the machine."""
    return seconds * TIMEOUT_SCALE


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real third-party data (validation only: never copied into the repo)."""
    path = Path(os.environ.get("SKILLSTREAM_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"real third-party data not found at {path}")
    return path
