"""The graded exercises of lessons 04-06 and their notebooks' nbgrader structure.

For every exercise: the reference passes, each modelled mistake fails with a message that
names it, and an object that lies about equality fails. For every typical wrong submission
(TYPICAL_MISTAKES): the replacement cell compiles, defines the function and loses the points.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import aecourse as ae
from aecourse.grading import core, lesson04, lesson05, lesson06

REPO = Path(__file__).resolve().parents[1]
LESSONS = {
    "04": (lesson04, REPO / "solutions" / "04_batch_training" / "batch_training.ipynb"),
    "05": (lesson05, REPO / "solutions" / "05_images" / "images.ipynb"),
    "06": (lesson06, REPO / "solutions" / "06_variants" / "variants.ipynb"),
}
EXERCISES = [ex for module, _ in LESSONS.values() for ex in module.EXERCISES]
MISTAKES = [
    pytest.param(ex.grade_id, desc, wrong, id=f"{ex.grade_id}:{desc[:40]}")
    for ex in EXERCISES
    for desc, wrong in ex.mistakes.items()
]


class Liar:
    """Claims to equal everything; has no numeric value."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.grade_id)
def test_reference_passes_fixed_and_fresh_cases(ex):
    ae.grading.check(ex.grade_id, ex.reference, n_random=0)
    ae.grading.check(ex.grade_id, ex.reference, seed=None)


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.grade_id)
def test_every_exercise_models_a_likely_mistake(ex):
    assert len(ex.mistakes) >= 1, f"{ex.grade_id} needs likely-mistake models for its messages"


@pytest.mark.parametrize(("grade_id", "description", "wrong"), MISTAKES)
def test_mistake_fails_with_its_name(grade_id, description, wrong):
    with pytest.raises(AssertionError, match="would give") as info:
        ae.grading.check(grade_id, wrong)
    assert description in str(info.value)


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.grade_id)
def test_lying_eq_object_fails(ex):
    with pytest.raises(AssertionError, match="could not be read as numbers"):
        ae.grading.check(ex.grade_id, lambda *args: Liar())
    with pytest.raises(AssertionError):
        ae.grading.check(ex.grade_id, lambda *args: np.array([Liar(), Liar()], dtype=object))


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.grade_id)
def test_unfinished_stub_fails(ex):
    def stub(*args):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="NotImplementedError"):
        ae.grading.check(ex.grade_id, stub, n_random=0)


# ----- random exercises: other correct answers pass, judges are not flaky ------------------------
def _get_batch_by_permutation(X, size, rng):
    return np.asarray(X)[rng.permutation(len(X))[:size]]


def _get_batch_sorted_rows(X, size, rng):
    """Correct too: a random subset, returned in the rows' original order."""
    return np.asarray(X)[np.sort(rng.choice(len(X), size, replace=False))]


