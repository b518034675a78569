"""Lesson 04's cases: the inputs of its exercises and the generators they hand out.

Rows are all distinct, so a repeated row in an answer means a repeated draw. ``get_batch``
cases hold groups of :class:`RngProbe` calls that the judge in
:mod:`aecourse.grading.lesson04` compares with each other; lesson 06 reuses
:class:`SeededRng`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "RngProbe",
    "SeededRng",
    "cases_batches_per_epoch",
    "cases_epoch_batches",
    "cases_get_batch",
]


def _distinct_rows(rng, n, d):
    """(n, d) float rows that are all different, so a repeated row means a repeated draw."""
    return (rng.permutation(n * d).reshape(n, d) + rng.uniform(0.1, 0.9, (n, d))).round(3)


class SeededRng(np.random.Generator):
    """A NumPy Generator that shows its seed in messages instead of a memory address."""

    def __init__(self, seed):
        super().__init__(np.random.PCG64(seed))
        self.seed = int(seed)

    def __repr__(self):
        return f"np.random.default_rng({self.seed})"

    def __reduce__(self):  # pickles (for the class grader's fresh process) as a SeededRng
        return (SeededRng, (self.seed,))


class RngProbe(SeededRng):
    """A SeededRng in a group of get_batch calls whose batches the judge compares.

    Roles, in call order: "first" (a fresh generator), "again" (the same generator once
    more: a good answer draws other rows), "same-seed" (a fresh generator with the first
    one's seed: the same rows) and "other-seed" (another seed: other rows). Pickled, it
    becomes a plain SeededRng and the judge skips the comparisons.
    """

    def __init__(self, seed, group, role, share=None):
        # "again" shares the first call's bit generator: it goes on from where that call left.
        np.random.Generator.__init__(
            self, share.bit_generator if share is not None else np.random.PCG64(seed)
        )
        self.seed, self.group, self.role = int(seed), group, role

    def __repr__(self):
        made = f"np.random.default_rng({self.seed})"
        return f"the {made} of the previous call again" if self.role == "again" else made


def _probe_group(X, size, seed, other_seed):
    """Four calls whose batches must agree where the seeds do: the judge compares them."""
    group: dict = {}
    first = RngProbe(seed, group, "first")
    rngs = [
        first,
        RngProbe(seed, group, "again", share=first),
        RngProbe(seed, group, "same-seed"),
        RngProbe(other_seed, group, "other-seed"),
    ]
    return [(X, size, rng) for rng in rngs]


def _seeded(rng):
    return SeededRng(int(rng.integers(2**32)))


def cases_batches_per_epoch(rng):
    fixed = [(150, 10), (150, 20), (5000, 128), (7, 7), (1, 1), (10, 100), (100, 1)]
    rand = []
    for _ in range(8):
        b = int(rng.integers(1, 200))
        rand.append((int(rng.integers(1, 5000)), b))
    return fixed + rand


def cases_get_batch(rng):
    fixed = [
        (_distinct_rows(np.random.default_rng(1), 20, 3), 15, SeededRng(7)),
        (_distinct_rows(np.random.default_rng(2), 12, 1), 12, SeededRng(8)),
        *_probe_group(_distinct_rows(np.random.default_rng(6), 40, 2), 10, 12, 13),
    ]
    rand = []
    for _ in range(6):
        n = int(rng.integers(10, 60))
        rand.append((_distinct_rows(rng, n, int(rng.integers(1, 6))), int(rng.integers(5, n + 1)),
                     _seeded(rng)))  # fmt: skip
    # Size and n - size at least 8: a good answer repeats a batch with chance < 1e-6.
    n = int(rng.integers(30, 60))
    seeds = rng.choice(2**32, 2, replace=False)
    rand += _probe_group(_distinct_rows(rng, n, int(rng.integers(1, 4))),
                         int(rng.integers(8, n - 7)), int(seeds[0]), int(seeds[1]))  # fmt: skip
    return fixed + rand


def cases_epoch_batches(rng):
    fixed = [
        (_distinct_rows(np.random.default_rng(3), 12, 2), 4, SeededRng(9)),
        (_distinct_rows(np.random.default_rng(4), 10, 3), 1, SeededRng(10)),
        (_distinct_rows(np.random.default_rng(5), 10, 3), 10, SeededRng(11)),
    ]
    rand = []
    for _ in range(6):
        b = int(rng.integers(2, 9))
        n = b * int(rng.integers(5, 12))  # a multiple of b: equal batches stack into one array
        rand.append((_distinct_rows(rng, n, int(rng.integers(1, 5))), b, _seeded(rng)))
    return fixed + rand
