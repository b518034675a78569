"""Robust class grading on top of nbgrader (``aecourse grade``).

nbgrader runs each submission (its kernel dropped to an unprivileged user in a
private mount namespace); the graded functions are checked again in a separate
sandboxed process whose results come back as plain data; the two verdicts are
merged and written to the gradebook in one transaction per submission.

Modules: ``sandbox`` (running untrusted code), ``kernel`` (nbgrader's kernel in
the sandbox), ``prepare`` (repairing submitted notebooks), ``child`` and
``recheck`` (the trusted re-check), ``gradebook`` (backup, atomic replace),
``runner`` (one submission, a batch), ``report`` (summary, CSV), ``cli``.
"""

__all__ = ["runner", "report", "gradebook", "sandbox", "recheck", "prepare"]
