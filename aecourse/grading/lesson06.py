"""Lesson 06 (section 7.5, variants): the graded exercises.

The two noise functions draw at random, so they are judged on what any good
answer satisfies (shape, noise statistics, untouched entries) rather than on one
exact output; the judges name the likely mistake when they can. The VAE's
reparameterization and KL term are exact formulas, compared with
:mod:`aecourse.variants`.
"""

from __future__ import annotations

import numpy as np

from aecourse.grading.core import Exercise, register
from aecourse.grading.lesson04 import SeededRng

__all__ = ["EXERCISES", "TYPICAL_MISTAKES"]

VARIANCE_AS_STD = "the variance stddev**2 used as the scale of the noise"
NOT_CENTRED = "noise that is not centred on zero (uniform in [0, stddev))"
INPUT_REPLACED = "the input replaced by noise instead of noise added to it"
SAME_NOISE_ROWS = "the same noise vector for every row"
FRACTION_KEPT = "the fraction kept instead of the fraction masked"
NOISE_NOT_MASK = "noise added instead of entries set to zero"
SAME_MASK_ROWS = "the same mask for every row"


def _variants():
    # Imported when first needed, so a half-written package cannot break grading imports.
    from aecourse import variants

    return variants


def _add_gaussian_noise(x, stddev, rng):
    return _variants().add_gaussian_noise(x, stddev, rng)


def _add_masking_noise(x, fraction, rng):
    return _variants().add_masking_noise(x, fraction, rng)


def _reparameterize(mean, log_var, eps):
    return _variants().reparameterize(mean, log_var, eps)


def _kl_divergence(mean, log_var):
    return _variants().kl_divergence(mean, log_var)


def _mistake(description, detail):
    return AssertionError(f"it matches what {description} would give: {detail}")


# ----- judges for the random exercises -----------------------------------------------------------
def _judge_gaussian(args, out):
    x, stddev, _ = args
    x = np.asarray(x, dtype=float)
    if out.shape != x.shape:
        raise AssertionError(f"the noisy data has shape {out.shape}, expected {x.shape}")
    noise = out - x
    if stddev == 0:
        if not np.allclose(noise, 0):
            raise AssertionError("with stddev=0 the data must come back unchanged")
        return
    n = noise.size
    mean, std = float(noise.mean()), float(noise.std())
    if abs(np.corrcoef(noise.ravel(), x.ravel())[0, 1]) > 0.3:
        raise _mistake(INPUT_REPLACED, "return x + noise")
    if x.shape[0] > 1 and np.allclose(noise, noise[:1]):
        raise _mistake(SAME_NOISE_ROWS, "draw noise of shape x.shape")
    if abs(mean) > 5 * stddev / np.sqrt(n):
        if abs(mean - stddev / 2) < 0.1 * stddev:
            raise _mistake(NOT_CENTRED, f"the noise has mean {mean:.3f}; use rng.normal")
        raise AssertionError(f"the noise has mean {mean:.3f}, expected about 0")
    if abs(std - stddev) > 0.1 * stddev:
        if abs(std - stddev**2) < 0.1 * stddev**2:
            raise _mistake(VARIANCE_AS_STD, f"the noise has std {std:.3f}, expected {stddev}")
        raise AssertionError(f"the noise has standard deviation {std:.3f}, expected {stddev}")


def _judge_masking(args, out):
    x, fraction, _ = args
    x = np.asarray(x, dtype=float)
    if out.shape != x.shape:
        raise AssertionError(f"the masked data has shape {out.shape}, expected {x.shape}")
    changed = ~np.isclose(out, x)
    if np.any(changed & ~np.isclose(out, 0)):
        raise _mistake(NOISE_NOT_MASK, "masked entries must become 0, the others stay as they are")
    masked = float(changed.mean())  # the cases hold no zeros, so every 0 was masked
    if x.shape[0] > 1 and 0 < fraction < 1 and np.all(changed == changed[:1]):
        raise _mistake(SAME_MASK_ROWS, "draw a mask of shape x.shape")
    tolerance = max(0.04, 5 * np.sqrt(fraction * (1 - fraction) / x.size))
    if abs(masked - fraction) > tolerance:
        if abs(masked - (1 - fraction)) <= tolerance:
            raise _mistake(FRACTION_KEPT, f"{masked:.0%} of the entries are 0, not {fraction:.0%}")
        raise AssertionError(f"{masked:.1%} of the entries were masked, expected {fraction:.0%}")


