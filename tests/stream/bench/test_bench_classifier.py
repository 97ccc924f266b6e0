"""`skillstream bench classifier`: the report's shape, a fresh network or a saved model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from skillstream.models.training import TrainConfig
from skillstream.stream.bench import classifier as bench
from skillstream.stream.cli import bench as bench_command
from tests.models.training.toydata import restore_torch_threads, write_toy_checkpoint  # noqa: F401


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skillstream")
    bench_command.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_fresh_network_report() -> None:
    result = bench.bench_classifier(arch="paper", repeat=2, seed=1)
    assert (result["arch"], result["classes"], result["params"], result["model"]) == ("paper", 10, 39_050, None)
    assert result["preprocess"]["padding"] == "paper" and result["latency_frames"] == 281
    assert [row["batch"] for row in result["batches"]] == [1, 8, 64]
    for row in result["batches"]:
        assert row["ms"] > 0 and row["network_ms"] > 0
        assert row["windows_per_s"] == pytest.approx(row["batch"] / row["median_ms"] * 1e3)
    assert result["targets"]["met"] == (result["latency_median_ms"] < 3
                                        and result["batches"][-1]["windows_per_s"] >= 1000)
    text = bench.format_text(result)
    assert text.startswith("classifier: fresh paper network, 10 classes; 39,050 parameters")
    assert len(text.splitlines()) == 4 + 3 + 1


@pytest.mark.usefixtures("restore_torch_threads")
def test_saved_model_through_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = write_toy_checkpoint(tmp_path / "m.pt")
    args = parse(["bench", "classifier", "--json", "--repeat", "1", "--model", str(model), "--threads", "1"])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == str(model) and result["classes"] == 3 and result["threads"] == 1
    assert result["preprocess"]["confidence"] is True


def test_fresh_default_network_has_its_training_defaults_and_a_detector() -> None:
    result = bench.bench_classifier(arch="default", repeat=1, seed=0)
    settings = TrainConfig.for_arch("default").preprocess
    assert result["detector"] is True and result["features"] == settings.n_features
    # The architecture's training defaults: no frame differences in the network, so the
    # front end reads the features once per frame.
    checkpoint = bench.fresh_checkpoint("default", seed=0)
    assert checkpoint.network.args.frame_velocity is False
    assert checkpoint.network.frontend.in_features == settings.n_features * checkpoint.network.args.frames_per_step
    assert "with the out-of-distribution detector" in bench.format_text(result).splitlines()[0]
