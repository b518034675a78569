"""nbgrader configuration for the aecourse course (read by every `nbgrader ...` run from here).

Lessons are written in solutions/ (nbgrader's source step) and released to notebooks/.
Everything nbgrader writes while grading (gradebook, submitted/, autograded/, feedback/,
exchange/) lives under a grading root outside the tracked files: $AECOURSE_GRADING_ROOT,
or .grading/ next to this file (git-ignored). The gradebook holds the hidden tests.
"""

import importlib.util
import os
import sys
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

c = get_config()  # noqa: F821 - provided by traitlets when it executes this file

COURSE_ROOT = Path(__file__).resolve().parent
GRADING_ROOT = (
    Path(os.environ.get("AECOURSE_GRADING_ROOT") or COURSE_ROOT / ".grading").expanduser().resolve()
)
GRADING_ROOT.mkdir(parents=True, exist_ok=True)


def _load_nbgrader_ext():
    """Load aecourse/nbgrader_ext.py by file path.

    `import aecourse.nbgrader_ext` would run aecourse/__init__.py, which imports TensorFlow
    (seconds, and hundreds of MB in every nbgrader run and in the formgrader server). The
    extension module imports only nbgrader and nbformat, so it is loaded on its own.
    """
    name = "aecourse_nbgrader_ext"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec("aecourse")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the aecourse package is not installed in this Python: run `pip install -e .` "
            "from the repository root (nbgrader needs its preprocessors and its kernel needs "
            "the package)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "nbgrader_ext.py"
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


ext = _load_nbgrader_ext()

# --- course layout -------------------------------------------------------------------
c.CourseDirectory.course_id = "aecourse"
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# Absolute paths: os.path.join(root, "/abs/...") keeps the absolute part.
c.CourseDirectory.submitted_directory = str(GRADING_ROOT / "submitted")
c.CourseDirectory.autograded_directory = str(GRADING_ROOT / "autograded")
c.CourseDirectory.feedback_directory = str(GRADING_ROOT / "feedback")
c.CourseDirectory.db_url = f"sqlite:///{GRADING_ROOT / 'gradebook.db'}"

# formgrader and `nbgrader collect` warn when the exchange is missing: create it here.
(GRADING_ROOT / "exchange").mkdir(exist_ok=True)
c.Exchange.root = str(GRADING_ROOT / "exchange")

# --- autograding -----------------------------------------------------------------------
c.Execute.timeout = 120  # seconds per cell: the longest training cell takes a few seconds
c.Execute.shutdown_kernel = "immediate"  # about 1 s saved per notebook
# A student who deletes a test cell gets it back, and it is graded (not "needs manual grade").
c.OverwriteCells.add_missing_cells = True
# TensorFlow, Keras and absl write log lines and warnings to stderr, and nbgrader scores a
# test cell 0 when it shows anything on stderr. StderrToStdout re-labels stderr of graded
# cells as stdout after execution and before the grades are saved; errors still count.
c.Autograde.autograde_preprocessors = [
    Execute,
    IgnorePattern,
    ext.StderrToStdout,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# --- feedback ------------------------------------------------------------------------------
# Never show hidden tests: shorten tracebacks of cells that hold them (IPython prints the
# surrounding source lines), then remove the hidden regions themselves.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ext.ShortenHiddenTestTracebacks,
    ClearHiddenTests,
    CSSHTMLHeaderPreprocessor,
]
