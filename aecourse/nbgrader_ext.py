"""nbgrader preprocessors used by nbgrader_config.py.

This module imports only nbgrader and nbformat (never aecourse or TensorFlow):
nbgrader_config.py loads it by file path so that nbgrader and the formgrader server stay
light. Keep it that way.
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

__all__ = ["StderrToStdout", "ShortenHiddenTestTracebacks", "HIDDEN_BEGIN"]

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


class StderrToStdout(NbGraderPreprocessor):
    """Re-label stderr stream outputs of graded code cells as stdout.

    nbgrader gives a test cell 0 points when it shows anything on stderr; TensorFlow's
    C++ logs, absl and Python warnings land there in cells that are otherwise correct.
    Runs after Execute and before SaveAutoGrades; error outputs are left alone, so a
    failing test still scores 0. The text stays visible in the feedback.
    """

    prefix = Unicode(
        "", help="Text put before each re-labelled stderr chunk (e.g. '[stderr] ')."
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["name"] = "stdout"
                if self.prefix:
                    output["text"] = self.prefix + output.get("text", "")
        return cell, resources


class ShortenHiddenTestTracebacks(NbGraderPreprocessor):
    """Reduce error tracebacks of cells holding hidden tests to their last line.

    IPython tracebacks quote the lines around the failing one, which would show hidden
    test source in the feedback even after ClearHiddenTests removed it from the cell.
    The message (``AssertionError: ...``) stays: it is the feedback the student needs.
    Must run before ClearHiddenTests (it looks for the hidden region in the source).
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or HIDDEN_BEGIN not in cell.source:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
                output["traceback"] = [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]
        return cell, resources
