"""Run untrusted code: another user, private mount and network namespaces, rlimits.

As root (a grading server, CI, a container) :func:`wrap` turns a command into
``unshare --mount --net -- python -m aecourse.classgrader.sandbox --spec JSON -- CMD``.
The fresh network namespace has only a loopback device, down: no TCP/UDP at all (not
even to a database on localhost). The kernel talks to nbclient over ZMQ on Unix sockets
(``ipc``, files in the scratch folder), which cross network namespaces.
This launcher, still root but inside its own mount namespace, binds the
submission's scratch folder onto ``/mnt``, covers the hidden paths (sources with
hidden tests, the grading root with the gradebook and every other submission,
``.git``, ``/root``, ``/home``), ``/run`` (host daemons' Unix sockets) and the shared
temporary folders with empty tmpfs mounts, sets rlimits, drops to a numeric uid that
belongs to this one job slot, and execs ``CMD`` in ``/mnt`` with a scrubbed environment.
Without root it can only scrub the environment, change directory and set rlimits (say so).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import resource
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "SandboxSpec",
    "BASE_UID",
    "isolation_available",
    "wrap",
    "prepare_scratch",
    "kill_uid",
    "claim_uid",
    "SANDBOX_DIR",
    "IPC_NAME",
]

# Numeric uids with no passwd entry: nothing on the machine belongs to them.
BASE_UID = 61000
# Where the scratch folder appears inside the sandbox.
SANDBOX_DIR = "/mnt"
# The kernel's ZMQ sockets are the files ``<scratch>/k-<port>`` (Unix socket paths are short).
IPC_NAME = "k"
_SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/root", "/home")
# Unix sockets cross network namespaces: hide the host daemons' (PostgreSQL, D-Bus, Docker).
_DAEMON_SOCKETS = ("/run",)


@dataclass
class SandboxSpec:
    """What one sandboxed process may use (memory in bytes, CPU in seconds)."""

    scratch: str
    uid: int | None = None
    hide: list[str] = field(default_factory=list)
    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 600
    file_bytes: int = 64 * 2**20
    nproc: int = 1024
    connection_file: bool = False  # rewrite the kernel's ``-f FILE`` into the scratch folder


def isolation_available() -> bool:
    """True when a separate uid and private mount and network namespaces can be used."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None and os.name == "posix"


