"""The default network: padding invariance, masked velocity, parameter count, loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skillstream.models.network import DefaultNetwork, DefaultNetworkArgs, count_parameters
from skillstream.models.network.default import masked_velocity


def build(seed: int = 0, **overrides: object) -> DefaultNetwork:
    torch.manual_seed(seed)
    return DefaultNetwork(DefaultNetworkArgs(**{"n_classes": 10, "n_features": 75, **overrides})).eval()


def window(valid: np.ndarray, n_features: int = 75, seed: int = 0,
           padding: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """A (1, T, F) window of random frames where `valid`, `padding` elsewhere, and its mask."""
    rng = np.random.default_rng(seed)
    x = rng.random((1, len(valid), n_features), dtype=np.float32)
    x[0, ~valid] = padding
    return torch.from_numpy(x), torch.from_numpy(valid[None])


def valid_prefix(length: int, steps: int) -> np.ndarray:
    return np.arange(steps) < length


def test_parameter_count_is_small_and_as_designed() -> None:
    n_features, units, lstm, width, head, n_classes = 50, 96, 64, 128, 128, 10
    expected = (
        (2 * n_features * 2 * units + units) + 2 * units          # front end (2 frames per step) + norm
        + 2 * (4 * lstm * (units + lstm) + 2 * 4 * lstm)          # bidirectional LSTM, two biases
        + (width * 3 * width + 3 * width) + (width * width + width) + 2 * width  # attention + norm
        + (2 * width * head + head) + (head * n_classes + n_classes))  # head
    network = build(n_features=n_features)
    assert count_parameters(network) == expected == 202_922
    assert 100_000 <= count_parameters(build()) <= 300_000


@pytest.mark.parametrize("frames_per_step", [1, 2, 3])
def test_padding_length_and_content_do_not_change_the_logits(frames_per_step: int) -> None:
    network = build(frames_per_step=frames_per_step)
    x, mask = window(valid_prefix(101, 281))
    x_longer, mask_longer = window(valid_prefix(101, 300), padding=1e3)
    x_longer[:, :101] = x[:, :101]
    with torch.no_grad():
        reference = network.sequence_logits(x, mask)
        assert torch.equal(network.sequence_logits(x_longer, mask_longer), reference)
        # Cut to its own length the last, incomplete group is projected on its own: the
        # same sums in another matrix product, equal up to rounding.
        torch.testing.assert_close(network.sequence_logits(x[:, :101], mask[:, :101]), reference,
                                   rtol=0, atol=1e-6)


def test_invalid_frames_inside_the_window_are_ignored() -> None:
    network = build()
    valid = valid_prefix(120, 281)
    valid[[0, 40, 41, 42, 77]] = False
    x, mask = window(valid, seed=1)
    x_garbage, _ = window(valid, seed=1, padding=-5.0)
    with torch.no_grad():
        assert torch.equal(network.sequence_logits(x_garbage, mask), network.sequence_logits(x, mask))


def test_a_window_scores_the_same_alone_and_in_a_mixed_batch() -> None:
    network = build()
    x, mask = window(valid_prefix(90, 281), seed=2)
    holes = valid_prefix(281, 281)
    holes[100:110] = False
    others = [window(valid_prefix(281, 281), seed=3), window(valid_prefix(7, 281), seed=4), window(holes, seed=5)]
    batch_x = torch.cat([x] + [o[0] for o in others])
    batch_mask = torch.cat([mask] + [o[1] for o in others])
    with torch.no_grad():
        alone = [network.sequence_logits(bx[None], bm[None])[0] for bx, bm in zip(batch_x, batch_mask)]
        together = network.sequence_logits(batch_x, batch_mask)
    torch.testing.assert_close(together, torch.stack(alone), rtol=0, atol=1e-5)


def test_an_empty_window_reads_as_one_zero_frame() -> None:
    network = build()
    x, mask = window(valid_prefix(0, 50), seed=6, padding=3.0)
    one_zero_frame = (torch.zeros(1, 1, 75), torch.ones(1, 1, dtype=torch.bool))
    with torch.no_grad():
        logits = network.sequence_logits(x, mask)
        assert torch.isfinite(logits).all()
        assert torch.equal(logits, network.sequence_logits(*one_zero_frame))


def numpy_masked_velocity(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Differences of valid neighbours; with F = 75 also of points present (confidence > 0) in both."""
    velocity = np.zeros_like(x)
    for b in range(x.shape[0]):
        for t in range(1, x.shape[1]):
            if mask[b, t] and mask[b, t - 1]:
                velocity[b, t] = x[b, t] - x[b, t - 1]
                if x.shape[2] == 75:
                    for point in range(25):
                        if x[b, t, 3 * point + 2] == 0 or x[b, t - 1, 3 * point + 2] == 0:
                            velocity[b, t, 3 * point:3 * point + 3] = 0
    return velocity


