"""Building networks by name from plain-dict arguments, as checkpoints do."""

from __future__ import annotations

import pytest
import torch

from skillstream.models.network import (
    ARCHITECTURES, DefaultNetwork, PaperNetwork, PaperNetworkArgs, build_network)


def test_known_architectures() -> None:
    assert ARCHITECTURES == {"paper": PaperNetwork, "default": DefaultNetwork}


@pytest.mark.parametrize(("arch", "network_args"), [
    ("paper", {"n_classes": 11, "n_features": 50}),
    ("default", {"n_classes": 5, "n_features": 75, "lstm_units": 32, "attention_layers": 2, "frames_per_step": 1}),
])
def test_a_checkpoint_rebuilds_the_same_network(arch: str, network_args: dict[str, object]) -> None:
    torch.manual_seed(0)
    network = build_network(arch, network_args).eval()
    checkpoint = {"arch": network.arch, "network_args": network.network_args, "state": network.state_dict()}
    assert network_args.items() <= checkpoint["network_args"].items()
    assert (network.n_classes, network.n_features) == (network_args["n_classes"], network_args["n_features"])

    torch.manual_seed(1)
    rebuilt = build_network(checkpoint["arch"], checkpoint["network_args"]).eval()
    rebuilt.load_state_dict(checkpoint["state"])
    x = torch.rand(2, 40, network.n_features)
    mask = torch.arange(40)[None, :] < torch.tensor([[40], [25]])
    with torch.no_grad():
        assert torch.equal(rebuilt.sequence_logits(x, mask), network.sequence_logits(x, mask))


def test_network_args_are_plain_values() -> None:
    args = build_network("default", {"n_classes": 3, "n_features": 50}).network_args
    assert all(isinstance(value, (int, float)) for value in args.values())
    assert args["n_classes"] == 3 and args["frames_per_step"] == 2


@pytest.mark.parametrize(("arch", "network_args", "message"), [
    ("lstm", {"n_classes": 2, "n_features": 50}, r"^arch: unknown architecture 'lstm'; known: default, paper$"),
    ("paper", {"n_classes": 2, "n_features": 50, "lstm_units": 32}, r"^network_args for 'paper': unknown lstm_units$"),
    ("default", {"n_features": 50}, r"^network_args for 'default': missing n_classes$"),
    ("default", {"n_classes": 2, "n_features": 50, "dropout": 2.0}, r"^network_args for 'default': dropout: "),
])
def test_bad_names_and_arguments_are_reported(arch: str, network_args: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_network(arch, network_args)


def test_a_network_takes_its_own_args_type() -> None:
    with pytest.raises(TypeError, match="DefaultNetwork takes a DefaultNetworkArgs, got PaperNetworkArgs"):
        DefaultNetwork(PaperNetworkArgs(n_classes=2, n_features=50))  # type: ignore[arg-type]
