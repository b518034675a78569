"""The comparison machinery behind every graded test cell (aecourse.grading.core)."""

import numpy as np
import pytest

from aecourse.grading import core


class LyingFloat(float):
    """A float whose == always says True: it fools np.allclose on object arrays."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def _linear(x, w, b):
    return w * np.asarray(x, dtype=float) + b


@pytest.fixture
def toy_exercise(monkeypatch):
    registry = dict(core.REGISTRY)
    monkeypatch.setattr(core, "REGISTRY", registry)
    ex = core.Exercise(
        grade_id="00-linear",
        function_name="linear",
        cases=lambda rng: (
            [(np.array([1.0, 2.0]), 2.0, 1.0)]
            + [(rng.normal(size=4), float(rng.normal()), float(rng.normal())) for _ in range(5)]
        ),
        reference=_linear,
        mistakes={"a missing bias": lambda x, w, b: w * np.asarray(x)},
    )
    core.register(ex)
    return ex


def test_reference_passes(toy_exercise):
    core.check("00-linear", _linear)
    core.check("00-linear", _linear, seed=None)


def test_named_mistake_is_reported(toy_exercise):
    with pytest.raises(AssertionError, match="a missing bias"):
        core.check("00-linear", lambda x, w, b: w * x)


def test_unknown_wrong_answer_shows_got_and_expected(toy_exercise):
    with pytest.raises(AssertionError, match=r"differs.*\n.*got.*\n.*expected"):
        core.check("00-linear", lambda x, w, b: w * x + 2 * b)


def test_lying_eq_object_fails(toy_exercise):
    with pytest.raises(AssertionError):
        core.check("00-linear", lambda x, w, b: LyingFloat(0.0))
    with pytest.raises(AssertionError):
        core.check("00-linear", lambda x, w, b: np.array([LyingFloat(0.0)] * len(x), dtype=object))


def test_shape_mismatch_names_shapes(toy_exercise):
    with pytest.raises(AssertionError, match=r"shape \(2, 1\), expected \(2,\)"):
        core.check("00-linear", lambda x, w, b: (w * x + b).reshape(-1, 1), n_random=0)


def test_none_means_missing_return(toy_exercise):
    with pytest.raises(AssertionError, match="forget a `return`"):
        core.check("00-linear", lambda x, w, b: None)


def test_exception_in_student_code_is_reported(toy_exercise):
    def broken(x, w, b):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="linear is not written yet"):
        core.check("00-linear", broken)

    def crashing(x, w, b):
        return x[100]

    with pytest.raises(AssertionError, match=r"linear\(array\(2,\), 2\., 1\.\) raised IndexError"):
        core.check("00-linear", crashing)


def test_not_a_function(toy_exercise):
    with pytest.raises(AssertionError, match="should be a function"):
        core.check("00-linear", 3.0)


def test_in_place_modification_does_not_change_the_reference_input(toy_exercise):
    def sneaky(x, w, b):
        out = w * x + b
        x[:] = 0.0  # must not leak into what the reference sees
        return out

    core.check("00-linear", sneaky)


def test_run_and_compare_round_trip_as_plain_data(toy_exercise):
    outputs = core.run_cases("00-linear", _linear, seed=7)
    assert all(type(o) is np.ndarray and o.dtype == np.float64 for o in outputs)
    assert core.compare_outputs("00-linear", outputs, seed=7) == []
    # Outputs for another seed do not match: the grader's seed matters.
    assert core.compare_outputs("00-linear", outputs, seed=8)
    assert core.compare_outputs("00-linear", outputs[:-1], seed=7)


def test_judge_replaces_exact_comparison(monkeypatch):
    monkeypatch.setattr(core, "REGISTRY", dict(core.REGISTRY))

    def judge(args, out):
        if not np.all((out >= 0) & (out < args[0])):
            raise AssertionError("values must lie in [0, n)")

    core.register(
        core.Exercise(
            "00-draw",
            "draw",
            cases=lambda rng: [(10,)],
            reference=lambda n: np.arange(n),
            judge=judge,
        )
    )
    core.check("00-draw", lambda n: np.random.default_rng().integers(0, n, size=3))
    with pytest.raises(AssertionError, match=r"must lie in \[0, n\)"):
        core.check("00-draw", lambda n: np.array([n]))


def test_duplicate_registration_is_refused(toy_exercise):
    with pytest.raises(ValueError, match="registered twice"):
        core.register(toy_exercise)


def test_unknown_grade_id_lists_choices(toy_exercise):
    with pytest.raises(ValueError, match="unknown grade_id 'nope'.*00-linear"):
        core.check("nope", _linear)


def test_forbidden_names_default_to_the_reference(toy_exercise):
    assert toy_exercise.forbidden_names() == (f"{__name__}._linear",)


def test_nan_answer_is_called_out():
    with pytest.raises(AssertionError, match="NaN or infinity"):
        core.assert_close([np.nan, 1.0], [0.0, 1.0], "answer")


def test_integer_dtype_can_be_required():
    with pytest.raises(AssertionError, match="dtype int64"):
        core.assert_close(np.array([1, 2]), [1.0, 2.0], "answer", check_dtype_float=True)


def test_tensors_are_accepted():
    import aecourse as ae

    core.assert_close(ae.tf.constant([1.0, 2.0]), [1.0, 2.0], "answer")
