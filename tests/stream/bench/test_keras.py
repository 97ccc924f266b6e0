"""`skillstream bench keras`: a tiny run through the command, its report, its data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from skillstream.models.keypoints.dataset import load_dataset
from skillstream.models.synth import SKILL_NAMES, write_dataset
from skillstream.stream.bench import keras as bench
from skillstream.stream.cli import bench as bench_command
from tests.models.training.toydata import restore_torch_threads  # noqa: F401


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skillstream")
    bench_command.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.mark.usefixtures("restore_torch_threads")
def test_a_tiny_run_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["bench", "keras", "--json", "--repeat", "1", "--epochs", "1", "--clips-per-class", "2",
                  "--threads", "1"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["benchmark"], result["keras_backend"], result["threads"]) == ("keras", "torch", 1)
    assert (result["synth_seed"], result["clips_per_class"], result["epochs"]) == (5, 2, 1)
    assert result["classes"] == sorted(SKILL_NAMES)
    # Each class of 2 clips gives one to the test set.
    assert (result["n_train"], result["n_test"], result["batch_size"]) == (10, 10, 120)
    assert result["paper_preprocess"] == {"max_timesteps": 281, "norm": "timestep", "padding": "paper",
                                          "confidence": False, "distances": False, "motion": []}
    models = result["models"]
    assert list(models) == ["keras-paper", "paper", "default"]
    assert models["keras-paper"]["params"] == models["paper"]["params"] == 39_050
    assert models["default"]["background"] == "background"
    assert models["default"]["model"].endswith("models/pretrained/default.pt")
    for name, row in models.items():
        assert row["accuracy"] == row["correct"] / 10
        assert 0 < row["latency_best_ms"] <= row["latency_ms"] and 0 < row["batch_best_ms"] <= row["batch_ms"]
        assert row["windows_per_s"] == pytest.approx(64 / row["batch_ms"] * 1e3)
        assert (row["train_s_per_epoch"] is None) == (name == "default")
    for name in ("paper", "default"):
        ratio = result["ratios"][f"keras/{name}"]
        assert ratio["latency"] == pytest.approx(models["keras-paper"]["latency_ms"] / models[name]["latency_ms"])
        assert ratio["throughput"] == pytest.approx(
            models["keras-paper"]["windows_per_s"] / models[name]["windows_per_s"])
    assert result["ratios"]["keras/paper"]["train_epoch"] == pytest.approx(
        models["keras-paper"]["train_s_per_epoch"] / models["paper"]["train_s_per_epoch"])
    assert result["ratios"]["keras/default"]["train_epoch"] is None

    text = bench.format_text(result)
    assert text.startswith("keras: the paper's Keras model (Keras 3.")
    assert len(text.splitlines()) == 6 + 3 + 2 + 1


def test_the_shipped_models_training_seed_is_refused() -> None:
    with pytest.raises(SystemExit, match="--synth-seed 0 made the shipped model's training data"):
        bench.bench_keras(model=None, data=None, clips_per_class=2, synth_seed=0, epochs=1, threads=None,
                          repeat=1, seed=0)


def test_the_synthetic_clips_are_those_skillstream_synth_writes(tmp_path: Path) -> None:
    write_dataset(tmp_path, clips_per_class=1, seed=5)
    written = load_dataset(tmp_path).clips
    made = bench.synthetic_clips(1, 5)
    assert [clip.label for clip in made] == list(SKILL_NAMES)
    by_label = {clip.label: clip for clip in written}
    for clip in made:
        np.testing.assert_array_equal(clip.keypoints, by_label[clip.label].keypoints)


def test_batches() -> None:
    assert [b.tolist() for b in bench.batches(np.array([4, 0, 3, 1, 2]), 2)] == [[4, 0], [3, 1], [2]]
