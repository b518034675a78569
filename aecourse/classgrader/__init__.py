"""Robust class grading on top of nbgrader (``aecourse grade``).

nbgrader runs each submission (its kernel dropped to an unprivileged user in a
private mount namespace); the graded functions are checked again in a separate
sandboxed process whose results come back as plain data; the two verdicts are
merged and written to the gradebook in one transaction per submission.

Modules: ``sandbox`` (running untrusted code), ``nbhooks`` (nbgrader's kernel in the
sandbox, the output cap), ``prepare`` (repairing submitted notebooks), ``child`` and
``recheck`` (the re-check: untrusted and trusted halves), ``gradebook`` (SQLite backup,
atomic replace), ``database`` (checking ``--db-url``, pg_dump backups), ``submission``
(one submission), ``runner`` (a batch), ``model`` (options and outcomes), ``report``
(summary, CSV), ``cli``.
"""

__all__ = [
    "runner",
    "submission",
    "report",
    "gradebook",
    "database",
    "sandbox",
    "recheck",
    "prepare",
]
