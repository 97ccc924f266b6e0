"""Self-attention layers: the paper's weightless Keras attention and the default's masked multi-head one."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def keras_dot_product_self_attention(sequence: torch.Tensor) -> torch.Tensor:
    """`keras.layers.Attention()([sequence, sequence])`: softmax(S S^T) S, per batch item.

    Query = key = value = `sequence` (B, T, D); scores are unscaled dot
    products (Keras' default use_scale=False, score_mode="dot"), the softmax
    runs over the keys, and no position is masked: padded frames attend and
    are attended to, as in the paper's model.
    """
    scores = sequence @ sequence.transpose(1, 2)  # (B, T, T)
    return torch.softmax(scores, dim=-1) @ sequence  # (B, T, D)


class MaskedSelfAttention(nn.Module):
    """Scaled multi-head self-attention whose keys are restricted to valid positions.

    forward(h (B, T, D), valid (B, T) bool) -> (B, T, D). Outputs at invalid
    query positions are computed but meaningless; callers ignore them. Every
    row of `valid` must have at least one True (a row without keys has no
    defined softmax).
    """

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention_heads: {heads} does not divide the attention width {dim}")
        self.heads = heads
        self.dropout = dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, h: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        batch, steps, dim = h.shape
        qkv = self.qkv(h).view(batch, steps, 3, self.heads, dim // self.heads)  # (B, T, 3, H, D/H)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)  # 3 x (B, H, T, D/H)
        keys_allowed = valid[:, None, None, :]  # (B, 1, 1, T): broadcast over heads and queries
        attended = F.scaled_dot_product_attention(
            query, key, value, attn_mask=keys_allowed, dropout_p=self.dropout if self.training else 0.0)
        return self.out(attended.transpose(1, 2).reshape(batch, steps, dim))  # (B, T, D)
