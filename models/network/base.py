"""The interface every classifier network implements, and the helpers they share.

A network takes what `models.preprocess` produces: `x` float (B, T, F) windows
(T = 281 frames in the paper's setting, F = 50 normalised x, y of the 25
BODY_25 points, or 75 with a confidence channel) and `mask` bool (B, T), True
where a frame is a real frame and False where it is padding or a frame without
a person. Every caller (training, evaluation, serving) goes through
`sequence_outputs` / `sequence_logits` / `sequence_probabilities` for the
clip-level answer (and the embedding the open-set detector measures) and
through `training_loss` for the objective, so that each architecture's
convention (per-timestep outputs for the paper, pooled for the default) lives
in one place. `forward` is architecture-specific; do not call it from
architecture-agnostic code.

Each architecture has a frozen dataclass of constructor arguments; its plain
dict form (`network_args`) goes into checkpoints and rebuilds the network
through `registry.build_network(arch, network_args)`.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import Any, ClassVar

import torch
from torch import nn


class SkillNetwork(nn.Module, abc.ABC):
    """Base of the classifier networks.

    Subclasses set `arch` (the registry name) and `Args` (their frozen
    dataclass of constructor arguments, with at least `n_classes` and
    `n_features`), and take one `Args` instance in their constructor.
    """

    arch: ClassVar[str]
    Args: ClassVar[type]

    def __init__(self, args: Any) -> None:
        super().__init__()
        if not isinstance(args, self.Args):
            raise TypeError(f"{type(self).__name__} takes a {self.Args.__name__}, got {type(args).__name__}")
        self.args = args
        self.n_classes: int = args.n_classes
        self.n_features: int = args.n_features

    @property
    def network_args(self) -> dict[str, Any]:
        """The constructor arguments as a plain dict (for checkpoints; see `build_network`)."""
        return dataclasses.asdict(self.args)

    @abc.abstractmethod
    def sequence_outputs(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Clip-level logits (B, C) and embedding (B, D) of windows `x` (B, T, F)
        with validity `mask` (B, T).

        softmax of the logits is the architecture's clip-level class
        distribution (`sequence_probabilities`); argmax is its prediction. The
        embedding is the window's representation that the logits are computed
        from (`models.openset.embedding` measures distances in it).
        """

    def sequence_logits(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The logits (B, C) of `sequence_outputs`."""
        return self.sequence_outputs(x, mask)[0]

    @abc.abstractmethod
    def training_loss(self, x: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The scalar training objective for windows with clip labels `labels` int64 (B,)."""

    def sequence_probabilities(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Clip-level class probabilities (B, C): softmax of `sequence_logits`."""
        return torch.softmax(self.sequence_logits(x, mask), dim=-1)  # (B, C)

    def check_inputs(self, x: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        """Raise ValueError naming the argument when the inputs do not fit this network."""
        if x.ndim != 3 or x.shape[2] != self.n_features or not x.is_floating_point():
            raise ValueError(f"x: expected a float tensor (B, T, {self.n_features}), "
                             f"got {x.dtype} {tuple(x.shape)}")
        if mask.dtype != torch.bool or mask.shape != x.shape[:2]:
            raise ValueError(f"mask: expected a bool tensor {tuple(x.shape[:2])}, "
                             f"got {mask.dtype} {tuple(mask.shape)}")
        if labels is not None and (labels.dtype != torch.int64 or labels.shape != x.shape[:1]):
            raise ValueError(f"labels: expected an int64 tensor ({x.shape[0]},), "
                             f"got {labels.dtype} {tuple(labels.shape)}")


def count_parameters(module: nn.Module) -> int:
    """The number of trainable parameters (those with requires_grad) of `module`."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def check_class_and_feature_counts(args: Any) -> None:
    """Validate the `n_classes` and `n_features` fields every Args dataclass has."""
    if not (isinstance(args.n_classes, int) and args.n_classes >= 2):
        raise ValueError(f"n_classes: expected an integer >= 2, got {args.n_classes!r}")
    if not (isinstance(args.n_features, int) and args.n_features >= 1):
        raise ValueError(f"n_features: expected a positive integer, got {args.n_features!r}")


def init_lstm_like_keras(lstm: nn.LSTM, freeze_hidden_bias: bool) -> None:
    """Initialise `lstm` as Keras initialises its LSTM layer.

    Keras: kernel glorot_uniform over its (F, 4H) shape, recurrent kernel
    orthogonal (H, 4H), bias zeros except the forget gate's ones
    (unit_forget_bias=True). torch keeps the transposes (4H, F) and (4H, H)
    with the same gate order (input, forget, cell, output), so the same
    distributions apply. torch has two bias vectors where Keras has one:
    the input bias `bias_ih` plays Keras' bias, `bias_hh` starts at zero and,
    with `freeze_hidden_bias`, stays there (requires_grad False), which makes
    the layer exactly a Keras LSTM with Keras' trainable parameter count.
    """
    hidden = lstm.hidden_size
    for name, param in lstm.named_parameters():
        with torch.no_grad():
            if name.startswith("weight_ih"):
                fan_out, fan_in = param.shape  # (4H, F): Keras' (F, 4H) transposed
                limit = math.sqrt(6.0 / (fan_in + fan_out))
                param.uniform_(-limit, limit)
            elif name.startswith("weight_hh"):
                nn.init.orthogonal_(param)  # (4H, H): orthonormal columns = Keras' orthogonal (H, 4H) transposed
            elif name.startswith("bias_ih"):
                param.zero_()
                param[hidden:2 * hidden] = 1.0  # forget gate
            elif name.startswith("bias_hh"):
                param.zero_()
                if freeze_hidden_bias:
                    param.requires_grad_(False)


def init_dense_like_keras(linear: nn.Linear) -> None:
    """Initialise `linear` as a Keras Dense layer: glorot_uniform kernel, zero bias."""
    nn.init.xavier_uniform_(linear.weight)
    nn.init.zeros_(linear.bias)
