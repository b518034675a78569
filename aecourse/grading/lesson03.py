"""Exercises of lesson 03 (the autoencoder, section 7.2, Listings 7.1-7.6, Exercise 7.2).

Keys are the grade_ids of the test cells in ``solutions/03_autoencoder/autoencoder.ipynb``.
The trained-model exercise, judged by a tolerance against PCA rather than by equality with
the reference, lives in :mod:`aecourse.grading.lesson03_training`.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_iris

from aecourse import autoencoder, neurons
from aecourse.grading.core import Exercise, register
from aecourse.grading.lesson03_training import (
    TRAIN_AUTOENCODER,
    pca_reconstruct,
    train_autoencoder,
)

__all__ = [
    "EXERCISES",
    "TYPICAL_MISTAKES",
    "decode_layer",
    "encode_layer",
    "pca_reconstruct",
    "train_autoencoder",
]


def _f(x):
    return np.asarray(x, dtype=float)


def _layer_cases(rng, shrink):
    """(x, W, b) with x (batch, n_in), W (n_in, n_out), b (n_out,)."""
    fixed = [
        (  # square W: a transposed W has the right shape but the wrong values
            np.array([[1.0, -2.0], [0.5, 0.25], [-1.5, 1.0]]),
            np.array([[0.6, -0.4], [0.2, 0.9]]),
            np.array([0.1, -0.3]),
        ),
        (  # (2, 4) @ (4, 1) + (1,) -> (2, 1): iris-sized, one code unit
            np.array([[5.1, 3.5, 1.4, 0.2], [-1.0, 0.5, 2.0, -0.3]]),
            np.array([[0.3], [-0.2], [0.1], [0.4]]),
            np.array([-0.5]),
        ),
    ]
    random = []
    for _ in range(3):
        n_small = int(rng.integers(1, 4))
        n_big = n_small + int(rng.integers(0, 4))
        n_in, n_out = (n_big, n_small) if shrink else (n_small, n_big)
        batch = int(rng.integers(1, 6))
        random.append(
            (rng.normal(size=(batch, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out))
        )
    return fixed + random


# --- 03-encode-layer / 03-decode-layer (Listing 7.3's two layers) ---------------------------


def encode_layer(x, W, b):
    """The encoder: tanh(x @ W + b), via ``aecourse.neurons.dense_layer``."""
    return neurons.dense_layer(x, W, b, activation="tanh")


def decode_layer(h, W, b):
    """The decoder: h @ W + b (linear), via ``aecourse.neurons.dense_layer``."""
    return neurons.dense_layer(h, W, b, activation=None)


ENCODE_LAYER = register(
    Exercise(
        grade_id="03-encode-layer",
        function_name="encode_layer",
        cases=lambda rng: _layer_cases(rng, shrink=True),
        reference=encode_layer,
        n_fixed=2,
        forbidden=("aecourse.neurons.dense_layer", "aecourse.autoencoder.Autoencoder"),
        mistakes={
            "sigmoid instead of tanh": lambda x, W, b: 1.0 / (1.0 + np.exp(-(_f(x) @ W + b))),
            "a linear encoder (the tanh is missing)": lambda x, W, b: _f(x) @ W + b,
            "a missing bias": lambda x, W, b: np.tanh(_f(x) @ W),
            "W transposed (x @ W.T)": lambda x, W, b: np.tanh(_f(x) @ W.T + b),
        },
        description="tanh(x @ W + b): (batch, input_dim) -> (batch, hidden_dim)",
    )
)

DECODE_LAYER = register(
    Exercise(
        grade_id="03-decode-layer",
        function_name="decode_layer",
        cases=lambda rng: _layer_cases(rng, shrink=False),
        reference=decode_layer,
        n_fixed=2,
        forbidden=("aecourse.neurons.dense_layer", "aecourse.autoencoder.Autoencoder"),
        mistakes={
            "a nonlinearity on the decoder (tanh)": lambda h, W, b: np.tanh(_f(h) @ W + b),
            "a missing bias": lambda h, W, b: _f(h) @ W,
            "W transposed (h @ W.T)": lambda h, W, b: _f(h) @ W.T + b,
            "a ReLU on the decoder": lambda h, W, b: np.maximum(_f(h) @ W + b, 0.0),
        },
        description="h @ W + b, no activation: (batch, hidden_dim) -> (batch, input_dim)",
    )
)


# --- 03-rmse: the reconstruction loss (Exercise 7.2, Listing 7.3) ----------------------------


def _rmse_cases(rng):
    fixed = [
        (np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 5.0])),  # sqrt(5 / 3)
        (
            np.array([[8.0, 4.0, 6.0, 2.0], [5.0, 3.0, 1.5, 0.2]]),
            np.array([[6.88, 2.80, 6.25, 2.23], [5.1, 3.5, 1.4, 0.2]]),
        ),
    ]
    random = []
    for _ in range(3):
        shape = (int(rng.integers(2, 7)), int(rng.integers(2, 5)))
        random.append((rng.normal(size=shape), rng.normal(size=shape)))
    return fixed + random


def _per_row_rmse(x, y):
    return float(np.mean(np.sqrt(np.mean((_f(x) - _f(y)) ** 2, axis=-1))))


RMSE = register(
    Exercise(
        grade_id="03-rmse",
        function_name="rmse",
        cases=_rmse_cases,
        reference=autoencoder.rmse,
        n_fixed=2,
        mistakes={
            "MSE instead of RMSE (the square root is missing)": (
                lambda x, y: float(np.mean((_f(x) - _f(y)) ** 2))
            ),
            "the root of the sum instead of the mean": (
                lambda x, y: float(np.sqrt(np.sum((_f(x) - _f(y)) ** 2)))
            ),
            "the mean absolute error": lambda x, y: float(np.mean(np.abs(_f(x) - _f(y)))),
            "the mean of per-row RMSEs (one overall mean is wanted)": _per_row_rmse,
            "the mean difference squared, sqrt(mean(x - y) ** 2)": (
                lambda x, y: float(np.sqrt(np.mean(_f(x) - _f(y)) ** 2))
            ),
        },
        description="sqrt(mean((x - y) ** 2)) over every entry: one number",
    )
)


# --- 03-pca-reconstruct: the linear baseline ---------------------------------------------------
# pca_reconstruct itself lives in lesson03_training: the training judge measures against it.


def _pca_cases(rng):
    fixed = [
        (np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.2], [0.0, -1.2], [4.0, 1.0]]) + 3.0, 1),
        (load_iris().data, 1),  # Listing 7.6's data and code size
    ]
    random = []
    for _ in range(3):
        d = int(rng.integers(2, 6))
        n = int(rng.integers(d + 3, 40))
        # Column scales halve one by one: well separated components, a unique answer.
        X = rng.normal(size=(n, d)) * 2.0 ** -np.arange(d) + rng.uniform(-5, 5, size=d)
        random.append((X, int(rng.integers(1, d))))
    return fixed + random


def _pca_uncentred(X, k):
    X = _f(X)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    return X @ vt[:k].T @ vt[:k]


def _pca_mean_dropped(X, k):
    X = _f(X)
    return pca_reconstruct(X, k) - X.mean(axis=0)


def _pca_last_components(X, k):
    X = _f(X)
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    return (X - mean) @ vt[-k:].T @ vt[-k:] + mean


PCA_RECONSTRUCT = register(
    Exercise(
        grade_id="03-pca-reconstruct",
        function_name="pca_reconstruct",
        cases=_pca_cases,
        reference=pca_reconstruct,
        n_fixed=2,
        rtol=1e-6,
        atol=1e-8,
        forbidden=("aecourse.grading.lesson03.pca_reconstruct", "sklearn.decomposition.PCA"),
        mistakes={
            "no centring (the SVD of the raw data instead of data minus its mean)": _pca_uncentred,
            "the mean not added back after projecting": _pca_mean_dropped,
            "the last k components instead of the first k": _pca_last_components,
        },
        description="k-component PCA reconstruction (n, d) -> (n, d)",
    )
)


EXERCISES = {
    ex.grade_id: ex for ex in (ENCODE_LAYER, DECODE_LAYER, RMSE, PCA_RECONSTRUCT, TRAIN_AUTOENCODER)
}

TYPICAL_MISTAKES: dict[str, dict[str, str]] = {
    "tanh-on-decoder": {
        "03-decode-layer-solution": (
            "def decode_layer(h, W, b):\n"
            "    # a nonlinearity on the decoder: outputs stuck in (-1, 1)\n"
            "    return tf.tanh(tf.matmul(h, W) + b)\n"
        ),
    },
    "mse-and-uncentred-pca": {
        "03-rmse-solution": (
            "def rmse(x, y):\n"
            "    # the square root is missing\n"
            "    d = tf.cast(x, tf.float64) - tf.cast(y, tf.float64)\n"
            "    return tf.reduce_mean(tf.square(d))\n"
        ),
        "03-pca-reconstruct-solution": (
            "def pca_reconstruct(X, k):\n"
            "    # no centring\n"
            "    X = np.asarray(X, dtype=float)\n"
            "    _, _, vt = np.linalg.svd(X, full_matrices=False)\n"
            "    return X @ vt[:k].T @ vt[:k]\n"
        ),
    },
    "returns-the-input": {
        "03-train-autoencoder-solution": (
            "def train_autoencoder(data, hidden_dim, epochs, seed):\n"
            "    # no training at all: the input handed back\n"
            "    return np.asarray(data, dtype=float)\n"
        ),
    },
    "tanh-decoder-in-training": {
        "03-train-autoencoder-solution": (
            "def train_autoencoder(data, hidden_dim, epochs, seed):\n"
            "    # right layers, but the training loop squashes the decoder's output with tanh\n"
            "    x = np.asarray(data, dtype=np.float32)\n"
            "    mean, scale = x.mean(axis=0), float(x.std())\n"
            "    xn = tf.constant((x - mean) / scale)\n"
            "    rng = np.random.default_rng(seed)\n"
            "    limit = np.sqrt(6.0 / (x.shape[1] + hidden_dim))\n"
            "    shapes = [(x.shape[1], hidden_dim), (hidden_dim,), (hidden_dim, x.shape[1]),\n"
            "              (x.shape[1],)]\n"
            "    variables = [tf.Variable(rng.uniform(-limit, limit, s).astype(np.float32))\n"
            "                 for s in shapes]\n"
            "    W1, b1, W2, b2 = variables\n"
            "    optimizer = tf.keras.optimizers.RMSprop(0.01)\n"
            "\n"
            "    def reconstruct():\n"
            "        return tf.tanh(tf.matmul(tf.tanh(tf.matmul(xn, W1) + b1), W2) + b2)\n"
            "\n"
            "    @tf.function\n"
            "    def step():\n"
            "        with tf.GradientTape() as tape:\n"
            "            loss = tf.sqrt(tf.reduce_mean(tf.square(xn - reconstruct())))\n"
            "        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))\n"
            "\n"
            "    for _ in range(epochs):\n"
            "        step()\n"
            "    return reconstruct().numpy() * scale + mean\n"
        ),
    },
}
