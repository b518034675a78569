"""`aecourse demo`: release, run and autograde the whole course on a demo class.

In a scratch course directory (never the instructor's .grading/): regenerate the student
release from solutions/ and compare it with the committed notebooks/, execute every solution
notebook in a fresh kernel, autograde a demo class with nbgrader (the reference solutions, the
untouched release and each lesson's TYPICAL_MISTAKES), write feedback HTML, export a grades
CSV and print a table of scores. Exits 1 when a reference misses a point, the untouched
release earns one, or a solution notebook fails to run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from aecourse import course
from aecourse.demo_class import ClassResult, autograde_class, build_submissions

__all__ = [
    "Progress",
    "compare_release",
    "execute_notebooks",
    "run_demo",
    "add_arguments",
    "run",
]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MARKER = ".aecourse-demo"  # marks a directory this command created and may clear


class Progress:
    """Thread-safe progress lines: ``[  12.3s] message``."""

    def __init__(self, stream=None, quiet: bool = False):
        self.start = time.perf_counter()
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        with self._lock:
            print(f"[{time.perf_counter() - self.start:7.1f}s] {message}", file=self.stream)
            self.stream.flush()


def compare_release(course_root: Path, repo: Path, assignments) -> list[str]:
    """Names of regenerated notebooks that differ from (or are missing in) ``repo/notebooks``."""
    problems = []
    for assignment in assignments:
        committed = course.release_path(assignment, repo)
        if not committed.is_file():
            problems.append(f"{committed} is missing")
        elif course.read_json(committed) != course.read_json(
            course.release_path(assignment, course_root)
        ):
            problems.append(f"{committed} differs from a fresh generate_assignment")
    return problems


def execute_notebooks(paths, jobs: int = 2, timeout: int = 300, progress=None) -> dict:
    """Run each notebook top to bottom in a fresh kernel, in its own folder.

    Returns path -> (seconds, error message or None); the executed notebook is written back.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    progress = progress or Progress(quiet=True)

    async def one(path: Path, sem: asyncio.Semaphore):
        async with sem:
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb,
                timeout=timeout,
                shutdown_kernel="immediate",
                resources={"metadata": {"path": str(path.parent)}},
            )
            t0 = time.perf_counter()
            error = None
            try:
                # The kernel's own stderr (ipykernel's start-up warnings) is not the notebook's.
                await client.async_execute(stderr=subprocess.DEVNULL, env=course.venv_env())
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                text = ANSI.sub("", str(exc)).strip()
                error = text.splitlines()[-1] if text else repr(exc)
            seconds = time.perf_counter() - t0
            nbformat.write(nb, path)
            status = "ok" if error is None else f"FAILED: {error}"
            progress(f"executed {path.parent.name}/{path.name} in {seconds:.1f} s: {status}")
            return path, (seconds, error)

    async def main():
        sem = asyncio.Semaphore(max(1, jobs))
        return await asyncio.gather(*(one(Path(p), sem) for p in paths))

    return dict(asyncio.run(main()))


def _table(result: ClassResult, assignments) -> tuple[str, list[str], list[str]]:
    """The score table, the failures (exit 1) and the warnings."""
    failures, warnings = [], []
    lines = [f"{'lesson':<20}{'max':>6}{'reference':>11}{'untouched':>11}   typical mistakes"]
    for a in assignments:
        ref = result.scores.get(("reference", a))
        unt = result.scores.get(("untouched", a))
        maxp = (ref or unt or (0.0, 0.0))[1]
        mist = []
        for s in result.submissions:
            if s.assignment == a and s.student.startswith("mistake-"):
                got = result.scores.get((s.student, a))
                mist.append(f"{s.label} {got[0]:g}" if got else f"{s.label} ?")
                if got is None:
                    failures.append(f"{s.student}/{a} ({s.label}) was not graded")
                elif got[0] >= got[1]:
                    warnings.append(f"{a}: the typical mistake {s.label!r} keeps all points")
        if ref is None or ref[0] < ref[1]:
            failures.append(f"{a}: the reference solution scored {ref and ref[0]} of {maxp:g}")
        if unt is None or unt[0] > 0:
            failures.append(f"{a}: the untouched release scored {unt and unt[0]} (expected 0)")
        fmt = lambda v: f"{v[0]:g}" if v else "?"  # noqa: E731
        lines.append(f"{a:<20}{maxp:>6g}{fmt(ref):>11}{fmt(unt):>11}   " + ", ".join(mist))
    totals = [
        sum(result.scores.get((student, a), (0.0, 0.0))[i] for a in assignments)
        for student, i in (("reference", 1), ("reference", 0), ("untouched", 0))
    ]
    lines.append(f"{'total':<20}{totals[0]:>6g}{totals[1]:>11g}{totals[2]:>11g}")
    return "\n".join(lines), failures, warnings


