"""The gradebook side: backups, reading a scratch grade, replacing one submission atomically.

Every write to the class gradebook goes through :func:`replace_submission`: one
SQLAlchemy transaction that sets *all* automatic scores and comments of one student's
submission (cells that were not graded get 0), so a failed re-grade leaves the
previous result as it was. Writes are serialised by a lock (a thread lock plus an
``flock`` beside a SQLite file); PostgreSQL handles its own locking.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

__all__ = [
    "sqlite_path",
    "backup",
    "backup_stamp",
    "read_scores",
    "replace_submission",
    "write_lock",
]

_LOCK = threading.Lock()


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///...`` URL, else None."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix) :]) if db_url.startswith(prefix) else None


@contextlib.contextmanager
def write_lock(db_url: str):
    """Serialise gradebook writes across threads and across `aecourse grade` processes."""
    with _LOCK:
        path = sqlite_path(db_url)
        if path is None:
            yield
            return
        with open(f"{path}.aecourse-lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def backup_stamp() -> str:
    """The UTC time in backup file names (``gradebook-<stamp>.db`` or ``.dump``): they sort."""
    return datetime.utcnow().strftime("%Y%m%dT%H%M%S.%fZ")


def backup(db_url: str, folder: Path) -> Path | None:
    """Copy a SQLite gradebook to ``folder/gradebook-<UTC time>.db`` (online backup API).

    Returns None for other databases (:func:`aecourse.classgrader.database.backup` runs
    ``pg_dump`` for PostgreSQL) and when the gradebook does not exist yet.
    """
    path = sqlite_path(db_url)
    if path is None or not path.is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"gradebook-{backup_stamp()}.db"
    with write_lock(db_url):
        src = sqlite3.connect(path)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    return dest


def read_scores(db_url: str, assignment: str, student: str) -> dict:
    """{notebook: {cell: {"auto_score", "max_score", "needs_manual_grade"}}} plus comments."""
    from nbgrader.api import Gradebook, MissingEntry

    result: dict = {}
    with Gradebook(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        for snb in sub.notebooks:
            cells = result.setdefault(snb.notebook.name, {})
            for grade in snb.grades:
                cells[grade.cell.name] = {
                    "auto_score": grade.auto_score,
                    "max_score": grade.max_score,
                    "needs_manual_grade": bool(grade.needs_manual_grade),
                }
            for comment in snb.comments:
                entry = cells.setdefault(comment.cell.name, {})
                entry["auto_comment"] = comment.auto_comment
    return result


def _new_submitted_notebook(notebook, sub):
    from nbgrader.api import Comment, Grade, SubmittedNotebook

    snb = SubmittedNotebook(notebook=notebook, assignment=sub)
    for cell in notebook.grade_cells:
        Grade(cell_id=cell.id, notebook=snb)
    for cell in notebook.solution_cells:
        Comment(cell_id=cell.id, notebook=snb)
    for cell in notebook.task_cells:
        Comment(cell_id=cell.id, notebook=snb)
        Grade(cell_id=cell.id, notebook=snb)
    return snb


def replace_submission(
    db_url: str,
    assignment: str,
    student: str,
    scores: dict[str, dict[str, dict]],
    flagged: bool,
    timestamp: datetime | None = None,
) -> None:
    """Set every automatic score/comment of one submission in a single transaction.

    scores: {notebook name: {cell name: {"auto_score": float, "needs_manual_grade": bool,
    "auto_comment": str}}}; a cell missing from it gets auto_score 0. Manual scores that an
    instructor gave are kept. Raises (and changes nothing) when the assignment is unknown.
    """
    from nbgrader.api import Assignment, Gradebook, Student, SubmittedAssignment

    with write_lock(db_url):
        for attempt in range(5):
            try:
                with Gradebook(db_url) as gb:
                    s = gb.db
                    try:
                        _replace(
                            s,
                            Assignment,
                            Student,
                            SubmittedAssignment,
                            assignment,
                            student,
                            scores,
                            flagged,
                            timestamp,
                        )
                        s.commit()
                    except Exception:
                        s.rollback()
                        raise
                return
            except Exception as exc:  # a busy database is retried; anything else is raised
                if "locked" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))


def _replace(
    s, Assignment, Student, SubmittedAssignment, assignment, student, scores, flagged, timestamp
):
    asg = s.query(Assignment).filter(Assignment.name == assignment).one_or_none()
    if asg is None:
        raise LookupError(f"assignment {assignment!r} is not in the gradebook")
    stu = s.query(Student).filter(Student.id == student).one_or_none()
    if stu is None:
        stu = Student(id=student)
        s.add(stu)
    sub = (
        s.query(SubmittedAssignment)
        .filter(SubmittedAssignment.assignment == asg, SubmittedAssignment.student == stu)
        .one_or_none()
    )
    with s.no_autoflush:
        if sub is None:
            sub = SubmittedAssignment(assignment=asg, student=stu)
            s.add(sub)
        have = {snb.notebook.name for snb in sub.notebooks}
        for notebook in asg.notebooks:
            if notebook.name not in have:
                s.add(_new_submitted_notebook(notebook, sub))
    # Flush the new rows so that every grade's cell relationship loads below.
    s.flush()
    s.expire_all()
    sub = (
        s.query(SubmittedAssignment)
        .filter(SubmittedAssignment.assignment == asg, SubmittedAssignment.student == stu)
        .one()
    )
    if timestamp is not None:
        sub.timestamp = timestamp
    have = {snb.notebook.name: snb for snb in sub.notebooks}
    for notebook in asg.notebooks:
        snb = have[notebook.name]
        cells = scores.get(notebook.name, {})
        snb.flagged = bool(flagged)
        for grade in snb.grades:
            entry = cells.get(grade.cell.name, {})
            grade.auto_score = float(entry.get("auto_score") or 0.0)
            grade.needs_manual_grade = bool(entry.get("needs_manual_grade", False))
        for comment in snb.comments:
            entry = cells.get(comment.cell.name, {})
            comment.auto_comment = entry.get("auto_comment")
