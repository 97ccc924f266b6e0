"""The interface both architectures share: input checks, learning a toy problem, determinism, speed."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from skillstream.models.network import ARCHITECTURES, SkillNetwork, build_network, count_parameters


def toy_problem(n_features: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """32 windows of 24 frames, 10-24 valid, class = sign of feature 0 on the valid frames, noise elsewhere."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(32) % 2
    lengths = torch.randint(10, 25, (32,), generator=generator)
    mask = torch.arange(24)[None, :] < lengths[:, None]  # (32, 24)
    x = 0.5 + 0.2 * torch.randn(32, 24, n_features, generator=generator)  # (32, 24, F)
    x[..., 0] = torch.where(labels[:, None] == 1, 0.3, -0.3) + 0.1 * torch.randn(32, 24, generator=generator)
    return x * mask[..., None], mask, labels


def train(network: SkillNetwork, x: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor, steps: int) -> list[float]:
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
    network.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = network.training_loss(x, mask, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_learns_a_separable_toy_problem(arch: str) -> None:
    torch.manual_seed(0)
    network = build_network(arch, {"n_classes": 2, "n_features": 6})
    x, mask, labels = toy_problem(6)
    with torch.no_grad():
        assert (network.eval().sequence_logits(x, mask).argmax(dim=1) == labels).float().mean() < 1.0
    losses = train(network, x, mask, labels, steps=40)
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        probabilities = network.eval().sequence_probabilities(x, mask)
    assert probabilities.shape == (32, 2)
    assert torch.equal(probabilities.argmax(dim=1), labels)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_training_is_deterministic_for_a_seed(arch: str) -> None:
    def run(seed: int) -> tuple[list[float], dict[str, torch.Tensor]]:
        torch.manual_seed(seed)
        network = build_network(arch, {"n_classes": 3, "n_features": 6})
        x, mask, labels = toy_problem(6)
        return train(network, x, mask, labels, steps=3), network.state_dict()

    losses, state = run(0)
    again_losses, again_state = run(0)
    other_losses, _ = run(1)
    assert losses == again_losses
    assert all(torch.equal(state[name], again_state[name]) for name in state)
    assert losses != other_losses


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_bad_inputs_name_the_argument(arch: str) -> None:
    network = build_network(arch, {"n_classes": 4, "n_features": 50})
    x = torch.zeros(2, 281, 50)
    mask = torch.ones(2, 281, dtype=torch.bool)
    with pytest.raises(ValueError, match=r"^x: .*\(B, T, 50\).*\(2, 281, 75\)"):
        network.sequence_logits(torch.zeros(2, 281, 75), mask)
    with pytest.raises(ValueError, match=r"^x: "):
        network.sequence_logits(torch.zeros(2, 281, 50, dtype=torch.int64), mask)
    with pytest.raises(ValueError, match=r"^mask: .*torch.float32"):
        network.sequence_logits(x, mask.float())
    with pytest.raises(ValueError, match=r"^mask: .*\(2, 281\).*\(2, 280\)"):
        network.sequence_logits(x, mask[:, :280])
    with pytest.raises(ValueError, match=r"^labels: .*\(2,\).*\(3,\)"):
        network.training_loss(x, mask, torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"^labels: .*torch.int32"):
        network.training_loss(x, mask, torch.zeros(2, dtype=torch.int32))


def test_count_parameters_counts_only_trainable_ones() -> None:
    layer = nn.Linear(3, 2)  # 6 weights + 2 biases
    layer.bias.requires_grad_(False)
    assert count_parameters(layer) == 6


def best_seconds(function: object, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_latency_smoke(arch: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Prints CPU latency of one full 281-frame window and throughput at batch 64 (best of N, 2 threads)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        network = build_network(arch, {"n_classes": 10, "n_features": 50}).eval()
        one = (torch.rand(1, 281, 50), torch.ones(1, 281, dtype=torch.bool))
        batch = (torch.rand(64, 281, 50), torch.ones(64, 281, dtype=torch.bool))
        with torch.inference_mode():
            network.sequence_logits(*batch)
            one_seconds = best_seconds(lambda: network.sequence_logits(*one), repeats=30)
            batch_seconds = best_seconds(lambda: network.sequence_logits(*batch), repeats=5)
    finally:
        torch.set_num_threads(threads)
    with capsys.disabled():
        print(f"\n[{arch}] one window (1, 281, 50): {one_seconds * 1e3:.2f} ms; "
              f"batch 64: {batch_seconds * 1e3:.1f} ms = {64 / batch_seconds:.0f} windows/s")
