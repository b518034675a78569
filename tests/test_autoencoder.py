"""The chapter's autoencoder: training, quality on iris, checkpoints, seeding, bad input."""

import os

import numpy as np
import pytest
from sklearn.datasets import load_iris

import aecourse as ae
from aecourse.autoencoder import IMAGE_CONFIG, Autoencoder, NotTrainedError, get_batch, rmse

tf = ae.tf
IRIS = load_iris().data


def small(**kw):
    """A quick iris model: few batch epochs, silent."""
    args = dict(epoch=5, batch_size=10, verbose=False, seed=1)
    args.update(kw)
    return Autoencoder(4, 2, **args)


def test_rmse_known_values_and_tensors():
    assert rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(np.sqrt(12.5))
    assert rmse([[1.0, 2.0]], [[1.0, 2.0]]) == 0.0
    t = rmse(tf.constant([1.0, 3.0]), tf.constant([1.0, 1.0]))
    assert isinstance(t, tf.Tensor) and float(t) == pytest.approx(np.sqrt(2.0))
    with pytest.raises(ValueError, match="same shape"):
        rmse([1.0, 2.0], [1.0])


def test_get_batch_distinct_rows_and_errors():
    X = np.arange(20).reshape(10, 2)
    batch = get_batch(X, 10, rng=0)
    assert batch.shape == (10, 2)
    assert sorted(batch[:, 0].tolist()) == list(range(0, 20, 2))  # every row exactly once
    np.testing.assert_array_equal(get_batch(X, 4, rng=3), get_batch(X, 4, rng=3))
    ae.set_seed(5)
    first = get_batch(X, 3)
    ae.set_seed(5)
    np.testing.assert_array_equal(first, get_batch(X, 3))
    with pytest.raises(ValueError, match="larger than the 10 rows"):
        get_batch(X, 11)
    with pytest.raises(ValueError, match="positive integer"):
        get_batch(X, 0)
    with pytest.raises(ValueError, match="non-empty"):
        get_batch(np.empty((0, 2)), 1)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(input_dim=0), "input_dim"),
        (dict(hidden_dim=-1), "hidden_dim"),
        (dict(epoch=0), "epoch"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(batch_size=0), "batch_size"),
        (dict(init="zeros"), "init"),
        (dict(seed=-3), "seed"),
        (dict(input_dim=2.5), "input_dim"),
        (dict(momentum=1.0), "momentum"),
        (dict(momentum=-0.1), "momentum"),
        (dict(momentum="0.9"), "momentum"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, word):
    args = dict(input_dim=4, hidden_dim=1) | kwargs
    with pytest.raises(ValueError, match=word):
        Autoencoder(**args)


def test_untrained_model_says_what_to_do(tmp_path):
    model = Autoencoder(4, 1)
    for call in (model.test, model.encode, model.reconstruct, model.rmse):
        with pytest.raises(NotTrainedError, match=r"call train\(data\) or restore"):
            call(IRIS)
    with pytest.raises(RuntimeError):
        model.save(tmp_path)
    assert issubclass(NotTrainedError, RuntimeError)


@pytest.mark.parametrize(
    "data, word",
    [
        (IRIS[:, :3], "shape"),
        (np.where(np.arange(600).reshape(150, 4) == 7, np.nan, IRIS), "NaN"),
        (np.full((3, 4), np.inf), "NaN or inf"),
        (np.empty((0, 4)), "empty"),
        ([["a", "b", "c", "d"]], "numbers"),
    ],
)
def test_train_rejects_bad_data(data, word):
    with pytest.raises(ValueError, match=word):
        small().train(data)


def test_batch_size_larger_than_data():
    with pytest.raises(ValueError, match="batch_size 200 is larger than the 150 rows"):
        small().train(IRIS, batch_size=200)


def test_shapes_names_and_consistency():
    model = small().train(tf.constant(IRIS, tf.float32))  # tensors are accepted too
    weights = model.get_weights()
    assert {k: v.shape for k, v in weights.items()} == {
        "encode/weights": (4, 2),
        "encode/biases": (2,),
        "decode/weights": (2, 4),
        "decode/biases": (4,),
    }
    codes = model.encode(IRIS)
    assert codes.shape == (150, 2) and np.all(np.abs(codes) <= 1)  # tanh codes
    out = model.reconstruct(IRIS)
    assert out.shape == (150, 4) and out.dtype == np.float32
    np.testing.assert_allclose(model.decode(codes), out, rtol=1e-5, atol=1e-5)
    # The decoder is linear: decoding a mix of codes is the mix of decodings.
    d = model.decode(np.array([[0.2, 0.4], [0.0, 0.0], [0.4, 0.8]]))
    np.testing.assert_allclose(d[2] - d[1], 2 * (d[0] - d[1]), rtol=1e-4, atol=1e-4)
    assert model.test([8, 4, 6, 2]).shape == (1, 4)
    assert model.rmse(IRIS) == pytest.approx(rmse(out, IRIS), rel=1e-6)
    with pytest.raises(ValueError, match=r"codes must have shape \(n, 2\)"):
        model.decode(np.ones((1, 3)))


