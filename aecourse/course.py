"""Where the course lives and how to run nbgrader on it (shared by `aecourse demo` and tests).

Regenerate the student release after editing a lesson in solutions/, from the repo root::

    nbgrader generate_assignment --force 03_autoencoder     # one lesson
    aecourse demo --release-only                            # all six

`python -m nbgrader` is used with this interpreter's bin first on PATH, because nbgrader
shells out to alembic and jupyter and must find the ones of this environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "REPO",
    "ASSIGNMENTS",
    "notebook_name",
    "solution_path",
    "release_path",
    "grading_root",
    "venv_env",
    "nbgrader",
    "regenerate_release",
    "make_course",
    "read_json",
    "write_json",
    "strip_solution_markers",
    "solution_cells",
    "fill_release",
    "reference_sources",
    "lesson_mistakes",
]

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = (
    "01_neurons",
    "02_activations",
    "03_autoencoder",
    "04_batch_training",
    "05_images",
    "06_variants",
)


def notebook_name(assignment: str) -> str:
    """'04_batch_training' -> 'batch_training' (each lesson holds one notebook of that name)."""
    prefix, sep, topic = assignment.partition("_")
    if not sep or not prefix.isdigit() or not topic:
        raise ValueError(f"assignment names look like '01_neurons', got {assignment!r}")
    return topic


def solution_path(assignment: str, root: Path = REPO) -> Path:
    return Path(root) / "solutions" / assignment / f"{notebook_name(assignment)}.ipynb"


def release_path(assignment: str, root: Path = REPO) -> Path:
    return Path(root) / "notebooks" / assignment / f"{notebook_name(assignment)}.ipynb"


def grading_root(root: Path = REPO) -> Path:
    """Where nbgrader keeps its state: $AECOURSE_GRADING_ROOT, else <root>/.grading."""
    env = os.environ.get("AECOURSE_GRADING_ROOT")
    return Path(env).expanduser().resolve() if env else Path(root) / ".grading"


def venv_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of os.environ for kernels and nbgrader: this interpreter's bin first on PATH."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    parts = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join([bindir] + [p for p in parts if p and p != bindir])
    # ipykernel stops capturing file descriptors 1 and 2 when it sees this pytest variable;
    # kernels started from tests must behave as in class (TensorFlow's C++ logs on fd 2).
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra or {})
    return env


def _check_course(root: Path) -> None:
    if not (Path(root) / "nbgrader_config.py").is_file():
        raise FileNotFoundError(
            f"no nbgrader_config.py in {root}: run this from a clone of the aecourse repository "
            "installed with `pip install -e .` (the course files are not part of a wheel)"
        )


def nbgrader(
    *args: str,
    root: Path = REPO,
    grading: Path | None = None,
    log: Path | None = None,
    check: bool = True,
    on_line: Callable[[str], None] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader *args`` in course directory ``root``.

    grading: grading root for this run (sets AECOURSE_GRADING_ROOT); None keeps the
    environment's. log: file that receives nbgrader's output (else it is captured and shown
    only on failure). on_line: called with each output line as it arrives (progress).
    Raises RuntimeError with the tail of the output when nbgrader fails.
    """
    _check_course(root)
    extra = {"AECOURSE_GRADING_ROOT": str(grading)} if grading is not None else {}
    cmd = [sys.executable, "-m", "nbgrader", *args]
    lines = []
    with subprocess.Popen(
        cmd,
        cwd=root,
        env=venv_env(extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as popen:
        for line in popen.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))
    proc = subprocess.CompletedProcess(cmd, popen.returncode, "".join(lines), None)
    if log is not None:
        with open(log, "a") as fh:
            fh.write(f"$ {' '.join(cmd[1:])}\n{proc.stdout}\n")
    if check and proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-30:])
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed in {root}:\n{tail}")
    return proc


