"""A variational autoencoder in Keras 3, written the keras-io way.

The encoder gives a mean and a log-variance per latent dimension; a code is drawn as
mean + exp(log_var / 2) * eps with eps ~ N(0, I) (the reparameterization trick, so
gradients flow through the draw). The loss is reconstruction error plus the KL
divergence from N(0, I), computed in ``train_step`` with metric trackers (functional
``add_loss`` broke under Keras 3). Decoding z ~ N(0, I) makes new points; decoding a
straight line between two codes blends two inputs (the chapter's "average of two
vectors").
"""

from __future__ import annotations

import numpy as np

from aecourse._tf import keras, tf

__all__ = ["reparameterize", "kl_divergence", "Sampling", "VariationalAutoencoder"]


def reparameterize(mean, log_var, eps):
    """mean + exp(0.5 * log_var) * eps (NumPy in -> NumPy out, tensor in -> tensor out)."""
    if any(isinstance(a, tf.Tensor | tf.Variable) for a in (mean, log_var, eps)):
        return mean + tf.exp(0.5 * log_var) * eps
    mean, log_var, eps = (np.asarray(a, dtype=np.float64) for a in (mean, log_var, eps))
    return mean + np.exp(0.5 * log_var) * eps


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per row: -0.5 * sum(1 + lv - m**2 - exp(lv), -1)."""
    if any(isinstance(a, tf.Tensor | tf.Variable) for a in (mean, log_var)):
        return -0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), axis=-1)
    mean, log_var = np.asarray(mean, dtype=np.float64), np.asarray(log_var, dtype=np.float64)
    return -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1)


@keras.saving.register_keras_serializable(package="aecourse")
class Sampling(keras.layers.Layer):
    """Draw z = mean + exp(log_var / 2) * eps from inputs (mean, log_var)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)
        return mean + keras.ops.exp(0.5 * log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="aecourse")
