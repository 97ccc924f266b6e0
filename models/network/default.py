"""The project's default network: LSTM + self-attention like the paper's, but
blind to padding and pooled to one answer per window.

What changes from the paper, and why:
- Padding and invalid frames cannot reach the output. Their features are
  zeroed, the valid frames are moved to the front in time order (a window's
  mask may have holes where no person was seen), the batch is cut to its
  longest valid run, the LSTM runs packed over each window's valid frames, the
  attention's keys are the valid positions only, and pooling averages valid
  positions only. So a window gives the same logits whether it is padded to
  281 or 300 frames and whatever the padding holds (the paper's model reads
  its zero padding as data and its prediction depends on the padded length).
- Motion is an input. With body-centred preprocessing the kernels compute it
  (velocities at several strides, `models.preprocess`) and `frame_velocity`
  is off. Checkpoints from before those features (`frame_velocity` on)
  compute frame-to-frame differences here from the normalised features,
  zero where either frame is invalid (or, with the confidence channel, where
  the point is missing in either frame), multiplied by `velocity_scale`:
  differences between neighbouring frames are an order of magnitude smaller
  than the normalised coordinates, and without the scale the freshly
  initialised front end would be nearly blind to them.
- The front end projects groups of `frames_per_step` consecutive frames
  (features and velocities) into one step, with layer norm: 2 halves the steps
  of the recurrence and quarters the attention's cost, which keeps a full
  281-frame batch of 64 above 1,000 windows/s on two CPU cores, while the
  velocities keep the frame-rate motion. (A strided convolution over time did
  the same at three times the front end's cost: transposes and im2col.)
- A bidirectional LSTM (each position knows what came before and after), then
  scaled multi-head attention with residual and layer norm (the paper's
  attention is unscaled, so its softmax saturates, and it has no residual).
- One answer per window: masked mean and max pooling over valid positions
  (the window's embedding, `sequence_outputs`), a small MLP head; trained with window-level cross-entropy (optionally label
  smoothed), not with the clip label repeated at every padded timestep.
A window without any valid frame is classified as a single all-zero frame
(defined output, no NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..keypoints.skeleton import N_BODY25
from .attention import MaskedSelfAttention
from .base import SkillNetwork, check_class_and_feature_counts, init_lstm_like_keras


@dataclass(frozen=True)
class DefaultNetworkArgs:
    """Arguments of `DefaultNetwork`.

    n_classes: number of classes (skills, plus a background class if used).
    n_features: features per frame from preprocessing (50, or 75 with confidence,
        read as x, y, confidence per BODY_25 point: see `masked_velocity`).
    frontend_units: width of the front end's projection (the LSTM's input).
    lstm_units: LSTM units per direction; the attention width is twice this.
    attention_heads: heads of the self-attention (must divide 2 * lstm_units).
    attention_layers: number of attention + residual + layer-norm blocks.
    head_units: hidden width of the classification MLP.
    frames_per_step: consecutive frames the front end merges into one step.
    frame_velocity: append the frame differences of the features, computed
        here (the checkpoints before the kernels computed motion); off when
        preprocessing provides motion features.
    velocity_scale: multiplier of those frame differences.
    dropout: dropout rate after the front end, in attention, and in the head.
    label_smoothing: label smoothing of the training cross-entropy.
    """

    n_classes: int
    n_features: int
    frontend_units: int = 96
    lstm_units: int = 64
    attention_heads: int = 4
    attention_layers: int = 1
    head_units: int = 128
    frames_per_step: int = 2
    frame_velocity: bool = True
    velocity_scale: float = 10.0
    dropout: float = 0.2
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        check_class_and_feature_counts(self)
        for name in ("frontend_units", "lstm_units", "attention_heads", "head_units", "frames_per_step"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name}: expected a positive integer, got {value!r}")
        if not (isinstance(self.attention_layers, int) and self.attention_layers >= 0):
            raise ValueError(f"attention_layers: expected an integer >= 0, got {self.attention_layers!r}")
        if (2 * self.lstm_units) % self.attention_heads:
            raise ValueError(f"attention_heads: {self.attention_heads} does not divide the attention "
                             f"width 2 * lstm_units = {2 * self.lstm_units}")
        if not isinstance(self.frame_velocity, bool):
            raise ValueError(f"frame_velocity: expected true or false, got {self.frame_velocity!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout: expected a rate in [0, 1), got {self.dropout!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing: expected a value in [0, 1), got {self.label_smoothing!r}")


def masked_velocity(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Frame differences x[t] - x[t-1] (B, T, F), zero at t = 0 and where frame t or t-1 is invalid.

    With F = 75, x is read as models.preprocess lays out x, y, confidence per
    BODY_25 point, and a point's three differences are also zero where its
    confidence is 0 (missing) in either frame: a point that drops out reads
    as coordinates 0, and its jump to 0 and back is not motion.
    """
    both_valid = (mask[:, 1:] & mask[:, :-1])[..., None]  # (B, T-1, 1)
    if x.shape[2] == 3 * N_BODY25:
        present = x.unflatten(2, (N_BODY25, 3))[..., 2] > 0  # (B, T, 25)
        both_present = (present[:, 1:] & present[:, :-1]).repeat_interleave(3, dim=2)  # (B, T-1, 75)
        both_valid = both_valid & both_present  # (B, T-1, 75)
    steps = (x[:, 1:] - x[:, :-1]) * both_valid  # (B, T-1, F)
    return F.pad(steps, (0, 0, 1, 0))  # (B, T, F)


