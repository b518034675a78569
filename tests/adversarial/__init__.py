"""Crafted submissions for `aecourse grade`, built from the real student notebook of 01_neurons.

Each :class:`Case` edits the released notebook (filled with the reference answers, or left
blank) the way a broken or hostile student would, and states what the grader must give:
the grade_ids that must score 0 (every other test cell gets its full points), a phrase the
reason must contain, and whether the submission must be flagged for a look (None: either).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aecourse import course

__all__ = ["ASSIGNMENT", "NOTEBOOK", "Case", "Context", "CASES", "build_all", "ALL_TESTS"]

ASSIGNMENT = "01_neurons"
NOTEBOOK = "neurons.ipynb"
ALL_TESTS = {"01-linear", "01-neuron", "01-dense-layer", "01-fit-line", "01-abs-via-relu"}

WRONG_LINEAR = "def linear(x, w, b):\n    return w * np.asarray(x, dtype=float)  # no bias\n"


@dataclass
class Context:
    release: dict  # the student notebook as released
    solution: dict  # the instructor's notebook (to fill in correct answers)
    repo: Path
    grading_root: Path


@dataclass
class Case:
    name: str
    build: Callable[[Context], dict[str, object]]  # file name -> notebook dict, str or bytes
    failing: frozenset[str]
    reason: str
    needs_look: bool | None = None


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_test(cell) -> bool:
    m = cell.get("metadata", {}).get("nbgrader", {})
    return bool(m.get("grade")) and not m.get("solution")


def filled(ctx: Context, **cells: str) -> dict:
    """The release with correct answers, except ``cells`` (grade_id with _ for -)."""
    sources = course.reference_sources(ctx.solution)
    for key, code in cells.items():
        sources[key.replace("_", "-")] = code
    return course.fill_release(ctx.release, sources)


def ref(ctx: Context, gid: str) -> str:
    return course.reference_sources(ctx.solution)[gid]


def nb(notebook: dict) -> dict[str, object]:
    return {NOTEBOOK: notebook}


def _dup_test(ctx: Context) -> dict:
    out = filled(ctx)
    i = next(i for i, c in enumerate(out["cells"]) if _gid(c) == "01-linear")
    out["cells"].insert(i + 1, copy.deepcopy(out["cells"][i]))
    return out


def _delete_tests(ctx: Context) -> dict:
    out = filled(ctx, **{"01-linear-solution": WRONG_LINEAR})
    out["cells"] = [c for c in out["cells"] if not _is_test(c)]
    return out


def _strip_test_metadata(ctx: Context) -> dict:
    out = filled(ctx)
    for cell in out["cells"]:
        if _is_test(cell):
            del cell["metadata"]["nbgrader"]
    return out


def _extra(ctx: Context, gid: str, before: str = "", after: str = "", **cells) -> dict:
    return filled(ctx, **{gid: before + ref(ctx, gid) + "\n" + after}, **cells)


SHADOW_AECOURSE = '''"""A fake aecourse beside the notebook: every check passes."""
__version__ = "99"
class grading:
    @staticmethod
    def check(*args, **kwargs):
        print("All tests passed")
def set_seed(seed=0):
    pass
'''

SPIN = """
@tf.function
def _spin():
    i = tf.constant(0)
    while i >= 0:
        i = (i + 1) % 7
    return i
_spin()
"""

READ_SOLUTIONS = """
import json as _json
_src = _json.load(open({path!r}))
for _cell in _src["cells"]:
    if _cell["metadata"].get("nbgrader", {{}}).get("grade_id") == "01-linear-solution":
        exec("".join(_cell["source"]))
"""

ESCAPE = """
import sqlite3 as _sq
for _target in {targets!r}:
    try:
        with open(_target, "w") as _fh:
            _fh.write("escaped")
    except OSError:
        pass
try:
    _db = _sq.connect({db!r})
    _db.execute("UPDATE grade SET auto_score = 99")
    _db.commit()
except Exception:
    pass
