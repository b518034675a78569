"""What the instructor reads after a batch: a summary and a CSV with reasons and flags."""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["CSV_FIELDS", "write_csv", "summary", "exit_status"]

CSV_FIELDS = ["assignment", "student", "score", "max_score", "status", "needs_look", "reason"]


def write_csv(batch, path: Path) -> Path:
    """One row per student: score, max, status, needs-look flag (yes/no) and the reason."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for out in batch.outcomes:
            writer.writerow(
                {
                    "assignment": batch.assignment,
                    "student": out.student,
                    "score": f"{out.score:g}",
                    "max_score": f"{out.max_score:g}",
                    "status": out.status,
                    "needs_look": "yes" if out.needs_look else "no",
                    "reason": out.reason,
                }
            )
    return path


def exit_status(batch) -> int:
    """0: all graded and none flagged; 1: some need a look; 3: some could not be graded."""
    if any(o.status == "error" for o in batch.outcomes):
        return 3
    if any(o.needs_look for o in batch.outcomes):
        return 1
    return 0


def summary(batch) -> str:
    outs = batch.outcomes
    n = len(outs)
    zero = sum(o.status == "zero" for o in outs)
    errors = sum(o.status == "error" for o in outs)
    look = sum(o.needs_look for o in outs)
    full = sum(o.status == "graded" and o.max_score and o.score >= o.max_score for o in outs)
    lines = [
        f"{batch.assignment}: {n} submission(s) in {batch.seconds:g} s; {full} full marks, "
        f"{zero} without a gradable notebook, {look} flagged for a look, {errors} grader errors",
        f"sandbox: {batch.isolation}",
        f"gradebook backup: {batch.backup or 'none (a new gradebook, or --no-backup)'}",
    ]
    if getattr(batch, "feedback_error", None):
        lines.append(f"nbgrader generate_feedback failed:\n{batch.feedback_error}")
    for o in outs:
        flag = "  LOOK" if o.needs_look else ""
        lines.append(
            f"  {o.student:<20} {o.score:>5g}/{o.max_score:<5g} {o.status:<6}{flag}"
            f"  {o.reason[:160]}"
        )
    return "\n".join(lines)
