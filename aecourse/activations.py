"""Activation functions of Figure 7.2 (sigmoid, tanh, ReLU), their derivatives, and choosing
one by cross-validation (the chapter's advice).

Every function takes NumPy arrays (or array-likes) and returns NumPy arrays, and takes
TensorFlow tensors and returns tensors, so the same code serves the lessons and the models.
"""

from __future__ import annotations

import warnings

import numpy as np

from aecourse._tf import tf

__all__ = [
    "sigmoid",
    "tanh",
    "relu",
    "sigmoid_grad",
    "tanh_grad",
    "relu_grad",
    "ACTIVATIONS",
    "GRADIENTS",
    "get",
    "figure_7_2_data",
    "cross_validate_activations",
]


def _is_tensor(x):
    return isinstance(x, tf.Tensor | tf.Variable)


def _array(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    if _is_tensor(x):
        return tf.math.sigmoid(x)
    x = _array(x)
    # exp of a large positive number overflows; use the equivalent form on each side of 0.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x):
    """Hyperbolic tangent, (e^x - e^-x) / (e^x + e^-x)."""
    return tf.math.tanh(x) if _is_tensor(x) else np.tanh(_array(x))


def relu(x):
    """max(0, x)."""
    return tf.nn.relu(x) if _is_tensor(x) else np.maximum(_array(x), 0.0)


def sigmoid_grad(x):
    """d sigmoid / dx = sigmoid(x) * (1 - sigmoid(x))."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    """d tanh / dx = 1 - tanh(x)**2."""
    t = tanh(x)
    return 1 - t * t


def relu_grad(x):
    """d relu / dx: 1 where x > 0, else 0 (the value 0 at x = 0 is the usual convention)."""
    if _is_tensor(x):
        return tf.cast(x > 0, x.dtype)
    x = _array(x)
    return (x > 0).astype(x.dtype)


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}
GRADIENTS = {"sigmoid": sigmoid_grad, "tanh": tanh_grad, "relu": relu_grad}


def get(name):
    """The activation called ``name`` ("sigmoid", "tanh", "relu"; "linear"/None: identity)."""
    if callable(name):
        return name
    if name is None or name == "linear":
        return lambda x: x
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}: choose one of {sorted(ACTIVATIONS)}, 'linear' or None"
        ) from None


def figure_7_2_data(x=None):
    """Curves of Figure 7.2: dict with "x" and each activation evaluated on it.

    x defaults to 201 points evenly spaced on [-5, 5].
    """
    x = np.linspace(-5.0, 5.0, 201) if x is None else np.asarray(x, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("figure_7_2_data needs finite x values (at least one)")
    return {"x": x, **{name: fn(x) for name, fn in ACTIVATIONS.items()}}


def cross_validate_activations(
    X, y, activations=("logistic", "tanh", "relu"), cv=5, seed=0, hidden_layer_sizes=(16,)
):
    """Mean cross-validated accuracy of a small MLPClassifier for each activation.

    Uses scikit-learn's names ("logistic" is the sigmoid). L-BFGS with a short max_iter
    keeps it to seconds on small data; its convergence warnings are expected and silenced.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    allowed = ("identity", "logistic", "tanh", "relu")
    bad = [a for a in activations if a not in allowed]
    if bad or not activations:
        raise ValueError(f"activations must be a non-empty list drawn from {allowed}, got {bad}")
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be (n, features) and y (n,), got {X.shape} and {y.shape}")
    results = {}
    for name in activations:
        model = make_pipeline(
            StandardScaler(),
            MLPClassifier(
                hidden_layer_sizes=hidden_layer_sizes,
                activation=name,
                solver="lbfgs",
                max_iter=300,
                random_state=seed,
            ),
        )
        with warnings.catch_warnings():
            # A short max_iter keeps lessons fast; the unconverged warning would be noise.
            warnings.simplefilter("ignore", ConvergenceWarning)
            results[name] = float(np.mean(cross_val_score(model, X, y, cv=cv)))
    return results
