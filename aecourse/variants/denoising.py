"""A denoising autoencoder: reconstruct the clean input from a corrupted copy.

The model is the chapter's autoencoder (tanh encoder, linear decoder, RMSE loss,
RMSProp) with one change: each epoch draws fresh noise, feeds the noisy copy in,
and scores the output against the clean data. It is written on its own (a small
TF2 model) rather than as a subclass of :class:`aecourse.autoencoder.Autoencoder`,
because Autoencoder's training loop is private and compares with its own input.
"""

from __future__ import annotations

import math

import numpy as np

from aecourse._tf import keras, tf
from aecourse.autoencoder import NotTrainedError

__all__ = ["add_gaussian_noise", "add_masking_noise", "DenoisingAutoencoder"]


def _rng(rng):
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise ValueError(f"rng must be None, an integer seed or a numpy Generator, got {rng!r}")


def _finite_array(x, what="x"):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numbers: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or inf")
    return arr


def add_gaussian_noise(x, stddev, rng=None):
    """x plus independent N(0, stddev**2) noise on every entry (same shape, float64)."""
    arr = _finite_array(x)
    if isinstance(stddev, bool) or not np.isscalar(stddev) or not float(stddev) >= 0:
        raise ValueError(f"stddev must be a number >= 0, got {stddev!r}")
    return arr + _rng(rng).normal(0.0, float(stddev), size=arr.shape)


def add_masking_noise(x, fraction, rng=None):
    """x with a random ``fraction`` of its entries set to 0 (each entry independently)."""
    arr = _finite_array(x)
    if isinstance(fraction, bool) or not np.isscalar(fraction) or not 0 <= float(fraction) <= 1:
        raise ValueError(f"fraction must be a number between 0 and 1, got {fraction!r}")
    keep = _rng(rng).random(arr.shape) >= float(fraction)
    return np.where(keep, arr, 0.0)


