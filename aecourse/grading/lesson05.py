"""Lesson 05 (section 7.4, working with images): the graded exercises.

Grayscale (Listing 7.12 and channel-last images), row-major order and its inverse
(Figure 7.10), and telling a class apart by its reconstruction error. The
references are the package's :mod:`aecourse.images` functions; the two
reconstruction-error exercises are small enough to be defined here.
"""

from __future__ import annotations

import numpy as np

from aecourse.grading.core import Exercise, register

__all__ = [
    "EXERCISES",
    "TYPICAL_MISTAKES",
    "ShrinkModel",
    "classify_by_error",
    "reconstruction_errors",
]

_LUMA = np.array([0.299, 0.587, 0.114])


# ----- references -----------------------------------------------------------------------------
def _images():
    # Imported when first needed, so a half-written package cannot break grading imports.
    from aecourse import images

    return images


def _cifar_grayscale(rows):
    return _images().cifar_grayscale(rows)


def _to_grayscale(image):
    return _images().to_grayscale(image)


def _flatten(image):
    return _images().flatten_row_major(image)


def _unflatten(x, shape):
    return _images().unflatten_row_major(x, shape)


def reconstruction_errors(model, X):
    """Per-row RMSE between X (n, d) and model.reconstruct(X): shape (n,)."""
    X = np.asarray(X, dtype=float)
    return np.sqrt(np.mean((X - np.asarray(model.reconstruct(X), dtype=float)) ** 2, axis=1))


def classify_by_error(errors, threshold):
    """True where an error is at most threshold (the image looks like the training class)."""
    return np.asarray(errors) <= threshold


class ShrinkModel:
    """A stand-in for a trained autoencoder: reconstruct(X) keeps the first k columns, scaled.

    It has the two methods of ``ae.Autoencoder`` the exercise may use: ``reconstruct``
    (rows in, rows out) and ``rmse`` (one number for a whole data set).
    """

    def __init__(self, keep: int, factor: float = 0.9):
        self.keep, self.factor = int(keep), float(factor)

    def reconstruct(self, data):
        x = np.asarray(data, dtype=float)
        out = np.zeros_like(x)
        out[..., : self.keep] = self.factor * x[..., : self.keep]
        return out

    def rmse(self, data):
        x = np.asarray(data, dtype=float)
        return float(np.sqrt(np.mean((x - self.reconstruct(x)) ** 2)))

    def __repr__(self):
        return f"ShrinkModel(keep={self.keep}, factor={self.factor})"


# ----- cases ------------------------------------------------------------------------------------
def _cases_cifar(rng):
    fixed = [(np.arange(2 * 3072).reshape(2, 3072) % 251,)]
    return fixed + [(rng.integers(0, 256, (int(rng.integers(1, 5)), 3072)),) for _ in range(4)]


def _cases_to_gray(rng):
    # One 3x3 image (square, so a mean over the wrong axis still has the right shape).
    fixed = [(np.random.default_rng(0).integers(0, 256, (3, 3, 3)),)]
    rand = [(rng.integers(0, 256, (int(rng.integers(1, 6)), int(rng.integers(2, 6)), 3)),)]
    rand += [(rng.uniform(0, 1, (int(rng.integers(1, 4)), 4, 5, 3)),) for _ in range(3)]
    return fixed + rand


def _cases_flatten(rng):
    fixed = [(np.arange(6).reshape(2, 3),), (np.arange(24).reshape(2, 3, 4),)]
    rand = []
    for _ in range(4):
        h, w = (int(v) for v in rng.integers(2, 7, 2))
        shape = (h, w) if rng.random() < 0.5 else (int(rng.integers(1, 4)), h, w)
        rand.append((rng.integers(0, 256, shape),))
    return fixed + rand


def _cases_unflatten(rng):
    fixed = [(np.arange(6), (2, 3)), (np.arange(24).reshape(2, 12), (3, 4))]
    rand = []
    for _ in range(4):
        h, w = (int(v) for v in rng.integers(2, 7, 2))
        lead = () if rng.random() < 0.5 else (int(rng.integers(1, 4)),)
        rand.append((rng.integers(0, 256, lead + (h * w,)), (h, w)))
    return fixed + rand


def _cases_errors(rng):
    # Four images of four pixels: a mean over the wrong axis still has the right shape.
    X = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 1.0], [2.0, 2.0, 2.0, 2.0], [1, 0, 1, 0]])
    fixed = [(ShrinkModel(keep=2), X)]
    rand = []
    for _ in range(4):
        d = int(rng.integers(4, 20))
        model = ShrinkModel(keep=int(rng.integers(1, d)), factor=float(rng.uniform(0.5, 1.0)))
        rand.append((model, rng.normal(size=(int(rng.integers(2, 8)), d))))
    return fixed + rand


def _cases_classify(rng):
    fixed = [(np.array([0.5, 1.0, 1.5, 2.0, 3.0]), 1.5)]
    rand = []
    for _ in range(4):
        errors = rng.uniform(0, 10, int(rng.integers(3, 20))).round(1)
        rand.append((errors, float(rng.choice(errors))))  # a tie with the threshold
    return fixed + rand


# ----- likely mistakes ------------------------------------------------------------------------
def _cifar_channel_last(rows):
    rows = np.asarray(rows, dtype=float)
    return rows.reshape(len(rows), 32, 32, 3).mean(axis=-1).reshape(len(rows), -1)


def _cifar_luminance(rows):
    rows = np.asarray(rows, dtype=float)
    return np.einsum("ncp,c->np", rows.reshape(len(rows), 3, 1024), _LUMA)


