"""Seconds per training epoch of the same 1024 -> 100 -> 1024 autoencoder, several ways.

Every function returns ``{"seconds": median seconds per epoch, "note": str}`` for one batch
size. An epoch is one pass over all n rows. Methods that make one Python call per step
(Keras at small batches, eager GradientTape) are timed on the first ``max_steps`` steps
and scaled to the whole epoch: their cost per step does not depend on which step it is.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

__all__ = [
    "flop_per_epoch",
    "matmul_peak_gflops",
    "time_aecourse",
    "time_keras_fit",
    "time_eager_tape",
    "time_tf_function_epoch",
    "time_matmul_floor",
]


def flop_per_epoch(n, input_dim, hidden_dim):
    """FLOPs of one epoch: forward and backward of both matmuls, 3 x 2 x (2 n d h).

    The two forward matmuls, then for each one the gradients with respect to its weights
    and its input: six (n x d x h) matmuls of 2 n d h FLOPs each (biases and tanh are
    O(n (d + h)) and left out). 5000 x 1024 x 100 gives 6.14 GFLOP.
    """
    for name, value in (("n", n), ("input_dim", input_dim), ("hidden_dim", hidden_dim)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return 6 * 2 * int(n) * int(input_dim) * int(hidden_dim)


def matmul_peak_gflops(size=2048, repeats=10):
    """The best float32 GFLOP/s of a (size x size) @ (size x size) tf.matmul on this machine."""
    from aecourse._tf import tf

    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((size, size)), tf.float32)
    b = tf.constant(rng.standard_normal((size, size)), tf.float32)
    tf.matmul(a, b).numpy()  # warm-up: thread pool, oneDNN primitive cache
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()  # .numpy() waits for the result
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def _scaled(steps, max_steps):
    return min(steps, max_steps), steps / min(steps, max_steps)


def time_aecourse(data, batch_size, hidden_dim=100, epochs=3, repeats=3, min_seconds=1.0, seed=0):
    """aecourse.Autoencoder: marginal seconds per epoch through its public API.

    ``train`` restarts from fresh weights on every call, so an epoch's cost is measured as
    (time of train with 1 + k epochs - time of train with 1 epoch) / k, the median over
    ``repeats``, with k at least ``epochs`` and large enough for about ``min_seconds``.
    What a call costs beyond its epochs (input checks, normalisation, initialisation) is
    reported as ``overhead``; tracing is paid once by a warm-up call.
    batch_size 1 is the per-sample mode (``batch_size=None``, Listing 7.4).
    """
    from aecourse.autoencoder import Autoencoder

    model = Autoencoder(
        data.shape[1],
        hidden_dim,
        epoch=1,
        batch_size=None if batch_size == 1 else batch_size,
        verbose=False,
        seed=seed,
    )
    model.train(data)  # warm-up: traces the epoch function once for this batch size

    def run(n_epochs):
        model.epoch = n_epochs
        model.print_every = n_epochs  # one compiled call for the whole run
        start = time.perf_counter()
        model.train(data)
        return time.perf_counter() - start

    # Enough epochs per timed call for their cost to stand out of the per-call overhead
    # and of the noise on a shared machine (about a second's worth, at most 30).
    epochs = int(min(max(epochs, round(min_seconds / max(run(1), 1e-3))), 30))
    per_epoch, overhead = [], []
    for _ in range(repeats):
        one = run(1)
        many = run(1 + epochs)
        per_epoch.append(max(many - one, 0.0) / epochs)
        overhead.append(one - per_epoch[-1])
    note = "per-sample mode (batch_size=None)" if batch_size == 1 else f"batch_size={batch_size}"
    note += f"; (T(1 + {epochs} epochs) - T(1 epoch)) / {epochs}, median of {repeats}"
    return {
        "seconds": statistics.median(per_epoch),
        "overhead": statistics.median(overhead),
        "note": note,
    }


def _dense_model(input_dim, hidden_dim):
    from aecourse._tf import keras

    return keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.Dense(hidden_dim, activation="tanh"),
            keras.layers.Dense(input_dim),
        ]
    )


def _rmse_loss(y_true, y_pred):
    from aecourse._tf import tf

    return tf.sqrt(tf.reduce_mean(tf.square(y_true - y_pred)))


def time_keras_fit(data, batch_size, hidden_dim=100, epochs=3, max_steps=1000, seed=0):
    """Keras 3 ``model.fit``: Dense(h, tanh) -> Dense(d), RMSprop(0.001), RMSE loss."""
    from aecourse._tf import keras

    keras.utils.set_random_seed(seed)
    n = len(data)
    timed_steps, scale = _scaled(-(-n // batch_size), max_steps)
    subset = data[: timed_steps * batch_size]
    model = _dense_model(data.shape[1], hidden_dim)
    model.compile(optimizer=keras.optimizers.RMSprop(0.001), loss=_rmse_loss)
    times = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(
        subset,
        subset,
        batch_size=batch_size,
        epochs=1 + epochs,
        shuffle=True,
        verbose=0,
        callbacks=[Clock()],
    )
    note = "first epoch (tracing) dropped"
    if scale > 1:
        note += f"; {timed_steps} of {-(-n // batch_size)} steps timed, scaled"
    return {"seconds": statistics.median(times[1:]) * scale, "note": note}


def _variables(input_dim, hidden_dim, seed):
    from aecourse._tf import tf

    rng = np.random.default_rng(seed)
    limit1 = np.sqrt(6 / (input_dim + hidden_dim))
    return [
        tf.Variable(rng.uniform(-limit1, limit1, (input_dim, hidden_dim)), dtype=tf.float32),
        tf.Variable(tf.zeros([hidden_dim])),
        tf.Variable(rng.uniform(-limit1, limit1, (hidden_dim, input_dim)), dtype=tf.float32),
        tf.Variable(tf.zeros([input_dim])),
    ]


def _loss(params, xb):
    from aecourse._tf import tf

    w1, b1, w2, b2 = params
    out = tf.tanh(xb @ w1 + b1) @ w2 + b2
    return tf.sqrt(tf.reduce_mean(tf.square(xb - out)))


def time_eager_tape(data, batch_size, hidden_dim=100, epochs=3, max_steps=250, seed=0):
    """An eager ``tf.GradientTape`` step per batch with Keras' RMSprop, no tf.function."""
    from aecourse._tf import keras, tf

    params = _variables(data.shape[1], hidden_dim, seed)
    optimizer = keras.optimizers.RMSprop(0.001)
    n = len(data)
    timed_steps, scale = _scaled(-(-n // batch_size), max_steps)
    x = tf.constant(data[: timed_steps * batch_size], tf.float32)
    times = []
    for epoch in range(1 + epochs):
        start = time.perf_counter()
        for i in range(timed_steps):
            xb = x[i * batch_size : (i + 1) * batch_size]
            with tf.GradientTape() as tape:
                loss = _loss(params, xb)
            optimizer.apply_gradients(zip(tape.gradient(loss, params), params, strict=True))
        loss.numpy()  # wait for the last step
        if epoch > 0:
            times.append((time.perf_counter() - start) * scale)
    note = "first epoch dropped"
    if scale > 1:
        note += f"; {timed_steps} of {-(-n // batch_size)} steps timed, scaled"
    return {"seconds": statistics.median(times), "note": note}


def time_tf_function_epoch(data, batch_size, hidden_dim=100, epochs=3, seed=0):
    """Plain TF2: a whole epoch (shuffle, slice, step) in one ``tf.function``, Keras RMSprop."""
    from aecourse._tf import keras, tf

    params = _variables(data.shape[1], hidden_dim, seed)
    optimizer = keras.optimizers.RMSprop(0.001)
    optimizer.build(params)
    x = tf.constant(data, tf.float32)
    n = len(data)
    steps = -(-n // batch_size)

    @tf.function
    def epoch_fn(x):
        shuffled = tf.random.shuffle(x, seed=seed)
        total = tf.constant(0.0)
        for i in tf.range(steps):
            xb = shuffled[i * batch_size : (i + 1) * batch_size]
            with tf.GradientTape() as tape:
                loss = _loss(params, xb)
            optimizer.apply_gradients(zip(tape.gradient(loss, params), params, strict=True))
            total += loss
        return total

    times = []
    for epoch in range(1 + epochs):
        start = time.perf_counter()
        epoch_fn(x).numpy()
        if epoch > 0:  # the first call traces
            times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "note": "first epoch (tracing) dropped"}


def time_matmul_floor(data, batch_size, hidden_dim=100, epochs=3, seed=0):
    """The five matrix products one epoch's gradients need, alone: a floor under any step.

    Per batch x (b, d) and code h (b, k): the forward x W1 and h W2, and the backward
    delta W2^T, h^T delta and delta_h^T x (the weight gradients; the input's gradient, the
    sixth product in ``flop_per_epoch``, is not needed). Each in the layout aecourse uses, in
    one compiled loop over the epoch's batches, compiled with XLA and as a plain graph; the
    faster counts. Operands are random: the cost of a product does not depend on the values.
    """
    from aecourse._tf import tf

    rng = np.random.default_rng(seed)
    n, d = data.shape
    steps, k = n // batch_size, hidden_dim

    def rand(*shape):
        return tf.constant(rng.standard_normal(shape), tf.float32)

    x = tf.reshape(tf.constant(data[: steps * batch_size], tf.float32), [steps, batch_size, d])
    h, delta, delta_h = (
        rand(steps, batch_size, k),
        rand(steps, batch_size, d),
        rand(steps, batch_size, k),
    )
    w1t, w2 = rand(k, d), rand(k, d)

    def epoch():
        total = tf.constant(0.0)
        for i in tf.range(steps):
            products = [
                tf.matmul(x[i], w1t, transpose_b=True),
                h[i] @ w2,
                tf.matmul(delta[i], w2, transpose_b=True),
                tf.matmul(h[i], delta[i], transpose_a=True),
                tf.matmul(delta_h[i], x[i], transpose_a=True),
            ]
            total += tf.add_n([p[0, 0] for p in products])  # keeps every product alive
        return total

    best = {}
    for name, jit in (("XLA", True), ("plain graph", False)):
        fn = tf.function(epoch, jit_compile=jit)
        fn().numpy()  # compile
        times = []
        for _ in range(max(epochs, 3)):
            start = time.perf_counter()
            fn().numpy()
            times.append(time.perf_counter() - start)
        best[name] = statistics.median(times) * n / (steps * batch_size)
    winner = min(best, key=best.get)
    note = ", ".join(f"{name} {t:.4g} s" for name, t in best.items()) + f"; {winner} counts"
    return {"seconds": best[winner], "note": note}
