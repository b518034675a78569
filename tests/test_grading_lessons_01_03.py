"""The graded exercises of lessons 01-03: references pass, likely mistakes fail by name.

Also checks that the solution notebooks and the registered exercises agree (every graded test
cell grades one registered Exercise, with a visible and a hidden check), and that each
lesson's TYPICAL_MISTAKES are wrong submissions that lose points.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import aecourse as ae
from aecourse import course
from aecourse.grading import check, lesson01, lesson02, lesson03

REPO = Path(__file__).resolve().parents[1]
LESSONS = {
    "01": (lesson01, REPO / "solutions" / "01_neurons" / "neurons.ipynb"),
    "02": (lesson02, REPO / "solutions" / "02_activations" / "activations.ipynb"),
    "03": (lesson03, REPO / "solutions" / "03_autoencoder" / "autoencoder.ipynb"),
}
EXERCISES = {gid: ex for module, _ in LESSONS.values() for gid, ex in module.EXERCISES.items()}
MISTAKES = [
    pytest.param(gid, desc, wrong, id=f"{gid}:{desc[:40]}")
    for gid, ex in EXERCISES.items()
    for desc, wrong in ex.mistakes.items()
]
SLOW_TRAINING = {"03-train-autoencoder"}


@pytest.mark.parametrize("grade_id", sorted(EXERCISES))
def test_reference_passes_fixed_and_random_cases(grade_id):
    ex = EXERCISES[grade_id]
    seeds = (0,) if grade_id in SLOW_TRAINING else (0, 1, 2)
    for seed in seeds:
        check(grade_id, ex.reference, seed=seed)


@pytest.mark.parametrize(("grade_id", "description", "wrong"), MISTAKES)
def test_each_likely_mistake_fails_and_is_named(grade_id, description, wrong):
    with pytest.raises(AssertionError, match=re.escape(description)):
        check(grade_id, wrong, seed=0)


@pytest.mark.parametrize("grade_id", sorted(EXERCISES))
def test_each_exercise_names_several_likely_mistakes_or_has_a_judge(grade_id):
    ex = EXERCISES[grade_id]
    assert len(ex.mistakes) >= 2 or ex.judge is not None, grade_id
    assert ex.n_fixed >= 1
    assert len(ex.cases(np.random.default_rng(0))) > ex.n_fixed, "no random cases to hide"


class _LyingEq:
    """An object that claims to equal anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class _LyingFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("grade_id", sorted(set(EXERCISES) - SLOW_TRAINING))
def test_lying_eq_objects_fail(grade_id):
    with pytest.raises(AssertionError, match="could not be read as numbers"):
        check(grade_id, lambda *args: _LyingEq(), seed=0)
    with pytest.raises(AssertionError):
        check(grade_id, lambda *args: _LyingFloat(123456.0), seed=0)
    with pytest.raises(AssertionError):
        check(grade_id, lambda *args: np.full(np.shape(args[0]), _LyingFloat(-7.5)), seed=0)


def test_missing_return_and_non_function_are_explained():
    with pytest.raises(AssertionError, match="forget a `return`"):
        check("01-linear", lambda x, w, b: None, n_random=0)
    with pytest.raises(AssertionError, match="should be a function"):
        check("02-relu", np.zeros(3))
    with pytest.raises(ValueError, match="01-linear"):  # a typo lists the known grade_ids
        check("01-linaer", lambda x, w, b: x)


def test_shape_mistakes_get_a_shape_message():
    with pytest.raises(AssertionError, match="has shape"):
        check("01-neuron", lambda x, w, b: np.atleast_2d(lesson01.neuron_sigmoid(x, w, b)).T)
    with pytest.raises(AssertionError, match="has shape"):
        check("03-rmse", lambda x, y: np.sqrt(np.mean((x - y) ** 2, axis=0)), n_random=0)