def _epoch_by_array_split(X, batch_size, rng):
    X = np.asarray(X)
    return np.array_split(X[rng.permutation(len(X))], -(-len(X) // batch_size))


def _gaussian_by_standard_normal(x, stddev, rng):
    return np.asarray(x, dtype=float) + stddev * rng.standard_normal(np.shape(x))


def _masking_exact_count(x, fraction, rng):
    out = np.array(x, dtype=float)
    hide = rng.choice(out.size, int(round(fraction * out.size)), replace=False)
    out.flat[hide] = 0.0
    return out


@pytest.mark.parametrize(
    ("grade_id", "other_correct"),
    [
        ("04-get-batch", _get_batch_by_permutation),
        ("04-get-batch", _get_batch_sorted_rows),
        ("04-epoch-batches", _epoch_by_array_split),
        ("06-gaussian-noise", _gaussian_by_standard_normal),
        ("06-masking-noise", _masking_exact_count),
    ],
)
def test_other_correct_answers_pass_many_seeds(grade_id, other_correct):
    for seed in range(25):
        ae.grading.check(grade_id, other_correct, seed=seed)
        ae.grading.check(grade_id, core.REGISTRY[grade_id].reference, seed=seed)


def test_tensorflow_answers_are_accepted():
    tf = ae.tf

    def reparameterize(mean, log_var, eps):
        return tf.constant(mean) + tf.exp(0.5 * tf.constant(log_var)) * tf.constant(eps)

    def kl_divergence(mean, log_var):
        m, lv = tf.constant(mean), tf.constant(log_var)
        return -0.5 * tf.reduce_sum(1 + lv - m**2 - tf.exp(lv), axis=-1)

    ae.grading.check("06-reparameterize", reparameterize)
    ae.grading.check("06-kl-divergence", kl_divergence)


def _get_batch_global_state(X, size, rng):
    return np.asarray(X)[np.random.choice(len(X), size, replace=False)]


def _get_batch_copies_rng(X, size, rng):
    # Draws from a copy: rng itself never moves on, so a second call repeats the batch.
    return np.asarray(X)[copy.deepcopy(rng).choice(len(X), size, replace=False)]


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (_get_batch_global_state, "two generators made with the same seed 12 gave different"),
        (_get_batch_copies_rng, "calling get_batch twice with the same rng gave the same rows"),
        (lesson04.TYPICAL_MISTAKES["global-rng"], "never with np.random.choice"),
    ],
    ids=["global-state", "copy-of-rng", "typical-mistake"],
)
def test_get_batch_that_ignores_rng_fails_visible_and_hidden_checks(wrong, message):
    if isinstance(wrong, dict):  # a typical mistake's cell: run it as the demo would
        namespace = {"np": np}
        exec(wrong["04-get-batch-solution"], namespace)
        wrong = namespace["get_batch"]
    with pytest.raises(AssertionError, match=message):
        ae.grading.check("04-get-batch", wrong, n_random=0)
    for seed in range(5):
        with pytest.raises(AssertionError, match="instead of rng"):
            ae.grading.check("04-get-batch", wrong, seed=seed)


def test_get_batch_rng_checks_work_across_processes():
    # The class grader calls the student's function in one process and compares the plain
    # outputs in another: each side builds its own cases, so the judge may rely only on them.
    def judged(fn, seed=123):
        outputs = [o.tolist() for o in core.run_cases("04-get-batch", fn, seed)]  # plain data
        return core.compare_outputs("04-get-batch", [np.array(o) for o in outputs], seed)

    assert any("same seed" in p for p in judged(_get_batch_global_state))
    assert judged(lesson04._get_batch) == []


def test_get_batch_rng_probe_goes_on_from_its_first_call():
    group: dict = {}
    first = lesson04.RngProbe(5, group, "first")
    again = lesson04.RngProbe(5, group, "again", share=first)
    draws = np.random.default_rng(5).integers(1000, size=6).tolist()
    assert first.integers(1000, size=3).tolist() == draws[:3]
    assert again.integers(1000, size=3).tolist() == draws[3:]  # the same generator, moved on
    assert repr(first) == "np.random.default_rng(5)" and "previous call again" in repr(again)


def test_shape_mistakes_get_a_shape_hint():
    with pytest.raises(AssertionError, match=r"shape \(24,\), expected \(2, 12\)"):
        ae.grading.check("05-flatten", lambda im: np.asarray(im).ravel())
    with pytest.raises(AssertionError, match="one axis too many or too few"):
        ae.grading.check(
            "06-kl-divergence",
            lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv)),  # summed over the batch too
        )


# ----- reference helpers: bad input ------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "8"])
def test_batch_helpers_reject_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        lesson04.batches_per_epoch(10, batch_size)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        lesson04.epoch_batches(np.zeros((10, 2)), batch_size, np.random.default_rng(0))


def test_batches_per_epoch_rejects_bad_n():
    with pytest.raises(ValueError, match="n must be a number of rows"):
        lesson04.batches_per_epoch(-1, 4)


