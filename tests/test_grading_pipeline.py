"""Autograding with nbgrader end to end: the six lessons and a tiny fixture lesson.

Running nbgrader over six lessons and several students is the most expensive thing in CI,
so each class is graded once per test run and shared by every test here, also across
pytest-xdist workers (a file lock: the first worker grades, the other waits and reuses).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import traceback
from pathlib import Path

import pytest

from aecourse import course, demo

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader-class")]

FIXTURE_SOLUTIONS = Path(__file__).parent / "fixtures" / "solutions"
FIXTURE = "99_fixture"
CANARY = "AECOURSE-HIDDEN-TEST"

FIXTURE_MISTAKES = {
    FIXTURE: {
        "times-four": {
            "99-double-solution": "def double(x):\n    return 4 * np.asarray(x, dtype=float)\n"
        },
        "doubling-not-squaring": {
            "99-square-solution": "def square(x):\n    return 2 * np.asarray(x, dtype=float)\n"
        },
        # passes the visible test (non-negative inputs), fails the hidden one
        "absolute-value": {
            "99-double-solution": (
                "def double(x):\n    return 2 * np.abs(np.asarray(x, dtype=float))\n"
            )
        },
    }
}


def _without_cell(grade_id, replace=None):
    """Submission builder: the correct notebook with one test cell deleted."""

    def build(release, ref):
        nb = course.fill_release(release, {**ref, **(replace or {})})
        nb["cells"] = [
            c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != grade_id
        ]
        return nb

    return build


def _shared(tmp_path_factory, name, build):
    """Run ``build(directory) -> dict`` once per test run (all xdist workers); return its dict."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run only
    root = base / f"shared-{name}"
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        summary = root / "summary.json"
        if not summary.exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            try:
                data = build(root)
            except Exception:  # noqa: BLE001 - every test reports the same build failure
                data = {"error": traceback.format_exc()}
            summary.write_text(json.dumps(data))
        data = json.loads(summary.read_text())
    if "error" in data:
        pytest.fail(f"building the class {name!r} failed:\n{data['error']}")
    return data


def _cell_grades(result: demo.ClassResult) -> dict:
    """'student/assignment' -> grade_id -> [auto_score, max_score, needs_manual_grade]."""
    from nbgrader.api import Gradebook

    out = {}
    for sub in result.submissions:
        db = f"sqlite:///{result.shard_of[sub.assignment] / 'gradebook.db'}"
        with Gradebook(db, "aecourse") as gb:
            nb = gb.find_submission_notebook(
                course.notebook_name(sub.assignment), sub.assignment, sub.student
            )
            out[f"{sub.student}/{sub.assignment}"] = {
                g.name: [g.auto_score, g.max_score, bool(g.needs_manual_grade)] for g in nb.grades
            }
    return out


def _summary(workdir, result, failures, warnings) -> dict:
    return {
        "workdir": str(workdir),
        "scores": [[s, a, v[0], v[1]] for (s, a), v in result.scores.items()],
        "submissions": [[s.student, s.assignment, s.label] for s in result.submissions],
        "grading_roots": [str(g) for g in result.grading_roots],
        "csv": str(result.csv_path),
        "cells": _cell_grades(result),
        "failures": failures,
        "warnings": warnings,
    }


def _build_course_class(root: Path) -> dict:
    result, failures, warnings = demo.run_demo(
        root, course.ASSIGNMENTS, compare_with=None, execute=False, jobs=2
    )
    return _summary(root, result, failures, warnings)


def _build_fixture_class(root: Path) -> dict:
    extra = [
        ("deleted-test", FIXTURE, "deleted test cell", _without_cell("99-square")),
        (
            "deleted-test-wrong",
            FIXTURE,
            "deleted test cell, wrong answer",
            _without_cell("99-square", FIXTURE_MISTAKES[FIXTURE]["doubling-not-squaring"]),
        ),
    ]
    result, failures, warnings = demo.run_demo(
        root,
        [FIXTURE],
        solutions=FIXTURE_SOLUTIONS,
        mistakes=FIXTURE_MISTAKES,
        compare_with=None,
        execute=False,
        jobs=1,
        extra_submissions=extra,
    )
    return _summary(root, result, failures, warnings)


@pytest.fixture(scope="module")
def course_class(tmp_path_factory):
    return _shared(tmp_path_factory, "course-class", _build_course_class)


@pytest.fixture(scope="module")
def fixture_class(tmp_path_factory):
    return _shared(tmp_path_factory, "fixture-class", _build_fixture_class)


