"""The committed notebooks: in sync with solutions/, clean, valid nbgrader, runnable.

(a) notebooks/ equals a fresh `nbgrader generate_assignment` of solutions/;
(b) every solution notebook runs top to bottom in a fresh kernel;
(d) no solution code and no hidden test in notebooks/;
(e) no outputs, valid nbgrader metadata, enough points, registered exercises.
"""

from __future__ import annotations

import re

import pytest

from aecourse import course, demo

CANARY = "AECOURSE-HIDDEN-TEST"
REQUIRED = ("grade", "solution", "locked", "grade_id", "schema_version")
ASSIGNMENTS = course.ASSIGNMENTS


def _nbgrader_cells(nb):
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is not None:
            yield cell, meta


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _solution(assignment):
    path = course.solution_path(assignment)
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    return course.read_json(path)


def _release(assignment):
    path = course.release_path(assignment)
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `aecourse demo --release-only`")
    return course.read_json(path)


def _graded_tests(nb):
    return [(c, m) for c, m in _nbgrader_cells(nb) if m.get("grade") and not m.get("solution")]


def _solution_regions(source: str, kind: str = "SOLUTION") -> list[list[str]]:
    """Lines between ### BEGIN <kind> and ### END <kind> (kind: SOLUTION or HIDDEN TESTS)."""
    regions, current = [], None
    for line in source.split("\n"):
        if f"BEGIN {kind}" in line:
            current = []
        elif f"END {kind}" in line:
            regions.append(current or [])
            current = None
        elif current is not None:
            current.append(line)
    return regions


