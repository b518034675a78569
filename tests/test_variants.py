"""Tests for aecourse.variants: stacked, denoising and variational autoencoders."""

import numpy as np
import pytest

import aecourse as ae
from aecourse import datasets, variants
from aecourse.autoencoder import NotTrainedError

keras = ae.keras


@pytest.fixture(scope="module")
def digits():
    d = datasets.load_digits()
    return d.data / 16.0, d.target


# --- noise ---------------------------------------------------------------------------------


def test_gaussian_noise_statistics_and_seed():
    x = np.full((200, 50), 3.0)
    noisy = variants.add_gaussian_noise(x, 0.5, rng=np.random.default_rng(0))
    assert noisy.shape == x.shape
    assert abs((noisy - x).mean()) < 0.02
    assert abs((noisy - x).std() - 0.5) < 0.02
    np.testing.assert_array_equal(
        variants.add_gaussian_noise(x, 0.5, rng=7), variants.add_gaussian_noise(x, 0.5, rng=7)
    )
    np.testing.assert_array_equal(variants.add_gaussian_noise(x, 0.0), x)


def test_masking_noise_zeroes_a_fraction_and_keeps_the_rest():
    x = np.arange(1, 10001, dtype=float).reshape(100, 100)
    noisy = variants.add_masking_noise(x, 0.3, rng=1)
    zeroed = noisy == 0
    assert abs(zeroed.mean() - 0.3) < 0.02
    np.testing.assert_array_equal(noisy[~zeroed], x[~zeroed])
    np.testing.assert_array_equal(variants.add_masking_noise(x, 0.0), x)
    assert not variants.add_masking_noise(x, 1.0).any()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: variants.add_gaussian_noise(np.ones(3), -1), "stddev"),
        (lambda: variants.add_masking_noise(np.ones(3), 1.5), "fraction"),
        (lambda: variants.add_masking_noise([1.0, np.nan], 0.1), "NaN"),
        (lambda: variants.add_gaussian_noise(np.ones(3), 0.1, rng="seed"), "rng"),
    ],
)
def test_noise_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- VAE maths -----------------------------------------------------------------------------


def test_reparameterize_known_values_numpy_and_tensor():
    mean, log_var, eps = [1.0, -2.0], [0.0, np.log(4.0)], [0.5, 1.0]
    np.testing.assert_allclose(variants.reparameterize(mean, log_var, eps), [1.5, 0.0])
    t = variants.reparameterize(*(ae.tf.constant(a, ae.tf.float32) for a in (mean, log_var, eps)))
    assert isinstance(t, ae.tf.Tensor)
    np.testing.assert_allclose(t.numpy(), [1.5, 0.0], atol=1e-6)


def test_kl_divergence_matches_the_gaussian_formula():
    assert variants.kl_divergence(np.zeros((1, 3)), np.zeros((1, 3)))[0] == 0.0
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    var = np.exp(log_var)
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2)/2 - 1/2, summed over dimensions.
    expected = np.sum(-0.5 * log_var + (var + mean**2) / 2 - 0.5, axis=-1)
    np.testing.assert_allclose(variants.kl_divergence(mean, log_var), expected)
    t = variants.kl_divergence(ae.tf.constant(mean), ae.tf.constant(log_var))
    np.testing.assert_allclose(t.numpy(), expected)
    assert (variants.kl_divergence(mean, log_var) > 0).all()


# --- stacked -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stacked(digits):
    x, _ = digits
    return variants.StackedAutoencoder((24, 12), epoch=8, batch_size=64, seed=0).train(x)


def test_stacked_layers_are_trained_on_the_previous_codes(stacked, digits):
    x, _ = digits
    assert [(a.input_dim, a.hidden_dim) for a in stacked.layers_] == [(64, 24), (24, 12)]
    codes = stacked.encode(x)
    assert codes.shape == (1797, 12) and np.abs(codes).max() <= 1
    first, second = stacked.encode_all(x)
    np.testing.assert_allclose(stacked.layers_[1].encode(first), second, atol=1e-6)
    baseline = np.sqrt(np.mean((x - x.mean(axis=0)) ** 2))
    assert stacked.reconstruct(x).shape == x.shape
    assert stacked.rmse(x) < 0.7 * baseline  # far better than predicting pixel means