def _scores(data) -> dict:
    return {(s, a): (score, maxp) for s, a, score, maxp in data["scores"]}


def _feedback_files(data) -> list[Path]:
    return sorted(Path(data["workdir"], "feedback").rglob("*.html"))


# --- the six lessons -----------------------------------------------------------------


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_reference_solution_gets_full_marks(course_class, assignment):
    score, maxp = _scores(course_class)[("reference", assignment)]
    assert maxp >= 5, f"{assignment} is worth {maxp} points; each lesson needs at least 5"
    lost = {
        g: v for g, v in course_class["cells"][f"reference/{assignment}"].items() if v[0] != v[1]
    }
    assert score == maxp, f"the reference of {assignment} scored {score}/{maxp}; cells: {lost}"


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_untouched_release_gets_zero(course_class, assignment):
    score, maxp = _scores(course_class)[("untouched", assignment)]
    earned = {g: v for g, v in course_class["cells"][f"untouched/{assignment}"].items() if v[0]}
    assert score == 0, f"the untouched release of {assignment} earned {score}: {earned}"


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_each_typical_mistake_loses_points(course_class, assignment):
    scores = _scores(course_class)
    mistakes = [
        (s, label)
        for s, a, label in course_class["submissions"]
        if a == assignment and s.startswith("mistake-")
    ]
    assert len(mistakes) >= 2, f"{assignment} needs at least two TYPICAL_MISTAKES"
    kept = [
        label for s, label in mistakes if scores[(s, assignment)][0] >= scores[(s, assignment)][1]
    ]
    assert not kept, f"typical mistakes of {assignment} that keep every point: {kept}"


def test_grades_csv_has_a_row_per_submission(course_class):
    import csv

    with open(course_class["csv"], newline="") as fh:
        rows = {(r["student_id"], r["assignment"]) for r in csv.DictReader(fh)}
    expected = {(s, a) for s, a, _ in course_class["submissions"]}
    assert rows == expected


def test_feedback_shows_no_hidden_tests(course_class):
    files = _feedback_files(course_class)
    assert len(files) == len(course_class["submissions"]), "one feedback page per submission"
    for path in files:
        text = path.read_text()
        for needle in (CANARY, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION"):
            assert needle not in text, f"{needle!r} appears in the feedback {path}"


# --- the fixture lesson: nbgrader configuration -----------------------------------------


def test_fixture_class_scores(fixture_class):
    scores = _scores(fixture_class)
    assert scores[("reference", FIXTURE)] == (5.0, 5.0)
    assert scores[("untouched", FIXTURE)] == (0.0, 5.0)
    for student, _, label in fixture_class["submissions"]:
        if student.startswith("mistake-"):
            assert scores[(student, FIXTURE)][0] < 5, f"{label} kept every point"


def test_stderr_in_a_test_cell_does_not_cost_points(fixture_class):
    # 99-square's test cell writes to fd 2, to sys.stderr and raises a warning
    auto, maxp, manual = fixture_class["cells"][f"reference/{FIXTURE}"]["99-square"]
    assert (auto, maxp, manual) == (3.0, 3.0, False)
    autograded = Path(fixture_class["grading_roots"][0], "autograded", "reference", FIXTURE)
    nb = course.read_json(autograded / "fixture.ipynb")
    cell = next(c for c in nb["cells"] if "99-square" in "".join(c["source"]) and c.get("outputs"))
    text = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    assert "cpu_feature_guard" in text and "sys.stderr" in text, "the stderr lines were dropped"
    assert all(o.get("name") != "stderr" for o in cell["outputs"])


def test_deleted_test_cell_is_put_back_and_graded(fixture_class):
    grades = fixture_class["cells"]
    assert grades[f"deleted-test/{FIXTURE}"]["99-square"] == [3.0, 3.0, False]
    # with a wrong answer the restored test runs and fails: it is graded, not given
    assert grades[f"deleted-test-wrong/{FIXTURE}"]["99-square"] == [0.0, 3.0, False]


def test_hidden_test_failure_reaches_feedback_without_its_source(fixture_class):
    student = next(s for s, _, label in fixture_class["submissions"] if label == "absolute-value")
    assert fixture_class["cells"][f"{student}/{FIXTURE}"]["99-double"][0] == 0
    html = next(p for p in _feedback_files(fixture_class) if student in p.parts).read_text()
    assert "AssertionError" in html, "the hidden test's message should reach the student"
    assert CANARY not in html
    assert "seed=None" not in html  # the hidden test's own line


def test_demo_reports_no_failures_for_the_fixture(fixture_class):
    assert fixture_class["failures"] == []