@pytest.mark.parametrize("n_features", [4, 50, 75])
def test_masked_velocity_matches_numpy(n_features: int) -> None:
    rng = np.random.default_rng(7)
    x = rng.random((3, 9, n_features), dtype=np.float32)
    x[rng.random(x.shape) < 0.2] = 0.0  # missing points (confidence 0 where F = 75)
    mask = rng.random((3, 9)) < 0.7
    got = masked_velocity(torch.from_numpy(x), torch.from_numpy(mask)).numpy()
    expected = numpy_masked_velocity(x, mask)
    np.testing.assert_array_equal(got, expected)
    assert np.count_nonzero(expected) > 0.2 * expected.size


def test_training_loss_is_window_cross_entropy_with_label_smoothing() -> None:
    x = torch.cat([window(valid_prefix(30, 40), seed=8)[0], window(valid_prefix(40, 40), seed=9)[0]])
    mask = torch.cat([window(valid_prefix(30, 40))[1], window(valid_prefix(40, 40))[1]])
    labels = torch.tensor([4, 9])
    plain, smoothed = build(), build(label_smoothing=0.1)
    with torch.no_grad():
        logits = plain.sequence_logits(x, mask)
        assert plain.training_loss(x, mask, labels).item() == pytest.approx(F.cross_entropy(logits, labels).item())
        log_probs = torch.log_softmax(logits, dim=-1)
        expected = (0.9 * -log_probs[[0, 1], labels] - 0.1 * log_probs.mean(dim=-1)).mean()
        assert smoothed.training_loss(x, mask, labels).item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize(("field", "value"), [
    ("n_classes", 1), ("n_features", 0), ("lstm_units", 0), ("attention_heads", 3),
    ("attention_layers", -1), ("frames_per_step", 0), ("dropout", 1.0), ("label_smoothing", -0.1),
])
def test_bad_arguments_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        DefaultNetworkArgs(**{"n_classes": 10, "n_features": 75, field: value})


def test_takes_the_preprocessing_output_and_ignores_its_padded_length() -> None:
    """The contract with models.preprocess: its (B, M, 75) windows and masks, M = 281 or 300, same logits."""
    from skillstream.models.preprocess import PreprocessSettings, preprocess_batch

    rng = np.random.default_rng(10)
    windows = [rng.uniform(0, 500, (length, 25, 3)).astype(np.float32) for length in (40, 281)]
    windows[0][5:9, 4, :] = 0.0  # a wrist missing for a few frames
    network = build()
    logits = []
    for max_timesteps in (281, 300):
        features, masks = preprocess_batch(windows, PreprocessSettings(max_timesteps=max_timesteps, confidence=True))
        with torch.no_grad():
            logits.append(network.sequence_logits(torch.from_numpy(features), torch.from_numpy(masks)))
    torch.testing.assert_close(logits[0], logits[1], rtol=0, atol=1e-6)
