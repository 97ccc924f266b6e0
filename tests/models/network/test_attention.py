"""The attention layers against hand-written NumPy softmax(Q K^T) V."""

from __future__ import annotations

import numpy as np
import torch

from skillstream.models.network.attention import MaskedSelfAttention, keras_dot_product_self_attention


def numpy_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def test_keras_attention_is_unscaled_unmasked_softmax_of_dot_products() -> None:
    sequence = np.array([[[1.0, 0.0], [0.5, 2.0], [0.0, 0.0]]])  # (1, 3, 2); the last row is "padding"
    scores = sequence[0] @ sequence[0].T  # [[1, .5, 0], [.5, 4.25, 0], [0, 0, 0]]
    expected = numpy_softmax(scores) @ sequence[0]
    # The zero row attends uniformly to everything, padding included.
    np.testing.assert_allclose(expected[2], sequence[0].mean(axis=0))
    got = keras_dot_product_self_attention(torch.tensor(sequence, dtype=torch.float32))
    np.testing.assert_allclose(got[0].numpy(), expected, rtol=1e-6, atol=1e-6)


def test_keras_attention_batches_independently() -> None:
    rng = np.random.default_rng(0)
    sequence = rng.normal(size=(3, 5, 4))
    got = keras_dot_product_self_attention(torch.tensor(sequence)).numpy()
    for b in range(3):
        np.testing.assert_allclose(got[b], numpy_softmax(sequence[b] @ sequence[b].T) @ sequence[b], rtol=1e-12)


def numpy_masked_attention(layer: MaskedSelfAttention, h: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per batch item and head: softmax(q k^T / sqrt(d) over valid keys) v, then the output projection."""
    weight_qkv = layer.qkv.weight.detach().double().numpy()
    bias_qkv = layer.qkv.bias.detach().double().numpy()
    weight_out = layer.out.weight.detach().double().numpy()
    bias_out = layer.out.bias.detach().double().numpy()
    batch, steps, dim = h.shape
    head_dim = dim // layer.heads
    out = np.zeros_like(h)
    for b in range(batch):
        q, k, v = np.split(h[b] @ weight_qkv.T + bias_qkv, 3, axis=-1)
        heads = []
        for head in range(layer.heads):
            part = slice(head * head_dim, (head + 1) * head_dim)
            scores = q[:, part] @ k[:, part].T / np.sqrt(head_dim)
            scores[:, ~valid[b]] = -np.inf
            heads.append(numpy_softmax(scores) @ v[:, part])
        out[b] = np.concatenate(heads, axis=-1) @ weight_out.T + bias_out
    return out


def test_masked_attention_matches_numpy_and_ignores_invalid_keys() -> None:
    torch.manual_seed(0)
    layer = MaskedSelfAttention(dim=8, heads=2, dropout=0.0).double().eval()
    rng = np.random.default_rng(1)
    h = rng.normal(size=(2, 6, 8))
    valid = np.array([[True] * 6, [True, True, True, False, False, False]])
    got = layer(torch.tensor(h), torch.tensor(valid)).detach().numpy()
    np.testing.assert_allclose(got, numpy_masked_attention(layer, h, valid), rtol=1e-10, atol=1e-12)

    garbage = h.copy()
    garbage[1, 3:] = 1e3
    got_garbage = layer(torch.tensor(garbage), torch.tensor(valid)).detach().numpy()
    np.testing.assert_allclose(got_garbage[1, :3], got[1, :3], rtol=1e-10, atol=1e-12)
