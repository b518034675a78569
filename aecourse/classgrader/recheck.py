"""The trusted side of the re-check: build the job, read plain data back, compare.

The student's cells run in :mod:`aecourse.classgrader.child` inside the sandbox; this
module only reads numbers and strings from its JSON lines and compares them with the
reference in the grader's own process (:func:`aecourse.grading.compare_outputs`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Verdict", "exercise_ids", "build_job", "child_command", "read_results", "judge"]

MAX_RESULTS_BYTES = 64 * 2**20


@dataclass
class Verdict:
    """The re-check's word on one graded test cell."""

    grade_id: str
    passed: bool
    message: str
    ran: bool = True  # False: the process died or the budget ran out before this check
    details: list[str] = field(default_factory=list)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_test(cell) -> bool:
    m = _meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and cell.get("cell_type") == "code"


def exercise_ids(release_nb: dict) -> list[str]:
    """grade_ids of the release's graded test cells that are registered exercises."""
    from aecourse.grading import REGISTRY, load_lessons

    load_lessons()
    return [
        _meta(c)["grade_id"]
        for c in release_nb["cells"]
        if _is_test(c) and _meta(c).get("grade_id") in REGISTRY
    ]


def build_job(student_nb: dict, release_nb: dict, seed: int, sandbox_dir: str) -> dict:
    """The child's job: student code cells in order (read-only cells from the release)."""
    from aecourse.grading import REGISTRY

    released = {_meta(c).get("grade_id"): c for c in release_nb["cells"] if _meta(c)}
    cells = []
    for cell in student_nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        gid = _meta(cell).get("grade_id")
        if _is_test(cell) or (gid in released and _is_test(released[gid])):
            cells.append({"kind": "test", "grade_id": gid, "source": ""})
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        ref = released.get(gid)
        if ref is not None and not _meta(ref).get("solution"):
            # A read-only cell runs as the instructor wrote it, whatever the student did to it.
            source = ref["source"]
            source = "".join(source) if isinstance(source, list) else source
        cells.append({"kind": "code", "grade_id": gid, "source": source})
    exercises = {}
    for gid in exercise_ids(release_nb):
        ex = REGISTRY[gid]
        exercises[gid] = {
            "function_name": ex.function_name,
            "forbidden": list(ex.forbidden_names()),
            "seed": seed,
        }
    return {
        "cells": cells,
        "exercises": exercises,
        "results": f"{sandbox_dir}/results.jsonl",
        "log": f"{sandbox_dir}/child.log",
        "cell_timeout": 60,
    }


def child_command(job_path: str) -> list[str]:
    return [sys.executable, "-I", "-m", "aecourse.classgrader.child", job_path]


def _decode(item):
    if isinstance(item, str):
        return item[:2000]
    if not isinstance(item, dict):
        raise ValueError("unexpected item")
    shape = [int(n) for n in item["s"]]
    data = np.array([float(v) for v in item["d"]], dtype=np.float64)
    return data.reshape(shape)


def read_results(path: Path) -> list[dict]:
    """The child's events, parsed defensively (a truncated last line is dropped)."""
    if not path.is_file():
        return []
    with open(path, "rb") as fh:
        raw = fh.read(MAX_RESULTS_BYTES)
    events = []
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("event"), str):
            events.append(obj)
    return events


def _short(problems: list[str]) -> str:
    first = problems[0].splitlines()[0]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return first[:300] + more


def judge(events: list[dict], job: dict, death: str | None) -> dict[str, Verdict]:
    """One verdict per exercise; ``death`` says why the child stopped early, if it did."""
    from aecourse.grading import REGISTRY, compare_outputs

    verdicts: dict[str, Verdict] = {}
    cell_errors = {}
    last_start = None
    for ev in events:
        if ev["event"] == "cell-error":
            cell_errors[ev.get("grade_id")] = str(ev.get("error", ""))[:300]
        elif ev["event"] == "cell-start":
            last_start = ev.get("grade_id") or f"cell {ev.get('index')}"
        elif ev["event"] == "exercise-start":
            last_start = f"the check of {ev.get('grade_id')}"
        elif ev["event"] == "exercise" and ev.get("grade_id") in job["exercises"]:
            gid = ev["grade_id"]
            spec = job["exercises"][gid]
            name = REGISTRY[gid].function_name
            if ev.get("error"):
                err = str(ev["error"])[:300]
                sol = cell_errors.get(f"{gid}-solution")
                hint = f" (its cell raised {sol})" if sol else ""
                verdicts[gid] = Verdict(gid, False, f"re-check: {err}{hint}")
                continue
            forbidden = [str(n) for n in ev.get("forbidden_calls") or []]
            if forbidden:
                verdicts[gid] = Verdict(
                    gid,
                    False,
                    f"uses the course's reference {', '.join(forbidden)}: "
                    f"write {name} yourself (0 points for this exercise)",
                )
                continue
            if ev.get("tampered"):
                verdicts[gid] = Verdict(gid, False, "re-check: the grader's profiler was removed")
                continue
            try:
                outputs = [_decode(o) for o in ev.get("outputs", [])]
            except (ValueError, TypeError, KeyError) as exc:
                verdicts[gid] = Verdict(gid, False, f"re-check: unreadable results ({exc})")
                continue
            problems = compare_outputs(gid, outputs, spec["seed"])
            if problems:
                verdicts[gid] = Verdict(gid, False, "re-check: " + _short(problems), True, problems)
            else:
                verdicts[gid] = Verdict(gid, True, "re-check passed")
    for gid in job["exercises"]:
        if gid not in verdicts:
            why = death or "the re-check stopped early"
            where = f" during {last_start}" if last_start else ""
            verdicts[gid] = Verdict(gid, False, f"not checked: {why}{where}", ran=False)
    return verdicts
