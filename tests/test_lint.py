"""The house style is enforced: ruff check and ruff format are clean, notebooks included."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _ruff():
    exe = Path(sys.executable).parent / "ruff"
    found = str(exe) if exe.exists() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: `pip install -e '.[dev]'` installs it")
    return found


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(args):
    out = subprocess.run([_ruff(), *args], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, f"ruff {' '.join(args)} found problems:\n{out.stdout}{out.stderr}"
