"""Helpers for the browser tests: a JupyterLab server for one test module, Chromium, notebooks.

Only tests/test_browser.py uses this; it starts servers with ``aecourse.lab.lab_command`` so
the tests exercise the same student and instructor set-ups as ``aecourse lab``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil

from aecourse.lab import lab_command

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "LabServer",
    "find_chromium",
    "free_port",
    "kernel_processes",
    "solved_copy",
]

CHROMIUM = "/usr/bin/chromium"
# No network chatter, no updates, no sandbox (containers run as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """Path of Debian's Chromium, or None when it is not installed.

    ``AECOURSE_CHROMIUM``, when set, is the only candidate (a wrong path means "missing").
    """
    override = os.environ.get("AECOURSE_CHROMIUM")
    candidates = [override] if override else [CHROMIUM, shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kernel_processes(kernel_ids) -> list[int]:
    """PIDs of live processes whose command line names one of ``kernel_ids``.

    A Jupyter kernel is started with ``-f .../kernel-<id>.json``, so its id is in argv.
    """
    ids = [k for k in kernel_ids if k]
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if any(f"kernel-{k}" in cmdline for k in ids):
            pids.append(int(proc.name))
    return pids


class LabServer:
    """One ``jupyter lab`` (student or instructor set-up) on a free port with a token.

    ``root`` is a course folder (``nbgrader_config.py``, ``solutions/``, ``notebooks/``) and
    ``grading`` its grading root; JupyterLab's settings and workspaces go to ``home`` so the
    user's own are neither read nor written.
    """

    def __init__(self, role: str, root: Path, grading: Path, home: Path, log: Path):
        self.role, self.root, self.grading, self.home, self.log = role, root, grading, home, log
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen | None = None
        self.kernel_ids: set[str] = set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        """URL of ``path`` with the token, which also logs the browser in (cookie)."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def start(self, timeout: float = 90.0) -> LabServer:
        settings = self.home / "settings"
        # Every cell in the DOM (no windowing), so the tests can read all outputs.
        tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True, exist_ok=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}))
        # No "get notified about Jupyter news?" toast over the screenshots.
        notes = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notes.parent.mkdir(parents=True, exist_ok=True)
        notes.write_text(json.dumps({"fetchNews": "false"}))
        argv, env, cwd = lab_command(
            self.role,
            root=self.root,
            port=self.port,
            open_browser=False,
            token=self.token,
            grading=self.grading,
            extra_args=["--ServerApp.ip=127.0.0.1", "--LabApp.news_url=None"],
        )
        env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(self.home / "workspaces")
        env["JUPYTER_RUNTIME_DIR"] = str(self.home / "runtime")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab ({self.role}) exited with {self.proc.returncode}; "
                    f"log:\n{self.log.read_text()[-3000:]}"
                )
            try:
                self.api("api/status")
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"jupyter lab ({self.role}) did not answer within {timeout:.0f} s")

    def api(self, path: str, method: str = "GET", data: dict | None = None):
        """Call the server's REST API; return the decoded JSON (or None when empty)."""
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(
            f"{self.base}/{path.lstrip('/')}",
            data=body,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text.strip() else None

    def remember_kernels(self) -> list[dict]:
        """Current kernels (and remember their ids for the no-leftover check)."""
        kernels = self.api("api/kernels")
        self.kernel_ids.update(k["id"] for k in kernels)
        return kernels

    def stop(self, timeout: float = 30.0) -> list[int]:
        """Shut the server down the way its UI does; return PIDs of kernels left behind.

        Left behind: a process started by the server (a notebook kernel, or one nbgrader
        started to validate or autograde) still alive after the server exited.
        """
        if self.proc is None:
            return []
        children = []
        if self.proc.poll() is None:
            try:
                children = psutil.Process(self.proc.pid).children(recursive=True)
            except psutil.Error:
                pass
            try:
                self.remember_kernels()
                self.api("api/shutdown", method="POST")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=10)
        self.proc = None
        # Kernels die asynchronously after the shutdown request; give them a moment.
        deadline = time.monotonic() + 10
        while True:
            left = set(kernel_processes(self.kernel_ids))
            left.update(p.pid for p in children if _alive(p))
            if not left or time.monotonic() > deadline:
                return sorted(left)
            time.sleep(0.3)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def solved_copy(release: Path, source: Path, out: Path) -> Path:
    """Write ``release`` with every solution cell replaced by ``source``'s code (a solved copy).

    The ``### BEGIN/END SOLUTION`` marker lines are dropped, as a student would not type them.
    """
    nb = nbformat.read(release, as_version=4)
    solutions = {}
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [
                line
                for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            ]
            solutions[meta["grade_id"]] = "\n".join(lines)
    replaced = 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
            replaced += 1
    if replaced == 0:
        raise ValueError(f"no solution cells of {source} match the cells of {release}")
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out
