"""Lesson 03's trained-model exercise (03-train-autoencoder) and its yardstick, PCA.

A trained model is judged by a tolerance (its reconstruction error against a PCA with as
many components as the code has units), not by equality with the reference. One of its
cases has a column that reaches several standard deviations from its mean, where a bounded
decoder (tanh) cannot follow: the chapter's decoder is linear (Listing 7.3).
:mod:`aecourse.grading.lesson03` re-exports what is public here and also grades
:func:`pca_reconstruct` itself (03-pca-reconstruct).
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA

from aecourse import autoencoder
from aecourse.grading.core import Exercise, register

__all__ = ["TRAIN_AUTOENCODER", "pca_reconstruct", "train_autoencoder"]


def _f(x):
    return np.asarray(x, dtype=float)


def pca_reconstruct(X, k):
    """Project X (n, d) on its first k principal components and map back: (n, d)."""
    X = _f(X)
    pca = PCA(n_components=k, svd_solver="full").fit(X)
    return pca.inverse_transform(pca.transform(X))


def train_autoencoder(data, hidden_dim, epochs, seed):
    """Reference: ``aecourse.Autoencoder`` trained full-batch; returns the reconstruction."""
    data = _f(data)
    model = autoencoder.Autoencoder(
        data.shape[1],
        hidden_dim,
        epoch=epochs,
        learning_rate=0.01,
        batch_size=len(data),
        verbose=False,
        seed=seed,
    )
    return model.train(data).reconstruct(data)


def _rms(a):
    return float(np.sqrt(np.mean(np.square(a))))


# Where a bounded decoder's outputs end, in data units: (what, centre, half-width per column).
def _output_bounds(data):
    mean = data.mean(axis=0)
    return [
        ("one overall standard deviation", mean, float(data.std())),
        ("one overall standard deviation", mean, float((data - mean).std())),
        ("one standard deviation (of each column)", mean, data.std(axis=0)),
        ("1 (the data were not scaled)", np.zeros_like(mean), 1.0),
    ]


def _bounded_decoder(data, out, target):
    """Why ``out`` looks like a bounded (tanh) decoder's output, or None.

    Saturation, not shrinkage: every reconstruction stays within one of
    :func:`_output_bounds`, some reach it, those that PCA (``target``) puts well inside it
    are about right, and at least 5% of PCA's entries lie well beyond it.
    """
    for what, centre, width in _output_bounds(data):
        width = np.broadcast_to(width, centre.shape)
        reach = np.abs(out - centre) / width
        if reach.max() > 1.01 or reach.max() < 0.95:
            continue
        if np.mean(np.abs(target - centre) > 1.2 * width) < 0.05:
            continue
        near = np.abs(target - centre) < 0.5 * width
        ideal = (target - centre)[near]
        # A model stopped early shrinks everything towards the mean: slope well below 1.
        if near.sum() >= 3 and np.sum((out - centre)[near] * ideal) < 0.8 * np.sum(ideal**2):
            continue
        far = float(np.max(np.abs(target - centre)))
        where = "column means" if centre.any() else "origin"
        return f"within {what} of the {where}, while the data need values {far:.3g} away"
    return None


def _judge_training(args, output):
    data, hidden_dim = _f(args[0]), int(args[1])
    out = _f(output)
    if out.shape != data.shape:
        raise AssertionError(
            f"the reconstruction has shape {out.shape}, expected {data.shape} "
            "(one reconstructed row per input row, in the data's own units)"
        )
    if not np.all(np.isfinite(out)):
        raise AssertionError("the reconstruction contains NaN or infinity (learning rate too big?)")
    err = _rms(out - data)
    pca = pca_reconstruct(data, hidden_dim)
    err_pca = _rms(pca - data)
    err_mean = _rms(data - data.mean(axis=0))
    limit = err_pca + 0.15 * (err_mean - err_pca)
    bounded = _bounded_decoder(data, out, pca) if err > limit else None
    if bounded:
        raise AssertionError(
            f"RMSE {err:.4f} is above the limit {limit:.4f}, and every reconstruction stays "
            f"{bounded}: the decoder's outputs are bounded (a tanh or sigmoid on the decoder "
            "never passes 1 in scaled units). Keep the decoder linear, h @ W + b (Listing 7.3)"
        )
    if err < 0.99 * err_pca:
        raise AssertionError(
            f"RMSE {err:.4f} is below what any {hidden_dim}-number code can reach "
            f"(PCA: {err_pca:.4f}): return decoder(encoder(data)), not the data itself"
        )
    if err >= 0.9 * err_mean:
        raise AssertionError(
            f"RMSE {err:.4f} is no better than predicting each column's mean ({err_mean:.4f}): "
            "the model is not learning. Check that the optimizer updates the variables, "
            "that the inputs are centred and scaled, and that the output is mapped back"
        )
    if err > limit:
        raise AssertionError(
            f"RMSE {err:.4f} is above the limit {limit:.4f} (a {hidden_dim}-component PCA "
            f"reaches {err_pca:.4f}): keep the decoder linear, normalise the inputs, and train "
            "with a larger learning rate or full batches"
        )


def _wide_column_data():
    """(120, 4) points near a line, the first column spread over about +-3.2 overall stds.

    The columns share one mean, so the data's overall standard deviation (how the notebook
    scales) is far below the first column's spread: a tanh decoder's outputs, which stay
    within one scale of the mean, fall short by RMSE about 0.5 (a linear one reaches 0.08,
    PCA 0.04).
    """
    rng = np.random.default_rng(71)
    t = rng.uniform(-1.0, 1.0, size=(120, 1))
    return 5.0 + t * np.array([3.0, 1.0, 0.5, -0.5]) + 0.05 * rng.normal(size=(120, 4))


def _train_cases(rng):
    fixed = [
        (load_iris().data, 1, 500, 0),  # Listing 7.6: iris, 4 -> 1 -> 4
        (_wide_column_data(), 1, 500, 0),  # beyond a tanh decoder's reach
    ]
    random = []
    for _ in range(1):
        d = int(rng.integers(3, 7))
        k = int(rng.integers(1, min(3, d)))
        n = int(rng.integers(60, 121))
        scale = 10.0 ** rng.uniform(-1, 1)
        # A bounded k-dimensional signal plus noise: like iris, most variance lies in k directions.
        signal = rng.uniform(-1.5, 1.5, size=(n, k)) @ rng.normal(size=(k, d))
        data = rng.uniform(-5, 5, size=d) + scale * (signal + 0.3 * rng.normal(size=(n, d)))
        random.append((data, k, 500, int(rng.integers(0, 2**31))))
    return fixed + random


TRAIN_AUTOENCODER = register(
    Exercise(
        grade_id="03-train-autoencoder",
        function_name="train_autoencoder",
        cases=_train_cases,
        reference=train_autoencoder,
        n_fixed=2,
        judge=_judge_training,
        forbidden=(
            "aecourse.autoencoder.Autoencoder",
            "aecourse.grading.lesson03.train_autoencoder",  # the path students know
        ),
        description="reconstruction of a trained autoencoder, within 10% of PCA's RMSE",
    )
)