def _prepare_workdir(workdir: str | None) -> tuple[Path, bool]:
    """(directory, created_by_us). An existing non-empty directory must be an old demo's."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="aecourse-demo-")), True
    path = Path(workdir).expanduser().resolve()
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise FileExistsError(
                f"{path} is not empty and was not made by `aecourse demo`; "
                "give an empty or new directory to --workdir (nothing in it is overwritten)"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return path, False


def run_demo(
    workdir: Path,
    assignments=course.ASSIGNMENTS,
    solutions: Path | None = None,
    mistakes: dict | None = None,
    compare_with: Path | None = course.REPO,
    jobs: int = 2,
    execute: bool = True,
    extra_submissions=(),
    progress=None,
) -> tuple[ClassResult, list[str], list[str]]:
    """The whole demo in ``workdir``; returns (result, failures, warnings).

    mistakes: assignment -> TYPICAL_MISTAKES (default: read from aecourse.grading.lessonNN).
    compare_with: repo whose notebooks/ should equal the fresh release (None: skip).
    extra_submissions: more students, as build_submissions' ``extra``.
    """
    progress = progress or Progress()
    workdir = Path(workdir)
    (workdir / MARKER).write_text("created by aecourse demo; safe to delete\n")
    assignments = list(assignments)
    failures, warnings = [], []
    course_root = course.make_course(workdir / "course", solutions, assignments)
    grading = course_root / ".grading"
    log = workdir / "logs"
    log.mkdir(exist_ok=True)
    course.regenerate_release(
        assignments, root=course_root, grading=grading, log=log / "generate.log"
    )
    progress(f"generated the student release of {len(assignments)} lesson(s) in {course_root}")
    if compare_with is not None:
        for problem in compare_release(course_root, Path(compare_with), assignments):
            warnings.append(f"{problem}: run `aecourse demo --release-only` and commit")
            progress(f"WARNING: {problem}")
    if mistakes is None:
        mistakes = {a: course.lesson_mistakes(a) for a in assignments}
    subs = build_submissions(course_root, assignments, mistakes, extra_submissions)
    if execute:
        run_dir = workdir / "executed"
        for a in assignments:  # a copy: notebooks write checkpoints and figures beside them
            shutil.copytree(course_root / "solutions" / a, run_dir / a)
        paths = [run_dir / a / f"{course.notebook_name(a)}.ipynb" for a in assignments]
        times = execute_notebooks(paths, jobs=jobs, progress=progress)
        total = sum(t for t, _ in times.values())
        progress(f"executed {len(times)} solution notebook(s): {total:.1f} s of kernel time")
        failures += [
            f"{p.parent.name}: solution notebook failed: {e}" for p, (_, e) in times.items() if e
        ]
    progress(f"autograding {len(subs)} submission(s) with {jobs} job(s)")
    result = autograde_class(course_root, grading, workdir, subs, assignments, jobs, progress)
    progress(f"feedback HTML in {workdir / 'feedback'}, grades in {result.csv_path}")
    table, fails, warns = _table(result, assignments)
    print(table, flush=True)
    return result, failures + fails, warnings + warns


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workdir",
        help="directory for the scratch course, class and feedback (kept; must be new, empty "
        "or an old demo's); default: a temporary directory, removed unless --keep",
    )
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel kernels"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--lessons",
        nargs="+",
        metavar="NN_topic",
        default=list(course.ASSIGNMENTS),
        help="only these lessons (default: all six)",
    )
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="skip running the solution notebooks on their own (autograding still runs them)",
    )
    parser.add_argument(
        "--release-only",
        action="store_true",
        help="only regenerate the repository's notebooks/ from solutions/ (instructor step)",
    )


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise SystemExit(f"--jobs must be at least 1, got {args.jobs}")
    unknown = sorted(set(args.lessons) - set(course.ASSIGNMENTS))
    if unknown:
        raise SystemExit(
            f"unknown lesson(s) {', '.join(unknown)}; choose from {', '.join(course.ASSIGNMENTS)}"
        )
    lessons = [a for a in course.ASSIGNMENTS if a in args.lessons]
    progress = Progress()
    if args.release_only:
        for path in course.regenerate_release(lessons):
            progress(f"regenerated {path.relative_to(course.REPO)}")
        return 0
    try:
        workdir, temporary = _prepare_workdir(args.workdir)
    except FileExistsError as exc:
        raise SystemExit(str(exc)) from None
    progress(f"demo course in {workdir}")
    try:
        _, failures, warnings = run_demo(
            workdir, lessons, jobs=args.jobs, execute=not args.no_execute, progress=progress
        )
    finally:
        if temporary and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    for w in warnings:
        print(f"WARNING: {w}")
    for f in failures:
        print(f"FAILED: {f}")
    if temporary and not args.keep:
        print("(scratch directory removed; use --keep or --workdir to look at the feedback)")
    print("demo " + ("FAILED" if failures else "passed"), flush=True)
    return 1 if failures else 0