class AttentionBlock(nn.Module):
    """Self-attention over valid positions, with dropout, residual and layer norm."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attention = MaskedSelfAttention(dim, heads, dropout)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, h: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return self.norm(h + self.dropout(self.attention(h, valid)))  # (B, T, D)


class DefaultNetwork(SkillNetwork):
    """Masked velocity-aware front end -> packed bi-LSTM -> masked attention -> pooled MLP head."""

    arch = "default"
    Args = DefaultNetworkArgs

    def __init__(self, args: DefaultNetworkArgs) -> None:
        super().__init__(args)
        width = 2 * args.lstm_units
        per_frame = 2 * args.n_features if args.frame_velocity else args.n_features
        self.frontend = nn.Linear(per_frame * args.frames_per_step, args.frontend_units)
        self.frontend_norm = nn.LayerNorm(args.frontend_units)
        self.dropout = nn.Dropout(args.dropout)
        self.lstm = nn.LSTM(args.frontend_units, args.lstm_units, batch_first=True, bidirectional=True)
        self.attention = nn.ModuleList(
            AttentionBlock(width, args.attention_heads, args.dropout) for _ in range(args.attention_layers))
        self.head = nn.Sequential(
            nn.Linear(2 * width, args.head_units), nn.GELU(), nn.Dropout(args.dropout),
            nn.Linear(args.head_units, args.n_classes))
        init_lstm_like_keras(self.lstm, freeze_hidden_bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Window logits (B, C) of `x` (B, T, F) with validity `mask` (B, T); same as `sequence_logits`."""
        return self.sequence_outputs(x, mask)[0]

    def sequence_outputs(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Window logits (B, C) and embedding (B, 4 * lstm_units): the pooled mean and max the head classifies."""
        self.check_inputs(x, mask)
        frames = x * mask[..., None]  # (B, T, F)
        if self.args.frame_velocity:
            frames = torch.cat([frames, masked_velocity(x, mask) * self.args.velocity_scale], dim=-1)  # (B, T, F')

        # Valid frames first, in time order; the invalid ones after them are all zeros. Only a
        # mask with a hole (a valid frame after an invalid one) needs the sort.
        if (mask[:, 1:] & ~mask[:, :-1]).any():
            order = torch.sort((~mask).to(torch.uint8), dim=1, stable=True).indices  # (B, T)
            frames = frames.gather(1, order[..., None].expand_as(frames))  # (B, T, F')
        lengths = mask.sum(dim=1).clamp(min=1)  # (B,): an empty window reads as one zero frame
        group = self.args.frames_per_step
        steps = (lengths + group - 1) // group  # (B,): steps holding at least one valid frame
        longest = int(steps.max())
        h = self.dropout(F.gelu(self.frontend_norm(self._project_groups(frames, longest))))  # (B, S, U)
        packed = pack_padded_sequence(h, steps.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=h.shape[1])  # (B, S, D)

        positions_valid = torch.arange(h.shape[1], device=h.device) < steps[:, None]  # (B, S)
        for block in self.attention:
            h = block(h, positions_valid)  # (B, S, D)

        weights = positions_valid[..., None].to(h.dtype)  # (B, S, 1)
        mean = (h * weights).sum(dim=1) / weights.sum(dim=1)  # (B, D)
        peak = h.masked_fill(~positions_valid[..., None], float("-inf")).amax(dim=1)  # (B, D)
        embedding = torch.cat([mean, peak], dim=-1)  # (B, 2D)
        return self.head(self.dropout(embedding)), embedding  # (B, C), (B, 2D)

    def _project_groups(self, frames: torch.Tensor, n_steps: int) -> torch.Tensor:
        """The front end's projection (B, n_steps, U) of the first n_steps groups of
        `frames_per_step` frames of `frames` (B, T, F'), frames past T read as zeros.
        Only a last, incomplete group is padded: padding the whole batch would copy it."""
        group = self.args.frames_per_step
        batch, n_frames, width = frames.shape
        complete = min(n_steps, n_frames // group)
        h = self.frontend(frames[:, :complete * group].reshape(batch, complete, group * width))  # (B, complete, U)
        if complete == n_steps:
            return h
        rest = frames[:, complete * group:n_steps * group]  # (B, r, F'), 0 < r < group
        rest = F.pad(rest, (0, 0, 0, group - rest.shape[1])).reshape(batch, 1, group * width)  # (B, 1, group * F')
        return torch.cat([h, self.frontend(rest)], dim=1)  # (B, n_steps, U)

    def training_loss(self, x: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Window-level cross-entropy (label-smoothed by `label_smoothing`), averaged over the batch."""
        self.check_inputs(x, mask, labels)
        return F.cross_entropy(self(x, mask), labels, label_smoothing=self.args.label_smoothing)
