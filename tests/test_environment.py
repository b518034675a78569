"""environment.yml must mirror pyproject.toml (the source of truth for dependencies)."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOT_PACKAGES = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    """'numpy>=1.26 ; marker' -> ('numpy', '>=1.26'), names normalised as pip does."""
    spec = spec.split(";")[0].strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", spec)
    assert m, f"cannot parse requirement {spec!r}"
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(3).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    project = data["project"]
    reqs = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        marker = spec.split(";")[1] if ";" in spec else ""
        # conda is CPU-only: it takes the Linux x86-64 branch of the TensorFlow markers.
        if "sys_platform != 'linux'" in marker:
            continue
        name, version = _split(spec)
        reqs[name] = version
    return reqs


def _environment(text: str) -> dict[str, str]:
    env = yaml.safe_load(text)
    reqs = {}
    for dep in env["dependencies"]:
        specs = dep["pip"] if isinstance(dep, dict) else [dep]
        for spec in specs:
            if spec.startswith("-e"):
                continue
            name, version = _split(
                spec.replace("=", "==", 1) if re.match(r"^[\w-]+=\d", spec) else spec
            )
            if name not in NOT_PACKAGES:
                reqs[name] = version
    return reqs


def _differences(py: dict[str, str], env: dict[str, str]) -> list[str]:
    out = []
    for name in sorted(py.keys() | env.keys()):
        if name not in env:
            out.append(f"{name} is in pyproject.toml but not in environment.yml")
        elif name not in py:
            out.append(f"{name} is in environment.yml but not in pyproject.toml")
        elif py[name] != env[name]:
            out.append(f"{name}: pyproject.toml says {py[name]!r}, environment.yml {env[name]!r}")
    return out


def test_environment_yml_mirrors_pyproject():
    diffs = _differences(_pyproject(), _environment((REPO / "environment.yml").read_text()))
    assert not diffs, "environment.yml and pyproject.toml disagree:\n" + "\n".join(diffs)


def test_every_environment_dependency_has_a_comment():
    text = (REPO / "environment.yml").read_text()
    deps = text.split("dependencies:", 1)[1]
    missing = [
        line.strip()
        for line in deps.splitlines()
        if re.match(r"^\s*- [A-Za-z]", line)
        and "#" not in line
        and line.strip() not in {"- python=3.11", "- pip", "- pip:"}
    ]
    assert not missing, f"dependencies without a comment on which lesson needs them: {missing}"


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda t: t.replace("numpy>=1.26", "numpy>=1.20"), "numpy: pyproject.toml says"),
        (lambda t: t.replace("  - pillow>=10", "  - pillowx>=10"), "pillow is in pyproject"),
    ],
)
def test_the_check_catches_a_disagreement(edit, expected):
    text = edit((REPO / "environment.yml").read_text())
    diffs = _differences(_pyproject(), _environment(text))
    assert any(expected in d for d in diffs), diffs
