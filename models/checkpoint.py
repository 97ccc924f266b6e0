"""Classifier checkpoints: one file that rebuilds exactly what was trained.

A checkpoint is one `torch.save`d dict of plain values (so `torch.load(...,
weights_only=True)` reads it and nothing is unpickled beyond tensors):

- format, format_version: "skillstream.classifier", `FORMAT_VERSION`;
- arch, network_args: `models.network.build_network(arch, network_args)`;
- state_dict: the network's weights (tensors);
- classes: the class names, in the network's output order;
- background: the name of the non-skill class among them, or None;
- threshold: the open-set threshold in [0, 1]: a window whose best skill
  probability is below it is no skill (see `models.inference`);
- preprocess: `PreprocessSettings.to_dict()`, the preprocessing that the
  network was trained on and that serving must repeat;
- training: the training arguments; metrics: a summary of the validation
  figures (both plain JSON-ready dicts, for `skillstream info`);
- seed: the training seed, or None;
- ood (version 2): the out-of-distribution detector
  (`models.openset.EmbeddingDetector.to_dict()`: class means, precision,
  limit), or None.

Version 1 files (before the detector and the body-centred features) load
as they were trained: no detector, and the preprocessing fields they lack
take the values that reproduce their behaviour (`PreprocessSettings.from_dict`).

`load_checkpoint` checks every field and raises `CheckpointError` naming the
file and the missing or bad field; it returns the network in eval mode.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .network import SkillNetwork, build_network
from .openset import EmbeddingDetector
from .preprocess import PreprocessSettings

FORMAT = "skillstream.classifier"
FORMAT_VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint that cannot be used. The message names the file (and field) and the reason."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class Checkpoint:
    """A trained classifier with everything needed to serve it.

    network: the network (`load_checkpoint` returns it in eval mode).
    classes: class names in the order of the network's outputs.
    preprocess: the settings that turn a window into the network's input.
    background: the non-skill class (one of `classes`), or None.
    threshold: open-set threshold in [0, 1] on the best skill probability.
    training, metrics: plain JSON-ready dicts (arguments, validation summary).
    seed: the training seed, or None.
    detector: the out-of-distribution detector on the network's embedding, or None.

    Construction checks that the parts fit together (class count, feature
    count, background among the classes, threshold range, plain dicts, the
    detector's class count) and raises ValueError naming the field.
    """

    network: SkillNetwork
    classes: tuple[str, ...]
    preprocess: PreprocessSettings
    background: str | None = None
    threshold: float = 0.0
    training: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    detector: EmbeddingDetector | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(self.classes))
        if not all(isinstance(name, str) and name for name in self.classes):
            raise ValueError(f"classes: expected non-empty strings, got {list(self.classes)!r}")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes: names repeat in {list(self.classes)!r}")
        if len(self.classes) != self.network.n_classes:
            raise ValueError(f"classes: {len(self.classes)} names for a network with "
                             f"{self.network.n_classes} outputs")
        if self.network.n_features != self.preprocess.n_features:
            raise ValueError(f"preprocess: settings give {self.preprocess.n_features} features per frame, "
                             f"the network takes {self.network.n_features}")
        if self.background is not None and self.background not in self.classes:
            raise ValueError(f"background: {self.background!r} is not one of the classes")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) \
                or not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold: expected a number in [0, 1], got {self.threshold!r}")
        object.__setattr__(self, "threshold", float(self.threshold))
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError(f"seed: expected an integer or None, got {self.seed!r}")
        for name in ("training", "metrics"):
            object.__setattr__(self, name, _plain_dict(getattr(self, name), name))
        if self.detector is not None and len(self.detector.means) != len(self.classes):
            raise ValueError(f"ood: the detector has means of {len(self.detector.means)} classes, "
                             f"the network {len(self.classes)}")

    @property
    def background_index(self) -> int | None:
        """The index of the background class, or None."""
        return None if self.background is None else self.classes.index(self.background)

    @property
    def skill_classes(self) -> tuple[str, ...]:
        """The classes that are skills (all but the background)."""
        return tuple(name for name in self.classes if name != self.background)


def save_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike[str]) -> None:
    """Write `checkpoint` to `path` (creating its folder), atomically: a
    reader sees the old file or the new one, never half of one."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": checkpoint.network.arch,
        "network_args": checkpoint.network.network_args,
        # Clones: a parameter's storage may be shared with other views, and
        # torch.save writes whole storages.
        "state_dict": {name: tensor.detach().cpu().clone() for name, tensor in checkpoint.network.state_dict().items()},
        "classes": list(checkpoint.classes),
        "background": checkpoint.background,
        "threshold": checkpoint.threshold,
        "preprocess": checkpoint.preprocess.to_dict(),
        "training": dict(checkpoint.training),
        "metrics": dict(checkpoint.metrics),
        "seed": checkpoint.seed,
        "ood": None if checkpoint.detector is None else checkpoint.detector.to_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    torch.save(payload, partial)
    os.replace(partial, path)


# Field name -> (Python types it must have, description for the error).
_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "format": ((str,), "a string"),
    "format_version": ((int,), "an integer"),
    "arch": ((str,), "a string"),
    "network_args": ((dict,), "a dict"),
    "state_dict": ((dict,), "a dict of tensors"),
    "classes": ((list,), "a list of names"),
    "background": ((str, type(None)), "a class name or None"),
    "threshold": ((float, int), "a number"),
    "preprocess": ((dict,), "a dict"),
    "training": ((dict,), "a dict"),
    "metrics": ((dict,), "a dict"),
    "seed": ((int, type(None)), "an integer or None"),
}
# Fields added by a format version: name -> (version, types, description, value in older files).
_ADDED_FIELDS: dict[str, tuple[int, tuple[type, ...], str, Any]] = {
    "ood": (2, (dict, type(None)), "a dict or None", None),
}


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and check the checkpoint at `path`; rebuild its network (eval mode, on the CPU).

    Raises FileNotFoundError (or another OSError) when the file cannot be
    opened, and CheckpointError naming the file and field for anything else:
    not a torch file, not a skillstream checkpoint, a newer format version,
    a missing field or one of the wrong type, network arguments or
    preprocessing settings that do not build, weights that do not fit the
    network, classes that do not fit it.
    """
    where = str(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise
    except Exception as error:  # noqa: BLE001 - torch.load's unpickler fails on junk with any error type
        # Junk bytes raise e.g. a bare KeyError(174812789): name the type too.
        raise CheckpointError(where, "not a readable checkpoint, not a file written by skillstream train "
                                     f"({type(error).__name__}: {_first_line(error)})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(where, f"not a skillstream classifier checkpoint (no format {FORMAT!r})")
    for name, (types, description) in _FIELDS.items():
        if name not in payload:
            raise CheckpointError(f"{where}: {name}", "missing")
        value = payload[name]
        if isinstance(value, bool) or not isinstance(value, types):
            raise CheckpointError(f"{where}: {name}", f"expected {description}, got {type(value).__name__}")
    version = payload["format_version"]
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{where}: format_version", f"version {version} is newer than "
                                                          f"this program reads ({FORMAT_VERSION}): update skillstream")
    for name, (added, types, description, old_value) in _ADDED_FIELDS.items():
        if version < added:
            payload[name] = old_value
        elif name not in payload:
            raise CheckpointError(f"{where}: {name}", "missing")
        elif isinstance(payload[name], bool) or not isinstance(payload[name], types):
            raise CheckpointError(f"{where}: {name}", f"expected {description}, got {type(payload[name]).__name__}")
    try:
        network = build_network(payload["arch"], payload["network_args"])
    except ValueError as error:
        raise CheckpointError(f"{where}: network_args", str(error)) from error
    try:
        network.load_state_dict(payload["state_dict"], strict=True)
    except (RuntimeError, TypeError, AttributeError) as error:
        raise CheckpointError(f"{where}: state_dict", f"does not fit the {payload['arch']!r} network "
                                                      f"({_first_line(error)})") from error
    try:
        preprocess = PreprocessSettings.from_dict(payload["preprocess"], version)
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"{where}: preprocess", str(error)) from error
    try:
        detector = None if payload["ood"] is None else EmbeddingDetector.from_dict(payload["ood"])
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"{where}: ood", str(error)) from error
    try:
        return Checkpoint(network=network.eval(), classes=tuple(payload["classes"]), preprocess=preprocess,
                          background=payload["background"], threshold=payload["threshold"],
                          training=payload["training"], metrics=payload["metrics"], seed=payload["seed"],
                          detector=detector)
    except ValueError as error:
        raise CheckpointError(where, str(error)) from error


def _plain_dict(value: Mapping[str, Any], name: str) -> dict[str, Any]:
    """`value` as a dict of JSON values (tuples become lists); ValueError naming `name` otherwise."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: expected a mapping, got {type(value).__name__}")
    try:
        # allow_nan: NaN metrics (an empty class) are plain floats to torch.load too.
        return json.loads(json.dumps(dict(value), allow_nan=True))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: expected plain JSON values only ({error})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