def test_epoch_batches_reference_covers_each_row_once():
    X = np.arange(20.0).reshape(10, 2)
    batches = lesson04.epoch_batches(X, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    rows = np.concatenate(batches)
    assert sorted(rows[:, 0].tolist()) == X[:, 0].tolist()
    assert not np.array_equal(rows, X)


def test_seeded_rng_pickles_and_shows_its_seed():
    import pickle

    rng = lesson04.SeededRng(7)
    assert repr(rng) == "np.random.default_rng(7)"
    copy = pickle.loads(pickle.dumps(rng))
    assert isinstance(copy, lesson04.SeededRng)
    assert np.array_equal(copy.random(3), np.random.default_rng(7).random(3))


def test_reconstruction_errors_by_hand():
    model = lesson05.ShrinkModel(keep=1, factor=1.0)  # keeps column 0, zeroes the rest
    errors = lesson05.reconstruction_errors(model, [[5.0, 3.0, 4.0], [1.0, 0.0, 0.0]])
    assert np.allclose(errors, [np.sqrt(25.0 / 3.0), 0.0])


# ----- typical wrong submissions --------------------------------------------------------------
TYPICAL = [
    pytest.param(module, name, cells, id=f"lesson{key}:{name}")
    for key, (module, _) in LESSONS.items()
    for name, cells in module.TYPICAL_MISTAKES.items()
]


@pytest.mark.parametrize("key", sorted(LESSONS))
def test_each_lesson_has_two_typical_mistakes(key):
    assert len(LESSONS[key][0].TYPICAL_MISTAKES) >= 2


@pytest.mark.parametrize(("module", "name", "cells"), TYPICAL)
def test_typical_mistake_defines_the_function_and_loses_points(module, name, cells):
    for solution_id, source in cells.items():
        assert solution_id.endswith("-solution")
        ex = core.REGISTRY[solution_id.removesuffix("-solution")]
        namespace = {"np": np, "ae": ae}
        exec(compile(source, f"<{name}:{solution_id}>", "exec"), namespace)
        fn = namespace[ex.function_name]
        with pytest.raises(AssertionError):
            ae.grading.check(ex.grade_id, fn)


# ----- the solution notebooks' nbgrader structure (no execution) ---------------------------
def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("key", sorted(LESSONS))
def test_notebook_matches_its_exercises(key):
    module, path = LESSONS[key]
    cells = _cells(path)
    meta = [c["metadata"].get("nbgrader") for c in cells]
    ids = [m["grade_id"] for m in meta if m]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    graded = {
        m["grade_id"]: (m, _source(c)) for c, m in zip(cells, meta, strict=True) if m and m["grade"]
    }
    assert set(graded) == {ex.grade_id for ex in module.EXERCISES}
    assert sum(m["points"] for m, _ in graded.values()) >= 5
    for ex in module.EXERCISES:
        m, src = graded[ex.grade_id]
        assert m["schema_version"] == 3 and m["locked"] and not m["solution"] and m["points"] > 0
        assert src.startswith('"""Check'), "a test cell starts with a one-line docstring"
        assert f'ae.grading.check("{ex.grade_id}", {ex.function_name}, n_random=0)' in src
        hidden = src.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        assert "# AECOURSE-HIDDEN-TEST canary" in hidden
        assert f'ae.grading.check("{ex.grade_id}", {ex.function_name}, seed=None)' in hidden
        assert f"{ex.grade_id}-solution" in ids
        sol = next(_source(c) for c in cells if (c["metadata"].get("nbgrader") or {}).get(
            "grade_id") == f"{ex.grade_id}-solution")  # fmt: skip
        assert f"def {ex.function_name}(" in sol and "### BEGIN SOLUTION" in sol


@pytest.mark.parametrize("key", sorted(LESSONS))
def test_notebook_is_stored_clean_and_imports_aecourse_first(key):
    cells = _cells(LESSONS[key][1])
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    first_import = next(_source(c) for c in code if "import " in _source(c))
    assert first_import.lstrip().startswith("import aecourse as ae")
    assert any("## Setup" in _source(c) for c in cells)
    assert any("ae.set_seed(" in _source(c) for c in code)