def prepare_scratch(path: Path, uid: int | None) -> Path:
    """Create an empty scratch folder owned by the sandbox uid (mode 0700)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / "tmp").mkdir()
    if uid is not None:
        for p in (path, path / "tmp"):
            os.chown(p, uid, uid)
    path.chmod(0o700)
    return path


def wrap(cmd: list[str], spec: SandboxSpec) -> list[str]:
    """The command that runs ``cmd`` inside the sandbox described by ``spec``."""
    # By path, not `-m`: importing the aecourse package would load TensorFlow first.
    launcher = [sys.executable, "-I", str(Path(__file__).resolve())]
    launcher += ["--spec", json.dumps(asdict(spec)), "--"]
    if spec.uid is not None:
        if not isolation_available():
            raise RuntimeError("a sandbox uid needs root and util-linux `unshare`")
        # --net: a network namespace of its own, nothing but a loopback device that is down.
        return ["unshare", "--mount", "--net", "--propagation", "private", "--", *launcher, *cmd]
    return [*launcher, *cmd]


_UID_LOCKS = (
    Path("/run/lock/aecourse-grade")
    if Path("/run/lock").is_dir()
    else Path("/tmp/aecourse-grade-uids")
)


@contextlib.contextmanager
def claim_uid(count: int = 1000):
    """Hold a sandbox uid that no other grading job (in any process) uses meanwhile.

    Each uid has a lock file; killing "every process of this uid" is then safe.
    """
    _UID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    for uid in range(BASE_UID, BASE_UID + count):
        fh = open(_UID_LOCKS / f"{uid}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        try:
            kill_uid(uid)  # leftovers of a grader that was itself killed
            yield uid
        finally:
            kill_uid(uid)
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()
        return
    raise RuntimeError(f"all {count} sandbox uids are in use")


def kill_uid(uid: int, rounds: int = 20) -> int:
    """SIGKILL every process whose real uid is ``uid`` (only sandbox slots own such uids)."""
    killed = 0
    for _ in range(rounds):
        found = False
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            for line in text.splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        found = True
                        try:
                            os.kill(int(status.parent.name), signal.SIGKILL)
                            killed += 1
                        except OSError:
                            pass
                    break
        if not found:
            break
        time.sleep(0.05)
    return killed


def _scrubbed_env(home: str) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": f"{home}/tmp",
        "IPYTHONDIR": f"{home}/.ipython",
        "JUPYTER_RUNTIME_DIR": f"{home}/tmp",
        "MPLCONFIGDIR": f"{home}/tmp",
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # Two cores are shared by parallel jobs: keep each sandbox to one math thread.
        "OMP_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
    }


_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC = 2, 4, 4096, 16384


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    # mount(2) directly: the util-linux tool would canonicalise /proc/self/fd/N away.
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _isolate(spec: SandboxSpec) -> str:
    """Inside a fresh mount namespace (as root): expose only the scratch folder."""
    _mount(spec.scratch, SANDBOX_DIR, None, _MS_BIND | _MS_REC, None)
    # The interpreter (pyenv in /root), the venv and the aecourse package (an editable
    # install in a checkout under /tmp, as in CI) may live under a hidden or covered
    # folder: keep exactly those reachable, not the checkout around them.
    keep = {
        Path(sys.base_prefix).resolve(),
        Path(sys.prefix).resolve(),
        Path(__file__).resolve().parents[1],
    }
    for path in [*_SHARED_WRITABLE, *_DAEMON_SOCKETS, *spec.hide]:
        p = Path(path)
        if p.is_dir():
            inner = [k for k in keep if p in k.parents]
            # O_PATH handles opened before the cover still reach the real folders.
            fds = {k: os.open(k, os.O_PATH) for k in inner}
            mode = "1777" if path in _SHARED_WRITABLE[:3] else "0755"
            _mount("tmpfs", str(p), "tmpfs", _MS_NOSUID | _MS_NODEV, f"size=64m,mode={mode}")
            for k, fd in fds.items():
                k.mkdir(parents=True, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", str(k), None, _MS_BIND | _MS_REC, None)
                os.close(fd)
        elif p.exists():
            _mount(os.devnull, str(p), None, _MS_BIND, None)
    return SANDBOX_DIR


def _set_limits(spec: SandboxSpec) -> None:
    limits = {
        resource.RLIMIT_AS: spec.memory_bytes,
        resource.RLIMIT_CPU: spec.cpu_seconds,
        resource.RLIMIT_FSIZE: spec.file_bytes,
        resource.RLIMIT_CORE: 0,
    }
    if spec.uid is not None:  # per-uid count: meaningful only for a uid of our own
        limits[resource.RLIMIT_NPROC] = spec.nproc
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="sandbox launcher (internal)")
    parser.add_argument("--spec", required=True)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    spec = SandboxSpec(**json.loads(args.spec))
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else list(args.cmd)
    if spec.connection_file and "-f" in cmd:
        # The kernel's connection file lives in the grader's private runtime folder.
        i = cmd.index("-f") + 1
        target = Path(spec.scratch) / "kernel-connection.json"
        info = json.loads(Path(cmd[i]).read_text())
        if info.get("transport") == "ipc":
            # The client reaches the scratch folder by its own path; the kernel binds
            # relative to its working folder (the scratch folder, /mnt when isolated).
            info["ip"] = IPC_NAME
        target.write_text(json.dumps(info))
        if spec.uid is not None:
            os.chown(target, spec.uid, spec.uid)
        target.chmod(0o600)
        cmd[i] = str(target)
    home = spec.scratch
    if spec.uid is not None:
        home = _isolate(spec)
        if spec.connection_file and "-f" in cmd:
            i = cmd.index("-f") + 1
            cmd[i] = f"{home}/kernel-connection.json"
    _set_limits(spec)
    if spec.uid is not None:
        os.setgroups([])
        os.setgid(spec.uid)
        os.setuid(spec.uid)
    os.chdir(home)
    # A write past RLIMIT_FSIZE should fail with an error, not kill the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.execve(cmd[0], cmd, _scrubbed_env(home))


if __name__ == "__main__":
    main()
