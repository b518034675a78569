"""The compiled training loop: hand-derived gradients and the RMSProp step, against references."""

import numpy as np
import pytest

import aecourse  # noqa: F401  (imports TensorFlow quietly)
from aecourse._tf import tf
from aecourse._training import EPSILON, RHO, Trainer


def _weights(n=6, h=3, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(n, h), (h,), (h, n), (n,)]
    return [tf.Variable(rng.normal(0, 0.5, s).astype(np.float32)) for s in shapes]


def _tape_gradients(weights, x_in, x):
    """The chapter's model and RMSE loss, differentiated by TensorFlow (public layout)."""
    w1, b1, w2, b2 = weights
    with tf.GradientTape() as tape:
        out = tf.tanh(x_in @ w1 + b1) @ w2 + b2
        loss = tf.sqrt(tf.reduce_mean(tf.square(x - out)) + 1e-12)
    return loss, tape.gradient(loss, weights)


@pytest.mark.parametrize("corrupted", [False, True])
def test_hand_gradients_equal_gradient_tape(corrupted):
    weights = _weights()
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(9, 6)).astype(np.float32))
    x_in = x + rng.normal(0, 0.3, size=(9, 6)).astype(np.float32) if corrupted else x
    loss, grads = Trainer(weights).gradients(x_in, x)
    want_loss, want = _tape_gradients(weights, x_in, x)
    assert float(loss) == pytest.approx(float(want_loss), rel=1e-5)
    # The trainer keeps the encoder's weights transposed: (hidden, input).
    np.testing.assert_allclose(grads[0].numpy().T, want[0].numpy(), rtol=1e-4, atol=1e-6)
    for got, expected in zip(grads[1:], want[1:], strict=True):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("jit_compile", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_two_full_batch_epochs_equal_rmsprop_by_hand(jit_compile, momentum):
    """Two steps on the whole data (batch = all rows, so shuffling changes nothing)."""
    weights = _weights(seed=2)
    start = [w.numpy().astype(np.float64) for w in weights]
    x = np.random.default_rng(3).normal(size=(8, 6)).astype(np.float32)
    lr = 0.01
    trainer = Trainer(weights, jit_compile=jit_compile)
    trainer.reset(seed=0)
    losses = trainer.run(tf.constant(x), 2, 8, lr, momentum)

    ref = [tf.Variable(w.astype(np.float32)) for w in start]
    ms = [np.zeros_like(w) for w in start]
    mom = [np.zeros_like(w) for w in start]
    want_losses = []
    for _ in range(2):
        loss, grads = _tape_gradients(ref, tf.constant(x), tf.constant(x))
        want_losses.append(float(loss))
        for i, g in enumerate(grads):
            g = g.numpy().astype(np.float64)
            ms[i] = RHO * ms[i] + (1 - RHO) * g**2
            mom[i] = momentum * mom[i] + lr * g / np.sqrt(ms[i] + EPSILON)
            ref[i].assign((ref[i].numpy() - mom[i]).astype(np.float32))
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for got, expected in zip(weights, ref, strict=True):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-6)


def test_corrupt_hook_feeds_the_network_and_scores_the_clean_batch():
    """With corrupt = zero every input, the encoder sees zeros: its weights get no gradient."""
    weights = _weights(seed=4)
    w1_before = weights[0].numpy().copy()
    x = np.random.default_rng(5).normal(size=(10, 6)).astype(np.float32)
    seeds = []

    def corrupt(batch, seed):
        seeds.append(seed)  # traced once per compiled function
        return tf.zeros_like(batch)

    trainer = Trainer(weights, corrupt=corrupt)
    trainer.reset(seed=1)
    losses = trainer.run(tf.constant(x), 3, 5, 0.01, 0.0)
    np.testing.assert_array_equal(weights[0].numpy(), w1_before)
    # The decoder's biases still learn to predict the clean data's mean.
    assert losses[-1] < losses[0]
    assert seeds, "the corrupt hook was never called"
