"""The demo class of `aecourse demo`: who hands in what, and autograding it with nbgrader.

Students: ``reference`` (each solution without its markers), ``untouched`` (the release as
handed out) and ``mistake-K`` (the K-th of each lesson's TYPICAL_MISTAKES), plus any extra
submissions a test asks for. nbgrader grades them in parallel shards, each with its own
gradebook, and the grades come back as one CSV and one feedback tree.
"""

from __future__ import annotations

import csv
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aecourse import course

__all__ = ["Submission", "ClassResult", "build_submissions", "autograde_class"]


@dataclass
class Submission:
    """One student's notebook for one lesson."""

    student: str
    assignment: str
    label: str  # "reference", "untouched" or the typical mistake's name
    notebook: dict


@dataclass
class ClassResult:
    """What nbgrader made of the demo class."""

    scores: dict[tuple[str, str], tuple[float, float]]  # (student, assignment) -> (score, max)
    submissions: list[Submission]
    grading_roots: list[Path]
    csv_path: Path
    shard_of: dict[str, Path] = field(default_factory=dict)  # assignment -> its grading root


def _release_and_reference(course_root: Path, assignment: str) -> tuple[dict, dict[str, str]]:
    """The released notebook and its reference solution cells (grade_id -> code)."""
    release = course.read_json(course.release_path(assignment, course_root))
    solution = course.read_json(course.solution_path(assignment, course_root))
    return release, course.reference_sources(solution)


def build_submissions(course_root: Path, assignments, mistakes: dict, extra=()) -> list[Submission]:
    """Demo class from the released notebooks in ``course_root/notebooks``.

    mistakes: assignment -> {mistake name -> {solution grade_id -> code}}. Student
    ``mistake-K`` hands in the K-th typical mistake of each lesson that has one.
    extra: (student, assignment, label, notebook-builder) tuples, handed in last; the
    builder gets (release_nb, reference_sources) and returns the notebook to hand in.
    """
    subs = []
    for assignment in assignments:
        release, ref = _release_and_reference(course_root, assignment)
        subs.append(
            Submission("reference", assignment, "reference", course.fill_release(release, ref))
        )
        subs.append(Submission("untouched", assignment, "untouched", release))
        for k, (name, cells) in enumerate(mistakes.get(assignment, {}).items(), start=1):
            where = f"TYPICAL_MISTAKES[{name!r}] of {assignment}"
            nb = course.fill_release(release, {**ref, **cells}, where=where)
            subs.append(Submission(f"mistake-{k}", assignment, name, nb))
    for student, assignment, label, builder in extra:
        notebook = builder(*_release_and_reference(course_root, assignment))
        subs.append(Submission(student, assignment, label, notebook))
    return subs


def _silent(message: str) -> None:
    """The default progress report of autograde_class: none."""


def _grade_shard(course_root, grading, assignments, subs, progress, log) -> list[dict]:
    for sub in subs:
        folder = grading / "submitted" / sub.student / sub.assignment
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{course.notebook_name(sub.assignment)}.ipynb"
        course.write_json(dest, sub.notebook)

    def on_line(line: str) -> None:
        if "Sanitizing" in line:  # one per submission, before it runs
            parts = Path(line.split("Sanitizing", 1)[1].strip()).parts
            progress(f"autograding {parts[-3]}/{parts[-2]}")

    course.nbgrader("autograde", "*", root=course_root, grading=grading, log=log, on_line=on_line)
    course.nbgrader("generate_feedback", "*", root=course_root, grading=grading, log=log)
    csv_path = grading / "grades.csv"
    course.nbgrader("export", f"--to={csv_path}", root=course_root, grading=grading, log=log)
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    wanted = {(s.student, s.assignment) for s in subs}
    return [r for r in rows if (r["student_id"], r["assignment"]) in wanted]


def autograde_class(
    course_root: Path,
    course_grading: Path,
    workdir: Path,
    submissions,
    assignments,
    jobs: int = 2,
    progress=None,
) -> ClassResult:
    """Autograde ``submissions`` with nbgrader in ``jobs`` parallel shards.

    Each shard grades a subset of the assignments with its own grading root (its own
    gradebook: SQLite does not like concurrent writers), copied from the course's gradebook
    after generate_assignment (in ``course_grading``). Collects the feedback HTML in
    ``workdir/feedback`` and the grades of every shard in ``workdir/grades.csv``.
    """
    progress = progress or _silent
    assignments = list(assignments)
    n = max(1, min(jobs, len(assignments)))
    gradebook = Path(course_grading) / "gradebook.db"
    shards = []
    for k in range(n):
        grading = workdir / f"grading-{k + 1}"
        grading.mkdir(parents=True, exist_ok=True)
        shutil.copy2(gradebook, grading / "gradebook.db")
        mine = assignments[k::n]
        shards.append((grading, mine, [s for s in submissions if s.assignment in mine]))
    log_dir = workdir / "logs"
    log_dir.mkdir(exist_ok=True)
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [
            pool.submit(_grade_shard, course_root, g, a, s, progress, log_dir / f"{g.name}.log")
            for g, a, s in shards
        ]
        rows = [row for f in futures for row in f.result()]
    csv_path = workdir / "grades.csv"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["assignment"])
        writer.writeheader()
        writer.writerows(rows)
    scores = {
        (r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"])) for r in rows
    }
    for grading, _, _ in shards:  # one feedback tree for the whole class
        if (grading / "feedback").is_dir():
            shutil.copytree(grading / "feedback", workdir / "feedback", dirs_exist_ok=True)
    shard_of = {a: g for g, mine, _ in shards for a in mine}
    return ClassResult(scores, list(submissions), [g for g, _, _ in shards], csv_path, shard_of)
