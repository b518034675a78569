"""Figures for the lessons; every function returns a Matplotlib Figure.

The figures are built with ``matplotlib.figure.Figure`` rather than pyplot: nothing
is left open in pyplot's global list (no "more than 20 figures" warning on stderr
in a long notebook), any backend works, and tests can read the plotted data back.
In Jupyter a returned figure is shown as a PNG when it is the cell's last expression:
importing this module registers that display format with IPython (pyplot's inline
backend would do it, but only once pyplot has been imported).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "plot_activations",
    "plot_loss",
    "plot_fits",
    "show_reconstructions",
    "plot_codes_2d",
    "show_interpolation",
    "show_images",
]


def _show_figures_in_ipython() -> bool:
    """Register a PNG display for Figure in a running IPython; True when registered."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:  # plain Python: nothing to display into
        return False
    shell = get_ipython()
    if shell is None:
        return False
    png = shell.display_formatter.formatters["image/png"]
    png.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))
    return True


_show_figures_in_ipython()


def _array(x, what):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numbers: {exc}") from None
    return arr


def _as_images(images, shape, what):
    """Turn flattened rows (n, H*W) or images (n, H, W) into (n, H, W)."""
    arr = _array(images, what)
    if shape is None:
        if arr.ndim == 3:
            return arr
        if arr.ndim == 2:
            side = int(round(np.sqrt(arr.shape[1])))
            if side * side == arr.shape[1]:
                return arr.reshape(len(arr), side, side)
        raise ValueError(f"{what} has shape {arr.shape}: pass shape=(height, width)")
    height, width = (int(s) for s in shape)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim == 3 and arr.shape[1:] == (height, width):
        return arr
    if arr.ndim != 2 or arr.shape[1] != height * width:
        raise ValueError(
            f"{what} has shape {arr.shape}, which does not hold {height}x{width} images "
            f"(each row needs {height * width} values)"
        )
    # Row-major, as flatten_row_major laid them out (Figure 7.10).
    return arr.reshape(len(arr), height, width)


def _image_axis(ax, image, title=None, vmin=None, vmax=None):
    ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(str(title), fontsize=8)


def plot_activations(data=None, title="Activation functions"):
    """Sigmoid, tanh and ReLU on one axis (Figure 7.2).

    data: a dict with "x" and one array per activation, as returned by
    ``aecourse.activations.figure_7_2_data()`` (computed when omitted).
    """
    if data is None:
        from aecourse import activations

        data = activations.figure_7_2_data()
    if not isinstance(data, Mapping) or "x" not in data:
        raise ValueError('data must be a dict with an "x" entry and one entry per activation')
    x = _array(data["x"], "x")
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for name, values in data.items():
        if name == "x":
            continue
        y = _array(values, name)
        if y.shape != x.shape:
            raise ValueError(f"{name} has shape {y.shape} but x has shape {x.shape}")
        ax.plot(x, y, label=name)
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.set_ylabel("activation(x)")
    ax.set_title(title)
    ax.legend()
    return fig


def _loss_values(history, name):
    if hasattr(history, "loss_history_"):
        history = history.loss_history_
    elif hasattr(history, "history") and isinstance(history.history, Mapping):
        history = history.history.get("loss", [])  # a keras History
    y = _array(history, f"history {name!r}" if name else "history")
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"a loss history must be a non-empty 1-D sequence, got shape {y.shape}")
    return y


