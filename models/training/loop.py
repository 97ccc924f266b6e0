"""The training loop: clips in, a trained `Checkpoint` and its figures out.

`train(train_clips, val_clips, config)`:
- classes from the training labels (`data.class_names`: skills sorted, the
  background label last when present; it becomes the checkpoint's
  background class); every validation label must be one of them;
- network `build_network(config.arch, ...)` seeded by `config.seed`, Adam;
- inputs through `models.preprocess` with `config.preprocess`, the very
  code serving runs: validation windows (and, without augmentation, the
  training windows) are preprocessed once; with augmentation each batch's
  windows are augmented (`augment.augment_window`) and then preprocessed;
- each epoch: shuffled batches (seeded), the network's `training_loss`, an
  optional gradient-norm clip; then validation loss (`training_loss` in eval
  mode) and accuracy (argmax of `sequence_probabilities` over all classes);
- the best epoch's weights are kept: highest validation accuracy, ties to
  the lower validation loss;
- then the open-set threshold is calibrated on the validation split
  (`openset.calibrate_threshold`) and the validation figures computed with
  it (`metrics.evaluate`).
Progress (a per-batch bar and one line per epoch) goes to the caller's
callbacks; the loop itself prints nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..checkpoint import Checkpoint
from ..keypoints.clip import Clip
from ..network import ARCHITECTURES, SkillNetwork, build_network, count_parameters
from ..preprocess import PreprocessSettings, preprocess_batch
from .augment import AugmentSettings, augment_window
from .data import BACKGROUND, class_names, encode_labels, preprocess_windows
from .metrics import evaluate
from .openset import calibrate_threshold

# What each architecture trains with unless told otherwise. "paper": the
# paper's pipeline (timestep normalisation, its best; zero padding
# normalised with the data; x, y only; batch 120; Adam 1e-3; no
# augmentation, no clipping). "default": padding kept out of the
# normalisation, the confidence channel, augmentation, gradient clipping.
ARCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "paper": {"norm": "timestep", "padding": "paper", "confidence": False, "augment": None, "grad_clip": None},
    "default": {"norm": "timestep", "padding": "corrected", "confidence": True, "augment": AugmentSettings(),
                "grad_clip": 1.0},
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on besides its data. Build it with
    `TrainConfig.for_arch`, which fills in the architecture's defaults.

    augment: None trains on the windows as they are.
    grad_clip: maximum gradient norm per step, None for no clipping.
    val_fraction: share of each class held out when no validation data is given.
    max_accuracy_loss: the open-set calibration's budget (see `openset`).
    """

    arch: str
    preprocess: PreprocessSettings
    augment: AugmentSettings | None
    grad_clip: float | None
    epochs: int = 100
    batch_size: int = 120
    lr: float = 1e-3
    seed: int = 0
    val_fraction: float = 0.2
    max_accuracy_loss: float = 0.02

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch: unknown architecture {self.arch!r}; known: {', '.join(sorted(ARCHITECTURES))}")
        for name in ("epochs", "batch_size"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise ValueError(f"{name}: expected a positive integer, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr: expected a positive number, got {self.lr!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip: expected a positive number or None, got {self.grad_clip!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction: expected a fraction in (0, 1), got {self.val_fraction!r}")
        if not 0.0 <= self.max_accuracy_loss <= 1.0:
            raise ValueError(f"max_accuracy_loss: expected a fraction in [0, 1], got {self.max_accuracy_loss!r}")

    @classmethod
    def for_arch(cls, arch: str, *, norm: str | None = None, padding: str | None = None,
                 confidence: bool | None = None, augment: bool | None = None, max_timesteps: int = 281,
                 **fields: Any) -> TrainConfig:
        """The config of `arch` with its `ARCH_DEFAULTS`; an argument that is
        not None overrides the default (augment=True takes `AugmentSettings()`);
        `fields` sets the other fields."""
        if arch not in ARCH_DEFAULTS:
            raise ValueError(f"arch: unknown architecture {arch!r}; known: {', '.join(sorted(ARCH_DEFAULTS))}")
        defaults = ARCH_DEFAULTS[arch]
        preprocess = PreprocessSettings(
            max_timesteps=max_timesteps,
            norm=defaults["norm"] if norm is None else norm,
            padding=defaults["padding"] if padding is None else padding,
            confidence=defaults["confidence"] if confidence is None else confidence)
        augment_settings = defaults["augment"] if augment is None else (AugmentSettings() if augment else None)
        fields.setdefault("grad_clip", defaults["grad_clip"])
        return cls(arch=arch, preprocess=preprocess, augment=augment_settings, **fields)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for the checkpoint's `training` and the report)."""
        return {
            "arch": self.arch, "preprocess": self.preprocess.to_dict(),
            "augment": None if self.augment is None else self.augment.to_dict(),
            "grad_clip": self.grad_clip, "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
            "seed": self.seed, "val_fraction": self.val_fraction, "max_accuracy_loss": self.max_accuracy_loss,
        }


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's figures: mean training loss over its batches (dropout on),
    validation loss and accuracy (eval mode), wall-clock seconds."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    seconds: float


@dataclass
class TrainResult:
    """What `train` returns. checkpoint: the best epoch's network (eval mode)
    with its classes, preprocessing, threshold, config and metrics summary;
    metrics: the validation figures (`metrics.evaluate`) plus the history
    (`report.write_report` writes them); history: one record per epoch."""

    checkpoint: Checkpoint
    metrics: dict[str, Any]
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0


class Progress:
    """The loop's callbacks, all optional: `bar(total, description)` returns a
    context manager with `update(n)` and `set_postfix_str(text)` (e.g.
    `tqdm.tqdm`); `log(line)` takes one line per epoch."""

    def __init__(self, bar: Callable[..., Any] | None = None, log: Callable[[str], None] | None = None) -> None:
        self.bar = bar
        self.log = log or (lambda line: None)


def train(train_clips: Sequence[Clip], val_clips: Sequence[Clip], config: TrainConfig,
          progress: Progress | None = None) -> TrainResult:
    """Train as the module's docstring says; see `TrainResult`.

    Raises ValueError when there are fewer than two classes or no
    validation clip, and KeypointDataError naming a validation clip whose
    label is not a training class.
    """
    progress = progress or Progress()
    if not val_clips:
        raise ValueError("no validation clips: give validation data or a dataset with at least two clips per class")
    classes = class_names(clip.label for clip in train_clips)
    if len(classes) < 2:
        raise ValueError(f"training needs at least two classes, got {list(classes)}")
    background = BACKGROUND if BACKGROUND in classes else None
    train_labels = torch.from_numpy(encode_labels(train_clips, classes))  # (N,)
    val_labels = encode_labels(val_clips, classes)  # (V,)
    settings = config.preprocess

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    network = build_network(config.arch, {"n_classes": len(classes), "n_features": settings.n_features})
    optimizer = torch.optim.Adam([p for p in network.parameters() if p.requires_grad], lr=config.lr)
    train_windows = [clip.keypoints for clip in train_clips]
    fixed_inputs = None if config.augment else preprocess_windows(train_windows, settings)
    val_x, val_mask = (torch.from_numpy(a) for a in preprocess_windows([c.keypoints for c in val_clips], settings))

    history: list[EpochRecord] = []
    best_state, best_key, best_epoch, best_probabilities = None, None, 0, None
    n_batches = -(-len(train_clips) // config.batch_size)
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        network.train()
        loss_sum = 0.0
        order = rng.permutation(len(train_clips))  # (N,)
        with _bar(progress, n_batches, f"epoch {epoch}/{config.epochs}") as bar:
            for start in range(0, len(order), config.batch_size):
                batch = order[start:start + config.batch_size]  # (b,)
                if fixed_inputs is None:
                    windows = [augment_window(train_windows[i], rng, config.augment, settings.max_timesteps)
                               for i in batch]
                    x, mask = preprocess_batch(windows, settings)  # (b, M, F), (b, M)
                else:
                    x, mask = fixed_inputs[0][batch], fixed_inputs[1][batch]  # (b, M, F), (b, M)
                loss = network.training_loss(torch.from_numpy(x), torch.from_numpy(mask), train_labels[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(network.parameters(), config.grad_clip)
                optimizer.step()
                loss_sum += loss.item() * len(batch)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"loss {loss.item():.3f}")
        val_loss, val_probabilities = _validate(network, val_x, val_mask, val_labels, config.batch_size)
        val_accuracy = float(np.mean(val_probabilities.argmax(axis=1) == val_labels))
        record = EpochRecord(epoch, loss_sum / len(order), val_loss, val_accuracy, time.perf_counter() - started)
        history.append(record)
        key = (val_accuracy, -val_loss)
        if best_key is None or key > best_key:
            best_key, best_epoch, best_probabilities = key, epoch, val_probabilities
            best_state = {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}
        progress.log(f"epoch {epoch:>3}/{config.epochs}  train loss {record.train_loss:.4f}  "
                     f"val loss {val_loss:.4f}  val acc {val_accuracy:.3f}  "
                     f"(best {best_key[0]:.3f} at {best_epoch})  {record.seconds:.1f} s")

    network.load_state_dict(best_state)
    network.eval()
    background_index = None if background is None else classes.index(background)
    threshold = calibrate_threshold(best_probabilities, val_labels, background_index, config.max_accuracy_loss)
    metrics = evaluate(best_probabilities, [clip.label for clip in val_clips], classes, background, threshold,
                       non_skill_label=background or BACKGROUND)
    metrics.update(_history_figures(history, best_epoch))
    metrics.update({"n_train": len(train_clips), "n_val": len(val_clips), "params": count_parameters(network)})
    summary = {key: metrics[key] for key in ("accuracy", "open_set_fpr", "open_set_skill_accuracy", "best_epoch",
                                              "n_train", "n_val", "seconds_per_epoch")}
    checkpoint = Checkpoint(network=network, classes=classes, preprocess=settings, background=background,
                            threshold=threshold, training=config.to_dict(), metrics=summary, seed=config.seed)
    return TrainResult(checkpoint=checkpoint, metrics=metrics, history=history, best_epoch=best_epoch)


def _validate(network: SkillNetwork, x: torch.Tensor, mask: torch.Tensor, labels: np.ndarray,
              batch_size: int) -> tuple[float, np.ndarray]:
    """Mean validation loss (eval mode) and probabilities float32 (V, C)."""
    network.eval()
    targets = torch.from_numpy(labels)
    loss_sum = 0.0
    probabilities = []
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            xb, mb = x[start:start + batch_size], mask[start:start + batch_size]  # (b, M, F), (b, M)
            loss_sum += network.training_loss(xb, mb, targets[start:start + batch_size]).item() * len(xb)
            probabilities.append(network.sequence_probabilities(xb, mb).numpy())  # (b, C)
    return loss_sum / len(x), np.concatenate(probabilities)


def _history_figures(history: list[EpochRecord], best_epoch: int) -> dict[str, Any]:
    return {
        "epochs": [record.epoch for record in history],
        "train_loss": [record.train_loss for record in history],
        "val_loss": [record.val_loss for record in history],
        "val_accuracy": [record.val_accuracy for record in history],
        "best_epoch": best_epoch,
        "seconds_per_epoch": float(np.mean([record.seconds for record in history])),
    }


def _bar(progress: Progress, total: int, description: str) -> Any:
    """The progress bar of one epoch, or a context that yields None."""
    return nullcontext() if progress.bar is None else progress.bar(total=total, desc=description)
