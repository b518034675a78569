"""Exercises of lesson 01 (neurons, section 7.1): the cases, references and likely mistakes.

Each :class:`Exercise` is keyed by the grade_id of the notebook's test cell
(``solutions/01_neurons/neurons.ipynb``). The references are the ``aecourse.neurons``
functions; a student's answer must not call them.
"""

from __future__ import annotations

import numpy as np

from aecourse import neurons
from aecourse.grading.core import Exercise, register

__all__ = ["EXERCISES", "TYPICAL_MISTAKES"]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def _relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


# --- 01-linear: f(x) = w * x + b (Figure 7.1) -------------------------------------------


def _linear_cases(rng):
    fixed = [
        (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), 3.0, 0.5),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), -0.5, 2.0),  # any shape of x works
        (np.array([0.0, 1.0, 10.0]), 1.5, -4.0),
    ]
    random = [
        (rng.normal(size=int(rng.integers(1, 8))), float(rng.normal()), float(rng.normal()))
        for _ in range(3)
    ]
    return fixed + random


LINEAR = register(
    Exercise(
        grade_id="01-linear",
        function_name="linear",
        cases=_linear_cases,
        reference=neurons.linear,
        n_fixed=3,
        mistakes={
            "a missing bias (w * x)": lambda x, w, b: w * np.asarray(x, dtype=float),
            "w and b swapped (b * x + w)": lambda x, w, b: b * np.asarray(x, dtype=float) + w,
            "the bias multiplied instead of added (w * x * b)": (
                lambda x, w, b: w * np.asarray(x, dtype=float) * b
            ),
        },
        description="f(x) = w * x + b, elementwise",
    )
)


# --- 01-neuron: sig(w^T x + b) with n inputs (Figures 7.3-7.5) -----------------------------


def neuron_sigmoid(x, w, b):
    """The lesson's neuron: ``aecourse.neurons.neuron`` with a sigmoid activation."""
    return neurons.neuron(x, w, b, activation="sigmoid")


def _neuron_cases(rng):
    fixed = [
        (np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.1),  # Figure 7.4: two inputs
        (np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]), np.array([0.2, -0.1, 0.3]), -0.5),
        (np.array([0.5, -1.5, 2.0, 0.0]), np.array([1.0, 1.0, -0.5, 2.0]), 0.0),
    ]
    random = []
    for _ in range(3):
        n = int(rng.integers(2, 7))
        shape = (n,) if rng.random() < 0.4 else (int(rng.integers(2, 6)), n)
        random.append((rng.normal(size=shape), rng.normal(size=n), float(rng.normal())))
    return fixed + random


NEURON = register(
    Exercise(
        grade_id="01-neuron",
        function_name="neuron",
        cases=_neuron_cases,
        reference=neuron_sigmoid,
        n_fixed=3,
        forbidden=("aecourse.neurons.neuron",),
        mistakes={
            "a missing activation (w^T x + b without the sigmoid)": (
                lambda x, w, b: np.asarray(x, dtype=float) @ w + b
            ),
            "tanh instead of sigmoid": lambda x, w, b: np.tanh(np.asarray(x, dtype=float) @ w + b),
            "a missing bias": lambda x, w, b: _sigmoid(np.asarray(x, dtype=float) @ w),
            "the bias added after the sigmoid": (
                lambda x, w, b: _sigmoid(np.asarray(x, dtype=float) @ w) + b
            ),
        },
        description="sig(x @ w + b) for x of shape (n,) or (batch, n)",
    )
)


# --- 01-dense-layer: a hidden layer relu(x W + b) (Figure 7.6) -----------------------------


def dense_relu(x, W, b):
    """The lesson's hidden layer: ``aecourse.neurons.dense_layer`` with ReLU."""
    return neurons.dense_layer(x, W, b, activation="relu")


