"""The paper's network (Chambers, "Artistic Gymnastics Skill Action Recognition
Using an Attention-Based RNN"), faithful to its Keras model, flaws included.

Keras model: Input (281, 50) -> LSTM(64, return_sequences=True)
-> Attention()([x, x]) -> Dropout(0.2) -> Attention()([x, x]) -> Dropout(0.2)
-> Dense(128, relu) -> Dense(10, softmax), every layer applied per timestep,
so the model outputs (281, 10). Trainable parameters with F features and C
classes: 4*64*(F+64+1) + 128*65 + C*129 = 39,050 for F = 50, C = 10.

Reproduced as the paper's pipeline ran it:
- no masking anywhere: the LSTM runs over all T frames, padding included, and
  padded frames take part in attention; `mask` is checked for shape and
  otherwise ignored;
- training: the clip label repeated at every timestep, cross-entropy averaged
  over all B*T timesteps (Keras' sparse categorical cross-entropy on (281,)
  targets), see `training_loss`;
- the clip answer: the mean over all T timesteps (padding included) of the
  per-timestep softmax, see `sequence_outputs`.
The LSTM is torch's nn.LSTM with its hidden-to-hidden bias held at zero and
frozen, which makes it a Keras LSTM (one bias, gates in the order input,
forget, cell, output, sigmoid recurrent activation as in TF2-era Keras);
weights are initialised as Keras initialises them (`init_lstm_like_keras`,
`init_dense_like_keras`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .attention import keras_dot_product_self_attention
from .base import SkillNetwork, check_class_and_feature_counts, init_dense_like_keras, init_lstm_like_keras

LSTM_UNITS = 64
DENSE_UNITS = 128
DROPOUT = 0.2


@dataclass(frozen=True)
class PaperNetworkArgs:
    """Arguments of `PaperNetwork`; the layer sizes are the paper's and fixed.

    n_classes: number of classes (the paper: 10 skills; add a background class
        for the open-set setting).
    n_features: features per frame (the paper: 50 = x, y of 25 points).
    """

    n_classes: int
    n_features: int

    def __post_init__(self) -> None:
        check_class_and_feature_counts(self)


class PaperNetwork(SkillNetwork):
    """The paper's LSTM + two weightless self-attention layers, per-timestep output."""

    arch = "paper"
    Args = PaperNetworkArgs

    def __init__(self, args: PaperNetworkArgs) -> None:
        super().__init__(args)
        self.lstm = nn.LSTM(args.n_features, LSTM_UNITS, batch_first=True)
        self.dropout = nn.Dropout(DROPOUT)
        self.dense = nn.Linear(LSTM_UNITS, DENSE_UNITS)
        self.classifier = nn.Linear(DENSE_UNITS, args.n_classes)
        init_lstm_like_keras(self.lstm, freeze_hidden_bias=True)
        init_dense_like_keras(self.dense)
        init_dense_like_keras(self.classifier)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-timestep logits (B, T, C) of `x` (B, T, F); `mask` (B, T) is not used.

        The Keras model ends in a softmax; here the softmax is left to the
        loss (`training_loss`) and to `sequence_outputs`.
        """
        self.check_inputs(x, mask)
        return self.classifier(self._dense_outputs(x))  # (B, T, C)

    def _dense_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The dense layer's output (B, T, 128): what the per-timestep softmax classifies."""
        h, _ = self.lstm(x)  # (B, T, 64)
        h = self.dropout(keras_dot_product_self_attention(h))  # (B, T, 64)
        h = self.dropout(keras_dot_product_self_attention(h))  # (B, T, 64)
        return torch.relu(self.dense(h))  # (B, T, 128)

    def sequence_outputs(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits: log of the mean over all T timesteps (padding included) of the
        per-timestep softmax, (B, C); embedding: the mean over all T timesteps of
        the dense layer's output (B, 128).

        softmax of these logits is exactly that mean distribution (its logs
        already sum to one), so `sequence_probabilities` and argmax give the
        paper pipeline's clip answer.
        """
        self.check_inputs(x, mask)
        dense = self._dense_outputs(x)  # (B, T, 128)
        log_probs = torch.log_softmax(self.classifier(dense), dim=-1)  # (B, T, C)
        return torch.logsumexp(log_probs, dim=1) - math.log(x.shape[1]), dense.mean(dim=1)  # (B, C), (B, 128)

    def training_loss(self, x: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every timestep against its clip's label, averaged over all B*T timesteps."""
        self.check_inputs(x, mask, labels)
        logits = self(x, mask)  # (B, T, C)
        per_timestep_labels = labels[:, None].expand(logits.shape[:2])  # (B, T)
        return F.cross_entropy(logits.flatten(0, 1), per_timestep_labels.flatten())
