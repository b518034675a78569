"""Comparison machinery for graded test cells.

Every graded exercise is an :class:`Exercise` in :data:`REGISTRY`, keyed by the
notebook cell's ``grade_id``. A test cell calls ``ae.grading.check(grade_id, fn)``;
the class grader runs the same cases in a fresh process with :func:`run_cases`
and compares the plain-data outputs in its own process with
:func:`compare_outputs`. Both paths share :func:`assert_close`, so a student
sees the same message either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Exercise",
    "REGISTRY",
    "register",
    "as_float_array",
    "assert_close",
    "check",
    "run_cases",
    "compare_outputs",
]


@dataclass(frozen=True)
class Exercise:
    """One graded function.

    cases(rng) returns a list of argument tuples: the fixed, hand-picked cases
    first (``n_fixed`` of them), then random ones drawn from ``rng``.
    ``mistakes`` maps a description of a likely mistake ("column-major
    flattening") to a wrong implementation with the reference's signature.
    ``judge(args, output)``, when given, replaces the comparison with the
    reference: it raises AssertionError for a bad output (used where any good
    answer passes, e.g. "a trained model within 10% of PCA's RMSE").
    ``forbidden`` names the reference functions (dotted paths) that a student's
    answer must not call for this exercise; by default, the reference itself.
    """

    grade_id: str
    function_name: str
    cases: Callable[[np.random.Generator], list[tuple]]
    reference: Callable[..., Any]
    mistakes: dict[str, Callable[..., Any]] = field(default_factory=dict)
    n_fixed: int = 1
    rtol: float = 1e-5
    atol: float = 1e-6
    description: str = ""
    judge: Callable[[tuple, np.ndarray], None] | None = None
    forbidden: tuple[str, ...] = ()

    def forbidden_names(self) -> tuple[str, ...]:
        if self.forbidden:
            return self.forbidden
        ref = self.reference
        return (f"{ref.__module__}.{ref.__qualname__}",)


REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    if exercise.grade_id in REGISTRY:
        raise ValueError(f"grade_id {exercise.grade_id!r} is registered twice")
    REGISTRY[exercise.grade_id] = exercise
    return exercise


def _exercise(grade_id: str) -> Exercise:
    # Lesson modules register on import; import them lazily so a typo names the choices.
    from aecourse.grading import load_lessons

    load_lessons()
    try:
        return REGISTRY[grade_id]
    except KeyError:
        known = ", ".join(sorted(REGISTRY)) or "(none)"
        raise ValueError(f"unknown grade_id {grade_id!r}; known exercises: {known}") from None


def as_float_array(obj: Any, what: str = "your answer") -> np.ndarray:
    """Coerce ``obj`` to a plain float64 ndarray, or fail with a message.

    Conversion goes through ``float()`` on every element, so an object whose
    ``__eq__`` always answers True becomes an ordinary number (or fails here).
    """
    if obj is None:
        raise AssertionError(f"{what} is None: did you forget a `return` statement?")
    if hasattr(obj, "numpy") and callable(obj.numpy):  # tf.Tensor / tf.Variable
        obj = obj.numpy()
    try:
        arr = np.asarray(obj, dtype=object)
        flat = [float(v) for v in arr.reshape(-1)]
    except (TypeError, ValueError) as exc:
        raise AssertionError(
            f"{what} could not be read as numbers ({type(obj).__name__}: {exc})"
        ) from None
    # Build a fresh array from Python floats: no subclass survives this step.
    return np.array(flat, dtype=np.float64).reshape(arr.shape)


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, threshold=8, edgeitems=2)


def _matches(actual: np.ndarray, candidate: Any, rtol: float, atol: float) -> bool:
    try:
        cand = as_float_array(candidate, "candidate")
    except AssertionError:
        return False
    if cand.shape != actual.shape:
        return False
    return bool(np.allclose(actual, cand, rtol=rtol, atol=atol, equal_nan=False))


def assert_close(
    actual: Any,
    expected: Any,
    what: str,
    *,
    mistakes: dict[str, Any] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    check_dtype_float: bool = False,
) -> None:
    """Raise AssertionError saying how ``actual`` differs from ``expected``.

    ``mistakes`` maps a likely-mistake description to the value that mistake
    would produce; when the answer matches one, the message names it.
    """
    if check_dtype_float and hasattr(actual, "dtype"):
        if not np.issubdtype(np.dtype(actual.dtype), np.floating):
            raise AssertionError(
                f"{what} has dtype {actual.dtype}; expected floating point values "
                "(integer arithmetic truncates: convert with .astype(float))"
            )
    exp = as_float_array(expected, "the expected value")
    act = as_float_array(actual, what)
    if act.shape != exp.shape:
        hint = ""
        if act.size == exp.size:
            hint = " (same number of values: a reshape, transpose or flatten is off)"
        elif act.ndim == exp.ndim + 1 or act.ndim + 1 == exp.ndim:
            hint = " (one axis too many or too few: check keepdims, batching or squeeze)"
        raise AssertionError(f"{what} has shape {act.shape}, expected {exp.shape}{hint}")
    if not np.all(np.isfinite(act)) and np.all(np.isfinite(exp)):
        raise AssertionError(f"{what} contains NaN or infinity: {_fmt(act)}")
    if np.allclose(act, exp, rtol=rtol, atol=atol, equal_nan=True):
        return
    for description, value in (mistakes or {}).items():
        if _matches(act, value, rtol, atol):
            raise AssertionError(
                f"{what} is wrong: it matches what {description} would give.\n"
                f"  got      {_fmt(act)}\n  expected {_fmt(exp)}"
            )
    worst = np.unravel_index(np.nanargmax(np.abs(act - exp)), act.shape) if act.size else ()
    where = f" (largest difference at index {tuple(int(i) for i in worst)})" if act.ndim else ""
    raise AssertionError(
        f"{what} differs from the expected values{where}.\n"
        f"  got      {_fmt(act)}\n  expected {_fmt(exp)}"
    )


def _describe_args(args: Sequence[Any]) -> str:
    parts = []
    for a in args:
        if isinstance(a, tuple) and all(isinstance(v, int | np.integer) for v in a):
            parts.append(repr(tuple(int(v) for v in a)))  # a shape, not data
            continue
        arr = np.asarray(a) if not callable(a) else None
        if arr is not None and arr.ndim > 0:
            parts.append(f"array{arr.shape}")
        else:
            parts.append(repr(a) if arr is None or arr.ndim else _fmt(arr))
    return "(" + ", ".join(parts) + ")"


def _copy_args(args: tuple) -> tuple:
    # Each call gets its own copies: a function that modifies its input in place
    # must not change what the reference sees.
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _cases(ex: Exercise, seed: int | None, n_random: int | None) -> list[tuple]:
    rng = np.random.default_rng(seed)
    cases = list(ex.cases(rng))
    if n_random is not None:
        cases = cases[: ex.n_fixed + n_random]
    return cases


def run_cases(
    grade_id: str, student_fn: Callable, seed: int | None = 0, n_random: int | None = None
) -> list[Any]:
    """Call ``student_fn`` on every case; return plain float64 arrays (or error strings)."""
    ex = _exercise(grade_id)
    outputs: list[Any] = []
    for args in _cases(ex, seed, n_random):
        try:
            out = student_fn(*_copy_args(args))
            outputs.append(as_float_array(out, f"{ex.function_name}{_describe_args(args)}"))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            message = str(exc)
            outputs.append(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
    return outputs


def compare_outputs(
    grade_id: str, outputs: Sequence[Any], seed: int | None = 0, n_random: int | None = None
) -> list[str]:
    """Compare outputs gathered by :func:`run_cases`; return one message per failing case."""
    ex = _exercise(grade_id)
    cases = _cases(ex, seed, n_random)
    if len(outputs) != len(cases):
        return [f"expected {len(cases)} results from {ex.function_name}, got {len(outputs)}"]
    problems = []
    for args, out in zip(cases, outputs, strict=True):
        label = f"{ex.function_name}{_describe_args(args)}"
        if isinstance(out, str):
            if out.startswith("NotImplementedError"):
                problems.append(f"{ex.function_name} is not written yet (it still raises {out})")
            else:
                problems.append(f"{label} raised {out}")
            continue
        if ex.judge is not None:
            try:
                ex.judge(_copy_args(args), out)
            except AssertionError as exc:
                problems.append(f"{label}: {exc}")
            continue
        expected = ex.reference(*_copy_args(args))
        mistakes = {}
        for desc, wrong in ex.mistakes.items():
            try:
                mistakes[desc] = wrong(*_copy_args(args))
            except Exception:  # noqa: BLE001 - a mistake model that cannot run is skipped
                continue
        try:
            assert_close(out, expected, label, mistakes=mistakes, rtol=ex.rtol, atol=ex.atol)
        except AssertionError as exc:
            problems.append(str(exc))
    return problems


def check(
    grade_id: str, student_fn: Callable, *, seed: int | None = 0, n_random: int | None = None
) -> None:
    """Check a student's function against the reference; raise AssertionError on the first problem.

    ``seed=None`` draws fresh random cases (hidden tests); ``n_random=0`` keeps only the
    hand-picked cases (visible tests).
    """
    ex = _exercise(grade_id)
    if not callable(student_fn):
        raise AssertionError(
            f"{ex.function_name} should be a function, got {type(student_fn).__name__}"
        )
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**32))
    outputs = run_cases(grade_id, student_fn, seed, n_random)
    problems = compare_outputs(grade_id, outputs, seed, n_random)
    if problems:
        more = f"\n({len(problems) - 1} more case(s) fail too)" if len(problems) > 1 else ""
        raise AssertionError(problems[0] + more)