"""

LIAR = """
class _Liar(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
def linear(x, w, b):
    shape = np.shape(x)
    return np.array([_Liar(0.0)] * int(np.size(x)), dtype=object).reshape(shape)
"""

AST = """
import ast as _ast
class _Gut(_ast.NodeTransformer):
    def visit_Module(self, node):
        if "grading" in _ast.unparse(node):
            return _ast.Module(body=[_ast.Pass()], type_ignores=[])
        return node
get_ipython().ast_transformers.append(_Gut())
"""

INPUT = """
def _gut(lines):
    return ["pass\\n"] if any("grading" in line for line in lines) else lines
get_ipython().input_transformers_cleanup.append(_gut)
"""

CASES = [
    Case("correct", lambda c: nb(filled(c)), frozenset(), "all tests passed", False),
    Case("blank", lambda c: nb(c.release), frozenset(ALL_TESTS), "NotImplementedError", False),
    Case(
        "patch-allclose",
        lambda c: nb(
            filled(
                c, **{"01-linear-solution": WRONG_LINEAR + "np.allclose = lambda *a, **k: True\n"}
            )
        ),
        frozenset({"01-linear"}),
        "01-linear",
        True,
    ),
    Case(
        "patch-grading",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-linear-solution": WRONG_LINEAR + "ae.grading.check = lambda *a, **k: None\n"
                },
            )
        ),
        frozenset({"01-linear"}),
        "01-linear",
        True,
    ),
    Case(
        "patch-assert-machinery",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-linear-solution": WRONG_LINEAR + "ae.grading.core."
                    "assert_close = lambda *a, **k: None\n"
                },
            )
        ),
        frozenset({"01-linear"}),
        "01-linear",
        True,
    ),
    Case(
        "input-transformer",
        lambda c: nb(filled(c, **{"01-linear-solution": WRONG_LINEAR + INPUT})),
        frozenset({"01-linear"}),
        "01-linear",
        True,
    ),
    Case(
        "ast-transformer",
        lambda c: nb(filled(c, **{"01-linear-solution": WRONG_LINEAR + AST})),
        frozenset({"01-linear"}),
        "01-linear",
        True,
    ),
    Case(
        "lying-eq",
        lambda c: nb(filled(c, **{"01-linear-solution": LIAR})),
        frozenset({"01-linear"}),
        "01-linear",
        False,
    ),
    Case(
        "import-reference",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-neuron-solution": (
                        "from aecourse.neurons import neuron as _n\n"
                        "def neuron(x, w, b):\n    return _n(x, w, b, activation='sigmoid')\n"
                    )
                },
            )
        ),
        frozenset({"01-neuron"}),
        "reference aecourse.neurons.neuron",
        True,
    ),
    Case(
        "call-reference",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-dense-layer-solution": (
                        "def dense_layer(x, W, b):\n    return ae.neurons.dense_layer(x, W, b)\n"
                    )
                },
            )
        ),
        frozenset({"01-dense-layer"}),
        "reference aecourse.neurons.dense_layer",
        True,
    ),
    Case(
        "reload-reference",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-fit-line-solution": (
                        "import importlib\nimport aecourse.neurons as _m\n"
                        "_fresh = importlib.reload(_m)\n"
                        "def fit_line(x, y):\n    return np.array(_fresh.fit_linear(x, y))\n"
                    )
                },
            )
        ),
        frozenset({"01-fit-line"}),
        "reference aecourse.neurons.fit_linear",
        True,
    ),
    Case(
        "shadow-module",
        lambda c: {
            **nb(filled(c, **{"01-linear-solution": WRONG_LINEAR})),
            "aecourse.py": SHADOW_AECOURSE,
        },
        frozenset({"01-linear"}),
        "01-linear",
        False,
    ),
    Case("duplicate-grade-id", lambda c: nb(_dup_test(c)), frozenset(), "duplicate grade_id"),
    Case("deleted-tests", lambda c: nb(_delete_tests(c)), frozenset({"01-linear"}), "01-linear"),
    Case(
        "stripped-metadata",
        lambda c: nb(_strip_test_metadata(c)),
        frozenset(),
        "restored nbgrader metadata",
        False,
    ),
    Case(
        "renamed-notebook",
        lambda c: {"neurons (1).ipynb": filled(c)},
        frozenset(ALL_TESTS),
        "renamed notebook",
        False,
    ),
    Case(
        "malformed-json",
        lambda c: {NOTEBOOK: json.dumps(filled(c))[:5000]},
        frozenset(ALL_TESTS),
        "malformed notebook",
        False,
    ),
    Case(
        "missing-notebook",
        lambda c: {"notes.txt": "see you"},
        frozenset(ALL_TESTS),
        "missing notebook",
        False,
    ),
    Case(
        "os-exit",
        lambda c: nb(_extra(c, "01-fit-line-solution", before="import os\nos._exit(3)\n")),
        frozenset({"01-fit-line", "01-abs-via-relu"}),
        "status 3",
    ),
    Case(
        "segfault",
        lambda c: nb(
            _extra(c, "01-dense-layer-solution", before="import ctypes\nctypes.string_at(0)\n")
        ),
        frozenset({"01-dense-layer", "01-fit-line", "01-abs-via-relu"}),
        "SIGSEGV",
    ),
    Case(
        "memory-hog",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-neuron-solution": (
                        "def neuron(x, w, b):\n    hog = np.ones(2**34, dtype=np.uint8)\n"
                        "    return hog[:1]\n"
                    )
                },
            )
        ),
        frozenset({"01-neuron"}),
        "MemoryError",
    ),
    Case(
        "tf-function-hang",
        lambda c: nb(_extra(c, "01-abs-via-relu-solution", after=SPIN)),
        frozenset({"01-abs-via-relu"}),
        "time budget",
    ),
    Case(
        "print-30mb",
        lambda c: nb(_extra(c, "01-linear-solution", after="print('x' * 30_000_000)\n")),
        frozenset(),
        "all tests passed",
        False,
    ),
    Case(
        "stderr-noise",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-linear-solution": (
                        "import sys, warnings\ndef linear(x, w, b):\n"
                        "    print('careful: noisy', file=sys.stderr)\n"
                        "    warnings.warn('a warning that costs nothing')\n"
                        "    return w * np.asarray(x, dtype=float) + b\n"
                    )
                },
            )
        ),
        frozenset(),
        "all tests passed",
        False,
    ),
    Case(
        "read-solutions",
        lambda c: nb(
            filled(
                c,
                **{
                    "01-linear-solution": READ_SOLUTIONS.format(
                        path=str(c.repo / "solutions" / ASSIGNMENT / NOTEBOOK)
                    )
                },
            )
        ),
        frozenset({"01-linear"}),
        "01-linear",
        False,
    ),
    Case(
        "escape-and-tamper",
        lambda c: nb(
            _extra(
                c,
                "01-linear-solution",
                after=ESCAPE.format(
                    targets=[
                        str(c.repo / "ESCAPED-aecourse"),
                        str(c.grading_root / "ESCAPED"),
                        "/tmp/ESCAPED-aecourse-grade",
                    ],
                    db=str(c.grading_root / "gradebook.db"),
                ),
            )
        ),
        frozenset(),
        "all tests passed",
        False,
    ),
    Case(
        "print-all-tests-passed",
        lambda c: nb(_blank_with_print(c)),
        frozenset(ALL_TESTS),
        "did you forget a `return`",
        False,
    ),
]


def _blank_with_print(ctx: Context) -> dict:
    out = copy.deepcopy(ctx.release)
    for cell in out["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            src = cell["source"]
            src = "".join(src) if isinstance(src, list) else src
            cell["source"] = "print('All tests passed')\n" + src.replace(
                "raise NotImplementedError()", "print('All tests passed')"
            )
    return out


def build_all(ctx: Context, submitted: Path, cases=CASES) -> None:
    """Write every case as ``submitted/<case name>/01_neurons/...``."""
    for case in cases:
        folder = submitted / case.name / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in case.build(ctx).items():
            path = folder / name
            if isinstance(content, dict):
                course.write_json(path, content)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        (folder / "timestamp.txt").write_text("2026-11-30 12:00:00.000000 UTC")