def _outside_regions(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
            inside = False
        elif not inside:
            lines.append(line)
    return lines


# --- (a) release in sync ------------------------------------------------------------------


@pytest.mark.slow
def test_release_equals_fresh_generate_assignment(tmp_path):
    root = course.make_course(tmp_path / "course", assignments=ASSIGNMENTS)
    course.regenerate_release(ASSIGNMENTS, root=root, grading=root / ".grading")
    problems = demo.compare_release(root, course.REPO, ASSIGNMENTS)
    assert not problems, (
        "notebooks/ is out of date; regenerate it with `aecourse demo --release-only`:\n"
        + "\n".join(problems)
    )


# --- (b) solutions run ----------------------------------------------------------------------


@pytest.mark.slow
def test_solution_notebooks_run_top_to_bottom(tmp_path):
    paths = []
    for a in ASSIGNMENTS:  # run copies: lessons write checkpoints and figures beside them
        src = course.solution_path(a)
        assert src.is_file(), f"{src} is missing"
        paths.append(course.make_course(tmp_path, assignments=[a]) / "solutions" / a / src.name)
    times = demo.execute_notebooks(paths, jobs=2, progress=demo.Progress())
    for path, (seconds, error) in times.items():
        print(f"{path.parent.name:<20} {seconds:6.1f} s {'ok' if error is None else error}")
    print(f"{'total':<20} {sum(t for t, _ in times.values()):6.1f} s")
    failed = {p.parent.name: e for p, (_, e) in times.items() if e is not None}
    assert not failed, f"solution notebooks that fail: {failed}"


# --- (d) nothing secret in the release -----------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(assignment):
    release = _release(assignment)
    text = "\n".join(_source(c) for c in release["cells"])
    for needle in (CANARY, "BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS"):
        assert needle not in text, f"{needle!r} appears in notebooks/{assignment}"
    solution = _solution(assignment)
    regions = [
        (meta["grade_id"], region)
        for cell, meta in _nbgrader_cells(solution)
        for kind in ("SOLUTION", "HIDDEN TESTS")
        for region in _solution_regions(_source(cell), kind)
    ]
    # what the student is given anyway: every line outside the solution regions
    given = {line.strip() for c in solution["cells"] for line in _outside_regions(_source(c))}
    released = {line.strip() for line in text.split("\n")}
    leaked = [
        f"{gid}: {line.strip()}"
        for gid, region in regions
        for line in region
        if len(line.strip()) >= 12
        and not line.strip().startswith("#")
        and line.strip() not in given
        and line.strip() in released
    ]
    assert not leaked, "solution or hidden-test lines found in the student release:\n" + "\n".join(
        leaked
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_test_carries_the_canary(assignment):
    for cell, meta in _graded_tests(_solution(assignment)):
        src = _source(cell)
        assert "BEGIN HIDDEN TESTS" in src, f"{meta['grade_id']} has no hidden test"
        hidden = src.split("BEGIN HIDDEN TESTS", 1)[1].split("END HIDDEN TESTS", 1)[0]
        assert CANARY in hidden, f"{meta['grade_id']}: put `# {CANARY} canary` in the hidden test"


# --- (e) clean files and valid metadata ---------------------------------------------------


@pytest.mark.parametrize("where", ["solutions", "notebooks"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_notebooks_have_no_outputs(assignment, where):
    nb = _solution(assignment) if where == "solutions" else _release(assignment)
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{where}/{assignment}: cells {dirty} carry outputs; clear them"


@pytest.mark.parametrize("where", ["solutions", "notebooks"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_metadata_is_valid(assignment, where):
    import nbformat
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    nb = _solution(assignment) if where == "solutions" else _release(assignment)
    try:
        MetadataValidator().validate_nb(nbformat.from_dict(nb))
    except ValidationError as exc:
        pytest.fail(f"{where}/{assignment}: {exc}")
    prefix = assignment[:2]
    ids = []
    for cell, meta in _nbgrader_cells(nb):
        gid = meta.get("grade_id", "")
        missing = [k for k in REQUIRED if k not in meta]
        assert not missing, f"{where}/{assignment} cell {gid!r} lacks {missing}"
        assert meta["schema_version"] == 3
        assert re.fullmatch(rf"{prefix}-[a-z0-9][a-z0-9-]*", gid), (
            f"grade_id {gid!r} should look like '{prefix}-short-name'"
        )
        ids.append(gid)
        if meta["grade"]:
            assert meta.get("points", 0) > 0, f"graded cell {gid} has no points"
            assert not meta["solution"], (
                f"{gid} is a graded solution cell (needs manual grading): grade it with a test cell"
            )
            assert cell["cell_type"] == "code"
        if meta["solution"]:
            assert gid.endswith("-solution"), (
                f"solution cell {gid} should be named NN-name-solution"
            )
            assert not meta["locked"]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{where}/{assignment}: duplicate grade_ids {dupes}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_test_cells_are_registered_exercises(assignment):
    from aecourse.grading import REGISTRY, load_lessons

    load_lessons()
    nb = _solution(assignment)
    solution_ids = {m["grade_id"] for _, m in _nbgrader_cells(nb) if m["solution"]}
    for cell, meta in _graded_tests(nb):
        gid = meta["grade_id"]
        assert gid in REGISTRY, f"{gid} is not a registered Exercise (aecourse/grading)"
        fn = REGISTRY[gid].function_name
        assert f'"{gid}"' in _source(cell) or f"'{gid}'" in _source(cell), (
            f"test cell {gid} should call ae.grading.check({gid!r}, {fn})"
        )
        assert f"{gid}-solution" in solution_ids, f"{gid} has no solution cell {gid}-solution"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_per_lesson(assignment):
    points = sum(m.get("points", 0) for _, m in _graded_tests(_solution(assignment)))
    assert points >= 5, f"{assignment} is worth {points} points; at least 5 are needed"


def test_points_for_the_course():
    total = sum(m.get("points", 0) for a in ASSIGNMENTS for _, m in _graded_tests(_solution(a)))
    assert total >= 40, f"the course is worth {total} points; at least 40 are needed"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_typical_mistakes_name_solution_cells(assignment):
    mistakes = course.lesson_mistakes(assignment)
    assert len(mistakes) >= 2, f"{assignment} needs at least two TYPICAL_MISTAKES"
    release = _release(assignment)
    for name, cells in mistakes.items():
        assert cells, f"TYPICAL_MISTAKES[{name!r}] of {assignment} replaces nothing"
        course.fill_release(release, cells, where=f"TYPICAL_MISTAKES[{name!r}]")
