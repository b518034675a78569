"""Time the book's TensorFlow 1 training loops (Listings 7.3, 7.4, 7.7, 7.8) under tf.compat.v1.

Graph mode is switched on for the whole process (``disable_eager_execution``), so
``benchmarks.run`` starts this script in its own subprocess:

    python benchmarks/book_tf1.py --data patches.npy --batch-sizes 1,10,100,500 --out tf1.json

The model is the chapter's: a placeholder input, N(0, 1) initial weights, a tanh code, a
linear decoder, the RMSE loss and TF1's RMSPropOptimizer, one ``Session.run`` per step
with a ``feed_dict``. Batch size 1 is the per-sample loop of Listing 7.4; larger batch
sizes are Listing 7.8 with its bug fixed (the ``batch_size`` argument is used) and with
enough iterations for one epoch to cover the data once, each batch drawn by Listing 7.7's
``get_batch``. Checkpoint saving (every 10 epochs in the book) is left out of the timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

__all__ = ["BookAutoencoder", "time_book_loops", "main"]


class BookAutoencoder:
    """The chapter's autoencoder graph (Listing 7.3), written against tf.compat.v1."""

    def __init__(self, tf1, input_dim, hidden_dim, learning_rate=0.001):
        self.x = tf1.placeholder(dtype=tf1.float32, shape=[None, input_dim])
        with tf1.name_scope("encode"):
            w = tf1.Variable(tf1.random_normal([input_dim, hidden_dim]), name="weights")
            b = tf1.Variable(tf1.zeros([hidden_dim]), name="biases")
            encoded = tf1.nn.tanh(tf1.matmul(self.x, w) + b)
        with tf1.name_scope("decode"):
            w = tf1.Variable(tf1.random_normal([hidden_dim, input_dim]), name="weights")
            b = tf1.Variable(tf1.zeros([input_dim]), name="biases")
            decoded = tf1.matmul(encoded, w) + b
        self.loss = tf1.sqrt(tf1.reduce_mean(tf1.square(tf1.subtract(self.x, decoded))))
        self.train_op = tf1.train.RMSPropOptimizer(learning_rate).minimize(self.loss)


def get_batch(X, size):
    """Listing 7.7: ``size`` distinct random rows (a fresh permutation on every call)."""
    return X[np.random.choice(len(X), size, replace=False)]


def _per_sample_epoch(sess, model, data):
    """Listing 7.4's inner loop: one Session.run per sample."""
    for j in range(len(data)):
        sess.run([model.loss, model.train_op], feed_dict={model.x: [data[j]]})


def _batch_epoch(sess, model, data, batch_size, iterations):
    """Listing 7.8's inner loop, using the batch_size it is given."""
    for _ in range(iterations):
        batch = get_batch(data, batch_size)
        sess.run([model.loss, model.train_op], feed_dict={model.x: batch})


def time_book_loops(data, batch_sizes, hidden_dim=100, epochs=3, max_steps=1000, seed=0):
    """Seconds per epoch of the book's loops: {batch_size: {"seconds": s, "note": str}}.

    One warm-up epoch, then the median of ``epochs`` timed epochs. An epoch with more than
    ``max_steps`` Session.run calls is timed on the first ``max_steps`` steps and scaled
    to the whole data set (the cost per step does not depend on the step).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    tf1.logging.set_verbosity(tf1.logging.ERROR)
    np.random.seed(seed)
    data = np.asarray(data, dtype=np.float32)
    n = len(data)
    results = {}
    for batch_size in batch_sizes:
        graph = tf1.Graph()
        with graph.as_default():
            tf1.set_random_seed(seed)
            model = BookAutoencoder(tf1, data.shape[1], hidden_dim)
            init = tf1.global_variables_initializer()
        steps = -(-n // batch_size)  # one epoch covers the data once
        timed_steps = min(steps, max_steps)
        subset = data[: timed_steps * batch_size] if batch_size == 1 else data
        with tf1.Session(graph=graph) as sess:
            sess.run(init)
            times = []
            for epoch in range(epochs + 1):
                start = time.perf_counter()
                if batch_size == 1:
                    _per_sample_epoch(sess, model, subset)
                else:
                    _batch_epoch(sess, model, data, batch_size, timed_steps)
                if epoch > 0:  # epoch 0 warms up (graph optimisation, allocations)
                    times.append((time.perf_counter() - start) * steps / timed_steps)
        note = "Listing 7.4 per sample" if batch_size == 1 else "Listing 7.8 (fixed) + 7.7"
        if timed_steps < steps:
            note += f"; {timed_steps} of {steps} steps timed, scaled"
        results[batch_size] = {"seconds": statistics.median(times), "note": note}
    return results


def _batch_sizes(text):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"batch sizes must be comma-separated integers, e.g. 1,10,100; got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be positive integers, got {text!r}")
    return sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help=".npy file holding (n, features) data")
    parser.add_argument("--batch-sizes", type=_batch_sizes, default=[1, 10, 100, 500])
    parser.add_argument("--hidden-dim", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up")
    parser.add_argument("--max-steps", type=int, default=1000, help="steps timed per epoch")
    parser.add_argument("--out", required=True, help="JSON file to write the timings to")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.data):
        parser.error(f"data file not found: {args.data} (write it with numpy.save first)")
    data = np.load(args.data)
    if data.ndim != 2 or max(args.batch_sizes) > len(data):
        parser.error(f"data must be 2-D with at least max(batch sizes) rows, got {data.shape}")
    results = time_book_loops(
        data, args.batch_sizes, args.hidden_dim, epochs=args.epochs, max_steps=args.max_steps
    )
    with open(args.out, "w") as f:
        json.dump({str(k): v for k, v in results.items()}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
