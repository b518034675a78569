"""Tests for aecourse.plotting: each function returns a Figure holding the right data."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import aecourse  # noqa: F401  (quiet TensorFlow import before anything else)
from aecourse import plotting


def image_data(ax):
    (img,) = ax.get_images()
    return np.asarray(img.get_array())


@pytest.fixture(autouse=True)
def no_pyplot_figures_left_open():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before, "plotting must not leave pyplot figures open"


def test_plot_activations_draws_the_given_curves():
    x = np.linspace(-3, 3, 7)
    data = {"x": x, "sigmoid": 1 / (1 + np.exp(-x)), "tanh": np.tanh(x), "relu": np.maximum(x, 0)}
    fig = plotting.plot_activations(data)
    assert isinstance(fig, Figure)
    lines = {
        ln.get_label(): ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")
    }
    assert set(lines) == {"sigmoid", "tanh", "relu"}
    np.testing.assert_allclose(lines["relu"].get_ydata(), [0, 0, 0, 0, 1, 2, 3])
    np.testing.assert_allclose(lines["tanh"].get_xdata(), x)


def test_plot_activations_default_data_from_the_activations_module():
    pytest.importorskip("aecourse.activations")
    fig = plotting.plot_activations()
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert {"sigmoid", "tanh", "relu"} <= set(labels)


def test_plot_activations_rejects_mismatched_data():
    with pytest.raises(ValueError, match="relu"):
        plotting.plot_activations({"x": np.arange(3), "relu": np.arange(4)})


def test_plot_loss_single_and_dict():
    fig = plotting.plot_loss([3.0, 2.0, 1.5])
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [3.0, 2.0, 1.5])

    class Model:
        loss_history_ = [1.0, 0.5]

    fig = plotting.plot_loss({"per-sample": [4, 3, 2, 1], "batch": Model()}, log_scale=True)
    lines = {ln.get_label(): ln.get_ydata() for ln in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["per-sample"], [4, 3, 2, 1])
    np.testing.assert_allclose(lines["batch"], [1.0, 0.5])
    assert fig.axes[0].get_yscale() == "log"


def test_plot_loss_reads_a_keras_history():
    class History:
        history = {"loss": [5.0, 4.0], "kl_loss": [1.0, 2.0]}

    (line,) = plotting.plot_loss(History()).axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), [5.0, 4.0])
    assert len(plotting.plot_loss(History.history).axes[0].get_lines()) == 2


@pytest.mark.parametrize("bad", [[], [[1, 2], [3, 4]], ["a", "b"], {}])
def test_plot_loss_rejects_bad_histories(bad):
    with pytest.raises(ValueError):
        plotting.plot_loss(bad)


def test_plot_fits_sorts_x_for_lines():
    x = np.array([2.0, 0.0, 1.0])
    y = np.array([4.1, 0.2, 0.9])
    fig = plotting.plot_fits(x, y, {"square": x**2, "line": 2 * x}, title="fits")
    ax = fig.axes[0]
    assert ax.get_title() == "fits"
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["square"].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(lines["square"].get_ydata(), [0, 1, 4])
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.c_[x, y])
    with pytest.raises(ValueError, match="line"):
        plotting.plot_fits(x, y, {"line": [1, 2]})


def test_show_reconstructions_two_rows_of_row_major_images():
    originals = np.arange(5 * 6, dtype=float).reshape(5, 6)  # five 2x3 images, flattened
    recon = originals + 0.5
    fig = plotting.show_reconstructions(originals, recon, shape=(2, 3), n=3)
    assert len(fig.axes) == 6
    np.testing.assert_allclose(image_data(fig.axes[0]), [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_allclose(image_data(fig.axes[3]), [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]])
    np.testing.assert_allclose(image_data(fig.axes[5]), recon[2].reshape(2, 3))


def test_show_reconstructions_n_capped_and_bad_shapes():
    x = np.zeros((2, 16))
    assert len(plotting.show_reconstructions(x, x, shape=(4, 4), n=8).axes) == 4
    with pytest.raises(ValueError, match="4x5"):
        plotting.show_reconstructions(x, x, shape=(4, 5))
    with pytest.raises(ValueError, match="match"):
        plotting.show_reconstructions(x, np.zeros((3, 16)), shape=(4, 4))


def test_plot_codes_2d_one_group_per_label():
    codes = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], dtype=float)
    fig = plotting.plot_codes_2d(codes, [0, 1, 0, 1], label_names=["cat", "dog"])
    groups = fig.axes[0].collections
    assert [g.get_label() for g in groups] == ["cat", "dog"]
    np.testing.assert_allclose(groups[1].get_offsets(), [[1, 1], [3, 3]])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plotting.plot_codes_2d(np.zeros((4, 3)))


def test_show_interpolation_strip_in_order():
    images = np.linspace(0, 1, 5)[:, None] * np.ones((5, 9))
    fig = plotting.show_interpolation(images, shape=(3, 3))
    assert len(fig.axes) == 5
    assert [float(image_data(ax).mean()) for ax in fig.axes] == pytest.approx(
        [0, 0.25, 0.5, 0.75, 1]
    )


def test_show_images_grid_titles_and_square_default():
    images = np.arange(10 * 16).reshape(10, 16)
    fig = plotting.show_images(images, titles=[f"#{i}" for i in range(10)], ncols=4, title="all")
    assert fig.get_suptitle() == "all"
    assert len(fig.axes) == 10  # 3 rows of 4, the two empty cells removed
    assert fig.axes[9].get_title() == "#9"
    np.testing.assert_allclose(image_data(fig.axes[9]), images[9].reshape(4, 4))
    with pytest.raises(ValueError, match="titles"):
        plotting.show_images(images, titles=["a"])
    with pytest.raises(ValueError, match="shape"):
        plotting.show_images(np.zeros((2, 10)))


def test_figures_render_with_agg(tmp_path):
    fig = plotting.show_images(np.random.default_rng(0).random((3, 64)))
    fig.savefig(tmp_path / "grid.png")
    from PIL import Image

    with Image.open(tmp_path / "grid.png") as png:
        assert png.size[0] > png.size[1] > 0  # one row of three images: wider than tall


def test_returned_figures_display_as_png_in_ipython():
    """A figure left as a cell's last expression must show as an image, not '<Figure ...>'."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        fig = plotting.plot_loss([3.0, 2.0, 1.0])
        assert plotting._show_figures_in_ipython() is True
        data, _ = shell.display_formatter.format(fig)
        assert data["image/png"][:4] == b"\x89PNG", "the figure was not rendered as a PNG"
    finally:
        InteractiveShell.clear_instance()


def test_no_display_registration_outside_ipython():
    assert plotting._show_figures_in_ipython() is False
