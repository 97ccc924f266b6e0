"""The paper's network: parameter count, Keras equivalence, per-timestep outputs, the padding flaw."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from skillstream.models.network import PaperNetwork, PaperNetworkArgs, count_parameters


def build(n_classes: int = 10, n_features: int = 50, seed: int = 0) -> PaperNetwork:
    torch.manual_seed(seed)
    return PaperNetwork(PaperNetworkArgs(n_classes=n_classes, n_features=n_features))


def padded_windows(lengths: list[int], steps: int, n_features: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows in [0, 1) with zero padding after `lengths` frames, and their masks."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(len(lengths), steps, n_features, generator=generator)
    mask = torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]
    return x * mask[..., None], mask


def test_trainable_parameters_are_the_papers_39050() -> None:
    assert count_parameters(build(10, 50)) == 39_050
    # 4*64*(F+64+1) LSTM (one bias) + 128*65 dense + C*129 classifier.
    assert count_parameters(build(11, 75)) == 4 * 64 * (75 + 64 + 1) + 128 * 65 + 11 * 129


def test_hidden_bias_stays_zero_and_frozen_after_training_steps() -> None:
    network = build()
    before = {name: p.detach().clone() for name, p in network.named_parameters()}
    optimizer = torch.optim.AdamW(network.parameters(), lr=0.1, weight_decay=0.1)
    x, mask = padded_windows([281, 100], 281, 50, seed=0)
    for _ in range(2):
        optimizer.zero_grad()
        network.training_loss(x, mask, torch.tensor([3, 7])).backward()
        optimizer.step()
    bias_hh = network.lstm.bias_hh_l0
    assert not bias_hh.requires_grad
    assert torch.count_nonzero(bias_hh) == 0
    changed = {name for name, p in network.named_parameters() if not torch.equal(p, before[name])}
    assert changed == {name for name, p in network.named_parameters() if p.requires_grad}


def test_initialisation_is_keras() -> None:
    network = build()
    lstm = network.lstm
    expected_bias = torch.zeros(256)
    expected_bias[64:128] = 1.0  # unit_forget_bias
    assert torch.equal(lstm.bias_ih_l0.detach(), expected_bias)
    limit = math.sqrt(6 / (50 + 256))  # glorot_uniform of Keras' (50, 256) kernel
    weight_ih = lstm.weight_ih_l0.detach()
    assert weight_ih.abs().max() <= limit
    assert weight_ih.std().item() == pytest.approx(limit / math.sqrt(3), rel=0.05)
    weight_hh = lstm.weight_hh_l0.detach()  # (256, 64): Keras' orthogonal (64, 256) transposed
    torch.testing.assert_close(weight_hh.T @ weight_hh, torch.eye(64), atol=1e-5, rtol=0)
    for dense in (network.dense, network.classifier):
        assert torch.count_nonzero(dense.bias) == 0
        fan_out, fan_in = dense.weight.shape
        assert dense.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_keras_model(network: PaperNetwork, x: np.ndarray) -> np.ndarray:
    """The paper's Keras model in inference, per-timestep logits, from Keras' own equations.

    LSTM: z = x_t K + h R + b with K = W_ih^T (F, 4H), R = W_hh^T (H, 4H) and b
    the single bias, gates in Keras' order (i, f, c, o); attention
    softmax(h h^T) h twice; Dense relu; Dense (logits).
    """
    kernel = network.lstm.weight_ih_l0.detach().double().numpy().T
    recurrent = network.lstm.weight_hh_l0.detach().double().numpy().T
    bias = network.lstm.bias_ih_l0.detach().double().numpy()
    units = recurrent.shape[0]
    batch, steps, _ = x.shape
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    outputs = []
    for t in range(steps):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    sequence = np.stack(outputs, axis=1)
    for _ in range(2):
        scores = sequence @ sequence.transpose(0, 2, 1)
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        sequence = (weights / weights.sum(axis=-1, keepdims=True)) @ sequence
    def numpy_dense(layer: torch.nn.Linear, inputs: np.ndarray) -> np.ndarray:
        return inputs @ layer.weight.detach().double().numpy().T + layer.bias.detach().double().numpy()

    return numpy_dense(network.classifier, np.maximum(numpy_dense(network.dense, sequence), 0.0))


def test_forward_is_the_keras_model_with_per_timestep_logits() -> None:
    network = build(n_classes=4).eval()
    x, mask = padded_windows([12, 7], 12, 50, seed=1)
    # Train the biases away from their initial values so that a wrong gate order or bias would show.
    with torch.no_grad():
        for p in network.parameters():
            if p.requires_grad:
                p.add_(0.3 * torch.randn_like(p))
    logits = network(x, mask)
    assert logits.shape == (2, 12, 4)
    np.testing.assert_allclose(logits.detach().numpy(), numpy_keras_model(network, x.double().numpy()),
                               rtol=1e-4, atol=1e-5)


def test_full_window_gives_281_timesteps() -> None:
    x, mask = padded_windows([281, 40, 1], 281, 50, seed=2)
    assert build().eval()(x, mask).shape == (3, 281, 10)


def test_sequence_probabilities_are_the_mean_softmax_over_all_timesteps() -> None:
    network = build(n_classes=5).eval()
    x, mask = padded_windows([30, 9], 30, 50, seed=3)
    with torch.no_grad():
        per_timestep = network(x, mask).double().numpy()
        probabilities = network.sequence_probabilities(x, mask).double().numpy()
    exp = np.exp(per_timestep - per_timestep.max(axis=-1, keepdims=True))
    expected = (exp / exp.sum(axis=-1, keepdims=True)).mean(axis=1)  # padding timesteps included
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_padding_changes_the_answer_and_the_mask_is_ignored() -> None:
    """The paper's flaw, reproduced: padding is read as data."""
    network = build().eval()
    x, mask = padded_windows([60], 281, 50, seed=4)
    with torch.no_grad():
        reference = network.sequence_probabilities(x, mask)
        longer = torch.cat([x, torch.zeros(1, 19, 50)], dim=1)
        longer_mask = torch.cat([mask, torch.zeros(1, 19, dtype=torch.bool)], dim=1)
        garbage = x.clone()
        garbage[:, 60:] = 0.5
        assert not torch.allclose(network.sequence_probabilities(longer, longer_mask), reference, atol=1e-4)
        assert not torch.allclose(network.sequence_probabilities(garbage, mask), reference, atol=1e-4)
        assert torch.equal(network.sequence_probabilities(x, torch.ones_like(mask)), reference)


def test_training_loss_is_per_timestep_cross_entropy_over_all_timesteps() -> None:
    network = build(n_classes=3).eval()
    x, mask = padded_windows([10, 4], 10, 50, seed=5)
    labels = torch.tensor([2, 0])
    with torch.no_grad():
        logits = network(x, mask).double().numpy()  # (2, 10, 3)
        loss = network.training_loss(x, mask, labels).item()
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    expected = -np.mean([log_probs[b, t, labels[b]] for b in range(2) for t in range(10)])
    assert loss == pytest.approx(expected, rel=1e-5)


def test_dropout_only_in_training_mode() -> None:
    network = build()
    x, mask = padded_windows([20], 20, 50, seed=6)
    with torch.no_grad():
        network.train()
        assert not torch.equal(network(x, mask), network(x, mask))
        network.eval()
        assert torch.equal(network(x, mask), network(x, mask))
