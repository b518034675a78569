"""Lesson 04 (section 7.3, batch training): the graded exercises.

``get_batch`` and ``epoch_batches`` draw at random, so no single "right" output
exists: their :class:`~aecourse.grading.core.Exercise` uses a ``judge`` that checks
the properties any good answer has (shape, rows taken from X, no row twice, not
simply the first rows) and names the likely mistake when one is broken. ``get_batch``
cases also hold a group of calls whose batches the judge compares with each other, so an
answer that ignores its ``rng`` argument fails too (see :class:`RngProbe`).
"""

from __future__ import annotations

import math

import numpy as np

from aecourse.grading.core import Exercise, register
from aecourse.grading.lesson04_cases import (
    RngProbe,
    SeededRng,
    cases_batches_per_epoch,
    cases_epoch_batches,
    cases_get_batch,
)

__all__ = [
    "EXERCISES",
    "RngProbe",
    "SeededRng",
    "TYPICAL_MISTAKES",
    "batches_per_epoch",
    "epoch_batches",
]

WITH_REPLACEMENT = "batches drawn with replacement"
FIRST_ROWS = "the first rows instead of random ones"
GLOBAL_RNG = "np.random.choice (the global generator) or an unseeded generator instead of rng"
OWN_RNG = "a generator of your own (a fixed seed) instead of rng"
NOT_SHUFFLED = "the rows left in their original order (no shuffle)"
REPEATED_ROWS = "a fresh random batch per step (rows repeat, others are never seen)"
LAST_BATCH_MISSING = "a loop that stops one batch early"


