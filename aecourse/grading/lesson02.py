"""Exercises of lesson 02 (activation functions, section 7.1 and Figure 7.2).

Keys are the grade_ids of the test cells in ``solutions/02_activations/activations.ipynb``.
The references are ``aecourse.activations`` (and scikit-learn's ``KFold`` for the folds).
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold

from aecourse import activations
from aecourse.grading.core import Exercise, register

__all__ = ["EXERCISES", "TYPICAL_MISTAKES", "fold_ids", "numerical_derivative"]


def _f(x):
    return np.asarray(x, dtype=float)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-_f(x)))


def _points(rng, scale=4.0):
    """A random array of 1 to 2 dimensions; moderate values keep exp() from overflowing."""
    shape = (int(rng.integers(1, 9)),) if rng.random() < 0.6 else tuple(rng.integers(1, 5, size=2))
    return (rng.normal(scale=scale, size=shape),)


_GRID = (np.array([-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0]),)
_MATRIX = (np.array([[-1.0, 0.0], [3.0, -4.0]]),)  # any shape works elementwise


def _activation_cases(rng):
    return [_GRID, _MATRIX] + [_points(rng) for _ in range(3)]


def _exercise(grade_id, name, reference, mistakes, description):
    return register(
        Exercise(
            grade_id=grade_id,
            function_name=name,
            cases=_activation_cases,
            reference=reference,
            n_fixed=2,
            mistakes=mistakes,
            description=description,
        )
    )


SIGMOID = _exercise(
    "02-sigmoid",
    "sigmoid",
    activations.sigmoid,
    {
        "exp(x) instead of exp(-x), which is sigmoid(-x)": lambda x: _sig(-_f(x)),
        "tanh instead of sigmoid": lambda x: np.tanh(_f(x)),
    },
    "1 / (1 + exp(-x)), elementwise",
)

TANH = _exercise(
    "02-tanh",
    "tanh",
    activations.tanh,
    {
        "sigmoid instead of tanh": _sig,
        "(exp(x) - exp(-x)) / 2 without the denominator (that is sinh)": lambda x: np.sinh(_f(x)),
        "2 * sigmoid(x) - 1, which is tanh(x / 2): use sigmoid(2x)": (
            lambda x: 2.0 * _sig(x) - 1.0
        ),
    },
    "(exp(x) - exp(-x)) / (exp(x) + exp(-x)), elementwise",
)

RELU = _exercise(
    "02-relu",
    "relu",
    activations.relu,
    {
        "abs instead of relu": lambda x: np.abs(_f(x)),
        "min(x, 0) instead of max(x, 0)": lambda x: np.minimum(_f(x), 0.0),
        "a leaky ReLU (0.01 * x below zero)": lambda x: np.where(_f(x) > 0, _f(x), 0.01 * _f(x)),
    },
    "max(x, 0), elementwise",
)

SIGMOID_GRAD = _exercise(
    "02-sigmoid-grad",
    "sigmoid_grad",
    activations.sigmoid_grad,
    {
        "x * (1 - x) on x itself instead of on sigmoid(x)": lambda x: _f(x) * (1.0 - _f(x)),
        "sigmoid(x) without the factor (1 - sigmoid(x))": _sig,
        "sigmoid(x) * (1 + sigmoid(x))": lambda x: _sig(x) * (1.0 + _sig(x)),
    },
    "sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x))",
)

TANH_GRAD = _exercise(
    "02-tanh-grad",
    "tanh_grad",
    activations.tanh_grad,
    {
        "1 - x**2 instead of 1 - tanh(x)**2": lambda x: 1.0 - _f(x) ** 2,
        "1 - tanh(x) (the square is missing)": lambda x: 1.0 - np.tanh(_f(x)),
        "tanh(x) itself instead of its derivative": lambda x: np.tanh(_f(x)),
    },
    "tanh'(x) = 1 - tanh(x)**2",
)

RELU_GRAD = _exercise(
    "02-relu-grad",
    "relu_grad",
    activations.relu_grad,
    {
        "relu'(0) taken as 1 (x >= 0 instead of x > 0)": lambda x: (_f(x) >= 0).astype(float),
        "relu(x) instead of its derivative": lambda x: np.maximum(_f(x), 0.0),
        "the step on the wrong side (x < 0)": lambda x: (_f(x) < 0).astype(float),
    },
    "relu'(x) = 1 where x > 0, else 0 (and 0 at x = 0 by convention)",
)


# --- 02-numerical-derivative: central differences ------------------------------------------


def numerical_derivative(f, x, h):
    """Central difference (f(x + h) - f(x - h)) / (2 h), elementwise."""
    x = _f(x)
    return (_f(f(x + h)) - _f(f(x - h))) / (2.0 * h)


def _derivative_cases(rng):
    # h stays small so that any central difference agrees to ~1e-7, yet large enough that a
    # one-sided difference (error ~ h) is far outside the tolerance.
    x = np.linspace(-2.0, 2.0, 5)
    fixed = [(np.sin, x, 1e-3), (np.tanh, x, 2e-3), (activations.sigmoid, x, 1e-3)]
    funcs = [np.sin, np.cos, np.tanh, np.exp, activations.sigmoid]
    random = [
        (
            funcs[int(rng.integers(len(funcs)))],
            rng.uniform(-2.0, 2.0, size=int(rng.integers(1, 8))),
            float(rng.choice([1e-3, 2e-3, 3e-3])),
        )
        for _ in range(3)
    ]
    return fixed + random


NUMERICAL_DERIVATIVE = register(
    Exercise(
        grade_id="02-numerical-derivative",
        function_name="numerical_derivative",
        cases=_derivative_cases,
        reference=numerical_derivative,
        n_fixed=3,
        rtol=1e-5,
        atol=1e-7,
        mistakes={
            "a forward difference (f(x + h) - f(x)) / h": (
                lambda f, x, h: (_f(f(_f(x) + h)) - _f(f(_f(x)))) / h
            ),
            "a missing factor 2 in the denominator": (
                lambda f, x, h: (_f(f(_f(x) + h)) - _f(f(_f(x) - h))) / h
            ),
            "f(x - h) - f(x + h), the sign flipped": (
                lambda f, x, h: (_f(f(_f(x) - h)) - _f(f(_f(x) + h))) / (2.0 * h)
            ),
        },
        description="(f(x + h) - f(x - h)) / (2 h)",
    )
)


# --- 02-fold-ids: which fold each sample is tested in (k-fold cross-validation) ------------


def fold_ids(n_samples, k):
    """Fold index of each of n_samples rows, as scikit-learn's ``KFold(k)`` without shuffling."""
    ids = np.empty(n_samples, dtype=float)
    for fold, (_, test) in enumerate(KFold(n_splits=k).split(np.zeros((n_samples, 1)))):
        ids[test] = fold
    return ids


