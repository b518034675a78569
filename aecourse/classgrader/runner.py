"""Grade a class: back up, build a template gradebook, grade in parallel, write feedback.

See :mod:`aecourse.classgrader.submission` for what happens to each submission.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from aecourse.classgrader import database, gradebook, sandbox
from aecourse.classgrader.model import Batch, Options, Outcome
from aecourse.classgrader.submission import (
    Submission,
    nbgrader_cmd,
    nbgrader_config,
    nbgrader_env,
)

__all__ = ["Options", "Outcome", "Batch", "grade_class"]


def _make_template(opts: Options, work: Path) -> tuple[Path, Path]:
    """A gradebook holding only this assignment (cells and hidden tests) and its release."""
    course = work / "template"
    release = course / "release"
    course.mkdir(parents=True)
    db = course / "gradebook.db"
    (course / "nbgrader_config.py").write_text(
        nbgrader_config(course, opts, release, f"sqlite:///{db}", opts.budget)
    )
    env = nbgrader_env({"AECOURSE_GRADING_ROOT": str(opts.grading_root)})
    proc = subprocess.run(
        nbgrader_cmd("generate_assignment", opts.assignment, "--force"),
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not db.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise RuntimeError(f"nbgrader generate_assignment {opts.assignment} failed:\n{tail}")
    _ensure_assignment(opts, course, env)
    return db, release / opts.assignment


def _ensure_assignment(opts: Options, course: Path, env: dict) -> None:
    """Record the assignment in the class gradebook when it is not there yet."""
    from nbgrader.api import Gradebook, MissingEntry

    with gradebook.write_lock(opts.db_url), Gradebook(opts.db_url) as gb:
        try:
            gb.find_assignment(opts.assignment)
            return
        except MissingEntry:
            pass
    url, secret = database.for_subprocess(opts.db_url)
    with gradebook.write_lock(opts.db_url):
        proc = subprocess.run(
            nbgrader_cmd(
                "generate_assignment",
                opts.assignment,
                "--force",
                f"--CourseDirectory.db_url={url}",
                f"--CourseDirectory.release_directory={course / 'release-main'}",
            ),
            cwd=course,
            env={**env, **secret},
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"could not add {opts.assignment} to the gradebook:\n{proc.stdout}")


def _feedback(opts: Options, outcomes: list[Outcome]) -> str | None:
    """nbgrader's feedback for the graded students, in one run, from the class gradebook."""
    autograded = opts.grading_root / "autograded"
    graded = [o.student for o in outcomes if (autograded / o.student / opts.assignment).is_dir()]
    error = None
    if graded:
        others = [p.name for p in autograded.iterdir() if p.is_dir() and p.name not in graded]
        url, secret = database.for_subprocess(opts.db_url)
        args = [
            "generate_feedback",
            opts.assignment,
            "--force",
            f"--CourseDirectory.db_url={url}",
        ]
        if others:
            args.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
        proc = subprocess.run(
            nbgrader_cmd(*args),
            cwd=opts.repo,
            env=nbgrader_env({"AECOURSE_GRADING_ROOT": str(opts.grading_root), **secret}),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            error = "\n".join((proc.stdout + proc.stderr).splitlines()[-10:])
    for out in outcomes:
        dest = opts.grading_root / "feedback" / out.student / opts.assignment
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "aecourse-grading.txt").write_text(_feedback_text(out, opts.assignment))
    return error


def _feedback_text(out: Outcome, assignment: str) -> str:
    lines = [f"{assignment}: {out.score:g} / {out.max_score:g}", f"reason: {out.reason}", ""]
    for gid, entry in out.cells.items():
        mark = "PASS" if entry["score"] >= entry["points"] > 0 else "FAIL"
        lines.append(
            f"{mark} {gid} ({entry['score']:g}/{entry['points']:g}) {entry.get('message', '')}"
        )
    return "\n".join(lines) + "\n"


# --- a class --------------------------------------------------------------------------------


def _students(opts: Options) -> list[str]:
    if opts.students:
        return list(dict.fromkeys(opts.students))
    if not opts.submitted.is_dir():
        raise FileNotFoundError(
            f"no submissions folder {opts.submitted}: collect submissions first "
            "(nbgrader collect / zip_collect) or pass --submitted DIR"
        )
    return sorted(p.name for p in opts.submitted.iterdir() if p.is_dir())


def grade_class(opts: Options, progress=None) -> Batch:
    """Back up the gradebook, grade every student (``opts.jobs`` at a time), return outcomes.

    Raises (before anything is written) when the database cannot be reached or backed up.
    """
    t0 = time.monotonic()
    source = opts.repo / "solutions" / opts.assignment
    notebooks = sorted(p.name for p in source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(
            f"no notebook in {source}: ASSIGNMENT must be a folder of solutions/ (e.g. 01_neurons)"
        )
    if opts.isolate is None:
        opts.isolate = sandbox.isolation_available()
    students = _students(opts)
    opts.db_url = database.check(opts.db_url)
    opts.grading_root.mkdir(parents=True, exist_ok=True)
    opts.grading_root.chmod(0o700)
    backup = database.backup(opts.db_url, opts.grading_root / "backups") if opts.backup else None
    stamp = datetime.utcnow().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    work = opts.grading_root / ".aecourse-work" / f"{opts.assignment}-{stamp}"
    work.mkdir(parents=True)
    work.chmod(0o700)
    try:
        template_db, release_dir = _make_template(opts, work)
        slots: queue.Queue[int] = queue.Queue()
        for i in range(max(1, opts.jobs)):
            slots.put(i)
        lock = threading.Lock()

        def one(student: str) -> Outcome:
            slot = slots.get()
            try:
                if opts.isolate:
                    with sandbox.claim_uid() as uid:
                        sub = Submission(
                            opts, student, uid, template_db, release_dir, notebooks, work
                        )
                        out = sub.run()
                else:
                    sub = Submission(opts, student, slot, template_db, release_dir, notebooks, work)
                    out = sub.run()
            finally:
                slots.put(slot)
            if progress is not None:
                with lock:
                    progress(out)
            return out

        with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
            outcomes = list(pool.map(one, students))
        feedback_error = _feedback(opts, outcomes)
    finally:
        if not opts.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    isolation = (
        "a uid of its own per job, private mount namespace, no network, rlimits"
        if opts.isolate
        else "none beyond rlimits and a scrubbed environment (not root): the network is NOT cut"
    )
    return Batch(
        opts.assignment,
        outcomes,
        str(backup) if backup else None,
        isolation,
        round(time.monotonic() - t0, 1),
        feedback_error,
    )