class VariationalAutoencoder(keras.Model):
    """Dense VAE: input_dim -> hidden_dims -> (z_mean, z_log_var) -> z -> hidden -> input_dim.

    Args:
        input_dim: features per row; latent_dim: size of the code (2 to plot it).
        hidden_dims: sizes of the ReLU layers of the encoder (the decoder mirrors them).
        reconstruction: "bce" (sigmoid output, binary cross-entropy summed over features;
            scale data to [0, 1]) or "mse" (linear output, squared error summed over features).
        beta: weight of the KL term. seed: initial weights and the sampling noise.
    Train with ``compile(optimizer=...)`` then ``fit(x, ...)``; no targets are needed.
    """

    def __init__(
        self,
        input_dim,
        latent_dim=2,
        hidden_dims=(64,),
        reconstruction="bce",
        beta=1.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("latent_dim", latent_dim)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        hidden_dims = tuple(int(h) for h in hidden_dims)
        if any(h <= 0 for h in hidden_dims):
            raise ValueError(f"hidden_dims must be positive integers, got {hidden_dims}")
        if reconstruction not in ("bce", "mse"):
            raise ValueError(f'reconstruction must be "bce" or "mse", got {reconstruction!r}')
        if not isinstance(beta, int | float) or isinstance(beta, bool) or beta < 0:
            raise ValueError(f"beta must be a number >= 0, got {beta!r}")
        self.input_dim, self.latent_dim = int(input_dim), int(latent_dim)
        self.hidden_dims, self.reconstruction = hidden_dims, reconstruction
        self.beta, self.seed = float(beta), seed

        def init(i):
            return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)

        self.encoder_layers = [
            keras.layers.Dense(h, activation="relu", kernel_initializer=init(i), name=f"enc_{i}")
            for i, h in enumerate(hidden_dims)
        ]
        self.z_mean_layer = keras.layers.Dense(
            latent_dim, kernel_initializer=init(50), name="z_mean"
        )
        self.z_log_var_layer = keras.layers.Dense(
            latent_dim, kernel_initializer=init(51), name="z_log_var"
        )
        self.sampling = Sampling(seed=seed, name="sampling")
        self.decoder_layers = [
            keras.layers.Dense(
                h, activation="relu", kernel_initializer=init(100 + i), name=f"dec_{i}"
            )
            for i, h in enumerate(reversed(hidden_dims))
        ]
        self.output_layer = keras.layers.Dense(
            input_dim,
            activation="sigmoid" if reconstruction == "bce" else None,
            kernel_initializer=init(200),
            name="reconstruction",
        )
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        # Every size is known now: build at once so fit, predict and load_model agree.
        self.build((None, self.input_dim))

    # ----- the two halves ------------------------------------------------------------------
    def build(self, input_shape=None):
        """Create every weight (the sizes come from the constructor, not input_shape)."""
        if self.built:
            return
        shape = (None, self.input_dim)
        for layer in self.encoder_layers:
            layer.build(shape)
            shape = (None, layer.units)
        self.z_mean_layer.build(shape)
        self.z_log_var_layer.build(shape)
        shape = (None, self.latent_dim)
        for layer in self.decoder_layers:
            layer.build(shape)
            shape = (None, layer.units)
        self.output_layer.build(shape)
        self.built = True

    def encode_distribution(self, x):
        """(z_mean, z_log_var), each (n, latent_dim), as tensors."""
        h = x
        for layer in self.encoder_layers:
            h = layer(h)
        return self.z_mean_layer(h), self.z_log_var_layer(h)

    def decoder(self, z):
        """Decode latent codes (n, latent_dim) to (n, input_dim) tensors."""
        h = z
        for layer in self.decoder_layers:
            h = layer(h)
        return self.output_layer(h)

    def call(self, inputs, training=False):
        z_mean, z_log_var = self.encode_distribution(inputs)
        # At inference, decode the mean: the output is then deterministic.
        z = self.sampling([z_mean, z_log_var]) if training else z_mean
        return self.decoder(z)

    # ----- training (keras-io pattern) --------------------------------------------------------
    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def _vae_losses(self, x):
        z_mean, z_log_var = self.encode_distribution(x)
        z = self.sampling([z_mean, z_log_var])
        out = self.decoder(z)
        if self.reconstruction == "bce":
            out = keras.ops.clip(out, 1e-7, 1 - 1e-7)
            per_feature = -(x * keras.ops.log(out) + (1 - x) * keras.ops.log(1 - out))
        else:
            per_feature = keras.ops.square(x - out)
        rec = keras.ops.mean(keras.ops.sum(per_feature, axis=-1))
        kl = keras.ops.mean(kl_divergence(z_mean, z_log_var))
        return rec + self.beta * kl, rec, kl

    def _update_metrics(self, total, rec, kl):
        self.total_loss_tracker.update_state(total)
        self.reconstruction_loss_tracker.update_state(rec)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    @staticmethod
    def _inputs(data):
        return data[0] if isinstance(data, tuple | list) else data

    def train_step(self, data):
        x = tf.cast(self._inputs(data), tf.float32)
        with tf.GradientTape() as tape:
            total, rec, kl = self._vae_losses(x)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self._update_metrics(total, rec, kl)

    def test_step(self, data):
        x = tf.cast(self._inputs(data), tf.float32)
        return self._update_metrics(*self._vae_losses(x))

    # ----- using a trained model ---------------------------------------------------------------
    def encode(self, x):
        """Code means (n, latent_dim) as NumPy."""
        x = self._matrix(x, self.input_dim, "x")
        return keras.ops.convert_to_numpy(self.encode_distribution(x)[0])

    def decode(self, z):
        """Decoded rows (n, input_dim) as NumPy from codes (n, latent_dim)."""
        z = self._matrix(z, self.latent_dim, "z")
        return keras.ops.convert_to_numpy(self.decoder(z))

    def sample(self, n, seed=None):
        """n new points: decode z ~ N(0, I). Returns (n, input_dim)."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_dim))
        return self.decode(z)

    def interpolate(self, x_a, x_b, steps=8):
        """Decode ``steps`` evenly spaced points on the line from code(x_a) to code(x_b).

        x_a, x_b: one row each (input_dim,). Returns (steps, input_dim); the first and
        last rows decode the two codes themselves, the middle one their average.
        """
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 2:
            raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
        a = self.encode(self._matrix(x_a, self.input_dim, "x_a", single=True))
        b = self.encode(self._matrix(x_b, self.input_dim, "x_b", single=True))
        t = np.linspace(0.0, 1.0, int(steps))[:, None]
        return self.decode((1 - t) * a + t * b)

    @staticmethod
    def _matrix(x, columns, what, single=False):
        try:
            arr = np.asarray(x, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} must be numbers: {exc}") from None
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != columns or (single and arr.shape[0] != 1):
            want = f"({columns},)" if single else f"(n, {columns})"
            raise ValueError(f"{what} must have shape {want}, got {np.shape(x)}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what} contains NaN or inf")
        return arr

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "latent_dim": self.latent_dim,
            "hidden_dims": list(self.hidden_dims),
            "reconstruction": self.reconstruction,
            "beta": self.beta,
            "seed": self.seed,
        }
