"""Activation functions: known values, derivatives vs finite differences, tensors, CV."""

import numpy as np
import pytest

import aecourse as ae
from aecourse import activations as act

tf = ae.tf


def test_known_values():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(act.sigmoid(x), [1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-2))])
    np.testing.assert_allclose(act.tanh(x), [-0.7615941559557649, 0.0, 0.9640275800758169])
    np.testing.assert_allclose(act.relu(x), [0.0, 0.0, 2.0])
    assert act.relu_grad(0.0) == 0.0
    np.testing.assert_allclose(act.sigmoid_grad(0.0), 0.25)
    np.testing.assert_allclose(act.tanh_grad(0.0), 1.0)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(act.sigmoid([-1000.0, 1000.0]), [0.0, 1.0])


def test_integer_input_gives_floats():
    assert act.relu([-1, 3]).dtype.kind == "f"
    np.testing.assert_allclose(act.sigmoid([0]), [0.5])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_derivatives_match_finite_differences(name):
    f, df = act.ACTIVATIONS[name], act.GRADIENTS[name]
    x = np.array([-2.3, -0.7, 0.4, 1.9])  # away from relu's kink at 0
    h = 1e-6
    np.testing.assert_allclose(df(x), (f(x + h) - f(x - h)) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_tensor_in_tensor_out(name):
    x = tf.constant([-1.5, 0.0, 2.0])
    for fn in (act.ACTIVATIONS[name], act.GRADIENTS[name]):
        out = fn(x)
        assert isinstance(out, tf.Tensor)
        np.testing.assert_allclose(out.numpy(), fn(x.numpy()), rtol=1e-6, atol=1e-7)


def test_get_and_unknown_name():
    assert act.get("tanh") is act.tanh
    assert act.get(None)(3.0) == 3.0
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        act.get("softplus")


def test_figure_data():
    d = act.figure_7_2_data([-1.0, 0.0, 1.0])
    assert set(d) == {"x", "sigmoid", "tanh", "relu"}
    np.testing.assert_allclose(d["relu"], [0.0, 0.0, 1.0])
    default = act.figure_7_2_data()
    assert default["x"].shape == default["tanh"].shape and default["x"][0] < 0 < default["x"][-1]
    with pytest.raises(ValueError, match="finite"):
        act.figure_7_2_data([np.nan])


def test_cross_validate_activations_is_quiet_and_sensible(capfd):
    from sklearn.datasets import load_iris

    d = load_iris()
    scores = act.cross_validate_activations(d.data, d.target, cv=3)
    assert set(scores) == {"logistic", "tanh", "relu"}
    assert all(0.8 < s <= 1.0 for s in scores.values()), scores
    assert capfd.readouterr().err == ""
    with pytest.raises(ValueError, match="activations must be"):
        act.cross_validate_activations(d.data, d.target, activations=("sigmoid",))
