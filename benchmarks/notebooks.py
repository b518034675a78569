"""Wall time of the solution notebooks and of autograding them with nbgrader.

Everything runs on copies in a temporary directory: the notebooks may write files
(checkpoints, figures) next to themselves, and nbgrader writes a gradebook.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aecourse import course

__all__ = ["solution_notebooks", "time_startup", "time_notebook_suite", "time_autograde"]


def solution_notebooks(repo):
    """The solution notebooks ``solutions/NN_topic/topic.ipynb``, sorted."""
    return sorted(
        p for p in Path(repo, "solutions").glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )


def _env():
    """The environment for timed interpreters: this venv's bin first, TensorFlow quiet."""
    env = course.venv_env()
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def time_startup(repeats=1):
    """Seconds for a fresh interpreter to ``import tensorflow`` and ``import aecourse``.

    The best of ``repeats`` runs (other processes only ever add time).
    """
    out = {}
    for name, code in (
        ("python", "pass"),
        ("import tensorflow", "import tensorflow"),
        ("import aecourse", "import aecourse"),
    ):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=_env(), check=True,
                           capture_output=True)  # fmt: skip
            times.append(time.perf_counter() - start)
        out[name] = min(times)
    return out


def time_notebook_suite(notebooks, timeout=600):
    """Execute each notebook top to bottom in a fresh kernel; {"total_s", "notebooks": {...}}."""
    import nbformat
    from nbclient import NotebookClient

    per_notebook = {}
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-nb-") as tmp:
        for path in notebooks:
            workdir = Path(tmp, path.parent.name)
            shutil.copytree(path.parent, workdir)
            nb = nbformat.read(workdir / path.name, as_version=4)
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3",
                resources={"metadata": {"path": str(workdir)}},
            )  # fmt: skip
            start = time.perf_counter()
            error = None
            try:
                # The kernels' own stderr (ipykernel's TCP warning) would flood the report.
                client.execute(stderr=subprocess.DEVNULL)
            except Exception as exc:  # record and go on: one broken lesson should not hide the rest
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            per_notebook[f"{path.parent.name}/{path.name}"] = {
                "seconds": time.perf_counter() - start,
                "error": error,
            }
    return {
        "total_s": sum(v["seconds"] for v in per_notebook.values()),
        "notebooks": per_notebook,
    }


def _nbgrader(root, *args):
    """Seconds for ``nbgrader *args`` in the course at ``root`` (grading state kept inside it)."""
    start = time.perf_counter()
    try:
        course.nbgrader(
            *args, f"--CourseDirectory.root={root}", root=root, grading=root / ".grading"
        )
    except RuntimeError as exc:
        # The report gives it one line: nbgrader's INFO lines do not say why it failed.
        first, *tail = str(exc).splitlines()
        why = [ln for ln in tail if "INFO" not in ln and ln.strip()][-12:]
        raise RuntimeError(f"{first} {' | '.join(why)}") from None
    return time.perf_counter() - start


def _write_config(repo, root):
    """root/nbgrader_config.py: the repo's config, then every grading path pointed into root."""
    config = Path(repo, "nbgrader_config.py").read_text()
    # Later assignments win in a traitlets config file: keep every grading state in root.
    config += (
        "\n# --- benchmark overrides: all grading state inside this temporary course ---\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.source_directory = 'solutions'\n"
        "c.CourseDirectory.release_directory = 'release'\n"
        f"c.CourseDirectory.submitted_directory = {str(root / 'submitted')!r}\n"
        f"c.CourseDirectory.autograded_directory = {str(root / 'autograded')!r}\n"
        f"c.CourseDirectory.feedback_directory = {str(root / 'feedback')!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{root / 'gradebook.db'}'\n"
    )
    (root / "nbgrader_config.py").write_text(config)


def _course(repo, root, notebooks):
    """A course directory in ``root`` with copies of the lessons of ``notebooks``."""
    root.mkdir(parents=True, exist_ok=True)
    _write_config(repo, root)
    for path in notebooks:
        shutil.copytree(path.parent, root / "solutions" / path.parent.name)


def time_autograde(repo, notebooks, jobs=2):
    """Seconds per autograded submission (copies of the solution notebooks).

    single: one ``nbgrader autograde`` of one submission (nbgrader's start-up, a kernel,
    imports, every cell); serial: one ``nbgrader autograde "*"`` over all the lessons'
    submissions, divided by their number; parallel: ``jobs`` such runs at once, each on
    its share of the submissions in its own copy of the course (nbgrader's SQLite
    gradebook is not meant for concurrent writers), wall time divided by the number.
    """
    assignments = [p.parent.name for p in notebooks]
    n = len(assignments)
    result = {"submissions": n, "jobs": jobs}
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-grade-") as tmp:
        base = Path(tmp, "course0")
        _course(repo, base, notebooks)
        result["generate_assignment_s"] = _nbgrader(base, "generate_assignment", "*", "--force")
        roots = [base] + [Path(tmp, f"course{w}") for w in range(1, jobs)]
        for root in roots[1:]:  # the same gradebook, but paths of its own (they are absolute)
            shutil.copytree(base, root)
            _write_config(repo, root)

        def submit(root, student, paths):
            for path in paths:
                target = root / "submitted" / student / path.parent.name
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)

        submit(base, "single", notebooks[:1])
        result["single_assignment"] = assignments[0]
        result["single_s"] = _nbgrader(base, "autograde", assignments[0], "--student=single")
        submit(base, "serial", notebooks)
        result["serial_wall_s"] = _nbgrader(base, "autograde", "*", "--student=serial")
        result["serial_per_submission_s"] = result["serial_wall_s"] / n
        # A run that skipped submissions would look fast: count what nbgrader wrote.
        result["serial_autograded"] = len(list((base / "autograded" / "serial").glob("*/*.ipynb")))
        for w, root in enumerate(roots):  # dealt round-robin
            submit(root, "parallel", notebooks[w::jobs])
        start = time.perf_counter()
        try:
            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(lambda root: _nbgrader(root, "autograde", "*", "--student=parallel"),
                              roots))  # fmt: skip
        except RuntimeError as exc:  # keep the serial figures
            result["parallel_error"] = str(exc)
        result["parallel_wall_s"] = time.perf_counter() - start
        result["parallel_autograded"] = sum(
            len(list((root / "autograded" / "parallel").glob("*/*.ipynb"))) for root in roots
        )
        result["parallel_per_submission_s"] = result["parallel_wall_s"] / n
    return result
