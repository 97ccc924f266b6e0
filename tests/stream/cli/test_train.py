"""`skillstream train`: a short run end to end, the options, the errors."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from skillstream.models.checkpoint import load_checkpoint
from skillstream.models.keypoints.npz import write_npz
from tests.models.training.toydata import restore_torch_threads, toy_clips, write_toy_dataset  # noqa: F401


@pytest.fixture
def run_train(run_cli):
    return functools.partial(run_cli, "train")


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), per_class=5, seed=0)


@pytest.mark.usefixtures("restore_torch_threads")
def test_a_short_default_run_saves_a_checkpoint_and_a_report(run_train, toy_data: Path, tmp_path: Path) -> None:
    status, out, err = run_train("--data", toy_data, "--out", tmp_path / "m.pt", "--epochs", 2, "--batch-size", 4,
                                 "--seed", 3, "--report", tmp_path / "report", "--threads", 1)
    assert status == 0, err
    assert torch.get_num_threads() == 1
    lines = out.splitlines()
    assert lines[0] == ("train: 12 training and 3 validation clips; default network, body normalisation, "
                        "padding corrected, confidence on, augmentation on, 2 epochs of batches of 4, "
                        "then a refit on all of them")
    assert lines[1].startswith("epoch   1/2  train loss ") and lines[2].startswith("epoch   2/2  train loss ")
    best = int(lines[-3].split()[3].rstrip(":"))  # "train: best epoch N: ..."
    assert [line.split()[1] for line in lines[3:3 + best]] == [f"{k}/{best}" for k in range(1, best + 1)]  # refit
    assert lines[-3].startswith("train: best epoch ") and "validation accuracy" in lines[-3]
    assert "out-of-distribution limit" in lines[-3]
    assert lines[-2:] == [f"train: report in {tmp_path / 'report'}", f"train: saved {tmp_path / 'm.pt'}"]
    checkpoint = load_checkpoint(tmp_path / "m.pt")
    assert checkpoint.classes == ("arms_up", "wave", "background") and checkpoint.background == "background"
    assert checkpoint.training["data"] == str(toy_data) and checkpoint.training["val_data"] is None
    assert checkpoint.training["batch_size"] == 4 and checkpoint.seed == 3 and checkpoint.training["refit"]
    assert checkpoint.detector is not None
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert metrics["n"] == 3 and np.sum(metrics["confusion"]) == 3 and len(metrics["train_loss"]) == 2
    assert metrics["accuracy"] == checkpoint.metrics["accuracy"]
    assert (tmp_path / "report" / "confusion.png").stat().st_size > 0


def test_paper_arch_with_validation_data_and_overrides(run_train, toy_data: Path, tmp_path: Path) -> None:
    val = write_toy_dataset(tmp_path / "val", per_class=1, seed=1, labels=("wave", "arms_up"))
    status, out, err = run_train("--data", toy_data, "--val-data", val, "--out", tmp_path / "p.pt", "--arch", "paper",
                                 "--norm", "keypoint", "--confidence", "--epochs", 1, "--batch-size", 8)
    assert status == 0, err
    assert out.startswith("train: 15 training and 2 validation clips; paper network, keypoint normalisation, "
                          "padding paper, confidence on, augmentation off, 1 epochs")
    checkpoint = load_checkpoint(tmp_path / "p.pt")
    assert checkpoint.network.arch == "paper" and checkpoint.preprocess.n_features == 75
    assert checkpoint.training["val_data"] == str(val) and not checkpoint.training["refit"]


def test_refit_is_refused_with_validation_data(run_train, toy_data: Path, tmp_path: Path) -> None:
    status, _, err = run_train("--data", toy_data, "--val-data", toy_data, "--out", tmp_path / "m.pt", "--refit")
    assert status == 2 and "--refit trains on the validation clips" in err


def test_bad_clips_are_skipped_or_reported(run_train, tmp_path: Path) -> None:
    data = write_toy_dataset(tmp_path / "data", per_class=3, seed=2)
    (data / "wave" / "broken.npz").write_bytes(b"junk")
    status, _, err = run_train("--data", data, "--out", tmp_path / "m.pt", "--epochs", 1)
    assert status == 2 and "broken.npz: not a readable .npz" in err and not (tmp_path / "m.pt").exists()
    status, _, err = run_train("--data", data, "--out", tmp_path / "m.pt", "--epochs", 1, "--skip-bad")
    assert status == 0 and "skillstream train: skipped wave/broken.npz: not a readable .npz" in err


@pytest.mark.parametrize("args, message", [
    (("--val-fraction", "1.5"), "val_fraction: expected a fraction in (0, 1)"),
    (("--lr", "0"), "lr: expected a positive number"),
    (("--max-accuracy-loss", "2"), "max_accuracy_loss"),
])
def test_bad_values_are_reported(run_train, toy_data: Path, tmp_path: Path, args: tuple[str, ...],
                                 message: str) -> None:
    status, _, err = run_train("--data", toy_data, "--out", tmp_path / "m.pt", *args)
    assert status == 2 and message in err


def test_missing_data_and_unknown_validation_labels(run_train, toy_data: Path, tmp_path: Path) -> None:
    status, _, err = run_train("--data", tmp_path / "nothing", "--out", tmp_path / "m.pt")
    assert status == 2 and "nothing: not a dataset folder" in err
    val = tmp_path / "val"
    clip = toy_clips(1, seed=0, labels=("wave",))[0]
    write_npz(clip, val / "cartwheel" / "c.npz")
    status, _, err = run_train("--data", toy_data, "--val-data", val, "--out", tmp_path / "m.pt", "--epochs", 1)
    assert status == 2 and "c.npz: label 'cartwheel' is not one of the classes" in err
