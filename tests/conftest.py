"""Shared pytest set-up: the venv's bin on PATH (nbgrader shells out to alembic)."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
