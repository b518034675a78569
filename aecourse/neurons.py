"""Section 7.1 in code: the linear model, one neuron, a dense layer, and a one-hidden-layer
network that fits what no straight line can (Exercise 7.1's |x|).

NumPy arrays in give NumPy arrays out; TensorFlow tensors in give tensors out.
"""

from __future__ import annotations

import math

import numpy as np

from aecourse import activations
from aecourse._tf import keras, tf

__all__ = ["linear", "neuron", "dense_layer", "abs_via_relu", "fit_linear", "OneHiddenLayerNet"]


def _is_tensor(*xs):
    return any(isinstance(x, tf.Tensor | tf.Variable) for x in xs)


def _float(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def linear(x, w, b):
    """f(x) = w * x + b for scalars w, b and x of any shape (Figure 7.1)."""
    if _is_tensor(x, w, b):
        return w * x + b
    return _float(w) * _float(x) + _float(b)


def neuron(x, w, b, activation=None):
    """act(x @ w + b): x (n,) or (batch, n), w (n,), b a scalar (Figures 7.3-7.5)."""
    act = activations.get(activation)
    if _is_tensor(x, w, b):
        x = tf.convert_to_tensor(x)
        return act(tf.linalg.matvec(x, w) + b if x.shape.rank == 2 else tf.tensordot(x, w, 1) + b)
    x, w = _float(x), _float(w)
    if w.ndim != 1 or x.ndim not in (1, 2) or x.shape[-1] != w.shape[0]:
        raise ValueError(
            f"neuron needs x of shape (n,) or (batch, n) and w of shape (n,), got x {x.shape} "
            f"and w {w.shape}: give w one weight per input"
        )
    if np.ndim(b) != 0:
        raise ValueError(f"neuron's bias b must be one number, got shape {np.shape(b)}")
    return act(x @ w + _float(b))


def dense_layer(x, W, b, activation="relu"):
    """act(x @ W + b): x (batch, n_in), W (n_in, n_out), b (n_out,) -> (batch, n_out) (Fig. 7.6)."""
    act = activations.get(activation)
    if _is_tensor(x, W, b):
        return act(tf.matmul(x, W) + b)
    x, W, b = _float(x), _float(W), _float(b)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError(
            f"dense_layer needs x (batch, n_in), W (n_in, n_out), b (n_out,), got "
            f"{x.shape}, {W.shape}, {b.shape}: check that x's columns match W's rows"
        )
    return act(x @ W + b)


def abs_via_relu(x):
    """|x| written as relu(x) + relu(-x): two linear pieces stitched at zero (Exercise 7.1)."""
    return activations.relu(x) + activations.relu(-x)


def fit_linear(x, y):
    """Least-squares line through (x, y): return (w, b) as floats."""
    x, y = _float(x).ravel(), _float(y).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"fit_linear needs x and y of equal length >= 2, got {x.size}, {y.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("fit_linear: x and y must not contain NaN or inf")
    if np.ptp(x) == 0:
        raise ValueError("fit_linear: all x are equal, so the slope is undefined")
    w, b = np.polyfit(x, y, 1)
    return float(w), float(b)


class OneHiddenLayerNet:
    """y = W2 act(W1 x + b1) + b2 with one input and one output, trained with Adam on MSE.

    Args:
        hidden_dim: hidden units; activation: "relu", "tanh", "sigmoid" or "linear".
        epochs: full-batch training steps; learning_rate: Adam's step size; seed: initial weights.
    """

    def __init__(self, hidden_dim=8, activation="relu", epochs=500, learning_rate=0.05, seed=0):
        for name, value in [("hidden_dim", hidden_dim), ("epochs", epochs)]:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(learning_rate, int | float) and learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        activations.get(activation)  # fail now on an unknown name
        self.hidden_dim, self.activation = hidden_dim, activation
        self.epochs, self.learning_rate, self.seed = epochs, float(learning_rate), seed
        self.loss_history_ = []

    def _net(self, x):
        h = activations.get(self.activation)(x @ self._w1 + self._b1)
        return h @ self._w2 + self._b2

    def fit(self, x, y):
        """Train on x (n,) or (n, 1) and targets y (n,); return self."""
        x, y = self._column(x), self._column(y, "y")
        if len(x) != len(y):
            raise ValueError(f"x and y need the same length, got {len(x)} and {len(y)}")
        rng = np.random.default_rng(self.seed)
        h = self.hidden_dim
        # Spread the first layer's kinks over the input range so each unit starts useful.
        self._w1 = tf.Variable(rng.choice([-1.0, 1.0], (1, h)).astype(np.float32))
        self._b1 = tf.Variable(rng.uniform(-1, 1, h).astype(np.float32))
        self._w2 = tf.Variable(rng.normal(0, math.sqrt(1 / h), (h, 1)).astype(np.float32))
        self._b2 = tf.Variable(np.zeros(1, np.float32))
        params = [self._w1, self._b1, self._w2, self._b2]
        optimizer = keras.optimizers.Adam(self.learning_rate)
        optimizer.build(params)  # create its slots now, outside the compiled loop

        @tf.function
        def run(x, y):
            losses = tf.TensorArray(tf.float32, size=self.epochs)
            for i in tf.range(self.epochs):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(tf.square(self._net(x) - y))
                optimizer.apply_gradients(zip(tape.gradient(loss, params), params, strict=True))
                losses = losses.write(i, loss)
            return losses.stack()

        self.loss_history_ = run(tf.constant(x), tf.constant(y)).numpy().tolist()
        return self

    def predict(self, x):
        """Network output for x (n,) or (n, 1), shape (n,)."""
        if not hasattr(self, "_w1"):
            raise RuntimeError("this network is not trained yet: call fit(x, y) first")
        return self._net(tf.constant(self._column(x))).numpy().ravel()

    @staticmethod
    def _column(v, what="x"):
        v = _float(v).astype(np.float32)
        if v.ndim == 2 and v.shape[1] == 1:
            v = v[:, 0]
        if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
            raise ValueError(
                f"{what} must be a non-empty 1-D array of finite numbers, got {v.shape}"
            )
        return v[:, None]