# ----- cases ------------------------------------------------------------------------------------
def _scale_away_from_one(rng):
    # stddev**2 must differ from stddev by far more than the judge's tolerance.
    return float(rng.choice([rng.uniform(0.2, 0.6), rng.uniform(1.6, 3.0)]))


def _fraction_away_from_half(rng):
    return float(rng.choice([rng.uniform(0.1, 0.35), rng.uniform(0.65, 0.9)]))


def _cases_gaussian(rng):
    base = np.random.default_rng(20)
    fixed = [
        (base.uniform(0, 4, (50, 64)), 0.5, SeededRng(21)),
        (base.uniform(0, 1, (10, 8)), 0.0, SeededRng(22)),
    ]
    rand = [
        (rng.uniform(0, 4, (int(rng.integers(30, 60)), 64)), _scale_away_from_one(rng), _seed(rng))
        for _ in range(4)
    ]
    return fixed + rand


def _cases_masking(rng):
    base = np.random.default_rng(30)
    fixed = [
        (base.uniform(0.1, 1, (50, 64)), 0.25, SeededRng(31)),
        (base.uniform(0.1, 1, (10, 8)), 0.0, SeededRng(32)),
    ]
    rand = [
        (rng.uniform(0.1, 1, (int(rng.integers(30, 60)), 64)), _fraction_away_from_half(rng),
         _seed(rng))
        for _ in range(4)
    ]  # fmt: skip
    return fixed + rand


def _seed(rng):
    return SeededRng(int(rng.integers(2**32)))


def _cases_reparameterize(rng):
    fixed = [(np.array([[0.0, 1.0], [2.0, -1.0]]), np.array([[0.0, 2.0], [-2.0, 1.0]]),
              np.array([[1.0, 0.5], [-1.0, 2.0]]))]  # fmt: skip
    rand = []
    for _ in range(4):
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 5)))
        rand.append((rng.normal(size=shape), rng.uniform(-3, 2, shape), rng.normal(size=shape)))
    return fixed + rand


def _cases_kl(rng):
    fixed = [(np.array([[0.0, 0.0], [1.0, -1.0], [0.5, 2.0]]),
              np.array([[0.0, 0.0], [0.0, 1.0], [-1.0, 0.5]]))]  # fmt: skip
    rand = []
    for _ in range(4):
        shape = (int(rng.integers(2, 6)), int(rng.integers(2, 5)))
        rand.append((rng.normal(size=shape), rng.uniform(-3, 2, shape)))
    return fixed + rand


# ----- likely mistakes ----------------------------------------------------------------------------
def _gaussian_variance(x, stddev, rng):
    x = np.asarray(x, dtype=float)
    return x + rng.normal(0.0, stddev**2, x.shape)


def _gaussian_uniform(x, stddev, rng):
    x = np.asarray(x, dtype=float)
    return x + stddev * rng.random(x.shape)


def _gaussian_replaces(x, stddev, rng):
    x = np.asarray(x, dtype=float)
    return rng.normal(0.0, stddev, x.shape)


def _gaussian_same_rows(x, stddev, rng):
    x = np.asarray(x, dtype=float)
    return x + rng.normal(0.0, stddev, x.shape[-1])


def _masking_kept(x, fraction, rng):
    x = np.asarray(x, dtype=float)
    return np.where(rng.random(x.shape) < fraction, x, 0.0)


def _masking_noise(x, fraction, rng):
    x = np.asarray(x, dtype=float)
    return x + fraction * rng.normal(size=x.shape)