def test_known_values_independent_of_the_references():
    # Hand-computed values, so a wrong reference cannot make its own test pass.
    assert np.allclose(lesson01.LINEAR.reference(np.array([1.0, 2.0]), 3.0, 0.5), [3.5, 6.5])
    assert np.isclose(float(lesson01.neuron_sigmoid(np.array([1.0, 2.0]), np.zeros(2), 0.0)), 0.5)
    w, b = lesson01.fit_line_pair(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
    assert np.isclose(w, 2.0) and np.isclose(b, 1.0)
    w, b = lesson01.fit_line_pair(np.linspace(-1, 1, 21), np.abs(np.linspace(-1, 1, 21)))
    assert np.isclose(w, 0.0, atol=1e-12), "the best line through |x| is flat"
    assert list(lesson02.fold_ids(7, 3)) == [0, 0, 0, 1, 1, 2, 2]
    assert list(lesson02.fold_ids(6, 3)) == [0, 0, 1, 1, 2, 2]
    assert np.isclose(float(lesson03.RMSE.reference([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])), 2 / 3**0.5)
    assert np.allclose(
        lesson02.numerical_derivative(np.exp, np.array([0.0]), 1e-4), [1.0], atol=1e-8
    )
    # All points on a line: a 1-component PCA reconstructs them exactly.
    t = np.linspace(-1, 1, 7)[:, None]
    line = np.hstack([t, 2 * t + 1])
    assert np.allclose(lesson03.pca_reconstruct(line, 1), line)


def _iris_case():
    return lesson03.TRAIN_AUTOENCODER.cases(np.random.default_rng(0))[0]


def test_training_judge_rejects_copying_the_input():
    args = _iris_case()
    with pytest.raises(AssertionError, match="not the data itself"):
        lesson03.TRAIN_AUTOENCODER.judge(args, np.asarray(args[0], dtype=float))


def test_training_judge_rejects_an_untrained_model():
    data = np.asarray(_iris_case()[0], dtype=float)
    means = np.broadcast_to(data.mean(axis=0), data.shape)
    with pytest.raises(AssertionError, match="no better than predicting"):
        lesson03.TRAIN_AUTOENCODER.judge(_iris_case(), means)


def test_training_judge_rejects_a_half_trained_model_and_accepts_pca():
    args = _iris_case()
    data = np.asarray(args[0], dtype=float)
    pca = lesson03.pca_reconstruct(data, 1)
    lesson03.TRAIN_AUTOENCODER.judge(args, pca)  # the best linear code passes
    halfway = data.mean(axis=0) + 0.6 * (pca - data.mean(axis=0))
    with pytest.raises(AssertionError, match="above the limit") as info:
        lesson03.TRAIN_AUTOENCODER.judge(args, halfway)
    assert "bounded" not in str(info.value), "shrunk towards the mean is not a bounded decoder"


def _wide_case():
    case = lesson03.TRAIN_AUTOENCODER.cases(np.random.default_rng(0))[1]
    data = np.asarray(case[0], dtype=float)
    # What the case is for: the first column spreads far beyond one overall std of the mean.
    assert np.ptp(data[:, 0]) > 5 * (data - data.mean(axis=0)).std()
    return case, data


def test_training_judge_names_a_bounded_decoder():
    args, data = _wide_case()
    pca = lesson03.pca_reconstruct(data, 1)
    lesson03.TRAIN_AUTOENCODER.judge(args, pca)
    mean, scale = data.mean(axis=0), data.std()
    # A tanh decoder on data scaled as the notebook does: outputs within mean +- scale.
    squashed = mean + scale * np.tanh((pca - mean) / scale)
    with pytest.raises(AssertionError, match="decoder's outputs are bounded"):
        lesson03.TRAIN_AUTOENCODER.judge(args, squashed)
    # ... and without any scaling: outputs in (-1, 1) in data units.
    with pytest.raises(AssertionError, match=r"bounded .*Keep the decoder linear"):
        lesson03.TRAIN_AUTOENCODER.judge(_iris_case(), np.tanh(_iris_case()[0]))


def _notebook_training(decoder_source=None):
    """The solution notebook's train_autoencoder, optionally with another decode_layer."""
    sources = course.reference_sources(course.read_json(LESSONS["03"][1]))
    if decoder_source is not None:
        sources["03-decode-layer-solution"] = decoder_source
    namespace = {"np": np, "tf": ae.tf, "ae": ae}
    for gid in ("encode-layer", "decode-layer", "rmse", "train-autoencoder"):
        exec(compile(sources[f"03-{gid}-solution"], f"<03-{gid}>", "exec"), namespace)
    return namespace["train_autoencoder"]


def test_notebook_autoencoder_with_a_tanh_decoder_loses_the_training_points():
    tanh_decoder = lesson03.TYPICAL_MISTAKES["tanh-on-decoder"]["03-decode-layer-solution"]
    with pytest.raises(AssertionError, match="decoder's outputs are bounded"):
        check("03-train-autoencoder", _notebook_training(tanh_decoder), n_random=0)
    check("03-train-autoencoder", _notebook_training(), seed=1)  # the linear one passes


def test_training_judge_rejects_bad_shapes_and_nan():
    args = _iris_case()
    data = np.asarray(args[0], dtype=float)
    with pytest.raises(AssertionError, match="shape"):
        lesson03.TRAIN_AUTOENCODER.judge(args, data[:, :1])
    with pytest.raises(AssertionError, match="NaN"):
        lesson03.TRAIN_AUTOENCODER.judge(args, np.full(data.shape, np.nan))


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_typical_mistakes_lose_points(lesson):
    module, _ = LESSONS[lesson]
    assert len(module.TYPICAL_MISTAKES) >= 2
    for name, cells in module.TYPICAL_MISTAKES.items():
        lost = []
        for solution_id, source in cells.items():
            assert solution_id.endswith("-solution"), (name, solution_id)
            ex = module.EXERCISES[solution_id.removesuffix("-solution")]
            namespace = {"np": np, "tf": ae.tf, "ae": ae}
            exec(compile(source, f"<{name}:{solution_id}>", "exec"), namespace)
            try:
                check(ex.grade_id, namespace[ex.function_name], seed=0)
            except AssertionError:
                lost.append(ex.grade_id)
        assert lost, f"typical mistake {name!r} passes every check: it would lose no points"


# --- the solution notebooks agree with the registry -------------------------------------------


class _Cell:
    """A notebook cell read with plain json (nbformat's schema validation is slow to load)."""

    def __init__(self, raw):
        self.cell_type = raw["cell_type"]
        self.metadata = raw.get("metadata", {})
        src = raw.get("source", "")
        self.source = "".join(src) if isinstance(src, list) else src
        self.outputs = raw.get("outputs", [])
        self.execution_count = raw.get("execution_count")


def _cells(path):
    with open(path, encoding="utf-8") as fh:
        return [_Cell(raw) for raw in json.load(fh)["cells"]]


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_notebook_test_cells_match_registered_exercises(lesson):
    module, path = LESSONS[lesson]
    cells = _cells(path)
    graded = [c for c in cells if _nbgrader(c).get("grade")]
    solutions = {_nbgrader(c)["grade_id"]: c for c in cells if _nbgrader(c).get("solution")}
    assert sorted(_nbgrader(c)["grade_id"] for c in graded) == sorted(module.EXERCISES)
    assert sum(_nbgrader(c)["points"] for c in graded) >= 5
    for cell in graded:
        gid = _nbgrader(cell)["grade_id"]
        fn = module.EXERCISES[gid].function_name
        src = cell.source
        assert src.startswith('"""'), f"{gid}: a test cell starts with a one-line docstring"
        assert f'ae.grading.check("{gid}", {fn}, n_random=0)' in src
        hidden = src[src.index("### BEGIN HIDDEN TESTS") : src.index("### END HIDDEN TESTS")]
        assert "# AECOURSE-HIDDEN-TEST canary" in hidden
        assert f'ae.grading.check("{gid}", {fn}, seed=None)' in hidden
        solution = solutions[f"{gid}-solution"]
        assert re.search(rf"^(def|class) {fn}\b", solution.source, re.M), (gid, fn)
        assert "### BEGIN SOLUTION" in solution.source


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_notebook_is_clean_and_follows_the_skeleton(lesson):
    _, path = LESSONS[lesson]
    cells = _cells(path)
    ids = [_nbgrader(c)["grade_id"] for c in cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "duplicate grade_id"
    assert all(i.startswith(f"{lesson}-") for i in ids)
    for cell in cells:
        meta = _nbgrader(cell)
        if meta:
            assert meta["schema_version"] == 3
            assert {"grade", "solution", "locked", "grade_id"} <= set(meta)
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "outputs not cleared"
    code = [c.source for c in cells if c.cell_type == "code"]
    assert code[0].lstrip().startswith("import aecourse as ae"), "aecourse is imported first"
    assert "ae.set_seed(" in code[0]
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "## Setup" in text and "## Summary" in text and "Going further" in text
    assert re.search(r"## Part [A-Z]: .+ \(\d+ points?\)", text)
