"""The paper's own network in Keras 3, built as the paper built it, run on the torch backend.

Chambers' model (`build_paper_model`): Input (T, F) -> LSTM(64,
return_sequences=True) -> Attention()([x, x]) -> Dropout(0.2) ->
Attention()([x, x]) -> Dropout(0.2) -> Dense(128, relu) -> Dense(C, softmax),
every layer per timestep: the output is (B, T, C), 39,050 trainable
parameters for T = 281, F = 50, C = 10. Compiled as the paper: Adam, sparse
categorical cross-entropy on the clip label repeated at every timestep
(`per_timestep_labels`); the clip answer is the mean over all T timesteps of
the per-timestep softmax (`clip_probabilities`), as the project's torch port
(`models.network.paper.PaperNetwork`) computes it.

`copy_torch_weights` puts a `PaperNetwork`'s weights into the Keras model,
which then computes the same function: the test of that is the proof that
the torch port is the paper's network.

Keras is an optional dependency (the `bench` extra) and is imported only
when these functions run (`load_keras`), on the torch backend
(KERAS_BACKEND=torch unless the environment says otherwise, which is then
refused).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np
import torch

from skillstream.models.network import PaperNetwork
from skillstream.models.network.paper import DENSE_UNITS, DROPOUT, LSTM_UNITS

INSTALL_HINT = "pip install -c constraints.txt -e '.[bench]'"
# Layer names, so that `copy_torch_weights` finds the layers that carry weights.
LSTM_LAYER, DENSE_LAYER, CLASSIFIER_LAYER = "lstm", "dense", "classifier"


def load_keras() -> ModuleType:
    """Import Keras 3 on the torch backend and return the module.

    Sets KERAS_BACKEND=torch unless the environment already sets it. Exits
    (SystemExit with a one-line reason) when Keras is not installed, is
    older than 3, or runs on another backend: this bench times Keras on
    torch, in the same process and thread pool as the torch models.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ModuleNotFoundError as error:
        if error.name != "keras":  # Keras is there but its configured backend is not
            raise SystemExit(f"bench keras: importing Keras failed ({error}) with "
                             f"KERAS_BACKEND={os.environ['KERAS_BACKEND']!r}; this bench needs "
                             f"KERAS_BACKEND=torch") from None
        raise SystemExit(f"bench keras: Keras is not installed; install the bench extra: {INSTALL_HINT}") from None
    if int(keras.__version__.split(".")[0]) < 3:
        raise SystemExit(f"bench keras: Keras {keras.__version__} found, Keras 3 needed: {INSTALL_HINT}")
    if keras.backend.backend() != "torch":
        raise SystemExit(f"bench keras: Keras runs on the {keras.backend.backend()!r} backend "
                         f"(KERAS_BACKEND={os.environ['KERAS_BACKEND']!r}); this bench needs KERAS_BACKEND=torch")
    return keras


def build_paper_model(n_classes: int, n_features: int, timesteps: int, learning_rate: float) -> Any:
    """The paper's Keras model for windows (timesteps, n_features), compiled
    (Adam at `learning_rate`, sparse categorical cross-entropy; train it on
    `per_timestep_labels`). Weights are Keras' own initialisation, drawn from
    Keras' global seed (`keras.utils.set_random_seed`)."""
    keras = load_keras()
    layers = keras.layers
    inputs = keras.Input((timesteps, n_features))  # (B, T, F)
    x = layers.LSTM(LSTM_UNITS, return_sequences=True, name=LSTM_LAYER)(inputs)  # (B, T, 64)
    x = layers.Dropout(DROPOUT)(layers.Attention()([x, x]))  # (B, T, 64)
    x = layers.Dropout(DROPOUT)(layers.Attention()([x, x]))  # (B, T, 64)
    x = layers.Dense(DENSE_UNITS, activation="relu", name=DENSE_LAYER)(x)  # (B, T, 128)
    outputs = layers.Dense(n_classes, activation="softmax", name=CLASSIFIER_LAYER)(x)  # (B, T, C)
    model = keras.Model(inputs, outputs, name="chambers_paper")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy")
    return model


def trainable_parameters(model: Any) -> int:
    """The number of trainable parameters of a Keras model."""
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def per_timestep_labels(labels: np.ndarray, timesteps: int) -> np.ndarray:
    """The paper's targets: each clip's label int (B,) repeated at every timestep, int64 (B, timesteps)."""
    return np.repeat(np.asarray(labels, np.int64)[:, None], timesteps, axis=1)  # (B, T)


def clip_probabilities(model: Any, x: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The clip answer (B, C) of windows `x` (B, T, F): the mean over all T
    timesteps of the model's per-timestep softmax, in inference mode (no
    dropout). A torch tensor (the backend's); run it under
    `torch.inference_mode()` unless gradients are wanted."""
    keras = load_keras()
    return keras.ops.mean(model(x, training=False), axis=1)  # (B, C)


def copy_torch_weights(network: PaperNetwork, model: Any) -> None:
    """Give the Keras model of `build_paper_model` the weights of `network`.

    The LSTM: torch keeps W_ih (4H, F) and W_hh (4H, H) with the gates in
    the order input, forget, cell (g), output, the order of Keras' kernel
    (F, 4H) and recurrent kernel (H, 4H): the transposes. torch adds two
    biases where Keras has one: Keras' bias is bias_ih + bias_hh (the port
    keeps bias_hh at zero). Dense layers: torch's weight (out, in)
    transposed is Keras' kernel (in, out). Raises ValueError when the
    shapes do not match (the model was built for other class or feature
    counts).
    """
    lstm = network.lstm

    def values(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().cpu().numpy()

    model.get_layer(LSTM_LAYER).set_weights([
        values(lstm.weight_ih_l0).T,  # (F, 4H)
        values(lstm.weight_hh_l0).T,  # (H, 4H)
        values(lstm.bias_ih_l0 + lstm.bias_hh_l0),  # (4H,)
    ])
    for name, linear in ((DENSE_LAYER, network.dense), (CLASSIFIER_LAYER, network.classifier)):
        model.get_layer(name).set_weights([values(linear.weight).T, values(linear.bias)])  # (in, out), (out,)
