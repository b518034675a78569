"""Reconstruction RMSE of aecourse.Autoencoder against PCA with the same code size.

PCA with k components is the best linear k-dimensional code, so its RMSE is the bar a
k-unit autoencoder is measured against. Every RMSE here is over the whole data set, in
the data's own units (cm for iris, 0-255 pixel values for images).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["course_images_config", "pca_rmse", "mean_rmse", "autoencoder_rmse", "quality_report"]

BOOK = {"init": "normal", "normalize": False}  # N(0, 1) weights on raw inputs (Listing 7.3)
COURSE = {}  # the constructor's defaults (iris)


def course_images_config():
    """The course's image configuration (``IMAGE_CONFIG``) without epochs and batch size.

    The benchmark sets those itself (the epochs that fit in the budget, ``image_batch``).
    """
    from aecourse.autoencoder import IMAGE_CONFIG

    return {k: v for k, v in IMAGE_CONFIG.items() if k not in ("epoch", "batch_size")}


def _rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)))


def pca_rmse(data, n_components):
    """RMSE of the best linear reconstruction from ``n_components`` numbers per row."""
    from sklearn.decomposition import PCA

    if not 1 <= n_components <= min(data.shape):
        raise ValueError(
            f"n_components must be between 1 and {min(data.shape)} for data of shape "
            f"{data.shape}, got {n_components}"
        )
    pca = PCA(n_components, svd_solver="full").fit(data)
    return _rmse(pca.inverse_transform(pca.transform(data)), data)


def mean_rmse(data):
    """RMSE of predicting every row as the mean row (what a model that learned nothing gets)."""
    return _rmse(np.broadcast_to(data.mean(axis=0), data.shape), data)


def _model(data, hidden_dim, config, epochs, batch_size, seed, **kwargs):
    from aecourse.autoencoder import Autoencoder

    return Autoencoder(data.shape[1], hidden_dim, epoch=epochs, batch_size=batch_size,
                       verbose=False, seed=seed, **config, **kwargs)  # fmt: skip


def autoencoder_rmse(data, hidden_dim, config, epochs, batch_size=None, seed=0, model=None):
    """Train an Autoencoder (a fresh one unless ``model`` is given); return its figures.

    {"rmse", "seconds" (of ``train``), "epochs", "batch_size", "saturated"}: saturated is
    the fraction of hidden tanh units with |code| > 0.99 over the data (the book's
    configuration pins almost all of them at +-1).
    """
    if model is None:
        model = _model(data, hidden_dim, config, epochs, batch_size, seed)
    model.epoch = epochs
    start = time.perf_counter()
    model.train(data)
    seconds = time.perf_counter() - start
    codes = model.encode(data)
    return {
        "rmse": _rmse(model.reconstruct(data), data),
        "seconds": seconds,
        "epochs": epochs,
        "batch_size": batch_size,
        "saturated": float(np.mean(np.abs(codes) > 0.99)),
    }


def _epochs_within(data, hidden, config, batch_size, budget_s, seed, max_epochs):
    """(a model traced for this batch size, the epochs that fit in budget_s right now).

    A trial run on the same model measures the cost per epoch (with train's own overhead)
    just before the real run, so a change in the machine's load since the timing part
    does not push the real run past its budget.
    """
    model = _model(data, hidden, config, 1, batch_size, seed)
    model.train(data)  # traces the epoch function
    trial = 1
    while True:
        model.epoch = trial
        start = time.perf_counter()
        model.train(data)
        elapsed = time.perf_counter() - start
        if elapsed > 0.05 * budget_s or trial >= (max_epochs or 10**6):
            break
        trial *= 4
    # A quarter of the budget is left for noise (the load on a shared machine can change
    # between the trial and the real run, which must not exceed the budget).
    epochs = max(1, int(0.75 * budget_s * trial / elapsed))
    return model, min(epochs, max_epochs) if max_epochs else epochs


def quality_report(images, image_budget_s=30.0, image_batch=100, iris_epochs=250,
                   image_max_epochs=None, seed=0):  # fmt: skip
    """RMSE of the book's and the course's configurations against PCA on iris and images.

    iris: 4 -> 1 -> 4, ``iris_epochs`` per-sample epochs (Listing 7.6's budget), the
    constructor's defaults as the course's configuration.
    images: d -> 100 -> d with batches of ``image_batch``, ``IMAGE_CONFIG``'s learning rate,
    as many epochs as fit in ``image_budget_s`` seconds of ``train`` (measured just before;
    the book's configuration, with its own learning rate, gets the same epochs).
    """
    from aecourse.datasets import load_iris

    iris = load_iris().data.astype(np.float32)
    out = {"iris": {"code_size": 1, "pca": pca_rmse(iris, 1), "mean": mean_rmse(iris)}}
    for name, config in (("book", BOOK), ("course", COURSE)):
        out["iris"][name] = autoencoder_rmse(iris, 1, config, iris_epochs, seed=seed)
    hidden = min(100, *images.shape)
    img = {"code_size": hidden, "pca": pca_rmse(images, hidden), "mean": mean_rmse(images)}
    img["budget_s"] = image_budget_s
    course = course_images_config()
    img["course_config"] = dict(course, batch_size=image_batch)
    model, epochs = _epochs_within(
        images, hidden, course, image_batch, image_budget_s, seed, image_max_epochs
    )
    img["course"] = autoencoder_rmse(images, hidden, course, epochs, image_batch, seed, model)
    img["book"] = autoencoder_rmse(images, hidden, BOOK, epochs, image_batch, seed)
    out["images"] = img
    for part in out.values():
        for name in ("book", "course"):
            part[name]["vs_pca"] = part[name]["rmse"] / part["pca"]
    return out
