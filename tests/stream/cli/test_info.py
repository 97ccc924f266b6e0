"""`skillstream info`: a checkpoint described as one JSON object, also through the installed entry point."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import scaled_timeout
from tests.models.training.toydata import write_toy_checkpoint


@pytest.fixture
def run_info(run_cli):
    return functools.partial(run_cli, "info")


def test_info_describes_the_checkpoint(run_info, tmp_path: Path) -> None:
    model = write_toy_checkpoint(tmp_path / "m.pt", threshold=0.25)
    status, out, err = run_info(model)
    assert status == 0 and err == ""
    info = json.loads(out)
    assert info["arch"] == "default" and info["params"] == 212_651 - 8 * 129  # 3 classes, not 11: 8 head rows fewer
    assert info["classes"] == ["arms_up", "wave", "background"] and info["background"] == "background"
    assert (info["norm"], info["padding"], info["confidence"]) == ("timestep", "corrected", True)
    assert (info["max_timesteps"], info["features"], info["threshold"]) == (281, 75, 0.25)
    assert info["training"] == {"epochs": 0} and info["metrics"] == {"accuracy": None} and info["seed"] == 0
    assert info["network_args"]["n_classes"] == 3


def test_bad_checkpoint(run_info, tmp_path: Path) -> None:
    (tmp_path / "x.pt").write_text("text")
    status, _, err = run_info(tmp_path / "x.pt")
    assert status == 2 and err.startswith(f"skillstream info: error: {tmp_path / 'x.pt'}: not a readable checkpoint")


def test_through_the_entry_point(tmp_path: Path) -> None:
    model = write_toy_checkpoint(tmp_path / "m.pt")
    done = subprocess.run([sys.executable, "-m", "skillstream.stream", "info", str(model)], capture_output=True,
                          text=True, timeout=scaled_timeout(60), check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["features"] == 75
