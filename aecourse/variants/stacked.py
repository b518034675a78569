"""A stacked autoencoder trained greedily, one layer at a time (end of Chapter 7).

Layer 1 is an ordinary :class:`aecourse.autoencoder.Autoencoder` trained on the data;
layer 2 is trained on layer 1's codes, and so on. The trained encoders then become
the first Dense layers of a Keras model (:meth:`StackedAutoencoder.encoder_model`)
that a classifier can be built on.
"""

from __future__ import annotations

import numpy as np

from aecourse._tf import keras
from aecourse.autoencoder import Autoencoder, NotTrainedError

__all__ = ["StackedAutoencoder"]


class StackedAutoencoder:
    """Deep encoder input_dim -> hidden_dims[0] -> ... -> hidden_dims[-1], trained greedily.

    Args:
        hidden_dims: code sizes, outermost first, e.g. (32, 8).
        epoch, learning_rate, batch_size: passed to every layer's Autoencoder (an int
            batch_size trains on batches; None trains one sample at a time, slowly).
        normalize: centre each feature and divide by the overall RMS spread before the
            first layer (the same rule as Autoencoder's); the stack does it once itself so
            every layer's Autoencoder runs with normalize=False and the Keras encoder is
            exactly Dense(tanh) layers.
        verbose: print one line per trained layer. seed: layer i uses seed + i.
    """

    def __init__(
        self,
        hidden_dims,
        epoch=50,
        learning_rate=0.001,
        batch_size=32,
        normalize=True,
        verbose=False,
        seed=None,
    ):
        try:
            dims = [int(h) for h in hidden_dims]
        except (TypeError, ValueError):
            raise ValueError(
                f"hidden_dims must be a sequence of positive integers, got {hidden_dims!r}"
            ) from None
        if not dims or any(h <= 0 for h in dims) or any(int(h) != h for h in hidden_dims):
            raise ValueError(
                "hidden_dims must be a non-empty sequence of positive integers, "
                f"got {hidden_dims!r}"
            )
        self.hidden_dims = tuple(dims)
        self.epoch = epoch
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.normalize = bool(normalize)
        self.verbose = bool(verbose)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        self.seed = seed
        # Fail now, not after training layer 1, on arguments Autoencoder rejects.
        Autoencoder(1, 1, epoch=epoch, learning_rate=learning_rate, batch_size=batch_size)
        self.layers_ = []

    # ----- training -------------------------------------------------------------------------
    def train(self, data, batch_size=None):
        """Train layer after layer on data (n, input_dim); return self."""
        x = self._as_matrix(data, None)
        if not np.all(np.isfinite(x)):
            raise ValueError("data contains NaN or inf: remove or impute those values first")
        self.input_dim_ = x.shape[1]
        if self.normalize:
            self.mean_ = x.mean(axis=0)
            spread = float(np.sqrt(np.mean((x - self.mean_) ** 2)))
            self.scale_ = spread if spread > 1e-12 else 1.0
        else:
            self.mean_, self.scale_ = np.zeros(x.shape[1]), 1.0
        codes = (x - self.mean_) / self.scale_
        self.layers_ = []
        for i, hidden in enumerate(self.hidden_dims):
            layer = Autoencoder(
                codes.shape[1],
                hidden,
                epoch=self.epoch,
                learning_rate=self.learning_rate,
                batch_size=self.batch_size,
                normalize=False,
                verbose=False,
                seed=None if self.seed is None else self.seed + i,
            )
            bs = batch_size or self.batch_size
            layer.train(codes, batch_size=None if bs is None else min(bs, len(codes)))
            if self.verbose:
                print(
                    f"layer {i + 1}/{len(self.hidden_dims)}: {codes.shape[1]} -> {hidden}, "
                    f"rmse = {layer.rmse(codes):.4f}"
                )
            self.layers_.append(layer)
            codes = layer.encode(codes)
        return self

    # ----- using the trained stack ------------------------------------------------------------
    def _require_trained(self):
        if not self.layers_:
            raise NotTrainedError("this StackedAutoencoder is not trained: call train(data) first")

    def _as_matrix(self, data, columns):
        try:
            x = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data must be numbers, shape (n, features): {exc}") from None
        if x.ndim == 1 and columns is not None and x.shape[0] == columns:
            x = x[None, :]
        if x.ndim != 2 or x.shape[0] == 0 or (columns is not None and x.shape[1] != columns):
            want = "features" if columns is None else columns
            raise ValueError(f"data must have shape (n, {want}) with n >= 1, got {x.shape}")
        return x

    def encode(self, data):
        """Codes of the innermost layer, (n, hidden_dims[-1]); ``encode_all`` gives every layer."""
        return self.encode_all(data)[-1]

    def encode_all(self, data):
        """List of codes, one (n, hidden_dims[i]) array per layer."""
        self._require_trained()
        codes = (self._as_matrix(data, self.input_dim_) - self.mean_) / self.scale_
        out = []
        for layer in self.layers_:
            codes = layer.encode(codes)
            out.append(codes)
        return out

    def decode(self, codes):
        """Map innermost codes back through every decoder to (n, input_dim)."""
        self._require_trained()
        x = self._as_matrix(codes, self.hidden_dims[-1])
        for layer in reversed(self.layers_):
            x = layer.decode(x)
        return (x * self.scale_ + self.mean_).astype(np.float32)

    def reconstruct(self, data):
        """decode(encode(data)), float32 (n, input_dim)."""
        return self.decode(self.encode(data))

    def rmse(self, data):
        """Whole-data reconstruction RMSE in the data's units."""
        x = self._as_matrix(data, getattr(self, "input_dim_", None))
        return float(np.sqrt(np.mean((self.reconstruct(x) - x) ** 2)))

    def encoder_model(self, trainable=True, name="stacked_encoder"):
        """A Keras model input_dim -> ... -> hidden_dims[-1] holding the trained encoders.

        The input normalization is folded into the first Dense layer
        (tanh(((x - m) / s) W + b) = tanh(x W/s + b - m W/s)), so the model takes raw data
        and gives exactly :meth:`encode`'s codes. Add layers on top to build a classifier.
        """
        self._require_trained()
        inputs = keras.Input(shape=(self.input_dim_,), name="inputs")
        x = inputs
        dense_layers = []
        for i, layer in enumerate(self.layers_):
            dense = keras.layers.Dense(
                layer.hidden_dim, activation="tanh", name=f"encode_{i + 1}", trainable=trainable
            )
            x = dense(x)
            dense_layers.append(dense)
        model = keras.Model(inputs, x, name=name)
        for i, (dense, layer) in enumerate(zip(dense_layers, self.layers_, strict=True)):
            w = layer.get_weights()
            kernel, bias = w["encode/weights"], w["encode/biases"]
            if i == 0:
                bias = bias - (self.mean_ / self.scale_) @ kernel
                kernel = kernel / self.scale_
            dense.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        return model