class DenoisingAutoencoder:
    """Autoencoder input_dim -> hidden_dim -> input_dim trained to remove noise.

    Args:
        noise: "gaussian" (noise_level = standard deviation, in the data's units) or
            "masking" (noise_level = fraction of entries set to 0).
        epoch, learning_rate, batch_size: training length, RMSProp step, rows per step.
        normalize: centre features and divide by the clean data's RMS spread (noise is
            added before, in the data's own units). seed: weights, noise and shuffling.
    """

    def __init__(
        self,
        input_dim,
        hidden_dim,
        noise="gaussian",
        noise_level=0.1,
        epoch=50,
        learning_rate=0.001,
        batch_size=32,
        normalize=True,
        verbose=False,
        seed=None,
    ):
        for name, value in (("input_dim", input_dim), ("hidden_dim", hidden_dim)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if noise not in ("gaussian", "masking"):
            raise ValueError(f'noise must be "gaussian" or "masking", got {noise!r}')
        level_ok = isinstance(noise_level, int | float) and not isinstance(noise_level, bool)
        if not level_ok or not math.isfinite(noise_level) or noise_level < 0:
            raise ValueError(f"noise_level must be a number >= 0, got {noise_level!r}")
        if noise == "masking" and noise_level > 1:
            raise ValueError(f"masking noise_level is a fraction in [0, 1], got {noise_level}")
        if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer) or epoch <= 0:
            raise ValueError(f"epoch must be a positive integer, got {epoch!r}")
        if not isinstance(learning_rate, int | float) or not learning_rate > 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
        ):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        self.input_dim, self.hidden_dim = int(input_dim), int(hidden_dim)
        self.noise, self.noise_level = noise, float(noise_level)
        self.epoch, self.learning_rate, self.batch_size = (
            int(epoch),
            float(learning_rate),
            batch_size,
        )
        self.normalize, self.verbose, self.seed = bool(normalize), bool(verbose), seed
        self.loss_history_ = []
        self._trained = False

    def corrupt(self, x, rng=None):
        """A noisy copy of x with this model's noise type and level."""
        if self.noise == "gaussian":
            return add_gaussian_noise(x, self.noise_level, rng)
        return add_masking_noise(x, self.noise_level, rng)

    def _check(self, data, columns=None, what="data"):
        columns = self.input_dim if columns is None else columns
        x = _finite_array(data, what)
        if x.ndim == 1 and x.shape[0] == columns:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != columns or x.shape[0] == 0:
            raise ValueError(f"{what} must have shape (n, {columns}) with n >= 1, got {x.shape}")
        return x

    def _build(self, seed):
        init = keras.initializers.GlorotUniform(seed=seed)
        self._encoder = keras.layers.Dense(
            self.hidden_dim, activation="tanh", kernel_initializer=init, name="encode"
        )
        self._decoder = keras.layers.Dense(
            self.input_dim,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1),
            name="decode",
        )
        self._encoder.build((None, self.input_dim))
        self._decoder.build((None, self.hidden_dim))
        self._params = self._encoder.trainable_variables + self._decoder.trainable_variables
        self._optimizer = keras.optimizers.RMSprop(learning_rate=self.learning_rate)
        self._optimizer.build(self._params)

        @tf.function
        def run_epoch(noisy, clean, batch_size):
            n = tf.shape(clean)[0]
            steps = (n + batch_size - 1) // batch_size
            total = tf.constant(0.0)
            for i in tf.range(steps):
                xb = noisy[i * batch_size : (i + 1) * batch_size]
                yb = clean[i * batch_size : (i + 1) * batch_size]
                with tf.GradientTape() as tape:
                    out = self._decoder(self._encoder(xb))
                    # The denoising idea: score against the CLEAN rows, not the input.
                    loss = tf.sqrt(tf.reduce_mean(tf.square(yb - out)))
                grads = tape.gradient(loss, self._params)
                self._optimizer.apply_gradients(zip(grads, self._params, strict=True))
                total += loss
            return total / tf.cast(steps, tf.float32)

        self._run_epoch = run_epoch

    def train(self, data, batch_size=None):
        """Learn to map noisy copies of data (n, input_dim) back to data; return self."""
        x = self._check(data)
        batch_size = min(batch_size or self.batch_size or 1, len(x))
        seed = self.seed if self.seed is not None else int(np.random.randint(0, 2**31 - 2))
        rng = np.random.default_rng(seed)
        self._build(seed)
        if self.normalize:
            self.mean_ = x.mean(axis=0)
            spread = float(np.sqrt(np.mean((x - self.mean_) ** 2)))
            self.scale_ = spread if spread > 1e-12 else 1.0
        else:
            self.mean_, self.scale_ = np.zeros(self.input_dim), 1.0
        self.loss_history_ = []
        for e in range(self.epoch):
            order = rng.permutation(len(x))
            clean = x[order]
            noisy = self.corrupt(clean, rng)  # fresh noise every epoch
            loss = self._run_epoch(
                tf.constant(self._norm(noisy), tf.float32),
                tf.constant(self._norm(clean), tf.float32),
                tf.constant(batch_size),
            )
            self.loss_history_.append(float(loss) * self.scale_)
            if self.verbose and ((e + 1) % max(1, self.epoch // 10) == 0 or e + 1 == self.epoch):
                print(f"epoch {e + 1}/{self.epoch}: loss = {self.loss_history_[-1]:.4f}")
        self._trained = True
        return self

    def _norm(self, x):
        return ((x - self.mean_) / self.scale_).astype(np.float32)

    def _require_trained(self):
        if not self._trained:
            raise NotTrainedError("this DenoisingAutoencoder is not trained: call train(data)")

    def encode(self, data):
        """Codes (n, hidden_dim)."""
        self._require_trained()
        return self._encoder(self._norm(self._check(data))).numpy()

    def decode(self, codes):
        """Outputs (n, input_dim) in the data's units."""
        self._require_trained()
        z = self._check(codes, self.hidden_dim, "codes").astype(np.float32)
        out = self._decoder(z).numpy()
        return (out * self.scale_ + self.mean_).astype(np.float32)

    def reconstruct(self, data):
        """Denoised version of data (n, input_dim)."""
        return self.decode(self.encode(data))

    def rmse(self, data, clean=None):
        """RMSE between reconstruct(data) and clean (default: data itself)."""
        x = self._check(data)
        target = x if clean is None else self._check(clean, what="clean")
        return float(np.sqrt(np.mean((self.reconstruct(x) - target) ** 2)))

    def get_weights(self):
        """Learned parameters under the chapter's names ("encode/weights", ...)."""
        self._require_trained()
        return {
            "encode/weights": self._encoder.kernel.numpy(),
            "encode/biases": self._encoder.bias.numpy(),
            "decode/weights": self._decoder.kernel.numpy(),
            "decode/biases": self._decoder.bias.numpy(),
        }