def test_stacked_encoder_model_gives_the_same_codes(stacked, digits):
    x, _ = digits
    model = stacked.encoder_model()
    assert [layer.units for layer in model.layers[1:]] == [24, 12]
    np.testing.assert_allclose(model.predict(x[:50], verbose=0), stacked.encode(x[:50]), atol=1e-5)


def test_stacked_encoder_starts_a_classifier(stacked, digits):
    x, y = digits
    ae.set_seed(0)
    encoder = stacked.encoder_model()
    before = stacked.encode(x[:5])
    classifier = keras.Sequential([encoder, keras.layers.Dense(10, activation="softmax")])
    classifier.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = classifier.fit(x, y, epochs=4, batch_size=64, verbose=0)
    assert history.history["accuracy"][-1] > 0.85  # chance is 0.1
    assert not np.allclose(encoder.predict(x[:5], verbose=0), before)  # fine-tuned


def test_stacked_errors(digits):
    x, _ = digits
    for bad in [(), (0, 3), (2.5,), "abc"]:
        with pytest.raises(ValueError, match="hidden_dims"):
            variants.StackedAutoencoder(bad)
    with pytest.raises(ValueError):
        variants.StackedAutoencoder((4,), epoch=0)
    model = variants.StackedAutoencoder((4,))
    with pytest.raises(NotTrainedError):
        model.encode(x)
    with pytest.raises(ValueError, match="NaN"):
        model.train(np.array([[1.0, np.nan], [0.0, 1.0]]))


# --- denoising -----------------------------------------------------------------------------


def test_denoising_loss_uses_the_clean_input(digits):
    x, _ = digits
    # Masking every entry: the model only ever sees zeros. Scored against the clean data it
    # must learn to output the clean mean; scored against its own input it would output 0.
    dae = variants.DenoisingAutoencoder(
        64, 8, noise="masking", noise_level=1.0, epoch=25, batch_size=64, learning_rate=0.01,
        seed=0,
    )  # fmt: skip
    dae.train(x)
    out = dae.reconstruct(np.zeros((1, 64)))[0]
    mean = x.mean(axis=0)
    assert np.linalg.norm(out - mean) < 0.25 * np.linalg.norm(mean)


def _spy_on_corruption(dae, seen):
    """Make dae's training hook record x_in - x (normalized units) of every step it runs."""
    hook = dae._corrupt_fn

    def spying_hook():
        corrupt = hook()

        def spy(x, seed):
            x_in = corrupt(x, seed)
            # numpy_function runs in the plain graph (jit_compile=False), once per step.
            record = ae.tf.numpy_function(
                lambda a, b: seen.append(a - b) or np.float32(0), [x_in, x], ae.tf.float32
            )
            with ae.tf.control_dependencies([record]):
                return ae.tf.identity(x_in)

        return spy

    dae._corrupt_fn = spying_hook


def test_denoising_draws_fresh_noise_every_epoch(digits):
    x, _ = digits
    # One batch per epoch (batch_size = rows), so the hook runs once per epoch.
    dae = variants.DenoisingAutoencoder(
        64, 8, noise="gaussian", noise_level=0.2, epoch=3, batch_size=200, seed=1,
        jit_compile=False,
    )  # fmt: skip
    seen = []
    _spy_on_corruption(dae, seen)
    dae.train(x[:200])
    assert len(seen) == 3
    assert not np.allclose(np.sort(seen[0].ravel()), np.sort(seen[1].ravel()))
    assert np.abs(np.sort(seen[0].ravel()) - np.sort(seen[1].ravel())).max() > 0.01
    assert len(dae.loss_history_) == 3
    # The noise has the asked-for spread in the data's units, not in normalized ones.
    raw_noise = np.concatenate(seen) * dae._scale.numpy()
    assert abs(raw_noise.std() - 0.2) < 0.01 and abs(raw_noise.mean()) < 0.01


def test_denoising_draws_fresh_noise_every_step(digits):
    x, _ = digits
    dae = variants.DenoisingAutoencoder(
        64, 8, noise="masking", noise_level=0.3, epoch=2, batch_size=64, seed=1, jit_compile=False
    )
    seen = []
    _spy_on_corruption(dae, seen)
    dae.train(x[:200] + 1.0)  # no raw zeros: an entry changed exactly where it was masked
    assert len(seen) == 2 * 4  # 3 full batches of 64 and one of 8 per epoch
    masks = [d != 0 for d in seen]
    assert abs(np.concatenate(masks).mean() - 0.3) < 0.02
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    assert not np.array_equal(masks[0], masks[4])  # and in the next epoch