def plot_loss(history, log_scale=False, ylabel="loss", title=None):
    """Loss per epoch: one curve, or one per entry of a dict name -> history.

    A history is a sequence of numbers, a model with ``loss_history_`` (Autoencoder) or
    a Keras ``History`` (its "loss"; pass ``history.history`` to plot every metric).
    """
    if isinstance(history, Mapping):
        curves = {str(k): _loss_values(v, str(k)) for k, v in history.items()}
        if not curves:
            raise ValueError("history is an empty dict: nothing to plot")
    else:
        curves = {None: _loss_values(history, None)}
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for name, y in curves.items():
        ax.plot(np.arange(1, len(y) + 1), y, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if log_scale:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(curves) > 1 or None not in curves:
        ax.legend()
    return fig


def plot_fits(x, y, fits, title=None):
    """Data points (x, y) and one line per model prediction (fits: name -> predictions at x)."""
    x, y = _array(x, "x").ravel(), _array(y, "y").ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if not isinstance(fits, Mapping):
        raise ValueError("fits must be a dict name -> predictions at x")
    order = np.argsort(x, kind="stable")
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.scatter(x, y, s=12, color="0.4", label="data")
    for name, pred in fits.items():
        p = _array(pred, str(name)).ravel()
        if p.shape != x.shape:
            raise ValueError(f"fit {name!r} has {p.size} predictions for {x.size} points")
        ax.plot(x[order], p[order], label=str(name), lw=2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend()
    return fig


def show_reconstructions(originals, reconstructions, shape=(32, 32), n=8, title=None):
    """Top row: n originals; bottom row: their reconstructions (same gray scale per pair)."""
    orig = _as_images(originals, shape, "originals")
    rec = _as_images(reconstructions, shape, "reconstructions")
    if orig.shape != rec.shape:
        raise ValueError(
            f"originals {orig.shape} and reconstructions {rec.shape} must match in shape"
        )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = min(int(n), len(orig))
    fig = Figure(figsize=(1.3 * n, 2.9), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False)
    for i in range(n):
        # One colour range per column, so a too-dark reconstruction looks too dark.
        lo, hi = min(orig[i].min(), rec[i].min()), max(orig[i].max(), rec[i].max())
        _image_axis(axes[0, i], orig[i], vmin=lo, vmax=hi)
        _image_axis(axes[1, i], rec[i], vmin=lo, vmax=hi)
    axes[0, 0].set_ylabel("original")
    axes[1, 0].set_ylabel("reconstructed")
    if title:
        fig.suptitle(title)
    return fig


def plot_codes_2d(codes, labels=None, label_names=None, title="2-D codes"):
    """Scatter of 2-D codes (n, 2), one colour per label."""
    z = _array(codes, "codes")
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"codes must have shape (n, 2), got {z.shape}: use a 2-unit code layer")
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=8)
    else:
        labels = np.asarray(labels).ravel()
        if labels.shape != (len(z),):
            raise ValueError(f"{labels.size} labels for {len(z)} codes")
        for value in np.unique(labels):
            name = value
            if label_names is not None and isinstance(value, int | np.integer):
                name = label_names[int(value)]
            keep = labels == value
            ax.scatter(z[keep, 0], z[keep, 1], s=8, label=str(name))
        ax.legend(markerscale=2, fontsize=8)
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_title(title)
    return fig


def show_interpolation(images, shape=None, title=None):
    """A strip of images in order, e.g. decoded points from one code to another."""
    imgs = _as_images(images, shape, "images")
    n = len(imgs)
    fig = Figure(figsize=(1.3 * n, 1.6), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    lo, hi = imgs.min(), imgs.max()
    for i, (ax, img) in enumerate(zip(axes, imgs, strict=True)):
        _image_axis(ax, img, title=f"t={i / max(n - 1, 1):.2f}", vmin=lo, vmax=hi)
    if title:
        fig.suptitle(title)
    return fig


def show_images(images, shape=None, titles=None, ncols=8, title=None):
    """A grid of images (n, H*W) or (n, H, W), ncols per row, with optional titles."""
    imgs = _as_images(images, shape, "images")
    n = len(imgs)
    if n == 0:
        raise ValueError("images is empty: nothing to show")
    if titles is not None:
        titles = list(titles)
        if len(titles) != n:
            raise ValueError(f"{len(titles)} titles for {n} images")
    if isinstance(ncols, bool) or not isinstance(ncols, int | np.integer) or ncols <= 0:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    ncols = min(int(ncols), n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(1.3 * ncols, 1.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    # One gray scale for the whole grid, so brightness can be compared between images.
    lo, hi = imgs.min(), imgs.max()
    for i, ax in enumerate(axes):
        if i < n:
            _image_axis(ax, imgs[i], None if titles is None else titles[i], vmin=lo, vmax=hi)
        else:
            fig.delaxes(ax)  # an incomplete last row: drop the empty cells
    if title:
        fig.suptitle(title)
    return fig