def test_loss_falls_on_iris():
    model = small(epoch=30, learning_rate=0.003).train(IRIS)
    history = model.loss_history_
    assert len(history) == 30 and model.epochs_trained_ == 30
    assert history[-1] < 0.5 * history[0]
    mean_only = np.sqrt(np.mean((IRIS - IRIS.mean(axis=0)) ** 2))  # 1.07: predicting the mean
    assert model.rmse(IRIS) < 0.5 * mean_only


def test_iris_matches_pca_listing_7_6():
    """Listing 7.6 with the course defaults: within 10% of a 1-component PCA (0.2926)."""
    model = Autoencoder(4, 1, verbose=False, seed=0).train(IRIS)
    assert model.epochs_trained_ == 250
    centred = IRIS - IRIS.mean(axis=0)
    v = np.linalg.svd(centred, full_matrices=False)[2][:1].T
    pca_rmse = np.sqrt(np.mean((centred @ v @ v.T - centred) ** 2))
    assert pca_rmse == pytest.approx(0.2926, abs=1e-3)
    assert model.rmse(IRIS) <= 1.10 * pca_rmse
    # The book printed [6.88, 2.80, 6.25, 2.23]; the point lies beyond the data.
    np.testing.assert_allclose(
        model.reconstruct([[8, 4, 6, 2]])[0], [6.88, 2.80, 6.25, 2.23], atol=0.2
    )


def test_same_seed_same_run_and_set_seed():
    a, b = small(seed=7).train(IRIS), small(seed=7).train(IRIS)
    for name, w in a.get_weights().items():
        np.testing.assert_array_equal(w, b.get_weights()[name])
    assert a.loss_history_ == b.loss_history_
    c = small(seed=8).train(IRIS)
    assert c.loss_history_ != a.loss_history_
    ae.set_seed(3)
    d = small(seed=None).train(IRIS)
    ae.set_seed(3)
    e = small(seed=None).train(IRIS)
    np.testing.assert_array_equal(
        d.get_weights()["encode/weights"], e.get_weights()["encode/weights"]
    )
    # Training again starts from fresh weights, so it repeats the run exactly.
    again = a.train(IRIS)
    assert again is a and again.loss_history_ == b.loss_history_


def test_verbose_false_is_silent_and_verbose_prints_progress(capfd):
    model = small(epoch=6).train(IRIS)
    model.test([[8, 4, 6, 2]])
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""
    small(epoch=6, verbose=True, print_every=2).train(IRIS).test([[8, 4, 6, 2]])
    out = capfd.readouterr()
    lines = out.out.splitlines()
    assert [ln.split(":")[0] for ln in lines[:3]] == ["epoch 2/6", "epoch 4/6", "epoch 6/6"]
    assert "rmse" in lines[0] and lines[3].startswith("input")
    assert out.err == ""


def test_default_progress_is_about_ten_lines(capsys):
    Autoencoder(4, 1, epoch=40, batch_size=50, seed=0).train(IRIS)
    assert len(capsys.readouterr().out.splitlines()) == 10


