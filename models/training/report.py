"""The training report folder: metrics.json, confusion.png, loss.png.

- metrics.json: the validation figures of `metrics.evaluate` (accuracy,
  per_class, confusion with its classes, the open-set figures, n) and the
  history (epochs, train_loss, val_loss, val_accuracy, best_epoch,
  seconds_per_epoch), as `loop.train` returns them.
- confusion.png: the confusion matrix normalised per true class (each row
  sums to 1), every cell with its value, like the paper's Figures 3 and 5.
- loss.png: training and validation loss per epoch beside the validation
  accuracy, the best epoch marked, like the paper's Figures 2 and 4.

The figures are drawn with matplotlib's object API on the Agg canvas: no
pyplot, no display, nothing global changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .metrics import row_normalised


def write_report(folder: str | os.PathLike[str], metrics: Mapping[str, Any], title: str = "") -> list[Path]:
    """Write the three files into `folder` (created if needed); returns their paths.

    `metrics` must hold classes, confusion, epochs, train_loss, val_loss,
    val_accuracy and best_epoch (what `loop.train` returns); `title` heads
    both figures.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "metrics.json", folder / "confusion.png", folder / "loss.png"]
    paths[0].write_text(json.dumps(metrics, indent=2) + "\n")
    plot_confusion(np.asarray(metrics["confusion"]), metrics["classes"], paths[1], title)
    plot_history(metrics, paths[2], title)
    return paths


def plot_confusion(confusion: np.ndarray, classes: Sequence[str], path: str | os.PathLike[str],
                   title: str = "") -> None:
    """A heatmap of the row-normalised confusion (C, C) with every cell's value, to `path` (PNG)."""
    from matplotlib.figure import Figure  # loaded here: only reports need matplotlib

    normalised = row_normalised(confusion)  # (C, C)
    size = 2.5 + 0.6 * len(classes)
    figure = Figure(figsize=(size + 1.5, size), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(normalised, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="fraction of the true class")
    ticks = np.arange(len(classes))
    axes.set_xticks(ticks, labels=classes, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_yticks(ticks, labels=classes)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    for (row, column), value in np.ndenumerate(normalised):
        if confusion[row].sum():
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
                      color="white" if value > 0.5 else "black")
    n = int(confusion.sum())
    correct = int(np.trace(confusion))
    heading = f"accuracy {correct / n:.3f} ({correct}/{n})" if n else "no items"
    axes.set_title(f"{title}\n{heading}" if title else heading)
    figure.savefig(path)


def plot_history(metrics: Mapping[str, Any], path: str | os.PathLike[str], title: str = "") -> None:
    """Loss (training and validation) and validation accuracy per epoch, to `path` (PNG)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = metrics["epochs"]
    best = metrics["best_epoch"]
    figure = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, metrics["train_loss"], label="training")
    loss_axes.plot(epochs, metrics["val_loss"], label="validation")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("loss")
    loss_axes.set_title("loss")
    accuracy_axes.plot(epochs, metrics["val_accuracy"], color="tab:green", label="validation")
    accuracy_axes.set_ylim(0.0, 1.0)
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("accuracy")
    accuracy_axes.set_title("validation accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.axvline(best, color="grey", linestyle="--", linewidth=1, label=f"best epoch ({best})")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    figure.savefig(path)
