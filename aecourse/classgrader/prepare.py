"""Read a submitted notebook defensively and repair what would stop nbgrader.

Everything here runs in the trusted grader on JSON only (no student code runs). A
notebook that cannot be graded gives a :class:`Unreadable` with the reason; otherwise the
repaired notebook comes back with notes on what was repaired.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Unreadable", "Prepared", "load_submission", "repair"]

MAX_NOTEBOOK_BYTES = 50 * 2**20


class Unreadable(Exception):
    """The submission has no gradable notebook; the message is the reason."""


@dataclass
class Prepared:
    notebook: dict
    notes: list[str] = field(default_factory=list)


def _meta(cell) -> dict:
    m = cell.get("metadata", {}).get("nbgrader")
    return m if isinstance(m, dict) else {}


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else str(s)


def _is_test(m: dict) -> bool:
    return bool(m.get("grade")) and not m.get("solution")


def load_submission(folder: Path, name: str) -> dict:
    """Parse ``folder/name``; raise :class:`Unreadable` saying what is wrong."""
    path = folder / name
    if not path.is_file():
        others = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
        if others:
            raise Unreadable(
                f"renamed notebook: {name} is missing, found {', '.join(others)} "
                f"(only {name} is graded: rename it back and resubmit)"
            )
        raise Unreadable(f"missing notebook: no {name} in the submission")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"malformed notebook: {name} is {size} bytes (limit {MAX_NOTEBOOK_BYTES})")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Unreadable(f"malformed notebook: {name} is not valid JSON ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Unreadable(f"malformed notebook: {name} has no list of cells")
    if nb.get("nbformat") != 4:
        raise Unreadable(f"malformed notebook: {name} is nbformat {nb.get('nbformat')}, not 4")
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Unreadable(f"malformed notebook: {name} has a cell that is not a notebook cell")
    return nb


def _clean_cell(cell: dict) -> dict:
    out = {
        "cell_type": cell["cell_type"],
        "metadata": {},
        "source": _src(cell),
    }
    meta = cell.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("nbgrader"), dict):
        out["metadata"]["nbgrader"] = dict(meta["nbgrader"])
    if cell["cell_type"] == "code":
        out["outputs"] = []  # nbgrader executes again; old outputs only cost bytes
        out["execution_count"] = None
    if isinstance(cell.get("id"), str):
        out["id"] = cell["id"][:64]
    return out


def repair(nb: dict, release: dict) -> Prepared:
    """Rebuild ``nb`` as a clean v4 notebook nbgrader can always grade.

    - outputs dropped; only nbgrader metadata kept;
    - cells whose nbgrader metadata was stripped get it back when their source equals the
      release cell's (deleted cells are added back by nbgrader's add_missing_cells);
    - a grade_id used twice keeps its metadata on one cell (the last copy of a test cell, the
      first of any other), the copies become plain cells;
    - nbgrader metadata with a grade_id the release does not know is removed.
    """
    notes: list[str] = []
    released = {_meta(c)["grade_id"]: c for c in release["cells"] if _meta(c).get("grade_id")}
    cells = [_clean_cell(c) for c in nb["cells"]]

    # Unknown grade_ids (a student-made "test") must not reach the gradebook.
    for cell in cells:
        gid = _meta(cell).get("grade_id")
        if "nbgrader" in cell["metadata"] and gid not in released:
            del cell["metadata"]["nbgrader"]
            notes.append(f"ignored nbgrader metadata with unknown grade_id {gid!r}")

    # Duplicates: keep one cell per grade_id.
    positions: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        gid = _meta(cell).get("grade_id")
        if gid:
            positions.setdefault(gid, []).append(i)
    for gid, where in positions.items():
        if len(where) > 1:
            keep = where[-1] if _is_test(_meta(released[gid])) else where[0]
            for i in where:
                if i != keep:
                    del cells[i]["metadata"]["nbgrader"]
            notes.append(f"duplicate grade_id {gid} ({len(where)} cells): kept one")

    # Stripped metadata: find the cell by its (unchanged) source.
    present = {_meta(c).get("grade_id") for c in cells}
    for gid, ref in released.items():
        if gid in present:
            continue
        want = _src(ref).strip()
        for cell in cells:
            if "nbgrader" not in cell["metadata"] and cell["cell_type"] == ref["cell_type"]:
                if cell["source"].strip() == want:
                    cell["metadata"]["nbgrader"] = copy.deepcopy(_meta(ref))
                    notes.append(f"restored nbgrader metadata of {gid}")
                    break
    out = {
        "cells": cells,
        "metadata": copy.deepcopy(release.get("metadata", {})),
        "nbformat": 4,
        "nbformat_minor": release.get("nbformat_minor", 5),
    }
    if out["nbformat_minor"] >= 5:
        for i, cell in enumerate(cells):
            cell.setdefault("id", f"cell-{i}")
        seen = set()
        for i, cell in enumerate(cells):
            if cell["id"] in seen:
                cell["id"] = f"cell-{i}-dup"
            seen.add(cell["id"])
    else:
        for cell in cells:
            cell.pop("id", None)
    return Prepared(out, notes)
