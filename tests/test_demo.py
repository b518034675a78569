"""`aecourse demo` and its helpers (aecourse.course, aecourse.nbgrader_ext)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from aecourse import course, demo, demo_class
from aecourse.nbgrader_ext import ShortenHiddenTestTracebacks, StderrToStdout

FIXTURE_SOLUTIONS = Path(__file__).parent / "fixtures" / "solutions"


def _cell(source, grade=True, solution=False, outputs=()):
    meta = {"grade": grade, "solution": solution, "locked": True, "grade_id": "99-x"}
    meta.update(schema_version=3, points=1)
    return new_code_cell(source, metadata={"nbgrader": meta}, outputs=list(outputs))


# --- helpers --------------------------------------------------------------------------------


def test_notebook_name():
    assert course.notebook_name("04_batch_training") == "batch_training"
    for bad in ("neurons", "ab_neurons", "01_"):
        with pytest.raises(ValueError, match="01_neurons"):
            course.notebook_name(bad)


def test_strip_solution_markers_keeps_the_code():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
    assert course.strip_solution_markers(src) == "def f(x):\n    return 2 * x"


def test_fill_release_replaces_solution_cells_only():
    nb = course.read_json(FIXTURE_SOLUTIONS / "99_fixture" / "fixture.ipynb")
    filled = course.fill_release(nb, {"99-double-solution": "def double(x):\n    return x"})
    sources = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in filled["cells"]}
    assert sources["99-double-solution"] == "def double(x):\n    return x"
    assert "### BEGIN SOLUTION" in "".join(sources["99-square-solution"])
    assert nb["cells"] != filled["cells"], "the input notebook must not be modified"
    with pytest.raises(ValueError, match="99-double .*solution cells are: 99-double-solution"):
        course.fill_release(nb, {"99-double": "x = 1"})


def test_build_submissions_names_students(tmp_path):
    root = tmp_path / "c"
    path = course.release_path("99_fixture", root)
    path.parent.mkdir(parents=True)
    nb = course.read_json(FIXTURE_SOLUTIONS / "99_fixture" / "fixture.ipynb")
    course.write_json(path, nb)  # stands in for the release: same cells
    course.solution_path("99_fixture", root).parent.mkdir(parents=True)
    course.write_json(course.solution_path("99_fixture", root), nb)
    mistakes = {"99_fixture": {"a": {"99-double-solution": "A"}, "b": {"99-square-solution": "B"}}}
    extra = [("x", "99_fixture", "extra", lambda release, ref: {"release": release, "ref": ref})]
    subs = demo_class.build_submissions(root, ["99_fixture"], mistakes, extra)
    assert [(s.student, s.label) for s in subs] == [
        ("reference", "reference"),
        ("untouched", "untouched"),
        ("mistake-1", "a"),
        ("mistake-2", "b"),
        ("x", "extra"),
    ]
    assert subs[-1].notebook["release"] == nb, "an extra builder gets the released notebook"
    assert "BEGIN SOLUTION" not in subs[-1].notebook["ref"]["99-double-solution"]
    ref = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in subs[0].notebook["cells"]}
    assert "BEGIN SOLUTION" not in ref["99-double-solution"]
    wrong = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in subs[2].notebook["cells"]}
    assert wrong["99-double-solution"] == "A"
    assert wrong["99-square-solution"] == ref["99-square-solution"]


def test_make_course_and_nbgrader_refuse_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="solution notebook"):
        course.make_course(tmp_path / "c", solutions=tmp_path, assignments=["01_neurons"])
    with pytest.raises(FileNotFoundError, match="nbgrader_config.py"):
        course.nbgrader("--version", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="grading module"):
        course.lesson_mistakes("98_nothing")


def test_grading_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("AECOURSE_GRADING_ROOT", raising=False)
    assert course.grading_root() == course.REPO / ".grading"
    monkeypatch.setenv("AECOURSE_GRADING_ROOT", str(tmp_path))
    assert course.grading_root() == tmp_path.resolve()


def test_venv_env_puts_this_interpreter_first():
    env = course.venv_env({"X_TEST": "1"})
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)
    assert env["X_TEST"] == "1"


def test_workdir_must_be_new_empty_or_an_old_demo(tmp_path):
    (tmp_path / "mine.txt").write_text("instructor's file")
    with pytest.raises(FileExistsError, match="not made by `aecourse demo`"):
        demo._prepare_workdir(str(tmp_path))
    assert (tmp_path / "mine.txt").read_text() == "instructor's file"
    old = tmp_path / "old"
    old.mkdir()
    (old / demo.MARKER).write_text("")
    (old / "stale").write_text("")
    path, temporary = demo._prepare_workdir(str(old))
    assert path == old.resolve() and not temporary and not (old / "stale").exists()


@pytest.mark.parametrize(
    "argv, message",
    [(["--jobs", "0"], "--jobs must be at least 1"), (["--lessons", "07_gans"], "07_gans")],
)
def test_demo_rejects_bad_arguments(argv, message, capsys):
    from aecourse.cli import main

    with pytest.raises(SystemExit, match=message):
        main(["demo", *argv])


# --- nbgrader preprocessors ---------------------------------------------------------------


def test_stderr_of_graded_cells_becomes_stdout():
    err = new_output("stream", name="stderr", text="W0000 absl log line\n")
    error = new_output("error", ename="AssertionError", evalue="wrong", traceback=["..."])
    graded = _cell("check()", outputs=[err, error])
    ungraded = _cell("setup()", grade=False, outputs=[dict(err)])
    nb = new_notebook(cells=[graded, ungraded])
    nb, _ = StderrToStdout().preprocess(nb, {})
    assert [o.get("name") for o in nb.cells[0].outputs] == ["stdout", None]
    assert nb.cells[0].outputs[1]["output_type"] == "error", "errors must still count"
    assert nb.cells[1].outputs[0]["name"] == "stderr", "only graded cells are re-labelled"


def test_hidden_test_tracebacks_are_shortened():
    tb = ["AssertionError  Traceback", "----> 5 # AECOURSE-HIDDEN-TEST canary", "AssertionError: x"]
    error = new_output("error", ename="AssertionError", evalue="double is wrong", traceback=tb)
    hidden = _cell("check()\n### BEGIN HIDDEN TESTS\ncheck(seed=None)\n### END HIDDEN TESTS")
    hidden.outputs = [error]
    visible = _cell("check()", outputs=[nbformat.from_dict(dict(error))])
    nb = new_notebook(cells=[hidden, visible])
    nb, _ = ShortenHiddenTestTracebacks().preprocess(nb, {})
    text = "".join(nb.cells[0].outputs[0]["traceback"])
    assert "AECOURSE-HIDDEN-TEST" not in text and "double is wrong" in text
    assert nb.cells[1].outputs[0]["traceback"] == tb


def test_nbgrader_config_puts_grading_state_outside_the_repo(tmp_path):
    code = (
        "from traitlets.config import Config\n"
        "from traitlets.config.loader import PyFileConfigLoader\n"
        f"c = PyFileConfigLoader('nbgrader_config.py', path={str(course.REPO)!r}).load_config()\n"
        "print(c.CourseDirectory.db_url); print(c.CourseDirectory.submitted_directory)\n"
        "print(c.Exchange.root); print(c.Execute.timeout)\n"
        "print(c.OverwriteCells.add_missing_cells)\n"
        "import sys; print('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=course.venv_env({"AECOURSE_GRADING_ROOT": str(tmp_path)}),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0] == f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert out[1] == str(tmp_path / "submitted")
    assert out[2] == str(tmp_path / "exchange") and (tmp_path / "exchange").is_dir()
    assert out[3:5] == ["120", "True"]
    assert out[5] == "False", "loading the nbgrader config must not import TensorFlow"


# --- the command itself ---------------------------------------------------------------------


@pytest.mark.slow
def test_demo_command_on_one_lesson(tmp_path):
    workdir = tmp_path / "demo"
    grading = tmp_path / "instructor-grading"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aecourse.cli",
            "demo",
            "--lessons",
            "01_neurons",
            "--no-execute",
            "--workdir",
            str(workdir),
        ],
        env=course.venv_env({"AECOURSE_GRADING_ROOT": str(grading)}),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "demo passed" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("01_neurons"))
    assert "reference" not in row and len(row.split()) >= 4
    assert list(workdir.glob("grading-*/feedback/reference/01_neurons/neurons.html"))
    assert (workdir / "grades.csv").is_file()
    assert not grading.exists(), "the demo must not touch the instructor's grading root"