def _trained_hook(noise, level, x):
    """A briefly trained model (its mean and scale set) and its XLA-compiled corruption."""
    dae = variants.DenoisingAutoencoder(64, 4, noise=noise, noise_level=level, epoch=1, seed=0)
    dae.train(x)
    corrupt = ae.tf.function(dae._corrupt_fn(), jit_compile=True)
    mean, scale = dae._mean.numpy(), dae._scale.numpy()
    xn = ae.tf.constant(((x - mean) / scale).astype(np.float32))

    def raw_input(seed):
        """What the network sees for the rows x, mapped back to the data's units."""
        return corrupt(xn, ae.tf.constant(seed, ae.tf.int64)).numpy() * scale + mean

    return raw_input


def test_masking_hook_sets_raw_entries_to_zero(digits):
    x, _ = digits
    raw_input = _trained_hook("masking", 0.3, x)
    seen = raw_input([3, 4])
    masked = np.abs(seen) < 1e-5  # raw 0, which normalized is -mean/scale per column
    kept = np.abs(seen - x) < 1e-5
    assert (masked | kept).all(), "every input is either the raw entry or a raw 0"
    nonzero = x != 0
    assert abs(masked[nonzero].mean() - 0.3) < 0.02
    np.testing.assert_array_equal(raw_input([3, 4]), seen)  # stateless: same seed, same mask
    assert not np.array_equal(np.abs(raw_input([3, 5])) < 1e-5, masked)


def test_gaussian_hook_noise_is_in_data_units(digits):
    x, _ = digits
    raw_input = _trained_hook("gaussian", 0.25, x)
    noise = raw_input([1, 2]) - x
    assert abs(noise.std() - 0.25) < 0.005 and abs(noise.mean()) < 0.005
    # Independent entries: neighbouring pixels' noise is uncorrelated.
    assert abs(np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]) < 0.03


def test_denoising_beats_a_plain_autoencoder_on_noisy_inputs(digits):
    x, _ = digits
    train, test = x[:1000], x[1000:]
    noisy = variants.add_masking_noise(test, 0.3, rng=5)
    dae = variants.DenoisingAutoencoder(64, 16, noise="masking", noise_level=0.3, epoch=10, seed=0)
    plain = ae.Autoencoder(64, 16, epoch=10, batch_size=32, verbose=False, seed=0)
    dae.train(train), plain.train(train)
    assert isinstance(dae, ae.Autoencoder)
    plain_on_noisy = ae.autoencoder.rmse(plain.reconstruct(noisy), test)
    assert dae.rmse(noisy, clean=test) < 0.92 * plain_on_noisy
    # The price: on clean inputs the plain autoencoder, trained for exactly that, is better.
    assert plain.rmse(test) < dae.rmse(test)


def test_denoising_removes_gaussian_noise_better_than_doing_nothing(digits):
    x, _ = digits
    dae = variants.DenoisingAutoencoder(
        64, 24, noise="gaussian", noise_level=0.3, epoch=15, batch_size=32, learning_rate=0.003,
        seed=2,
    )  # fmt: skip
    dae.train(x)
    noisy = variants.add_gaussian_noise(x, 0.3, rng=99)
    assert dae.rmse(noisy, clean=x) < 0.8 * np.sqrt(np.mean((noisy - x) ** 2))
    w = dae.get_weights()
    assert w["encode/weights"].shape == (64, 24) and w["decode/biases"].shape == (64,)


