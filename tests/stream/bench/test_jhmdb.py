"""`skillstream bench jhmdb`: one split, one epoch, on the real joints: the report's figures are the run's."""

from __future__ import annotations

import argparse

import pytest

from skillstream.stream.bench import jhmdb as bench
from tests.models.training.toydata import restore_torch_threads  # noqa: F401


@pytest.mark.usefixtures("restore_torch_threads")
def test_one_short_split_reports_its_figures(shared_data):
    result = bench.bench_jhmdb(shared_data / "jhmdb", [2], epochs=1)
    (row,) = result["splits"]
    # Split 2: 433 training clips (a fifth carved out for validation), 176 test clips.
    assert (row["split"], row["n_train"] + row["n_val"], row["n_test"]) == (2, 433, 176)
    assert row["n_val"] == pytest.approx(433 * 0.2, abs=14) and row["best_epoch"] == 1
    assert 0.0 <= row["accuracy"] <= 1.0 and row["train_s"] > 0
    assert result["mean_accuracy"] == row["accuracy"] and result["epochs"] == 1
    assert 0 < result["params"] <= bench.TARGET_PARAMS
    assert not result["targets"]["met"]  # one epoch learns little
    text = bench.format_text(result)
    assert "DD-Net (published): 77.2%" in text and "NOT met" in text


def test_split_numbers_are_checked():
    assert bench.splits("3,1") == [3, 1]
    for bad in ("4", "1,x", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            bench.splits(bad)
