"""The paper's own Keras model against the project's torch models: speed and accuracy on the same windows.

Three models in one run, on the same clips:
- keras-paper: the paper's network built in Keras 3 as the paper built it
  (`keras_paper.build_paper_model`), Keras on the torch backend;
- paper: the project's torch port of it (`PaperNetwork`);
- default: the project's default model, the shipped checkpoint
  (models/pretrained/default.pt) unless --model names another.

Data: without --data, synthetic clips made in memory exactly as
`skillstream synth --seed SYNTH_SEED --clips-per-class N` makes them (the 10
beam skills, no non-skill clips); --synth-seed must not be 0, the seed of
the shipped model's training data. With --data, the clips of DIR/<label>/.
The project's stratified split (80/20, seeded by --seed) makes a training
and a test set.

Training: keras-paper and paper train for --epochs on the same training
windows in the same batches (the paper's preprocessing: timestep
normalisation, paper padding, 50 features; batch 120, Adam 1e-3, the clip
label repeated at every timestep). keras-paper starts from Keras' own
initialisation and trains with `train_on_batch`; paper from the port's
Keras-like initialisation, in torch. No epoch is chosen: the last one is
measured. default is not trained. The paper ran 100 and 500 epochs;
--epochs 100 asks for that (keras-paper takes most of the time).

Accuracy: the share of test clips whose argmax, over the data's classes, is
their label. For paper and keras-paper it is the argmax of the mean over the
281 timesteps of the per-timestep softmax; for default, of its clip
probabilities with its own preprocessing (from its checkpoint). The default
model's background class takes part only where the data has that class (the
synthetic data has not); its accuracy with the background counted as a
wrong answer is reported beside.

Speed: the network alone on windows preprocessed beforehand (preprocessing
excluded for all three; paper and keras-paper take the same inputs), under
torch.inference_mode, on the same torch threads (--threads): one window of
281 frames (the longest test clip stretched to 281 frames, nearest frames:
the paper's models always run all 281 timesteps, the default network only
the real frames, so this is its slowest window) and a batch of 64 test
windows (the test clips in order, repeated when there are fewer). Keras is
called as `model(x, training=False)` under torch.inference_mode, the way
the torch models are called (without it Keras records gradients;
`predict_on_batch` does the same work plus conversions to NumPy); the mean
over timesteps is included for both paper models. Median and best of
--repeat runs, in ms; windows/s at the median. The ratios are keras-paper's
figure over the other model's: latency and training time per epoch (above
1: Keras is slower), throughput (below 1: Keras is slower).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillstream.models.checkpoint import load_checkpoint
from skillstream.models.inference import DEFAULT_MODEL, Classifier
from skillstream.models.keypoints.clip import Clip
from skillstream.models.keypoints.dataset import load_dataset
from skillstream.models.network import build_network, count_parameters
from skillstream.models.preprocess import preprocess_batch
from skillstream.models.synth import SKILL_NAMES, clip_rng, generate_clip
from skillstream.models.training import TrainConfig, class_names, encode_labels, preprocess_windows, stratified_split

from . import positive_int, times_ms

DEFAULT_REPEAT = 20
DEFAULT_EPOCHS = 20
DEFAULT_CLIPS_PER_CLASS = 20
DEFAULT_SYNTH_SEED = 5
SHIPPED_MODEL_SEED = 0  # `make model` trains the shipped model on `skillstream synth --seed 0`
THROUGHPUT_BATCH = 64  # the serving batch (models.inference.MAX_BATCH) and the classifier bench's target batch
MODELS = ("keras-paper", "paper", "default")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="checkpoint of the default model (default: the shipped models/pretrained/default.pt)")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="dataset DIR/<label>/<clip> to use instead of synthetic clips")
    parser.add_argument("--clips-per-class", type=positive_int, default=DEFAULT_CLIPS_PER_CLASS, metavar="N",
                        help="synthetic clips per skill (default: %(default)s)")
    parser.add_argument("--synth-seed", type=int, default=DEFAULT_SYNTH_SEED, metavar="S",
                        help="seed of the synthetic clips, not 0 (default: %(default)s)")
    parser.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS, metavar="N",
                        help="training epochs of keras-paper and paper (default: %(default)s; the paper: 100, 500)")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="torch threads for all models (default: torch's choice, one per core)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    return bench_keras(model=args.model, data=args.data, clips_per_class=args.clips_per_class,
                       synth_seed=args.synth_seed, epochs=args.epochs, threads=args.threads, repeat=args.repeat,
                       seed=args.seed)


def bench_keras(model: str | None, data: str | None, clips_per_class: int, synth_seed: int, epochs: int,
                threads: int | None, repeat: int, seed: int) -> dict[str, Any]:
    """Measure as the module says; returns the JSON-ready report (see `format_text`).

    seed: the split, the batch order and both paper models' initial weights.
    Exits (SystemExit) when Keras cannot run (see `keras_paper.load_keras`),
    when synth_seed is the shipped model's training seed, or when the
    default model lacks one of the data's classes.
    """
    from .keras_paper import (
        build_paper_model, clip_probabilities, load_keras, per_timestep_labels, trainable_parameters,
    )

    if data is None and synth_seed == SHIPPED_MODEL_SEED:
        raise SystemExit(f"bench keras: --synth-seed {synth_seed} made the shipped model's training data; "
                         "choose another seed so that the test clips are unseen")
    started = time.perf_counter()
    keras = load_keras()
    clips = load_dataset(data).clips if data is not None else synthetic_clips(clips_per_class, synth_seed)
    config = TrainConfig.for_arch("paper", epochs=epochs, seed=seed)
    settings = config.preprocess
    classes = class_names(clip.label for clip in clips)
    default_path = Path(model) if model is not None else DEFAULT_MODEL
    # The Classifier warms up the preprocessing kernels, then sets torch's threads, for every model.
    default = Classifier(load_checkpoint(default_path), threads=threads)
    missing = [name for name in classes if name not in default.classes]
    if missing:
        raise SystemExit(f"bench keras: {default_path}: the model has no class {', '.join(missing)} "
                         f"(its classes: {', '.join(default.classes)})")
    default_columns = np.array([default.classes.index(name) for name in classes])  # (C,)
    labels = encode_labels(clips, classes)  # (N,)
    train_index, test_index = stratified_split(labels, config.val_fraction, seed)
    train_x, train_mask = preprocess_windows([clips[i].keypoints for i in train_index], settings)  # (N, M, F), (N, M)
    test_windows = [clips[i].keypoints for i in test_index]
    test_x, test_mask = (torch.from_numpy(a) for a in preprocess_windows(test_windows, settings))  # (V, M, F), (V, M)
    train_labels, test_labels = labels[train_index], labels[test_index]  # (N,), (V,)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(train_index)) for _ in range(epochs)]  # the batches both paper models see

    torch.manual_seed(seed)
    paper = build_network("paper", {"n_classes": len(classes), "n_features": settings.n_features})
    paper_seconds = train_torch(paper, torch.from_numpy(train_x), torch.from_numpy(train_mask),
                                torch.from_numpy(train_labels), orders, config)
    keras.utils.set_random_seed(seed)
    keras_model = build_paper_model(len(classes), settings.n_features, settings.max_timesteps, config.lr)
    keras_seconds = train_keras(keras_model, train_x, per_timestep_labels(train_labels, settings.max_timesteps),
                                orders, config.batch_size)

    default_probabilities = default.probabilities(test_windows)  # (V, C_default)

    calls: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
        "keras-paper": lambda x, mask: clip_probabilities(keras_model, x),  # the paper ignores the mask
        "paper": paper.sequence_probabilities,
        "default": default.network.sequence_probabilities,
    }
    probabilities = {
        "keras-paper": in_batches(calls["keras-paper"], test_x, test_mask, config.batch_size),
        "paper": in_batches(calls["paper"], test_x, test_mask, config.batch_size),
        "default": default_probabilities[:, default_columns],
    }

    # The same windows for every model, each through its own preprocessing
    # (paper and keras-paper share theirs). One window: the longest test clip
    # stretched to max_timesteps frames (nearest frames), the longest a window
    # costs the default network (the paper's always runs all max_timesteps).
    # The batch: the test clips in order, repeated.
    longest = test_windows[int(np.argmax([len(window) for window in test_windows]))]
    stretched = longest[np.linspace(0, len(longest) - 1, settings.max_timesteps).round().astype(np.int64)]  # (M, 25, 3)
    batch = [test_windows[i % len(test_windows)] for i in range(THROUGHPUT_BATCH)]
    timings: dict[str, dict[str, list[float]]] = {name: {} for name in MODELS}
    for kind, windows in (("latency", [stretched]), ("batch", batch)):
        paper_inputs = tuple(torch.from_numpy(a) for a in preprocess_batch(windows, settings))  # (b, M, F), (b, M)
        default_inputs = tuple(torch.from_numpy(a) for a in
                               preprocess_batch(windows, default.checkpoint.preprocess))  # (b, M, F'), (b, M)
        for name in MODELS:
            timings[name][kind] = time_network(calls[name], *(default_inputs if name == "default" else paper_inputs),
                                               repeat)

    seconds = {"keras-paper": keras_seconds, "paper": paper_seconds, "default": None}
    params = {"keras-paper": trainable_parameters(keras_model),
              "paper": count_parameters(paper), "default": count_parameters(default.network)}
    models = {}
    for name in MODELS:
        correct = int((probabilities[name].argmax(axis=1) == test_labels).sum())
        latency, batched = timings[name]["latency"], timings[name]["batch"]
        models[name] = {
            "params": params[name],
            "train_s_per_epoch": None if seconds[name] is None else statistics.mean(seconds[name]),
            "accuracy": correct / len(test_labels),
            "correct": correct,
            "latency_ms": statistics.median(latency), "latency_best_ms": min(latency),
            "batch_ms": statistics.median(batched), "batch_best_ms": min(batched),
            "windows_per_s": THROUGHPUT_BATCH / statistics.median(batched) * 1e3,
        }
    # Counted as is: argmax over all the default model's classes, its background included.
    as_is = default_probabilities.argmax(axis=1) == default_columns[test_labels]  # (V,)
    models["default"].update({"model": str(default_path), "background": default.checkpoint.background,
                              "accuracy_all_classes": float(as_is.mean()),
                              "preprocess": default.checkpoint.preprocess.to_dict()})
    return {
        "benchmark": "keras",
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "repeat": repeat,
        "seed": seed,
        "data": data,
        "synth_seed": None if data is not None else synth_seed,
        "clips_per_class": None if data is not None else clips_per_class,
        "classes": list(classes),
        "n_train": len(train_index),
        "n_test": len(test_index),
        "epochs": epochs,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "paper_preprocess": settings.to_dict(),
        "latency_frames": settings.max_timesteps,
        "latency_source_frames": len(longest),
        "throughput_batch": THROUGHPUT_BATCH,
        "models": models,
        "ratios": keras_ratios(models),
        "elapsed_s": time.perf_counter() - started,
    }


def synthetic_clips(clips_per_class: int, seed: int) -> list[Clip]:
    """The clips `skillstream synth --seed SEED --clips-per-class N` writes (the
    10 skills, no non-skill clips), made in memory, in label then index order."""
    return [generate_clip(label, clip_rng(seed, label, index), source=f"synth:seed={seed}:{label}_{index:04d}")
            for label in SKILL_NAMES for index in range(clips_per_class)]


def batches(order: np.ndarray, size: int) -> list[np.ndarray]:
    """`order` (N,) cut into consecutive batches of `size` indices (the last one shorter)."""
    return [order[start:start + size] for start in range(0, len(order), size)]


def train_torch(network: torch.nn.Module, x: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor,
                orders: list[np.ndarray], config: TrainConfig) -> list[float]:
    """Train `network` with Adam at config.lr on `training_loss`, one epoch per
    permutation of `orders`, in batches of config.batch_size; leaves it in
    eval mode. Returns the seconds of each epoch."""
    optimizer = torch.optim.Adam([p for p in network.parameters() if p.requires_grad], lr=config.lr)
    network.train()
    seconds = []
    for order in orders:
        started = time.perf_counter()
        for batch in batches(order, config.batch_size):
            rows = torch.from_numpy(batch)
            loss = network.training_loss(x[rows], mask[rows], labels[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - started)
    network.eval()
    return seconds


def train_keras(model: Any, x: np.ndarray, targets: np.ndarray, orders: list[np.ndarray],
                batch_size: int) -> list[float]:
    """Train the compiled Keras `model` with `train_on_batch` on windows `x`
    (N, M, F) and per-timestep `targets` (N, M), one epoch per permutation of
    `orders`, in batches of `batch_size`. Returns the seconds of each epoch."""
    seconds = []
    for order in orders:
        started = time.perf_counter()
        for batch in batches(order, batch_size):
            model.train_on_batch(x[batch], targets[batch])
        seconds.append(time.perf_counter() - started)
    return seconds


def in_batches(call: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, mask: torch.Tensor,
               size: int) -> np.ndarray:
    """`call(x, mask)` -> (b, C) over `x` (N, M, F) and `mask` (N, M), `size`
    windows at a time, under torch.inference_mode: float32 (N, C)."""
    with torch.inference_mode():
        return np.concatenate([call(x[start:start + size], mask[start:start + size]).numpy()
                               for start in range(0, len(x), size)])


def time_network(call: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, mask: torch.Tensor,
                 repeat: int) -> list[float]:
    """Milliseconds of `repeat` calls `call(x, mask)` under torch.inference_mode,
    after one untimed call (the first call at a new shape allocates)."""
    def once() -> None:
        with torch.inference_mode():
            call(x, mask)

    once()
    return times_ms(once, repeat)


def keras_ratios(models: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """keras-paper's figures over paper's and default's: latency and training
    time per epoch (above 1: Keras is slower), throughput (below 1: Keras is slower)."""
    keras_figures = models["keras-paper"]
    ratios = {}
    for name in ("paper", "default"):
        other = models[name]
        ratios[f"keras/{name}"] = {
            "latency": keras_figures["latency_ms"] / other["latency_ms"],
            "throughput": keras_figures["windows_per_s"] / other["windows_per_s"],
            "train_epoch": None if other["train_s_per_epoch"] is None else
            keras_figures["train_s_per_epoch"] / other["train_s_per_epoch"],
        }
    return ratios


def format_text(result: dict[str, Any]) -> str:
    settings = result["paper_preprocess"]
    data = (f"synthetic, seed {result['synth_seed']}, {result['clips_per_class']} clips per class"
            if result["data"] is None else result["data"])
    default = result["models"]["default"]
    lines = [
        f"keras: the paper's Keras model (Keras {result['keras']}, {result['keras_backend']} backend, "
        f"torch {result['torch']}) against the project's torch models",
        f"data: {data}; {len(result['classes'])} classes; {result['n_train']} training / {result['n_test']} test "
        f"clips (stratified split, seed {result['seed']})",
        f"training: {result['epochs']} epoch{'s' if result['epochs'] != 1 else ''}, batch {result['batch_size']}, "
        f"Adam {result['lr']:g}, the same batches for keras-paper and paper; {settings['norm']} normalisation, "
        f"padding {settings['padding']}, {'75' if settings['confidence'] else '50'} features; "
        "the last epoch is measured",
        f"default: {default['model']}; accuracy over the data's classes "
        f"({default['accuracy_all_classes']:.3f} with its background class counted)",
        f"speed: the network alone on preprocessed windows, torch.inference_mode, {result['threads']} torch threads, "
        f"median (best) of {result['repeat']} runs; one window of {result['latency_frames']} frames (the longest "
        f"test clip, {result['latency_source_frames']} frames, stretched), a batch of {result['throughput_batch']} "
        "test clips",
        f"{'model':<12} {'params':>8} {'train s/epoch':>13} {'accuracy':>16} {'one window ms':>17} "
        f"{'batch ms':>19} {'windows/s':>9}",
    ]
    for name, row in result["models"].items():
        train = "-" if row["train_s_per_epoch"] is None else f"{row['train_s_per_epoch']:.2f}"
        accuracy = f"{row['accuracy']:.3f} ({row['correct']}/{result['n_test']})"
        lines.append(f"{name:<12} {row['params']:>8,} {train:>13} {accuracy:>16} "
                     f"{row['latency_ms']:>7.2f} ({row['latency_best_ms']:>7.2f}) "
                     f"{row['batch_ms']:>8.2f} ({row['batch_best_ms']:>8.2f}) {row['windows_per_s']:>9.0f}")
    for pair, ratio in result["ratios"].items():
        train = "" if ratio["train_epoch"] is None else f", training time per epoch x{ratio['train_epoch']:.2f}"
        lines.append(f"{pair}: latency x{ratio['latency']:.2f}, throughput x{ratio['throughput']:.3f}{train}")
    lines.append(f"in {result['elapsed_s']:.0f} s")
    return "\n".join(lines)
