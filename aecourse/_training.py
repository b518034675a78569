"""The compiled training loop behind ``Autoencoder.train``: RMSProp on hand-derived gradients.

One call of :meth:`Trainer.run` trains several epochs inside one ``tf.function``: each epoch
shuffles the row indices once, and an XLA-compiled loop gathers each batch and takes one
step. Three choices make the steps fast on a CPU (measured in ``benchmarks/``):

- The gradients are written out (the chain rule of Listing 7.3's model, checked against
  ``tf.GradientTape`` in the tests) so that the RMSE's scalar factor is applied to the small
  products rather than to a batch-sized array, and the bias gradients need no second pass.
- The encoder's weights train in transposed layout, ``(hidden, input)``. The gradient
  ``x^T @ delta`` of the usual ``(input, hidden)`` layout is the one product XLA's CPU backend
  runs about three times slower than the others; ``delta^T @ x`` runs at full speed. The
  public ``encode/weights`` variable gets the transpose back after every call.
- Batches are gathered from the data inside the compiled loop, so a shuffled copy of the whole
  data set is never written.

A ``corrupt(x, seed)`` function, if given, maps each batch to the network's input while the
loss still compares the output with the clean batch: a denoising autoencoder.
"""

from __future__ import annotations

from aecourse._tf import tf

__all__ = ["Trainer", "RHO", "EPSILON"]

RHO, EPSILON = 0.9, 1e-7  # RMSProp's decay of the squared-gradient average, and its offset


def _offset(seed, i):
    """A stateless seed pair for step i of an epoch whose seed pair is ``seed``."""
    return seed + tf.stack([tf.zeros([], seed.dtype), tf.cast(i, seed.dtype)])


class Trainer:
    """Trains the variables of a tanh-encoder, linear-decoder autoencoder with RMSProp.

    Args:
        weights: the model's ``encode/weights`` (input, hidden), ``encode/biases``,
            ``decode/weights`` (hidden, input) and ``decode/biases`` variables, in that order.
        jit_compile: compile the steps with XLA (False: a plain TensorFlow graph).
        corrupt: None, or ``corrupt(x, seed) -> x_in`` (graph code; ``seed`` is a stateless
            seed pair, different for every step) for denoising.
    """

    def __init__(self, weights, jit_compile=True, corrupt=None):
        self._w1, b1, w2, b2 = weights
        self._w1t = tf.Variable(tf.transpose(self._w1), name="train/encode/weights_t")
        # b1, w2 and b2 already have the layout the steps want: they train in place.
        self.params = [self._w1t, b1, w2, b2]
        self._ms = [self._slot(p, "rms") for p in self.params]
        self._mom = [self._slot(p, "mom") for p in self.params]
        self._corrupt = corrupt
        self._generator = tf.random.Generator.from_seed(0)
        self._epochs = tf.function(self._epochs_py, reduce_retracing=True)
        # XLA compiles the steps (not the shuffle, which it cannot) into fused kernels: the
        # RMSProp update becomes one pass over each weight matrix, and the per-step graph
        # overhead disappears, which is most of the cost of a one-sample step.
        self._step_fn = tf.function(self._step, jit_compile=True) if jit_compile else self._step
        self._steps_fn = (
            tf.function(self._steps_py, jit_compile=True) if jit_compile else self._steps_py
        )

    @staticmethod
    def _slot(p, kind):
        name = p.name.split(":")[0]
        return tf.Variable(tf.zeros(p.shape), name=f"{name}/{kind}", trainable=False)

    def reset(self, seed):
        """Start over from the current weights: zero RMSProp's state, reseed the shuffling."""
        self._w1t.assign(tf.transpose(self._w1))
        for s in self._ms + self._mom:
            s.assign(tf.zeros(s.shape))
        self._generator.reset_from_seed(seed)

    def run(self, data, n_epochs, batch_size, learning_rate, momentum):
        """Train n_epochs epochs on data (a float32 tensor); return each epoch's mean batch loss.

        momentum is a Python float: each value compiles its own steps (0 skips the slot).
        """
        lr = tf.constant(learning_rate, tf.float32)
        return self._epochs(data, tf.constant(n_epochs), batch_size, lr, momentum).numpy()

    # ----- compiled pieces -------------------------------------------------------------------
    def _epochs_py(self, data, n_epochs, batch_size, lr, momentum):
        n = tf.shape(data)[0]
        full = n // batch_size
        steps = (n + batch_size - 1) // batch_size
        losses = tf.TensorArray(tf.float32, size=n_epochs)
        for e in tf.range(n_epochs):
            seeds = self._generator.make_seeds(2)
            order = tf.random.experimental.stateless_shuffle(tf.range(n), seeds[:, 0])
            batches = tf.reshape(order[: full * batch_size], [full, batch_size])
            total = self._steps_fn(data, batches, lr, momentum, seeds[:, 1])
            if tf.math.floormod(n, batch_size) > 0:
                rest = tf.gather(data, order[full * batch_size :])
                total += self._step_fn(rest, lr, momentum, _offset(seeds[:, 1], full))
            losses = losses.write(e, total / tf.cast(steps, tf.float32))
        self._w1.assign(tf.transpose(self._w1t))
        return losses.stack()

    def _steps_py(self, data, batches, lr, momentum, seed):
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(batches)[0]):
            total += self._step(tf.gather(data, batches[i]), lr, momentum, _offset(seed, i))
        return total

    def _step(self, x, lr, momentum, seed):
        """One RMSProp step on batch x (rows); return the batch's RMSE before the step."""
        x_in = x if self._corrupt is None else self._corrupt(x, seed)
        loss, grads = self.gradients(x_in, x)
        # RMSProp with TF1 RMSPropOptimizer's update rule (slots start at zero, as in Keras),
        # written out so that XLA fuses it, and so that momentum=0 neither reads nor writes
        # its slot.
        for p, ms, mom, g in zip(self.params, self._ms, self._mom, grads, strict=True):
            ms_new = ms * RHO + (1.0 - RHO) * tf.square(g)
            ms.assign(ms_new)
            step = lr * g * tf.math.rsqrt(ms_new + EPSILON)
            if momentum:
                step = mom * momentum + step
                mom.assign(step)
            p.assign_sub(step)
        return loss

    def gradients(self, x_in, x):
        """RMSE of reconstructing x from x_in, and its gradients for ``params`` (same order)."""
        w1t, b1, w2, b2 = self.params
        code = tf.tanh(tf.matmul(x_in, w1t, transpose_b=True) + b1)
        residual = code @ w2 + b2 - x
        size = tf.cast(tf.size(residual), tf.float32)
        # The tiny offset keeps sqrt's gradient finite when a batch is reconstructed exactly.
        loss = tf.sqrt(tf.reduce_sum(tf.square(residual)) / size + 1e-12)
        k = 1.0 / (size * loss)  # d loss / d output = k * residual
        grad_w2 = tf.matmul(code, residual, transpose_a=True) * k
        grad_b2 = tf.reduce_sum(residual, axis=0) * k
        # d loss / d (pre-activation): back through the decoder, then tanh' = 1 - tanh^2.
        delta = tf.matmul(residual, w2, transpose_b=True) * (k * (1.0 - tf.square(code)))
        grad_w1t = tf.matmul(delta, x_in, transpose_a=True)
        grad_b1 = tf.reduce_sum(delta, axis=0)
        return loss, [grad_w1t, grad_b1, grad_w2, grad_b2]
