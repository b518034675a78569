"""A denoising autoencoder: reconstruct the clean input from a corrupted copy.

:class:`DenoisingAutoencoder` is the chapter's :class:`~aecourse.autoencoder.Autoencoder`
(tanh encoder, linear decoder, RMSE loss, RMSProp) with one change: every training step
corrupts its batch afresh, feeds the corrupted copy in and scores the output against the
clean batch. The corruption runs inside the compiled training loop (stateless random ops
seeded per step), and means the same as the NumPy functions here in the data's own units.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from aecourse._tf import tf
from aecourse.autoencoder import Autoencoder, _positive_int, rmse

__all__ = ["add_gaussian_noise", "add_masking_noise", "DenoisingAutoencoder"]

NOISES = ("gaussian", "masking")


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


def _fixed(name, doc):
    """A read-only attribute: the compiled training loop is built once, with this value."""

    def refuse(self, value):
        raise AttributeError(
            f"{name} is fixed when the model is created: "
            f"make a new DenoisingAutoencoder(..., {name}={value!r}) instead"
        )

    return property(lambda self: getattr(self, "_" + name), refuse, doc=doc)


class DenoisingAutoencoder(Autoencoder):
    """Autoencoder input_dim -> hidden_dim -> input_dim trained to remove noise.

    Args:
        noise: "gaussian" (noise_level = standard deviation, in the data's units) or
            "masking" (noise_level = fraction of entries set to 0).
        epoch, learning_rate, batch_size: training length, RMSProp step, rows per step
            (cut to the number of rows when the data has fewer).
        normalize: centre features and divide by the clean data's RMS spread; the noise
            keeps its meaning in the data's units. verbose, seed: as in Autoencoder (the
            seed also fixes the noise).
        init, momentum, print_every, jit_compile: as in Autoencoder (keyword only).
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
        *,
        init="glorot",
        momentum=None,
        print_every=None,
        jit_compile=True,
    ):
        super().__init__(
            input_dim,
            hidden_dim,
            epoch=epoch,
            learning_rate=learning_rate,
            batch_size=batch_size,
            init=init,
            normalize=normalize,
            verbose=verbose,
            print_every=print_every,
            seed=seed,
            momentum=momentum,
            jit_compile=jit_compile,
        )
        if noise not in NOISES:
            raise ValueError(f'noise must be "gaussian" or "masking", got {noise!r}')
        level_ok = isinstance(noise_level, numbers.Real) and not isinstance(noise_level, bool)
        if not level_ok or not math.isfinite(noise_level) or noise_level < 0:
            raise ValueError(f"noise_level must be a number >= 0, got {noise_level!r}")
        if noise == "masking" and noise_level > 1:
            raise ValueError(f"masking noise_level is a fraction in [0, 1], got {noise_level}")
        self._noise, self._noise_level = noise, float(noise_level)

    noise = _fixed("noise", 'The noise type, "gaussian" or "masking".')
    noise_level = _fixed("noise_level", "Standard deviation (gaussian) or masked fraction.")

    def corrupt(self, x, rng=None):
        """A noisy copy of x (NumPy, data units) with this model's noise type and level."""
        if self.noise == "gaussian":
            return add_gaussian_noise(x, self.noise_level, rng)
        return add_masking_noise(x, self.noise_level, rng)

    def _corrupt_fn(self):
        """The training loop's corruption of a batch of normalized rows (graph code, XLA)."""
        level = self.noise_level
        # XLA on a CPU draws ThreeFry numbers about 40x faster than its default generator
        # (5 against 200 us for a 32x64 batch); TensorFlow's own kernels have no ThreeFry.
        alg = "threefry" if self.jit_compile else "auto_select"
        if self.noise == "gaussian":

            def corrupt(x, seed):
                # Raw noise of stddev s is s / scale once the rows are normalized.
                noise = tf.random.stateless_normal(tf.shape(x), seed, alg=alg)
                return x + noise * (level / self._scale)

        else:

            def corrupt(x, seed):
                # A raw 0 is (0 - mean) / scale in normalized units, a value per column.
                keep = tf.random.stateless_uniform(tf.shape(x), seed, alg=alg) >= level
                return tf.where(keep, x, -self._mean / self._scale)

        return corrupt

    def train(self, data, batch_size=None, checkpoint_dir=None):
        """Learn to map noisy copies of data (n, input_dim) back to data; return self."""
        x = self._check_data(data)
        size = _positive_int("batch_size", batch_size, allow_none=True) or self.batch_size or 1
        return super().train(x, min(size, len(x)), checkpoint_dir)

    def rmse(self, data, clean=None):
        """RMSE between reconstruct(data) and clean (default: data itself), in data units."""
        x = self._check_data(data)
        target = x if clean is None else self._check_data(clean, "clean")
        if target.shape != x.shape:
            raise ValueError(
                f"clean has shape {target.shape} but data has {x.shape}: pass the clean "
                "version of each row of data"
            )
        return rmse(self.reconstruct(x), target)
