"""The training loop: clips in, a trained `Checkpoint` and its figures out.

`train(train_clips, val_clips, config)`:
- classes from the training labels (`data.class_names`: skills sorted, the
  background label last when present; it becomes the checkpoint's
  background class); every validation label must be one of them;
- network `build_network(config.arch, ...)` seeded by `config.seed`, AdamW
  (`weight_decay`; 0 is Adam), the learning rate constant or in one cycle
  over the `epochs` (`schedule`: up over the first 30% of the steps, then
  down, which lets the last epochs settle instead of wandering);
- inputs through `models.preprocess` with `config.preprocess`, the very
  code serving runs: validation windows (and, without augmentation, the
  training windows) are preprocessed once; with augmentation each batch's
  windows are augmented (`augment.augment_window`) and then preprocessed;
- each epoch: shuffled batches (seeded), the network's `training_loss`, an
  optional gradient-norm clip; then validation loss (`training_loss` in eval
  mode) and accuracy (argmax of `sequence_probabilities` over all classes);
- model selection on the validation clips: the best epoch (highest
  validation accuracy, ties to the lower validation loss; both as the mean
  over the last `selection_epochs` epochs, since the accuracy of a small
  validation share jumps by a clip from epoch to epoch), the open-set
  threshold (`models.openset.calibrate_threshold`) and the limit of the
  out-of-distribution detector (`models.openset.calibrate_limit`) are
  chosen on them, and the validation figures (`metrics.evaluate`) are that
  epoch's;
- with `refit`, a new network (same seed) then trains on the training and
  validation clips together for the best epoch's number of epochs (the
  learning-rate cycle laid over those epochs), and is the one saved: the validation share was needed
  to choose, not to learn from, and on small datasets a quarter more data
  is worth more than the last epochs' choice. Its detector is fitted anew
  on all the clips, with the limit scaled by the ratio of the two networks'
  median training distances (the embedding spaces differ in scale, not in
  shape); its threshold is the validation threshold moved to the same
  quantile of its own training skill probabilities as it had in the
  selection network's (a refit network is less sure of itself than the
  selection network, so the same number would turn away more skills). The
  reported figures remain the selection run's, the only held-out ones.
The detector's class statistics come from the clips it trains on, each as it
is and once augmented, in eval mode (`embedding.fit_statistics`).
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
from ..openset import EmbeddingDetector, calibrate_limit, calibrate_threshold, fit_statistics, open_set_decisions
from ..preprocess import PreprocessSettings, preprocess_batch
from .augment import AugmentSettings, augment_window
from .data import BACKGROUND, class_names, encode_labels, preprocess_windows
from .metrics import evaluate

SCHEDULES = ("constant", "one_cycle")
ONE_CYCLE_WARMUP = 0.3  # share of the steps over which the learning rate rises

# What each architecture trains with unless told otherwise. "paper": the
# paper's pipeline (timestep normalisation, its best; zero padding
# normalised with the data; x, y only; batch 120; Adam 1e-3; no
# augmentation, no clipping). "default": body-centred features (coordinates,
# trajectory, distances, velocities at two strides, confidence), the network
# reading them without its own frame differences, label smoothing, weight
# decay, augmentation, gradient clipping, small batches in one learning-rate
# cycle, and the refit (see the module's docstring). Chosen on the
# validation shares of JHMDB's training splits and of the synthetic beam
# set (docs/classifier.md).
ARCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "paper": {"norm": "timestep", "padding": "paper", "confidence": False, "distances": False, "motion": (),
              "augment": None, "grad_clip": None, "network": {}, "weight_decay": 0.0, "schedule": "constant",
              "epochs": 100, "batch_size": 120, "refit": False, "selection_epochs": 1},
    "default": {"norm": "body", "padding": "corrected", "confidence": True, "distances": True, "motion": (1, 2),
                "augment": AugmentSettings(), "grad_clip": 1.0,
                "network": {"frame_velocity": False, "label_smoothing": 0.1}, "weight_decay": 0.01,
                "schedule": "one_cycle", "epochs": 200, "batch_size": 32, "refit": True, "selection_epochs": 10},
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on besides its data. Build it with
    `TrainConfig.for_arch`, which fills in the architecture's defaults.

    network: network arguments besides the class and feature counts.
    augment: None trains on the windows as they are.
    grad_clip: maximum gradient norm per step, None for no clipping.
    weight_decay: AdamW's decoupled weight decay (0: Adam).
    schedule: "constant" or "one_cycle" (see the module's docstring).
    refit: train the saved network again on training + validation clips.
    selection_epochs: the best epoch's validation figures are the means over
        this many epochs up to it (1: that epoch's own).
    val_fraction: share of each class held out when no validation data is given.
    max_accuracy_loss: the open-set calibration's budget (see `models.openset`).
    ood_accuracy_loss: the detector's: the share of correct validation skill
        windows its limit may turn away.
    """

    arch: str
    preprocess: PreprocessSettings
    augment: AugmentSettings | None
    grad_clip: float | None
    network: dict[str, Any] = field(default_factory=dict)
    weight_decay: float = 0.0
    schedule: str = "constant"
    refit: bool = False
    selection_epochs: int = 1
    epochs: int = 100
    batch_size: int = 120
    lr: float = 1e-3
    seed: int = 0
    val_fraction: float = 0.2
    max_accuracy_loss: float = 0.02
    ood_accuracy_loss: float = 0.01

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch: unknown architecture {self.arch!r}; known: {', '.join(sorted(ARCHITECTURES))}")
        for name in ("epochs", "batch_size", "selection_epochs"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise ValueError(f"{name}: expected a positive integer, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr: expected a positive number, got {self.lr!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip: expected a positive number or None, got {self.grad_clip!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay: expected a number >= 0, got {self.weight_decay!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction: expected a fraction in (0, 1), got {self.val_fraction!r}")
        for name in ("max_accuracy_loss", "ood_accuracy_loss"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}: expected a fraction in [0, 1], got {getattr(self, name)!r}")
        object.__setattr__(self, "network", dict(self.network))
        # A network argument that the architecture does not take fails here, not after the data is loaded.
        build_network(self.arch, {"n_classes": 2, "n_features": self.preprocess.n_features, **self.network})

    @classmethod
    def for_arch(cls, arch: str, *, norm: str | None = None, padding: str | None = None,
                 confidence: bool | None = None, augment: bool | None = None, max_timesteps: int = 281,
                 **fields: Any) -> TrainConfig:
        """The config of `arch` with its `ARCH_DEFAULTS`; an argument that is
        not None overrides the default (augment=True takes `AugmentSettings()`);
        `fields` sets the other fields (None takes the default)."""
        if arch not in ARCH_DEFAULTS:
            raise ValueError(f"arch: unknown architecture {arch!r}; known: {', '.join(sorted(ARCH_DEFAULTS))}")
        defaults = ARCH_DEFAULTS[arch]
        norm = defaults["norm"] if norm is None else norm
        body = norm == "body"
        preprocess = PreprocessSettings(
            max_timesteps=max_timesteps, norm=norm,
            padding=defaults["padding"] if padding is None else padding,
            confidence=defaults["confidence"] if confidence is None else confidence,
            # The distance and motion features are the body norm's.
            distances=defaults["distances"] and body, motion=defaults["motion"] if body else ())
        augment_settings = defaults["augment"] if augment is None else (AugmentSettings() if augment else None)
        fields = {name: value for name, value in fields.items() if value is not None}
        for name in ("grad_clip", "network", "weight_decay", "schedule", "epochs", "batch_size", "refit",
                     "selection_epochs"):
            fields.setdefault(name, defaults[name])
        if not body:
            # The network computes its own frame differences where preprocessing gives none.
            fields["network"] = {key: value for key, value in fields["network"].items() if key != "frame_velocity"}
        return cls(arch=arch, preprocess=preprocess, augment=augment_settings, **fields)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for the checkpoint's `training` and the report)."""
        return {
            "arch": self.arch, "preprocess": self.preprocess.to_dict(), "network": dict(self.network),
            "augment": None if self.augment is None else self.augment.to_dict(),
            "grad_clip": self.grad_clip, "weight_decay": self.weight_decay, "schedule": self.schedule,
            "refit": self.refit, "selection_epochs": self.selection_epochs, "epochs": self.epochs,
            "batch_size": self.batch_size, "lr": self.lr,
            "seed": self.seed, "val_fraction": self.val_fraction, "max_accuracy_loss": self.max_accuracy_loss,
            "ood_accuracy_loss": self.ood_accuracy_loss,
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
    """What `train` returns. checkpoint: the saved network (eval mode; the
    refit one with `refit`) with its classes, preprocessing, threshold,
    detector, config and metrics summary; metrics: the validation figures
    (`metrics.evaluate`) of the best epoch plus the history
    (`report.write_report` writes them); history: one record per epoch of
    the selection run."""

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


class _Run:
    """One network trained on one set of clips, epoch by epoch, on the config's schedule."""

    def __init__(self, clips: Sequence[Clip], labels: np.ndarray, n_classes: int, config: TrainConfig,
                 epochs: int, progress: Progress, name: str) -> None:
        self.config = config
        self.progress = progress
        self.name = name
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.network = build_network(config.arch, {"n_classes": n_classes,
                                                   "n_features": config.preprocess.n_features, **config.network})
        self.optimizer = torch.optim.AdamW([p for p in self.network.parameters() if p.requires_grad], lr=config.lr,
                                           weight_decay=config.weight_decay)
        self.windows = [clip.keypoints for clip in clips]
        self.labels = torch.from_numpy(labels)  # (N,)
        self.batches = -(-len(clips) // config.batch_size)
        self.scheduler = None
        if config.schedule == "one_cycle":
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=config.lr, total_steps=epochs * self.batches,
                pct_start=ONE_CYCLE_WARMUP)
        self.fixed_inputs = None if config.augment else preprocess_windows(self.windows, config.preprocess)

    def epoch(self, epoch: int, epochs: int) -> float:
        """Train one epoch; returns the mean training loss over its windows."""
        config, network = self.config, self.network
        network.train()
        loss_sum = 0.0
        order = self.rng.permutation(len(self.windows))  # (N,)
        with _bar(self.progress, self.batches, f"{self.name} {epoch}/{epochs}") as bar:
            for start in range(0, len(order), config.batch_size):
                batch = order[start:start + config.batch_size]  # (b,)
                if self.fixed_inputs is None:
                    windows = [augment_window(self.windows[i], self.rng, config.augment,
                                              config.preprocess.max_timesteps) for i in batch]
                    x, mask = preprocess_batch(windows, config.preprocess)  # (b, M, F), (b, M)
                else:
                    x, mask = self.fixed_inputs[0][batch], self.fixed_inputs[1][batch]  # (b, M, F), (b, M)
                loss = network.training_loss(torch.from_numpy(x), torch.from_numpy(mask), self.labels[batch])
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(network.parameters(), config.grad_clip)
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                loss_sum += loss.item() * len(batch)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"loss {loss.item():.3f}")
        return loss_sum / len(order)


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
    background_index = None if background is None else classes.index(background)
    train_labels = encode_labels(train_clips, classes)  # (N,)
    val_labels = encode_labels(val_clips, classes)  # (V,)
    settings = config.preprocess
    val_x, val_mask = (torch.from_numpy(a) for a in preprocess_windows([c.keypoints for c in val_clips], settings))

    run = _Run(train_clips, train_labels, len(classes), config, config.epochs, progress, "epoch")
    history: list[EpochRecord] = []
    best_state, best_key, best_epoch, best_probabilities = None, None, 0, None
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        train_loss = run.epoch(epoch, config.epochs)
        val_loss, val_probabilities = _validate(run.network, val_x, val_mask, val_labels, config.batch_size)
        val_accuracy = float(np.mean(val_probabilities.argmax(axis=1) == val_labels))
        record = EpochRecord(epoch, train_loss, val_loss, val_accuracy, time.perf_counter() - started)
        history.append(record)
        recent = history[-config.selection_epochs:]
        key = (float(np.mean([r.val_accuracy for r in recent])), -float(np.mean([r.val_loss for r in recent])))
        if best_key is None or key > best_key:
            best_key, best_epoch, best_probabilities = key, epoch, val_probabilities
            best_state = {name: tensor.detach().clone() for name, tensor in run.network.state_dict().items()}
        progress.log(f"epoch {epoch:>3}/{config.epochs}  train loss {record.train_loss:.4f}  "
                     f"val loss {val_loss:.4f}  val acc {val_accuracy:.3f}  "
                     f"(best {best_key[0]:.3f} at {best_epoch}{_selection_name(config)})  {record.seconds:.1f} s")
    network = run.network
    network.load_state_dict(best_state)
    network.eval()
    threshold = calibrate_threshold(best_probabilities, val_labels, background_index, config.max_accuracy_loss)
    fit = _fit_on_training(network, train_clips, train_labels, len(classes), background_index, config)
    val_best, _, val_passes = open_set_decisions(best_probabilities, background_index, 0.0)
    val_distances = EmbeddingDetector(*fit.statistics, limit=1.0).distances(
        _outputs(network, val_x, val_mask, config.batch_size)[1], val_best)  # (V,)
    skill = val_labels != background_index if background_index is not None else np.ones(len(val_labels), bool)
    limit = calibrate_limit(val_distances, skill & val_passes & (val_best == val_labels), config.ood_accuracy_loss)
    if config.refit:
        all_clips = list(train_clips) + list(val_clips)
        all_labels = np.concatenate([train_labels, val_labels])
        refit = _Run(all_clips, all_labels, len(classes), config, best_epoch, progress, "refit")
        for epoch in range(1, best_epoch + 1):
            started = time.perf_counter()
            train_loss = refit.epoch(epoch, best_epoch)
            progress.log(f"refit {epoch:>3}/{best_epoch}  train loss {train_loss:.4f}  "
                         f"{time.perf_counter() - started:.1f} s")
        network = refit.network.eval()
        refit_fit = _fit_on_training(network, all_clips, all_labels, len(classes), background_index, config)
        if fit.median_distance > 0:
            limit *= refit_fit.median_distance / fit.median_distance
        threshold = matched_threshold(threshold, fit.skill_probabilities, refit_fit.skill_probabilities)
        fit = refit_fit
    detector = EmbeddingDetector(*fit.statistics, limit=limit, accuracy_loss=config.ood_accuracy_loss)

    metrics = evaluate(best_probabilities, [clip.label for clip in val_clips], classes, background, threshold,
                       non_skill_label=background or BACKGROUND)
    metrics.update(_history_figures(history, best_epoch))
    metrics.update({"n_train": len(train_clips), "n_val": len(val_clips), "params": count_parameters(network),
                    "refit": config.refit, "ood_limit": limit})
    summary = {key: metrics[key] for key in ("accuracy", "open_set_fpr", "open_set_skill_accuracy", "best_epoch",
                                              "n_train", "n_val", "seconds_per_epoch", "refit")}
    checkpoint = Checkpoint(network=network, classes=classes, preprocess=settings, background=background,
                            threshold=threshold, training=config.to_dict(), metrics=summary, seed=config.seed,
                            detector=detector)
    return TrainResult(checkpoint=checkpoint, metrics=metrics, history=history, best_epoch=best_epoch)


def _selection_name(config: TrainConfig) -> str:
    return "" if config.selection_epochs == 1 else f", mean of {config.selection_epochs} epochs"


@dataclass(frozen=True)
class _TrainingFit:
    """What a network makes of its training windows (`_fit_on_training`)."""

    statistics: tuple[np.ndarray, np.ndarray]  # the detector's class means (C, D) and precision (D, D)
    median_distance: float  # of the windows to their own class
    skill_probabilities: np.ndarray  # (S,) best skill probability of each skill window


def matched_threshold(threshold: float, before: np.ndarray, after: np.ndarray) -> float:
    """`threshold` moved from the distribution of probabilities `before` to
    `after`: the value with the same share of `after` below it as `threshold`
    has of `before` (unchanged when either is empty; never above it when none
    of `before` is below it)."""
    if len(before) == 0 or len(after) == 0:
        return threshold
    share = float(np.mean(before < threshold))
    if share == 0.0:
        return min(threshold, float(after.min()))
    return float(np.quantile(after, share, method="inverted_cdf"))


def _fit_on_training(network: SkillNetwork, clips: Sequence[Clip], labels: np.ndarray, n_classes: int,
                     background_index: int | None, config: TrainConfig) -> _TrainingFit:
    """The detector's statistics fitted on `clips` (each as it is and, with
    augmentation, once augmented), with those windows' median distance to
    their own class and the best skill probabilities of the skill windows."""
    windows = [clip.keypoints for clip in clips]
    fitted_labels = labels
    if config.augment is not None:
        rng = np.random.default_rng([config.seed, 1])  # apart from the training batches' stream
        windows += [augment_window(w, rng, config.augment, config.preprocess.max_timesteps) for w in windows]
        fitted_labels = np.concatenate([labels, labels])
    x, mask = (torch.from_numpy(a) for a in preprocess_windows(windows, config.preprocess))
    logits, embeddings = _outputs(network, x, mask, config.batch_size)  # (N', C), (N', D)
    means, precision = fit_statistics(embeddings, fitted_labels, n_classes)
    distances = EmbeddingDetector(means, precision, limit=1.0).distances(embeddings, fitted_labels)
    _, skill_probability, _ = open_set_decisions(torch.softmax(torch.from_numpy(logits), dim=-1).numpy(),
                                                 background_index, 0.0)
    skill = fitted_labels != background_index if background_index is not None else np.ones(len(logits), bool)
    return _TrainingFit((means, precision), float(np.median(distances)), skill_probability[skill])


def _outputs(network: SkillNetwork, x: torch.Tensor, mask: torch.Tensor,
             batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The network's logits float32 (N, C) and embeddings (N, D) of preprocessed windows, in eval mode."""
    network.eval()
    with torch.inference_mode():
        outputs = [network.sequence_outputs(x[start:start + batch_size], mask[start:start + batch_size])
                   for start in range(0, len(x), batch_size)]
    return (np.concatenate([logits.numpy() for logits, _ in outputs]),
            np.concatenate([embedding.numpy() for _, embedding in outputs]))


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