def regenerate_release(
    assignments=ASSIGNMENTS, root: Path = REPO, grading: Path | None = None, log=None
) -> list[Path]:
    """Regenerate notebooks/<assignment>/ from solutions/<assignment>/ (nbgrader --force).

    Returns the released notebook paths. Also records the assignments in the gradebook.
    """
    assignments = list(assignments)
    for assignment in assignments:
        src = solution_path(assignment, root)
        if not src.is_file():
            raise FileNotFoundError(f"{src} is missing: write the lesson in solutions/ first")
    present = {
        p.name
        for p in (Path(root) / "solutions").iterdir()
        if p.is_dir() and not p.name.startswith(".")
    }
    if set(assignments) == present:  # one nbgrader start-up for the whole course
        nbgrader("generate_assignment", "--force", "*", root=root, grading=grading, log=log)
    else:
        for assignment in assignments:
            nbgrader(
                "generate_assignment", "--force", assignment, root=root, grading=grading, log=log
            )
    return [release_path(assignment, root) for assignment in assignments]


def make_course(dest: Path, solutions: Path | None = None, assignments=ASSIGNMENTS) -> Path:
    """Create a course directory at ``dest`` with this repo's nbgrader_config.py and a copy
    of the given lessons from ``solutions`` (default: the repo's solutions/). Returns dest.

    Its grading root is ``dest/.grading`` when nbgrader is run with ``grading=...`` set so.
    """
    src_root = Path(solutions) if solutions is not None else REPO / "solutions"
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    for assignment in assignments:
        src = src_root / assignment
        if not (src / f"{notebook_name(assignment)}.ipynb").is_file():
            raise FileNotFoundError(
                f"{src / (notebook_name(assignment) + '.ipynb')} is missing: "
                "every lesson needs its solution notebook"
            )
        shutil.copytree(
            src,
            dest / "solutions" / assignment,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
            dirs_exist_ok=True,
        )
    return dest


def read_json(path: Path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def write_json(path: Path, nb: dict) -> None:
    """Write a notebook the way nbformat does (indent 1, trailing newline)."""
    with open(path, "w") as fh:
        json.dump(nb, fh, indent=1, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


# --- building submissions from the release ----------------------------------------------

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def strip_solution_markers(source: str) -> str:
    """Solution-cell source as a student who got it right would hand it in (no markers)."""
    kept = [line for line in source.split("\n") if line.strip() not in SOLUTION_MARKERS]
    return "\n".join(kept)


def solution_cells(nb: dict) -> dict[str, str]:
    """grade_id -> source of every solution cell of an nbgrader notebook (as stored)."""
    out = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = _source(cell)
    return out


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def fill_release(release_nb: dict, sources: dict[str, str], where: str = "") -> dict:
    """A copy of a released notebook whose solution cells hold ``sources`` (grade_id -> code).

    Raises ValueError when ``sources`` names a grade_id that is not a solution cell.
    """
    nb = json.loads(json.dumps(release_nb))
    known = solution_cells(nb)
    unknown = sorted(set(sources) - set(known))
    if unknown:
        raise ValueError(
            f"{where or 'submission'}: {', '.join(unknown)} not a solution cell of the "
            f"notebook; its solution cells are: {', '.join(sorted(known)) or '(none)'}"
        )
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in sources and cell["metadata"]["nbgrader"].get("solution"):
            cell["source"] = sources[grade_id]
    return nb


def reference_sources(solution_nb: dict) -> dict[str, str]:
    """grade_id -> the solution cell's code without the solution markers."""
    return {gid: strip_solution_markers(src) for gid, src in solution_cells(solution_nb).items()}


def lesson_mistakes(assignment: str) -> dict[str, dict[str, str]]:
    """TYPICAL_MISTAKES of aecourse.grading.lessonNN for an assignment 'NN_topic'."""
    import importlib

    module_name = f"aecourse.grading.lesson{assignment[:2]}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise FileNotFoundError(
            f"{module_name} does not exist: each lesson needs a grading module that registers "
            "its exercises and defines TYPICAL_MISTAKES"
        ) from None
    mistakes = getattr(module, "TYPICAL_MISTAKES", None)
    if not isinstance(mistakes, dict):
        raise ValueError(f"{module_name} must define TYPICAL_MISTAKES as a dict")
    return mistakes