def test_no_retracing_noise_on_stderr(capfd):
    model = small(epoch=2)
    for n in (150, 120, 90, 60, 30, 150):  # different data sizes and repeated calls
        model.train(IRIS[:n])
        model.rmse(IRIS[:n])
        model.encode(IRIS[: n // 3])
    assert capfd.readouterr().err == ""


def test_checkpoint_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory
    ckdir = tmp_path / "ck" / "nested"
    model = small().train(IRIS)
    first = model.save(ckdir)
    second = model.save(ckdir)
    assert first.endswith("ckpt-1") and second.endswith("ckpt-2")
    assert os.path.exists(first + ".index") and os.path.exists(second + ".index")
    assert sorted(os.listdir(tmp_path)) == ["ck"]
    # A new model saving into the same directory must not overwrite the old numbers.
    assert small(seed=2).train(IRIS).save(ckdir).endswith("ckpt-3")
    fresh = Autoencoder(4, 2, verbose=False).restore(first)
    for name, w in model.get_weights().items():
        np.testing.assert_array_equal(fresh.get_weights()[name], w)
    np.testing.assert_array_equal(fresh.reconstruct(IRIS), model.reconstruct(IRIS))
    assert fresh.epochs_trained_ == 5
    keys = {k for k, _ in tf.train.list_variables(first)}
    assert {
        "encode/weights/.ATTRIBUTES/VARIABLE_VALUE",
        "decode/biases/.ATTRIBUTES/VARIABLE_VALUE",
    } <= keys
    latest = Autoencoder(4, 2, verbose=False).restore(ckdir)  # a directory: its latest checkpoint
    assert not np.array_equal(
        latest.get_weights()["encode/weights"], model.get_weights()["encode/weights"]
    )


def test_train_writes_periodic_checkpoints(tmp_path):
    small(epoch=6, print_every=3).train(IRIS, checkpoint_dir=tmp_path / "run")
    names = sorted(f for f in os.listdir(tmp_path / "run") if f.endswith(".index"))
    assert names == ["ckpt-1.index", "ckpt-2.index"]


def test_restore_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        Autoencoder(4, 2).restore(tmp_path / "nowhere" / "ckpt-1")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no checkpoint in directory"):
        Autoencoder(4, 2).restore(tmp_path / "empty")
    path = small().train(IRIS).save(tmp_path / "ck")
    with pytest.raises(ValueError, match=r"shape \(4, 2\).*needs \(4, 3\)"):
        Autoencoder(4, 3).restore(path)


def test_constant_columns_do_not_give_nan():
    data = np.column_stack([IRIS[:, :3], np.full(150, 5.0)])
    model = small().train(data)
    assert np.all(np.isfinite(model.reconstruct(data)))
    flat = small().train(np.full((20, 4), 2.0))
    np.testing.assert_allclose(flat.reconstruct(np.full((1, 4), 2.0)), 2.0, atol=0.5)


def test_book_configuration_is_available():
    model = Autoencoder(4, 1, epoch=1, init="normal", normalize=False, verbose=False, seed=0)
    model.train(IRIS[:20])
    w = model.get_weights()["encode/weights"]
    assert w.shape == (4, 1) and np.all(np.isfinite(w))


def _weight_moves(lr, epochs, momentum, hidden=2):
    """|weights after `epochs` full-batch steps - initial weights| / lr, for all weights."""
    args = dict(batch_size=150, verbose=False, seed=3, momentum=momentum)
    # A learning rate of 1e-12 leaves the initial weights in place (to float32 precision).
    start = Autoencoder(4, hidden, epoch=1, learning_rate=1e-12, **args).train(IRIS)
    moved = Autoencoder(4, hidden, epoch=epochs, learning_rate=lr, **args).train(IRIS)
    w0, w1 = start.get_weights(), moved.get_weights()
    return np.concatenate([np.abs(w1[k] - w0[k]).ravel() / lr for k in w0 if "weights" in k])


@pytest.mark.parametrize(
    "momentum, epochs, expected",
    [
        # RMSProp from a zero average: ms = 0.1 g^2, so the first step is lr * sqrt(10).
        (0.0, 1, np.sqrt(10)),
        (0.9, 1, np.sqrt(10)),
        # Second step with (nearly) the same gradient: ms = 0.19 g^2 -> lr / sqrt(0.19);
        # with momentum the first step is carried on at 0.9 of its size.
        (0.0, 2, np.sqrt(10) + 1 / np.sqrt(0.19)),
        (0.9, 2, np.sqrt(10) + 0.9 * np.sqrt(10) + 1 / np.sqrt(0.19)),
    ],
)
def test_rmsprop_step_sizes(momentum, epochs, expected):
    moves = _weight_moves(1e-5, epochs, momentum)
    assert np.median(moves) == pytest.approx(expected, rel=0.02)


def test_xla_and_plain_graph_agree_with_a_partial_last_batch():
    """150 rows in batches of 7: 21 full batches and one of 3, compiled two ways."""
    args = dict(epoch=3, batch_size=7, verbose=False, seed=4, learning_rate=0.003)
    fast = Autoencoder(4, 2, **args).train(IRIS)
    plain = Autoencoder(4, 2, jit_compile=False, **args).train(IRIS)
    for name, w in fast.get_weights().items():
        np.testing.assert_allclose(w, plain.get_weights()[name], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(fast.loss_history_, plain.loss_history_, rtol=1e-3)
    assert fast.loss_history_[-1] < fast.loss_history_[0]


def test_image_config_is_accepted_and_keeps_the_defaults_elsewhere():
    model = Autoencoder(1024, 100, verbose=False, **IMAGE_CONFIG)
    assert model.learning_rate < 0.001 and model.batch_size == IMAGE_CONFIG["batch_size"]
    assert model.init == "glorot" and model.normalize


@pytest.mark.parametrize("batch_size, momentum", [(None, 0.0), (10, 0.9)])
def test_default_momentum_is_none_per_sample_and_0_9_with_batches(batch_size, momentum):
    args = dict(epoch=2, batch_size=batch_size, verbose=False, seed=5)
    auto = Autoencoder(4, 2, **args).train(IRIS[:60])
    explicit = Autoencoder(4, 2, momentum=momentum, **args).train(IRIS[:60])
    other = Autoencoder(4, 2, momentum=0.9 - momentum, **args).train(IRIS[:60])
    w = auto.get_weights()["encode/weights"]
    np.testing.assert_array_equal(w, explicit.get_weights()["encode/weights"])
    assert not np.allclose(w, other.get_weights()["encode/weights"])


def test_changing_learning_rate_between_trainings_takes_effect():
    """The compiled loop is built once per model: a new rate must still reach it."""
    args = dict(epoch=3, batch_size=10, verbose=False, seed=6)
    model = Autoencoder(4, 2, learning_rate=0.001, **args).train(IRIS)
    model.learning_rate = 0.01
    model.train(IRIS)
    fresh = Autoencoder(4, 2, learning_rate=0.01, **args).train(IRIS)
    for name, w in fresh.get_weights().items():
        np.testing.assert_allclose(model.get_weights()[name], w, rtol=1e-5, atol=1e-6)
