"""``aecourse lab``: start JupyterLab as a student (on ``notebooks/``) or as an instructor.

Each launch writes its own Jupyter config directory under the grading root
(``<repo>/.grading/jupyter/<role>/``, or ``$AECOURSE_GRADING_ROOT/jupyter/<role>/``) and puts
it on ``JUPYTER_CONFIG_PATH`` for that server only, so the user's own Jupyter config is
never edited. The student set-up hides nbgrader's instructor tools (formgrader, "Create
Assignment", the course list) and keeps the assignment list and the Validate button; the
instructor set-up turns them all on and starts at the repository root, where
``nbgrader_config.py`` lives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = [
    "COURSE_ID",
    "INSTRUCTOR_LAB_EXTENSIONS",
    "INSTRUCTOR_SERVER_EXTENSIONS",
    "ROLES",
    "add_arguments",
    "grading_root",
    "lab_command",
    "repo_root",
    "run",
    "write_config_dir",
]

ROLES = ("student", "instructor")
COURSE_ID = "aecourse"

# JupyterLab plugin ids of nbgrader 0.9 (see `jupyter labextension list` and the plugin
# ids in nbgrader's labextension): only instructors create, grade and manage courses.
INSTRUCTOR_LAB_EXTENSIONS = (
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
)
# Jupyter Server extensions behind those panels.
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
# Kept for both roles: students fetch/submit and validate.
STUDENT_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.validate_assignment",
)


def repo_root() -> Path:
    """The course repository: the folder holding ``nbgrader_config.py`` and ``notebooks/``."""
    return Path(__file__).resolve().parents[1]


def grading_root(root: Path | None = None) -> Path:
    """Where nbgrader state lives: ``$AECOURSE_GRADING_ROOT`` or ``<root>/.grading``."""
    env = os.environ.get("AECOURSE_GRADING_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    return (Path(root) if root is not None else repo_root()).resolve() / ".grading"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")


def write_config_dir(role: str, grading: Path) -> Path:
    """Write the per-role Jupyter config directory under ``grading``; return its path.

    Holds ``labconfig/page_config.json`` (which nbgrader lab plugins are disabled),
    ``jupyter_server_config.json`` (which nbgrader server extensions load) and, so that a
    student server started in ``notebooks/`` still finds the course's exchange, an
    ``nbgrader_config.py`` with the course id and exchange root.
    """
    _check_role(role)
    student = role == "student"
    config_dir = Path(grading) / "jupyter" / role
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    exchange = Path(grading) / "exchange"
    # The exchange must exist before formgrader or the assignment list look at it; nbgrader
    # wants it writable by everyone (it would chmod it itself, with a warning).
    if not exchange.is_dir():
        exchange.mkdir(parents=True)
        exchange.chmod(0o777)

    page_config = {"disabledExtensions": {name: student for name in INSTRUCTOR_LAB_EXTENSIONS}}
    server_extensions = {name: not student for name in INSTRUCTOR_SERVER_EXTENSIONS}
    server_extensions.update({name: True for name in STUDENT_SERVER_EXTENSIONS})
    server_config = {"ServerApp": {"jpserver_extensions": server_extensions}}
    _write_if_changed(
        config_dir / "labconfig" / "page_config.json", json.dumps(page_config, indent=2) + "\n"
    )
    _write_if_changed(
        config_dir / "jupyter_server_config.json", json.dumps(server_config, indent=2) + "\n"
    )
    nbgrader_config = (
        "# Written by `aecourse lab`; the course's own settings are in <repo>/nbgrader_config.py.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
    )
    _write_if_changed(config_dir / "nbgrader_config.py", nbgrader_config)
    return config_dir


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def lab_command(
    role: str,
    root: Path | None = None,
    port: int | None = None,
    open_browser: bool = True,
    token: str | None = None,
    extra_args: list[str] | None = None,
    grading: Path | None = None,
) -> tuple[list[str], dict[str, str], Path]:
    """Build ``(argv, env, cwd)`` that start JupyterLab for ``role`` on the course at ``root``.

    The student server serves ``<root>/notebooks``; the instructor's serves ``<root>``.
    ``token=None`` keeps Jupyter's own random token (printed in the log); ``grading``
    overrides the grading root (default: :func:`grading_root`).
    """
    _check_role(role)
    root = (Path(root) if root is not None else repo_root()).resolve()
    if not (root / "notebooks").is_dir():
        raise FileNotFoundError(
            f"no notebooks/ folder in {root}: pass --root with the course repository "
            "(the folder holding nbgrader_config.py and notebooks/)"
        )
    grading = Path(grading).resolve() if grading is not None else grading_root(root)
    config_dir = write_config_dir(role, grading)
    serve = root / "notebooks" if role == "student" else root

    env = dict(os.environ)
    paths = [str(config_dir)] + [
        p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p
    ]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    env["AECOURSE_GRADING_ROOT"] = str(grading)
    # Kernels inherit this: TensorFlow's C++ start-up lines would show as a red stderr block.
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    bindir = str(Path(sys.executable).parent)
    if bindir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")

    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={serve}"]
    if port is not None:
        argv.append(f"--port={int(port)}")
    if not open_browser:
        argv.append("--no-browser")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers and CI often run as root; Jupyter refuses that without the flag.
        argv.append("--allow-root")
    argv += list(extra_args or [])
    return argv, env, serve


def add_arguments(parser) -> None:
    """Options of ``aecourse lab``."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--student",
        dest="role",
        action="store_const",
        const="student",
        help="JupyterLab on notebooks/ without the instructor tools (default)",
    )
    who.add_argument(
        "--instructor",
        dest="role",
        action="store_const",
        const="instructor",
        help="JupyterLab at the repository root with formgrader and Create Assignment",
    )
    parser.set_defaults(role="student")
    parser.add_argument("--port", type=int, default=None, help="port (default: Jupyter's)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument(
        "--root", type=Path, default=None, help="course repository (default: this checkout)"
    )


def run(args) -> int:
    """Start JupyterLab in the foreground until stopped (Ctrl-C twice, or File > Shut Down)."""
    argv, env, cwd = lab_command(
        args.role, root=args.root, port=args.port, open_browser=not args.no_browser
    )
    state = env["AECOURSE_GRADING_ROOT"]
    print(f"aecourse lab: {args.role} set-up in {cwd} (nbgrader state in {state})", flush=True)
    if os.name == "posix":
        # Become the server: Ctrl-C then reaches Jupyter alone, which shuts its kernels down
        # (a parent killing the child on KeyboardInterrupt would orphan them).
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    proc = subprocess.Popen(argv, env=env, cwd=cwd)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # Jupyter got it too and asks for confirmation
            continue