def _round_robin(n, k):
    return (np.arange(n) % k).astype(float)


def _leftover_last(n, k):
    return np.minimum(np.arange(n) // (n // k), k - 1).astype(float)


def _fold_cases(rng):
    fixed = [(10, 5), (7, 3), (150, 5), (11, 4)]
    random = []
    for _ in range(3):
        k = int(rng.integers(2, 8))
        random.append((int(rng.integers(k, 60)), k))
    return fixed + random


FOLD_IDS = register(
    Exercise(
        grade_id="02-fold-ids",
        function_name="fold_ids",
        cases=_fold_cases,
        reference=fold_ids,
        n_fixed=4,
        mistakes={
            "round-robin folds (i % k) instead of contiguous blocks": _round_robin,
            "folds of n // k rows with every leftover row in the last fold": _leftover_last,
        },
        description="contiguous folds; the first n % k folds get one extra row",
    )
)


EXERCISES = {
    ex.grade_id: ex
    for ex in (
        SIGMOID,
        TANH,
        RELU,
        SIGMOID_GRAD,
        TANH_GRAD,
        RELU_GRAD,
        NUMERICAL_DERIVATIVE,
        FOLD_IDS,
    )
}

TYPICAL_MISTAKES: dict[str, dict[str, str]] = {
    "relu-grad-at-zero-and-sign": {
        "02-relu-grad-solution": (
            "def relu_grad(x):\n"
            "    # relu'(0) taken as 1\n"
            "    return (np.asarray(x, dtype=float) >= 0).astype(float)\n"
        ),
        "02-sigmoid-solution": (
            "def sigmoid(x):\n"
            "    # exp(x) instead of exp(-x)\n"
            "    return 1.0 / (1.0 + np.exp(np.asarray(x, dtype=float)))\n"
        ),
    },
    "derivative-of-the-input": {
        "02-tanh-grad-solution": (
            "def tanh_grad(x):\n"
            "    # 1 - x**2: the formula applied to x instead of tanh(x)\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    return 1.0 - x**2\n"
        ),
        "02-numerical-derivative-solution": (
            "def numerical_derivative(f, x, h):\n"
            "    # a forward difference\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    return (f(x + h) - f(x)) / h\n"
        ),
    },
    "round-robin-folds": {
        "02-fold-ids-solution": (
            "def fold_ids(n_samples, k):\n    return np.arange(n_samples) % k\n"
        ),
    },
}
