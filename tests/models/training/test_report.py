"""The report folder: metrics.json consistent with the figures, two readable PNG figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from skillstream.models.training.report import write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def metrics() -> dict:
    return {
        "classes": ["a", "b", "background"], "n": 7, "accuracy": 5 / 7,
        "per_class": {"a": 2 / 3, "b": 1.0, "background": 2 / 3},
        "confusion": [[2, 1, 0], [0, 1, 0], [1, 0, 2]],
        "background": "background", "threshold": 0.6, "n_skill": 4, "n_non_skill": 3,
        "open_set_fpr": 1 / 3, "open_set_skill_accuracy": 0.5,
        "epochs": [1, 2, 3], "train_loss": [1.2, 0.8, 0.5], "val_loss": [1.1, 0.9, 0.95],
        "val_accuracy": [0.4, 0.71, 0.71], "best_epoch": 2, "seconds_per_epoch": 0.5,
    }


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_write_report_writes_the_three_files(tmp_path: Path) -> None:
    folder = tmp_path / "report" / "run1"
    paths = write_report(folder, metrics(), title="toy")
    assert [p.name for p in paths] == ["metrics.json", "confusion.png", "loss.png"]
    assert sorted(p.name for p in folder.iterdir()) == ["confusion.png", "loss.png", "metrics.json"]
    written = json.loads((folder / "metrics.json").read_text())
    assert written == metrics()
    confusion = np.array(written["confusion"])
    assert confusion.sum() == written["n"] and np.trace(confusion) / written["n"] == written["accuracy"]
    width, height = png_size(folder / "confusion.png")
    assert width >= 300 and height >= 300
    width, height = png_size(folder / "loss.png")
    assert width > height >= 300


def test_a_class_without_items_and_a_single_epoch_are_drawn(tmp_path: Path) -> None:
    figures = metrics() | {"confusion": [[0, 0, 0], [0, 1, 0], [0, 0, 0]], "n": 1, "epochs": [1],
                           "train_loss": [1.0], "val_loss": [1.0], "val_accuracy": [1.0], "best_epoch": 1}
    write_report(tmp_path, figures)
    assert png_size(tmp_path / "confusion.png")[0] > 0 and png_size(tmp_path / "loss.png")[0] > 0