def _dense_cases(rng):
    fixed = [
        # square W: a transposed W has the right shape but the wrong values.
        (
            np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]]),
            np.array([[1.0, -2.0], [0.5, 1.0]]),
            np.array([0.5, 1.0]),
        ),
        # (batch=2, n_in=3) @ (3, 4) + (4,) -> (2, 4); some pre-activations are negative.
        (
            np.array([[1.0, -1.0, 2.0], [0.5, 0.0, -0.5]]),
            np.array([[0.2, -0.3, 0.5, 1.0], [0.1, 0.4, -0.2, 0.0], [-0.5, 0.3, 0.2, 0.1]]),
            np.array([0.1, -0.2, 0.0, 0.3]),
        ),
    ]
    random = []
    for _ in range(3):
        batch, n_in, n_out = (int(v) for v in rng.integers(1, 6, size=3))
        n_in = n_out if rng.random() < 0.5 else n_in  # square W now and then
        random.append(
            (rng.normal(size=(batch, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out))
        )
    return fixed + random


DENSE_LAYER = register(
    Exercise(
        grade_id="01-dense-layer",
        function_name="dense_layer",
        cases=_dense_cases,
        reference=dense_relu,
        n_fixed=2,
        forbidden=("aecourse.neurons.dense_layer",),
        mistakes={
            "a missing ReLU": lambda x, W, b: np.asarray(x, dtype=float) @ W + b,
            "a missing bias": lambda x, W, b: _relu(np.asarray(x, dtype=float) @ W),
            "W transposed (x @ W.T)": lambda x, W, b: _relu(np.asarray(x, dtype=float) @ W.T + b),
            "sigmoid instead of ReLU": lambda x, W, b: _sigmoid(np.asarray(x, dtype=float) @ W + b),
            "the bias added after the ReLU": (
                lambda x, W, b: _relu(np.asarray(x, dtype=float) @ W) + b
            ),
        },
        description="relu(x @ W + b): (batch, n_in) @ (n_in, n_out) + (n_out,)",
    )
)


# --- 01-fit-line: the best straight line through (x, y) (Exercise 7.1's linear model) ------


def _fit_line_cases(rng):
    x = np.linspace(-1.0, 1.0, 21)
    fixed = [
        (x, np.abs(x)),  # Exercise 7.1: the best line through |x| is flat
        (np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.0, 5.0, 7.0])),  # y = 2x + 1 exactly
        (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([2.0, 1.0, 4.0, 3.0, 6.0])),
    ]
    random = []
    for _ in range(3):
        n = int(rng.integers(5, 30))
        xs = rng.uniform(-3, 3, size=n)
        random.append((xs, float(rng.normal()) * xs + float(rng.normal()) + rng.normal(size=n)))
    return fixed + random


def _line_through_origin(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return np.array([x @ y / (x @ x), 0.0])


def _line_swapped(x, y):
    w, b = neurons.fit_linear(x, y)
    return np.array([b, w])


def fit_line_pair(x, y):
    """``aecourse.neurons.fit_linear`` as an array ``[w, b]``."""
    w, b = neurons.fit_linear(x, y)
    return np.array([float(w), float(b)])


FIT_LINE = register(
    Exercise(
        grade_id="01-fit-line",
        function_name="fit_line",
        cases=_fit_line_cases,
        reference=fit_line_pair,
        n_fixed=3,
        forbidden=("aecourse.neurons.fit_linear",),
        mistakes={
            "a line forced through the origin (no intercept column)": _line_through_origin,
            "(b, w) returned instead of (w, b)": _line_swapped,
        },
        description="least-squares (w, b) minimising sum((w * x + b - y)**2)",
    )
)


# --- 01-abs-via-relu: |x| as a two-unit ReLU network (Exercise 7.1) ------------------------


def _abs_cases(rng):
    fixed = [
        (np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),),
        (np.array([[-3.0, 1.0], [4.0, -0.25]]),),
    ]
    random = [(rng.normal(scale=3.0, size=int(rng.integers(1, 10))),) for _ in range(3)]
    return fixed + random


ABS_VIA_RELU = register(
    Exercise(
        grade_id="01-abs-via-relu",
        function_name="abs_via_relu",
        cases=_abs_cases,
        reference=neurons.abs_via_relu,
        n_fixed=2,
        mistakes={
            "only the positive half, relu(x)": lambda x: _relu(x),
            "relu(x) - relu(-x), which is x itself": lambda x: _relu(x) - _relu(-np.asarray(x)),
            "relu(x) + relu(x), twice the positive half": lambda x: 2 * _relu(x),
        },
        description="|x| = relu(x) + relu(-x), elementwise",
    )
)


EXERCISES = {ex.grade_id: ex for ex in (LINEAR, NEURON, DENSE_LAYER, FIT_LINE, ABS_VIA_RELU)}

# Typical wrong submissions: solution-cell grade_id -> replacement source of that cell.
TYPICAL_MISTAKES: dict[str, dict[str, str]] = {
    "no-bias": {
        "01-neuron-solution": (
            "def neuron(x, w, b):\n"
            "    # forgot the bias\n"
            "    z = np.asarray(x, dtype=float) @ np.asarray(w, dtype=float)\n"
            "    return 1.0 / (1.0 + np.exp(-z))\n"
        ),
        "01-dense-layer-solution": (
            "def dense_layer(x, W, b):\n"
            "    # forgot the bias\n"
            "    return np.maximum(np.asarray(x, dtype=float) @ W, 0.0)\n"
        ),
    },
    "transposed-weights": {
        "01-dense-layer-solution": (
            "def dense_layer(x, W, b):\n"
            "    # W used the other way round\n"
            "    return np.maximum(np.asarray(x, dtype=float) @ np.asarray(W).T + b, 0.0)\n"
        ),
        "01-fit-line-solution": (
            "def fit_line(x, y):\n"
            "    # through the origin: no column of ones for the intercept\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    y = np.asarray(y, dtype=float)\n"
            "    return np.array([x @ y / (x @ x), 0.0])\n"
        ),
    },
    "positive-half-only": {
        "01-abs-via-relu-solution": (
            "def abs_via_relu(x):\n"
            "    # only one hidden unit: the negative half is lost\n"
            "    return np.maximum(np.asarray(x, dtype=float), 0.0)\n"
        ),
        "01-linear-solution": ("def linear(x, w, b):\n    return w * np.asarray(x, dtype=float)\n"),
    },
}
