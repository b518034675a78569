"""What a grading batch is asked (Options) and what it gives back (Outcome, Batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Options", "Outcome", "Batch"]


@dataclass
class Options:
    """What ``aecourse grade`` was asked to do (paths absolute)."""

    assignment: str
    repo: Path
    grading_root: Path
    submitted: Path
    db_url: str
    students: list[str] | None = None
    jobs: int = 1
    budget: float = 300.0
    keep_work: bool = False
    backup: bool = True  # False only on --no-backup: grading refuses to start without one
    isolate: bool | None = None  # None: whenever the machine allows (root + unshare)


@dataclass
class Outcome:
    """The result for one student: the score, why, and whether someone should look."""

    student: str
    score: float
    max_score: float
    reason: str
    needs_look: bool = False
    status: str = "graded"  # graded | zero (no gradable notebook) | error (not written)
    cells: dict = field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)


@dataclass
class Batch:
    assignment: str
    outcomes: list[Outcome]
    backup: str | None
    isolation: str
    seconds: float
    feedback_error: str | None = None
