"""The paper's Keras model: its size, and that the project's torch port computes the same function."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from skillstream.models.network import PaperNetwork, PaperNetworkArgs, count_parameters
from skillstream.stream.bench import keras_paper

T, F, C = 281, 50, 10


def random_network(n_classes: int = C) -> PaperNetwork:
    """A PaperNetwork with every weight random, bias_hh included (the
    transfer must add it to Keras' one bias even though the port keeps it 0)."""
    torch.manual_seed(3)
    network = PaperNetwork(PaperNetworkArgs(n_classes=n_classes, n_features=F)).eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.normal_(0.0, 0.3)
    return network


def random_windows(batch: int) -> torch.Tensor:
    """Features in [0, 1] like min-max normalised ones, float32 (batch, T, F)."""
    return torch.from_numpy(np.random.default_rng(4).uniform(0.0, 1.0, (batch, T, F)).astype(np.float32))


def test_the_papers_parameter_count_and_output_shape() -> None:
    model = keras_paper.build_paper_model(C, F, T, 1e-3)
    assert keras_paper.trainable_parameters(model) == 39_050
    assert keras_paper.trainable_parameters(model) == count_parameters(random_network())
    assert tuple(model.output.shape) == (None, T, C)
    assert [layer.__class__.__name__ for layer in model.layers] == [
        "InputLayer", "LSTM", "Attention", "Dropout", "Attention", "Dropout", "Dense", "Dense"]
    assert model.loss == "sparse_categorical_crossentropy"
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


def test_the_keras_model_with_the_ports_weights_computes_the_ports_function() -> None:
    network = random_network()
    model = keras_paper.build_paper_model(C, F, T, 1e-3)
    keras_paper.copy_torch_weights(network, model)
    x = random_windows(3)
    mask = torch.ones(x.shape[:2], dtype=torch.bool)
    with torch.inference_mode():
        expected = torch.softmax(network(x, mask), dim=-1).numpy()  # (B, T, C)
        per_timestep = model(x, training=False).numpy()  # (B, T, C)
        clip = keras_paper.clip_probabilities(model, x).numpy()  # (B, C)
        expected_clip = network.sequence_probabilities(x, mask).numpy()  # (B, C)
    assert per_timestep.shape == (3, T, C)
    np.testing.assert_allclose(per_timestep, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(clip, expected_clip, rtol=0, atol=1e-5)
    assert not np.allclose(expected[0], expected[1], atol=1e-3)  # the windows give different answers


def test_a_wrong_gate_order_is_caught() -> None:
    # Keras' gates in torch's order, but with the cell and output gates swapped:
    # the comparison above must see it.
    network = random_network()
    model = keras_paper.build_paper_model(C, F, T, 1e-3)
    keras_paper.copy_torch_weights(network, model)
    layer = model.get_layer(keras_paper.LSTM_LAYER)
    swapped = [np.concatenate(np.split(w, 4, axis=-1)[:2] + np.split(w, 4, axis=-1)[:1:-1], axis=-1)
               for w in layer.get_weights()]
    layer.set_weights(swapped)
    x = random_windows(2)
    with torch.inference_mode():
        expected = torch.softmax(network(x, torch.ones(x.shape[:2], dtype=torch.bool)), dim=-1).numpy()
        wrong = model(x, training=False).numpy()
    assert np.abs(wrong - expected).max() > 1e-2


def test_weights_of_another_shape_are_refused() -> None:
    model = keras_paper.build_paper_model(C, F, T, 1e-3)
    with pytest.raises(ValueError):
        keras_paper.copy_torch_weights(random_network(n_classes=11), model)


def test_per_timestep_labels() -> None:
    assert keras_paper.per_timestep_labels(np.array([2, 0]), 3).tolist() == [[2, 2, 2], [0, 0, 0]]
    assert keras_paper.per_timestep_labels(np.array([2, 0]), 3).dtype == np.int64


def test_missing_keras_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)  # `import keras` now fails as if it were not installed
    with pytest.raises(SystemExit, match=r"pip install -c constraints.txt -e '\.\[bench\]'"):
        keras_paper.load_keras()