def _cifar_red_only(rows):
    return np.asarray(rows, dtype=float)[:, :1024]


def _cifar_sum(rows):
    rows = np.asarray(rows, dtype=float)
    return rows.reshape(len(rows), 3, 1024).sum(axis=1)


def _flatten_column_major(image):
    arr = np.asarray(image)
    if arr.ndim == 2:
        return arr.reshape(-1, order="F")
    return np.stack([a.reshape(-1, order="F") for a in arr])


def _unflatten_column_major(x, shape):
    arr = np.asarray(x)
    h, w = shape
    if arr.ndim == 1:
        return arr.reshape((h, w), order="F")
    return np.stack([a.reshape((h, w), order="F") for a in arr])


def _errors_mse(model, X):
    X = np.asarray(X, dtype=float)
    return np.mean((X - model.reconstruct(X)) ** 2, axis=1)


def _errors_per_pixel(model, X):
    X = np.asarray(X, dtype=float)
    return np.sqrt(np.mean((X - model.reconstruct(X)) ** 2, axis=0))


def _errors_abs(model, X):
    X = np.asarray(X, dtype=float)
    return np.mean(np.abs(X - model.reconstruct(X)), axis=1)


EXERCISES = [
    register(
        Exercise(
            grade_id="05-cifar-grayscale",
            function_name="cifar_grayscale",
            cases=_cases_cifar,
            reference=_cifar_grayscale,
            mistakes={
                "a channel-last reshape (N, 32, 32, 3) of the planar CIFAR row": (
                    _cifar_channel_last
                ),
                "luminance weights instead of the average": _cifar_luminance,
                "colour not averaged (only the red plane kept)": _cifar_red_only,
                "the sum of the channels instead of their mean": _cifar_sum,
            },
            forbidden=("aecourse.images.cifar_grayscale",),
            description="planar CIFAR-10 rows (N, 3072) to grayscale (N, 1024) (Listing 7.12)",
        )
    ),
    register(
        Exercise(
            grade_id="05-to-grayscale",
            function_name="to_grayscale",
            cases=_cases_to_gray,
            reference=_to_grayscale,
            mistakes={
                "luminance weights instead of the average": lambda im: np.asarray(im) @ _LUMA,
                "the mean over the first axis instead of the channel axis": (
                    lambda im: np.asarray(im, dtype=float).mean(axis=0)
                ),
            },
            forbidden=("aecourse.images.to_grayscale",),
            description="channel-last images (..., H, W, 3) to grayscale (..., H, W)",
        )
    ),
    register(
        Exercise(
            grade_id="05-flatten",
            function_name="flatten_row_major",
            cases=_cases_flatten,
            reference=_flatten,
            mistakes={
                "column-major flattening": _flatten_column_major,
            },
            n_fixed=2,
            forbidden=("aecourse.images.flatten_row_major",),
            description="(H, W) -> (H*W,) and (N, H, W) -> (N, H*W), row-major (Figure 7.10)",
        )
    ),
    register(
        Exercise(
            grade_id="05-unflatten",
            function_name="unflatten_row_major",
            cases=_cases_unflatten,
            reference=_unflatten,
            mistakes={
                "column-major unflattening": _unflatten_column_major,
            },
            n_fixed=2,
            forbidden=("aecourse.images.unflatten_row_major",),
            description="the inverse of flatten_row_major",
        )
    ),
    register(
        Exercise(
            grade_id="05-reconstruction-errors",
            function_name="reconstruction_errors",
            cases=_cases_errors,
            reference=reconstruction_errors,
            mistakes={
                "the mean squared error without the square root": _errors_mse,
                "one error per pixel (mean over axis 0) instead of one per image": (
                    _errors_per_pixel
                ),
                "the mean absolute error instead of the RMSE": _errors_abs,
            },
            description="one RMSE per image: how well the model rebuilds each row",
        )
    ),
    register(
        Exercise(
            grade_id="05-classify-by-error",
            function_name="classify_by_error",
            cases=_cases_classify,
            reference=classify_by_error,
            mistakes={
                "the comparison reversed (a high error taken as the class)": (
                    lambda e, t: np.asarray(e) > t
                ),
                "a strict < (an error equal to the threshold is at most the threshold)": (
                    lambda e, t: np.asarray(e) < t
                ),
            },
            description="True where the reconstruction error is at most the threshold",
        )
    ),
]

TYPICAL_MISTAKES: dict[str, dict[str, str]] = {
    "column-major": {
        "05-flatten-solution": (
            "def flatten_row_major(image):\n"
            "    image = np.asarray(image)\n"
            "    if image.ndim == 2:\n"
            '        return image.flatten(order="F")\n'
            '    return np.stack([im.flatten(order="F") for im in image])\n'
        ),
        "05-unflatten-solution": (
            "def unflatten_row_major(x, shape):\n"
            "    x = np.asarray(x)\n"
            "    h, w = shape\n"
            "    return x.reshape(x.shape[:-1] + (w, h)).swapaxes(-1, -2)\n"
        ),
    },
    "luminance-weights": {
        "05-cifar-grayscale-solution": (
            "def cifar_grayscale(rows):\n"
            "    rows = np.asarray(rows, dtype=float)\n"
            "    planes = rows.reshape(len(rows), 3, 1024)\n"
            "    return 0.299 * planes[:, 0] + 0.587 * planes[:, 1] + 0.114 * planes[:, 2]\n"
        ),
        "05-to-grayscale-solution": (
            "def to_grayscale(image):\n"
            "    return np.asarray(image, dtype=float) @ np.array([0.299, 0.587, 0.114])\n"
        ),
    },
}
