"""Section 7.1 building blocks: known values, shapes, tensors, and Exercise 7.1's |x|."""

import numpy as np
import pytest

import aecourse as ae
from aecourse import neurons

tf = ae.tf


def test_linear():
    np.testing.assert_allclose(neurons.linear([0.0, 1.0, 2.0], 3.0, -1.0), [-1.0, 2.0, 5.0])
    out = neurons.linear(tf.constant([1.0, 2.0]), 2.0, 0.5)
    assert isinstance(out, tf.Tensor)
    np.testing.assert_allclose(out.numpy(), [2.5, 4.5])


def test_neuron_single_and_batch():
    w = [0.5, -1.0]
    np.testing.assert_allclose(neurons.neuron([2.0, 1.0], w, 0.25), 0.25)
    np.testing.assert_allclose(neurons.neuron([[2.0, 1.0], [0.0, 1.0]], w, 0.0, "relu"), [0.0, 0.0])
    np.testing.assert_allclose(neurons.neuron([[0.0, 0.0]], w, 0.0, "sigmoid"), [0.5])
    t = neurons.neuron(tf.constant([[2.0, 1.0]]), tf.constant(w), 1.0, "tanh")
    assert isinstance(t, tf.Tensor)
    np.testing.assert_allclose(t.numpy(), [np.tanh(1.0)], rtol=1e-6)


def test_neuron_bad_shapes():
    with pytest.raises(ValueError, match="one weight per input"):
        neurons.neuron([1.0, 2.0, 3.0], [1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="bias b must be one number"):
        neurons.neuron([1.0, 2.0], [1.0, 2.0], [0.0, 1.0])


def test_dense_layer():
    x = np.array([[1.0, -1.0]])
    W = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, -1.0]])
    b = np.array([0.0, 0.5, 0.0])
    np.testing.assert_allclose(neurons.dense_layer(x, W, b), [[0.0, 2.5, 1.0]])
    np.testing.assert_allclose(neurons.dense_layer(x, W, b, None), [[-2.0, 2.5, 1.0]])
    out = neurons.dense_layer(tf.constant(x, tf.float32), tf.constant(W, tf.float32), b.astype("f"))
    assert isinstance(out, tf.Tensor) and out.shape == (1, 3)
    with pytest.raises(ValueError, match="x's columns match W's rows"):
        neurons.dense_layer(np.ones((2, 3)), W, b)


def test_abs_via_relu_is_exact():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(neurons.abs_via_relu(x), np.abs(x))
    assert isinstance(neurons.abs_via_relu(tf.constant(x)), tf.Tensor)


def test_fit_linear():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    w, b = neurons.fit_linear(x, 2 * x - 1)
    assert w == pytest.approx(2.0) and b == pytest.approx(-1.0)
    # The best line through |x| on a symmetric interval is flat at the mean of |x|.
    x = np.linspace(-1, 1, 101)
    w, b = neurons.fit_linear(x, np.abs(x))
    assert w == pytest.approx(0.0, abs=1e-9) and b == pytest.approx(np.abs(x).mean())
    with pytest.raises(ValueError, match="equal length"):
        neurons.fit_linear([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        neurons.fit_linear([1.0, np.nan], [1.0, 2.0])


def test_hidden_layer_fits_abs_far_better_than_a_line():
    x = np.linspace(-1, 1, 101)
    y = np.abs(x)
    net = neurons.OneHiddenLayerNet(hidden_dim=8, epochs=300, seed=0).fit(x, y)
    net_rmse = np.sqrt(np.mean((net.predict(x) - y) ** 2))
    w, b = neurons.fit_linear(x, y)
    line_rmse = np.sqrt(np.mean((w * x + b - y) ** 2))
    assert line_rmse > 0.28  # sqrt(var(|x|)) = sqrt(1/3 - 1/4)
    assert net_rmse < 0.05 < line_rmse / 5
    assert len(net.loss_history_) == 300 and net.loss_history_[-1] < net.loss_history_[0]
    assert net.predict(x[:, None]).shape == (101,)


def test_hidden_layer_net_errors():
    with pytest.raises(ValueError, match="hidden_dim"):
        neurons.OneHiddenLayerNet(hidden_dim=0)
    with pytest.raises(ValueError, match="unknown activation"):
        neurons.OneHiddenLayerNet(activation="swishy")
    with pytest.raises(RuntimeError, match="fit"):
        neurons.OneHiddenLayerNet().predict([0.0])
    with pytest.raises(ValueError, match="same length"):
        neurons.OneHiddenLayerNet(epochs=1).fit([0.0, 1.0], [1.0])