def test_denoising_errors():
    with pytest.raises(ValueError, match="noise"):
        variants.DenoisingAutoencoder(4, 2, noise="salt")
    with pytest.raises(ValueError, match="fraction"):
        variants.DenoisingAutoencoder(4, 2, noise="masking", noise_level=2)
    with pytest.raises(ValueError, match="hidden_dim"):
        variants.DenoisingAutoencoder(4, 0)
    dae = variants.DenoisingAutoencoder(4, 2)
    with pytest.raises(NotTrainedError, match="this DenoisingAutoencoder has no learned weights"):
        dae.reconstruct(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        dae.train(np.ones((3, 5)))
    for bad in (-0.1, float("nan"), True, "0.1", None):
        with pytest.raises(ValueError, match="noise_level"):
            variants.DenoisingAutoencoder(4, 2, noise_level=bad)
    with pytest.raises(ValueError, match="batch_size"):
        dae.train(np.ones((3, 4)), batch_size=0)
    with pytest.raises(ValueError, match="seed"):
        variants.DenoisingAutoencoder(4, 2, seed=-1)
    with pytest.raises(AttributeError, match="new DenoisingAutoencoder"):
        dae.noise_level = 0.5  # the compiled loop would silently keep the old level
    assert (dae.noise, dae.noise_level) == ("gaussian", 0.1)


def test_denoising_rmse_checks_clean_and_cuts_big_batches():
    rows = np.random.default_rng(0).normal(size=(10, 4))
    # batch_size 32 > 10 rows: cut to 10, as before the class became an Autoencoder.
    dae = variants.DenoisingAutoencoder(4, 2, epoch=2, seed=0).train(rows)
    assert len(dae.loss_history_) == 2
    assert dae.rmse(rows, clean=rows) == pytest.approx(dae.rmse(rows))
    with pytest.raises(ValueError, match="clean has shape"):
        dae.rmse(rows, clean=rows[:1])
    with pytest.raises(ValueError, match="clean contains NaN"):
        dae.rmse(rows, clean=np.full((10, 4), np.nan))


# --- variational ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vae(digits):
    x, _ = digits
    ae.set_seed(0)
    model = variants.VariationalAutoencoder(64, latent_dim=2, hidden_dims=(32,), seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.005))
    model.history_ = model.fit(x, epochs=4, batch_size=128, verbose=0)
    return model


def test_vae_trains_with_reconstruction_and_kl_metrics(vae):
    h = vae.history_.history
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(h)
    assert h["loss"][-1] < h["loss"][0]
    np.testing.assert_allclose(np.add(h["reconstruction_loss"], h["kl_loss"]), h["loss"], rtol=1e-4)
    assert h["kl_loss"][-1] > 0


# Keras' own .keras writer calls np.array on variables (a NumPy 2 deprecation inside Keras).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_vae_saves_and_loads(vae, digits, tmp_path):
    x, _ = digits
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, variants.VariationalAutoencoder)
    assert loaded.get_config()["latent_dim"] == 2
    np.testing.assert_allclose(loaded.encode(x[:10]), vae.encode(x[:10]), atol=1e-6)
    np.testing.assert_allclose(loaded.sample(3, seed=4), vae.sample(3, seed=4), atol=1e-6)


def test_vae_sample_decodes_standard_normal_codes(vae):
    a, b = vae.sample(6, seed=3), vae.sample(6, seed=3)
    assert a.shape == (6, 64)
    np.testing.assert_array_equal(a, b)
    z = np.random.default_rng(3).standard_normal((6, 2))
    np.testing.assert_allclose(a, vae.decode(z), atol=1e-6)
    assert ((a >= 0) & (a <= 1)).all()  # sigmoid output for data in [0, 1]


def test_vae_interpolation_goes_from_one_code_to_the_other(vae, digits):
    x, _ = digits
    strip = vae.interpolate(x[0], x[1], steps=5)
    assert strip.shape == (5, 64)
    za, zb = vae.encode(x[:1]), vae.encode(x[1:2])
    np.testing.assert_allclose(strip[0], vae.decode(za)[0], atol=1e-5)
    np.testing.assert_allclose(strip[-1], vae.decode(zb)[0], atol=1e-5)
    np.testing.assert_allclose(strip[2], vae.decode((za + zb) / 2)[0], atol=1e-5)


def test_vae_errors(vae):
    with pytest.raises(ValueError, match="reconstruction"):
        variants.VariationalAutoencoder(4, reconstruction="l1")
    with pytest.raises(ValueError, match="latent_dim"):
        variants.VariationalAutoencoder(4, latent_dim=0)
    with pytest.raises(ValueError, match="steps"):
        vae.interpolate(np.zeros(64), np.ones(64), steps=1)
    with pytest.raises(ValueError, match=r"\(64,\)"):
        vae.interpolate(np.zeros((2, 64)), np.ones(64))
    with pytest.raises(ValueError, match="n must"):
        vae.sample(0)