def _masking_same_rows(x, fraction, rng):
    x = np.asarray(x, dtype=float)
    return np.where(rng.random(x.shape[-1]) < fraction, 0.0, x)


def _kl_terms(mean, log_var):
    mean, log_var = np.asarray(mean, dtype=float), np.asarray(log_var, dtype=float)
    return 1.0 + log_var - mean**2 - np.exp(log_var)


EXERCISES = [
    register(
        Exercise(
            grade_id="06-gaussian-noise",
            function_name="add_gaussian_noise",
            cases=_cases_gaussian,
            reference=_add_gaussian_noise,
            mistakes={
                VARIANCE_AS_STD: _gaussian_variance,
                NOT_CENTRED: _gaussian_uniform,
                INPUT_REPLACED: _gaussian_replaces,
                SAME_NOISE_ROWS: _gaussian_same_rows,
            },
            n_fixed=2,
            judge=_judge_gaussian,
            forbidden=("aecourse.variants.add_gaussian_noise",),
            description="x plus N(0, stddev**2) noise drawn from rng",
        )
    ),
    register(
        Exercise(
            grade_id="06-masking-noise",
            function_name="add_masking_noise",
            cases=_cases_masking,
            reference=_add_masking_noise,
            mistakes={
                FRACTION_KEPT: _masking_kept,
                NOISE_NOT_MASK: _masking_noise,
                SAME_MASK_ROWS: _masking_same_rows,
            },
            n_fixed=2,
            judge=_judge_masking,
            forbidden=("aecourse.variants.add_masking_noise",),
            description="x with a random fraction of its entries set to zero",
        )
    ),
    register(
        Exercise(
            grade_id="06-reparameterize",
            function_name="reparameterize",
            cases=_cases_reparameterize,
            reference=_reparameterize,
            mistakes={
                "std instead of log-variance in the reparameterization (log_var used as std)": (
                    lambda m, lv, e: m + lv * e
                ),
                "the variance exp(log_var) used as the standard deviation": (
                    lambda m, lv, e: m + np.exp(lv) * e
                ),
                "eps not scaled by the standard deviation": lambda m, lv, e: m + e,
            },
            forbidden=("aecourse.variants.reparameterize",),
            description="z = mean + exp(log_var / 2) * eps",
        )
    ),
    register(
        Exercise(
            grade_id="06-kl-divergence",
            function_name="kl_divergence",
            cases=_cases_kl,
            reference=_kl_divergence,
            mistakes={
                "KL sign flipped": lambda m, lv: 0.5 * _kl_terms(m, lv).sum(axis=-1),
                "the mean over the code dimensions instead of the sum": (
                    lambda m, lv: -0.5 * _kl_terms(m, lv).mean(axis=-1)
                ),
                "a missing factor 1/2": lambda m, lv: -_kl_terms(m, lv).sum(axis=-1),
                "exp(log_var) left out (log_var taken as the variance)": (
                    lambda m, lv: -0.5 * (1.0 + np.asarray(lv) - np.asarray(m) ** 2 - lv).sum(-1)
                ),
            },
            forbidden=("aecourse.variants.kl_divergence",),
            description="KL(N(mean, exp(log_var)) || N(0, 1)) per sample, summed over the code",
        )
    ),
]

TYPICAL_MISTAKES: dict[str, dict[str, str]] = {
    "kl-sign-flipped": {
        "06-kl-divergence-solution": (
            "def kl_divergence(mean, log_var):\n"
            "    mean, log_var = np.asarray(mean), np.asarray(log_var)\n"
            "    return 0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1)\n"
        ),
    },
    "std-as-log-var": {
        "06-reparameterize-solution": (
            "def reparameterize(mean, log_var, eps):\n    return mean + log_var * eps\n"
        ),
    },
    "fraction-kept": {
        "06-masking-noise-solution": (
            "def add_masking_noise(x, fraction, rng):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    return np.where(rng.random(x.shape) < fraction, x, 0.0)\n"
        ),
    },
}