# ----- references ---------------------------------------------------------------------------
def batches_per_epoch(n, batch_size):
    """Number of batches that cover n rows once: ceil(n / batch_size)."""
    _check_batch_size(batch_size)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a number of rows (an integer >= 0), got {n!r}")
    return -(-int(n) // int(batch_size))


def epoch_batches(X, batch_size, rng):
    """One epoch of batches: shuffle the rows once, then cut consecutive slices.

    X: (n, d). Returns a list of ceil(n / batch_size) arrays of shape (batch_size, d),
    the last one shorter when batch_size does not divide n.
    """
    _check_batch_size(batch_size)
    X = np.asarray(X)
    if X.ndim == 0:
        raise ValueError("X must be an array of rows, e.g. shape (n, d); got a scalar")
    shuffled = X[rng.permutation(len(X))]
    return [shuffled[i : i + batch_size] for i in range(0, len(X), batch_size)]


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")


def _get_batch(X, size, rng):
    from aecourse.autoencoder import get_batch

    return get_batch(X, size, rng)


# ----- helpers for the judges ------------------------------------------------------------------
def _row_index(X, rows):
    """Index in X of each row of ``rows``, or -1 when the row is not a row of X."""
    lookup = {tuple(r): i for i, r in enumerate(np.asarray(X, dtype=float))}
    return np.array([lookup.get(tuple(r), -1) for r in rows])


def _mistake(description, detail):
    return AssertionError(f"it matches what {description} would give: {detail}")


def _judge_get_batch(args, out):
    X, size, _ = args
    n, d = X.shape
    if out.shape != (size, d):
        hint = " (indices instead of rows?)" if out.shape == (size,) else ""
        raise AssertionError(f"the batch has shape {out.shape}, expected {(size, d)}{hint}")
    idx = _row_index(X, out)
    if np.any(idx < 0):
        raise AssertionError(
            f"row {int(np.argmax(idx < 0))} of the batch is not a row of X: return X[indices]"
        )
    if len(set(idx.tolist())) < size:
        raise _mistake(WITH_REPLACEMENT, "a row appears twice; draw indices with replace=False")
    # A correct draw equals rows 0, 1, 2, ... with chance at most 1 / comb(n, size) (a correct
    # answer may return its rows sorted): only below 1e-4 is that evidence of X[:size].
    if math.comb(n, size) >= 10_000 and np.array_equal(idx, np.arange(size)):
        raise _mistake(FIRST_ROWS, f"the batch is X[:{size}]; pick random row indices")
    _compare_with_group(args[2], out)


def _compare_with_group(rng, out):
    """Compare this call's batch with the first call of its RngProbe group."""
    if not isinstance(rng, RngProbe):
        return
    rng.group[rng.role] = out
    first = rng.group.get("first")
    if rng.role == "first" or first is None:  # the first call failed: its own message says why
        return
    same = np.array_equal(out, first)
    # A draw of >= 8 rows out of >= 30 repeats another one with chance < 1e-6.
    if rng.role == "again" and same:
        raise _mistake(
            OWN_RNG,
            "calling get_batch twice with the same rng gave the same rows, so rng was never "
            "used; draw the indices with rng.choice(len(X), size, replace=False)",
        )
    if rng.role == "same-seed" and not same:
        raise _mistake(
            GLOBAL_RNG,
            f"two generators made with the same seed {rng.seed} gave different rows; draw "
            "with rng.choice(len(X), size, replace=False), never with np.random.choice",
        )
    if rng.role == "other-seed" and same:
        raise _mistake(
            OWN_RNG,
            "generators with different seeds gave the same rows; draw the indices with rng, "
            "the generator passed in",
        )


def _judge_epoch_batches(args, out):
    X, batch_size, _ = args
    n, d = X.shape
    k = batches_per_epoch(n, batch_size)
    if out.ndim != 3 or out.shape[1:] != (batch_size, d):
        raise AssertionError(
            f"the batches have shape {out.shape}, expected {k} batches of shape {(batch_size, d)}"
        )
    if out.shape[0] == k - 1:
        raise _mistake(LAST_BATCH_MISSING, f"{k - 1} batches instead of {k}")
    if out.shape[0] != k:
        raise AssertionError(f"{out.shape[0]} batches, expected {k} (ceil(n / batch_size))")
    idx = _row_index(X, out.reshape(n, d))
    if np.any(idx < 0):
        raise AssertionError("a batch holds a row that is not a row of X")
    if len(set(idx.tolist())) < n:
        raise _mistake(
            REPEATED_ROWS,
            f"{n - len(set(idx.tolist()))} of the {n} rows are missing from the epoch; "
            "shuffle once (a permutation) and slice it",
        )
    if np.array_equal(idx, np.arange(n)):
        raise _mistake(NOT_SHUFFLED, "the epoch visits the rows in order 0, 1, 2, ...")


# ----- likely mistakes (used in the messages and by the tests) ---------------------------------
def _get_batch_with_replacement(X, size, rng):
    return np.asarray(X)[rng.choice(len(X), size, replace=True)]


def _get_batch_first_rows(X, size, rng):
    return np.asarray(X)[:size]


def _get_batch_global_rng(X, size, rng):
    return np.asarray(X)[np.random.choice(len(X), size, replace=False)]


def _get_batch_own_rng(X, size, rng):
    return np.asarray(X)[np.random.default_rng(0).choice(len(X), size, replace=False)]


def _epoch_fresh_batch_per_step(X, batch_size, rng):
    X = np.asarray(X)
    steps = batches_per_epoch(len(X), batch_size)
    return [X[rng.choice(len(X), batch_size, replace=False)] for _ in range(steps)]


def _epoch_not_shuffled(X, batch_size, rng):
    X = np.asarray(X)
    return [X[i : i + batch_size] for i in range(0, len(X), batch_size)]


def _epoch_stops_early(X, batch_size, rng):
    X = np.asarray(X)
    shuffled = X[rng.permutation(len(X))]
    return [shuffled[i : i + batch_size] for i in range(0, len(X) - batch_size, batch_size)]


EXERCISES = [
    register(
        Exercise(
            grade_id="04-batches-per-epoch",
            function_name="batches_per_epoch",
            cases=cases_batches_per_epoch,
            reference=batches_per_epoch,
            mistakes={
                "floor division (the last, partial batch is lost)": lambda n, b: n // b,
                "n / batch_size without rounding up": lambda n, b: n / b,
            },
            n_fixed=7,
            description="how many batches cover n rows once",
        )
    ),
    register(
        Exercise(
            grade_id="04-get-batch",
            function_name="get_batch",
            cases=cases_get_batch,
            reference=_get_batch,
            mistakes={
                WITH_REPLACEMENT: _get_batch_with_replacement,
                FIRST_ROWS: _get_batch_first_rows,
                GLOBAL_RNG: _get_batch_global_rng,
                OWN_RNG: _get_batch_own_rng,
            },
            n_fixed=6,
            judge=_judge_get_batch,
            forbidden=("aecourse.autoencoder.get_batch",),
            description="size distinct random rows of X (Listing 7.7)",
        )
    ),
    register(
        Exercise(
            grade_id="04-epoch-batches",
            function_name="epoch_batches",
            cases=cases_epoch_batches,
            reference=epoch_batches,
            mistakes={
                REPEATED_ROWS: _epoch_fresh_batch_per_step,
                NOT_SHUFFLED: _epoch_not_shuffled,
                LAST_BATCH_MISSING: _epoch_stops_early,
            },
            n_fixed=3,
            judge=_judge_epoch_batches,
            description="one shuffled epoch of batches covering every row once (Listing 7.8 fix)",
        )
    ),
]

TYPICAL_MISTAKES: dict[str, dict[str, str]] = {
    "with-replacement": {
        "04-get-batch-solution": (
            "def get_batch(X, size, rng):\n"
            "    rows = rng.choice(len(X), size, replace=True)\n"
            "    return np.asarray(X)[rows]\n"
        ),
    },
    "no-shuffle": {
        "04-epoch-batches-solution": (
            "def epoch_batches(X, batch_size, rng):\n"
            "    X = np.asarray(X)\n"
            "    return [X[i : i + batch_size] for i in range(0, len(X), batch_size)]\n"
        ),
        "04-batches-per-epoch-solution": (
            "def batches_per_epoch(n, batch_size):\n    return n // batch_size\n"
        ),
    },
    "global-rng": {
        "04-get-batch-solution": (
            "def get_batch(X, size, rng):\n"
            "    # Listing 7.7 as printed: np.random's global generator, rng unused\n"
            "    rows = np.random.choice(len(X), size, replace=False)\n"
            "    return np.asarray(X)[rows]\n"
        ),
    },
}
