"""Grading helpers that the notebooks' test cells call (``ae.grading.check(...)``)."""

from __future__ import annotations

import importlib

from aecourse.grading.core import (
    REGISTRY,
    Exercise,
    as_float_array,
    assert_close,
    check,
    compare_outputs,
    register,
    run_cases,
)

__all__ = [
    "REGISTRY",
    "Exercise",
    "as_float_array",
    "assert_close",
    "check",
    "compare_outputs",
    "load_lessons",
    "register",
    "run_cases",
]

LESSON_MODULES = ("lesson01", "lesson02", "lesson03", "lesson04", "lesson05", "lesson06")


def load_lessons() -> None:
    """Import every lesson module so that its exercises are registered."""
    for name in LESSON_MODULES:
        try:
            importlib.import_module(f"aecourse.grading.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"aecourse.grading.{name}":
                raise
