"""`aecourse grade`: robust class grading (issue 4).

Fast unit tests cover the pieces (notebook repair, the atomic gradebook write, the output
cap, the re-check's judgement, the sandbox). The slow tests grade the adversarial class of
tests/adversarial/ in one batch (--jobs 2, shared by a module fixture) and re-grade a small
class after a broken resubmission.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from adversarial import (
    ALL_TESTS,
    ASSIGNMENT,
    CASES,
    NOTEBOOK,
    WRONG_LINEAR,
    Case,
    Context,
    build_all,
    filled,
    ref,
)

from aecourse import course
from aecourse.classgrader import database, gradebook, prepare, recheck, report, runner, sandbox

REPO = Path(__file__).resolve().parents[1]
BUDGET = 90  # seconds per submission: the hang case ends here
needs_root = pytest.mark.skipif(
    not sandbox.isolation_available(), reason="the sandbox needs root and unshare"
)


# --- helpers -------------------------------------------------------------------------------


def _release(grading: Path, assignment: str = ASSIGNMENT) -> dict:
    """The real student notebook (notebooks/ when generated), and a gradebook that has it."""
    out = grading / "release"
    course.nbgrader(
        "generate_assignment",
        assignment,
        "--force",
        f"--CourseDirectory.release_directory={out}",
        grading=grading,
    )
    released = course.release_path(assignment)
    notebook = course.notebook_name(assignment) + ".ipynb"
    return course.read_json(released if released.is_file() else out / assignment / notebook)


def _new_course(tmp: Path) -> Context:
    tmp.mkdir(parents=True, exist_ok=True)
    release = _release(tmp)  # also creates the gradebook with the assignment
    solution = course.read_json(course.solution_path(ASSIGNMENT))
    return Context(release, solution, REPO, tmp)


def _points(release: dict) -> dict[str, float]:
    out = {}
    for cell in release["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            out[meta["grade_id"]] = float(meta["points"])
    return out


def _grade_cli(
    grading: Path, *args: str, timeout: float = 1500, assignment: str = ASSIGNMENT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aecourse.cli", "grade", assignment, *args],
        cwd=REPO,
        env=course.venv_env({"AECOURSE_GRADING_ROOT": str(grading)}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class _Trap:
    """A server (TCP on 127.0.0.1, or a Unix socket) that counts the connections it accepts."""

    def __init__(self, unix_path: Path | None = None):
        if unix_path is None:
            self.sock = socket.create_server(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(str(unix_path))
            unix_path.chmod(0o777)  # only hiding may keep the sandbox uid out
            self.sock.listen()
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.accepted += 1
            conn.close()

    def close(self) -> int:
        # shutdown() wakes the accept() of the serving thread.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
        return self.accepted


def _rows(url: str, exclude: str) -> list[tuple]:
    """Every gradebook row of a submission by someone other than ``exclude`` (any database)."""
    import sqlalchemy as sa

    sub = "SELECT id FROM submitted_assignment WHERE student_id != :s"
    nbs = f"SELECT id FROM submitted_notebook WHERE assignment_id IN ({sub})"
    queries = [
        ("submitted_assignment", f"SELECT * FROM submitted_assignment WHERE id IN ({sub})"),
        ("submitted_notebook", f"SELECT * FROM submitted_notebook WHERE id IN ({nbs})"),
        ("grade", f"SELECT * FROM grade WHERE notebook_id IN ({nbs})"),
        ("comment", f"SELECT * FROM comment WHERE notebook_id IN ({nbs})"),
    ]
    engine = sa.create_engine(database.check(url))
    with engine.connect() as con:
        rows = [
            (table, *r)
            for table, q in queries
            for r in con.execute(sa.text(q + " ORDER BY 1"), {"s": exclude})
        ]
    engine.dispose()
    return rows


# --- unit tests (fast) ------------------------------------------------------------------------


def _tiny_release() -> dict:
    def cell(gid, src, **meta):
        base = {
            "grade": False,
            "solution": False,
            "locked": True,
            "grade_id": gid,
            "schema_version": 3,
        }
        base.update(meta)
        return {
            "cell_type": "code",
            "metadata": {"nbgrader": base},
            "source": src,
            "outputs": [],
            "execution_count": None,
        }

    return {
        "cells": [
            cell("t-setup", "import numpy as np"),
            cell(
                "t-f-solution",
                "def f(x):\n    raise NotImplementedError()",
                solution=True,
                locked=False,
            ),
            cell("t-f", "assert f(1) == 2", grade=True, points=1),
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_repair_dedupes_restores_and_drops_unknown_ids():
    release = _tiny_release()
    sub = json.loads(json.dumps(release))
    sub["cells"][1]["source"] = "def f(x):\n    return 2 * x"
    dup = json.loads(json.dumps(sub["cells"][2]))
    del sub["cells"][0]["metadata"]["nbgrader"]  # stripped setup metadata
    sub["cells"].append(dup)  # copied test cell
    fake = json.loads(json.dumps(sub["cells"][2]))
    fake["metadata"]["nbgrader"]["grade_id"] = "my-own-test"
    sub["cells"].append(fake)
    out = prepare.repair(sub, release)
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in out.notebook["cells"]]
    assert ids.count("t-f") == 1 and ids[-2] == "t-f"  # the last copy of a test cell is kept
    assert ids[0] == "t-setup" and "my-own-test" not in ids
    assert any("duplicate grade_id t-f" in n for n in out.notes)
    assert any("restored nbgrader metadata of t-setup" in n for n in out.notes)
    assert len({c["id"] for c in out.notebook["cells"]}) == len(out.notebook["cells"])


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({}, "missing notebook"),
        ({"other.ipynb": "{}"}, "renamed notebook: nb.ipynb is missing, found other.ipynb"),
        ({"nb.ipynb": '{"cells": ['}, "not valid JSON"),
        ({"nb.ipynb": '{"cells": 3, "nbformat": 4}'}, "no list of cells"),
        ({"nb.ipynb": '{"cells": [], "nbformat": 3}'}, "nbformat 3"),
    ],
)
def test_load_submission_names_the_problem(tmp_path, files, reason):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(prepare.Unreadable, match=reason.replace("(", r"\(")):
        prepare.load_submission(tmp_path, "nb.ipynb")


def _tiny_gradebook(tmp_path: Path) -> str:
    from nbgrader.api import Gradebook

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        for name in ("c1", "c2"):
            gb.add_grade_cell(name, "nb", "a1", max_score=1, cell_type="code")
        for student in ("amy", "bob"):
            gb.add_student(student)
    return url


def test_replace_submission_is_all_or_nothing(tmp_path):
    url = _tiny_gradebook(tmp_path)
    full = {"nb": {"c1": {"auto_score": 1}, "c2": {"auto_score": 1}}}
    gradebook.replace_submission(url, "a1", "amy", full, flagged=False)
    gradebook.replace_submission(url, "a1", "bob", full, flagged=False)
    before = _rows(url, exclude="nobody")
    bob = _rows(url, exclude="amy")
    # A failing write (a score that is not a number, met after c1 was set) changes nothing.
    broken = {"nb": {"c1": {"auto_score": 0}, "c2": {"auto_score": "lots"}}}
    with pytest.raises(ValueError):
        gradebook.replace_submission(url, "a1", "amy", broken, flagged=True)
    assert _rows(url, exclude="nobody") == before
    # A resubmission with no scores keeps no old points.
    gradebook.replace_submission(url, "a1", "amy", {}, flagged=False)
    scores = gradebook.read_scores(url, "a1", "amy")["nb"]
    assert {k: v["auto_score"] for k, v in scores.items()} == {"c1": 0.0, "c2": 0.0}
    assert _rows(url, exclude="amy") == bob
    with pytest.raises(LookupError, match="not in the gradebook"):
        gradebook.replace_submission(url, "a9", "amy", {}, flagged=False)


def test_backup_copies_the_gradebook(tmp_path):
    url = _tiny_gradebook(tmp_path)
    path = gradebook.backup(url, tmp_path / "backups")
    assert path is not None and path.name.startswith("gradebook-")
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM student").fetchone() == (2,)
    assert gradebook.backup("postgresql://h/db", tmp_path / "b2") is None


def test_cap_outputs_cuts_bytes_and_forgives_stderr():
    import nbformat

    from aecourse.classgrader.nbhooks import CapOutputs

    cell = nbformat.v4.new_code_cell("print(...)")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "x", "points": 1}
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="y" * 5_000_000),
        nbformat.v4.new_output("stream", name="stderr", text="warning"),
    ]
    out, _ = CapOutputs(max_bytes=1000).preprocess_cell(cell, {}, 0)
    assert len(out.outputs[0].text.encode()) < 1200
    assert "bytes dropped" in out.outputs[0].text
    assert out.outputs[1].name == "stdout" and "warning" in out.outputs[1].text


def test_judge_forbidden_calls_and_death():
    job = {
        "exercises": {
            "01-linear": {"function_name": "linear", "forbidden": [], "seed": 3},
            "01-neuron": {"function_name": "neuron", "forbidden": [], "seed": 3},
        }
    }
    from aecourse.grading import REGISTRY, load_lessons

    load_lessons()
    ex = REGISTRY["01-linear"]
    good = [
        {"s": list(a.shape), "d": a.reshape(-1).tolist()}
        for a in (
            __import__("numpy").asarray(ex.reference(*args), dtype=float)
            for args in ex.cases(__import__("numpy").random.default_rng(3))
        )
    ]
    events = [
        {
            "event": "exercise",
            "grade_id": "01-linear",
            "outputs": good,
            "forbidden_calls": ["aecourse.neurons.linear"],
        },
        {"event": "exercise-start", "grade_id": "01-neuron"},
    ]
    v = recheck.judge(events, job, "the process was killed by SIGSEGV")
    assert (
        not v["01-linear"].passed and "reference aecourse.neurons.linear" in v["01-linear"].message
    )
    assert not v["01-neuron"].ran and "SIGSEGV" in v["01-neuron"].message
    events[0]["forbidden_calls"] = []
    assert recheck.judge(events, job, None)["01-linear"].passed
    events[0]["outputs"] = good[:-1]
    assert not recheck.judge(events, job, None)["01-linear"].passed


@needs_root
def test_sandbox_hides_paths_and_drops_privileges(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "hidden.txt").write_text("hidden tests")
    spec = sandbox.SandboxSpec(
        scratch=str(tmp_path / "scratch"), uid=sandbox.BASE_UID + 7, hide=[str(secret)]
    )
    sandbox.prepare_scratch(Path(spec.scratch), spec.uid)
    code = (
        "import os\nprint(os.getuid(), os.getcwd())\n"
        f"print(os.path.exists({str(secret / 'hidden.txt')!r}))\n"
        "open('mine.txt', 'w').write('ok')\n"
        f"try:\n    open({str(REPO / 'ESCAPED-unit')!r}, 'w')\nexcept OSError as e:\n"
        "    print('denied')\n"
    )
    proc = subprocess.run(
        sandbox.wrap([sys.executable, "-I", "-c", code], spec),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(spec.uid), sandbox.SANDBOX_DIR, "False", "denied"]
    assert (Path(spec.scratch) / "mine.txt").read_text() == "ok"
    assert not (REPO / "ESCAPED-unit").exists()


def test_sandbox_command_cuts_the_network(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "isolation_available", lambda: True)
    spec = sandbox.SandboxSpec(scratch=str(tmp_path), uid=sandbox.BASE_UID + 7)
    cmd = sandbox.wrap(["true"], spec)
    unshare = cmd[: cmd.index("--")]
    assert unshare[0] == "unshare" and {"--mount", "--net"} <= set(unshare)
    assert cmd[-1] == "true"
    # Without a uid (no root) there is nothing to unshare: the summary says the network stays.
    assert "unshare" not in sandbox.wrap(["true"], sandbox.SandboxSpec(scratch=str(tmp_path)))


def test_kernel_manager_speaks_ipc_on_short_paths(tmp_path, monkeypatch):
    from aecourse.classgrader.nbhooks import SPEC_ENV, SandboxKernelManager

    deep = tmp_path / ("d" * 120)  # longer than a Unix socket path may be
    deep.mkdir()
    monkeypatch.setenv(SPEC_ENV, json.dumps({"scratch": str(deep)}))
    km = SandboxKernelManager(kernel_name="python3")
    assert km.transport == "ipc" and len(km.ip) < 40
    Path(f"{km.ip}-1").write_text("socket")  # the client's path is the scratch folder
    assert (deep / f"{sandbox.IPC_NAME}-1").read_text() == "socket"
    monkeypatch.delenv(SPEC_ENV)
    with pytest.raises(RuntimeError, match=f"{SPEC_ENV} is not set"):
        print(SandboxKernelManager(kernel_name="python3").ip)


@needs_root
def test_sandbox_has_no_network(tmp_path):
    import errno
    import tempfile

    trap = _Trap()
    # A daemon's Unix socket under /run (as PostgreSQL's): not a network, so hidden instead.
    run_dir = Path(tempfile.mkdtemp(prefix="aecourse-test-", dir="/run"))
    run_dir.chmod(0o755)
    unix_trap = _Trap(run_dir / "s")
    spec = sandbox.SandboxSpec(scratch=str(tmp_path / "scratch"), uid=sandbox.BASE_UID + 7)
    sandbox.prepare_scratch(Path(spec.scratch), spec.uid)
    code = (
        "import socket\n"
        f"for addr in [('127.0.0.1', {trap.port}), ('1.1.1.1', 53), {str(run_dir / 's')!r}]:\n"
        "    try:\n"
        "        if isinstance(addr, str):\n"
        "            socket.socket(socket.AF_UNIX).connect(addr)\n"
        "        else:\n"
        "            socket.create_connection(addr, timeout=5)\n"
        "        print('reached')\n"
        "    except OSError as e:\n        print(e.errno)\n"
    )
    try:
        proc = subprocess.run(
            sandbox.wrap([sys.executable, "-I", "-c", code], spec),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        accepted = trap.close() + unix_trap.close()
        shutil.rmtree(run_dir)
    assert proc.returncode == 0, proc.stderr
    assert accepted == 0
    assert proc.stdout.split() == [str(errno.ENETUNREACH)] * 2 + [str(errno.ENOENT)]


def test_cli_rejects_bad_arguments(tmp_path):
    import argparse

    from aecourse.classgrader import cli

    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    os.environ["AECOURSE_GRADING_ROOT"] = str(tmp_path)
    try:
        assert cli.run(p.parse_args([ASSIGNMENT, "--jobs", "0"])) == 2
        assert cli.run(p.parse_args(["99_nothing", "--submitted", str(tmp_path)])) == 2
    finally:
        del os.environ["AECOURSE_GRADING_ROOT"]


def test_report_csv_has_reason_and_flag(tmp_path):
    outs = [
        runner.Outcome("amy", 7, 7, "all tests passed"),
        runner.Outcome("bob", 3, 7, "01-linear: differs", needs_look=True),
    ]
    batch = runner.Batch("a1", outs, None, "test", 1.0)
    rows = list(csv.DictReader(open(report.write_csv(batch, tmp_path / "r.csv"))))
    assert [(r["student"], r["needs_look"], r["reason"]) for r in rows] == [
        ("amy", "no", "all tests passed"),
        ("bob", "yes", "01-linear: differs"),
    ]
    assert report.exit_status(batch) == 1
    assert "1 flagged for a look" in report.summary(batch)


# --- the adversarial class (slow) --------------------------------------------------------------

# The network cases connect to a server the fixture opens on 127.0.0.1 (its port is only
# known then) or to the outside; a connection that works turns 01-linear wrong.
_TRAP_PORT = {"port": 0}

NET_TRY = (
    """
import socket as _so
_reached = []
for _host, _port in {targets!r}:
    try:
        for *_, _addr in _so.getaddrinfo(_host, _port, type=_so.SOCK_STREAM)[:2]:
            _so.create_connection(_addr[:2], timeout=5).close()
            _reached.append(_addr)
    except OSError:
        pass
if _reached:
"""
    + "\n".join("    " + line for line in WRONG_LINEAR.splitlines())
    + "\n"
)


def _net_case(name: str, targets) -> Case:
    def build(ctx):
        where = [(h, _TRAP_PORT["port"] if p is None else p) for h, p in targets]
        code = ref(ctx, "01-linear-solution") + NET_TRY.format(targets=where)
        return {NOTEBOOK: filled(ctx, **{"01-linear-solution": code})}

    return Case(name, build, frozenset(), "all tests passed", False)


NET_CASES = [
    _net_case("connect-localhost", [("127.0.0.1", None), ("localhost", None)]),
    # pypi.org: a registry this machine may reach; 1.1.1.1: a literal outside address.
    _net_case("connect-outside", [("pypi.org", 443), ("1.1.1.1", 53)]),
]


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory):
    """Grade every crafted submission in one batch (--jobs 2), once per test run.

    Under pytest-xdist the workers share the result: the first one grades (holding a file
    lock) and writes it to a folder beside the workers' temporary folders.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root = shared / "classgrader-adversarial"
    done = shared / "classgrader-adversarial.json"
    with open(shared / "classgrader-adversarial.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            ctx = _new_course(root)
            trap = _Trap()
            try:
                _TRAP_PORT["port"] = trap.port
                build_all(ctx, root / "submitted", [*CASES, *NET_CASES])
                proc = _grade_cli(root, "--jobs", "2", "--budget", str(BUDGET))
            finally:
                accepted = trap.close()
            result = {
                "returncode": proc.returncode,
                "stdout": proc.stdout,
                "stderr": proc.stderr,
                "points": _points(ctx.release),
                "accepted": accepted,
            }
            done.write_text(json.dumps(result))
    result = json.loads(done.read_text())
    records = {
        p.stem: json.loads(p.read_text())
        for p in (root / "aecourse-grade" / ASSIGNMENT).glob("*.json")
    }
    proc = subprocess.CompletedProcess([], result["returncode"], result["stdout"], result["stderr"])
    return {
        "root": root,
        "proc": proc,
        "records": records,
        "points": result["points"],
        "accepted": result["accepted"],
    }


def _check_case(adversarial, case: Case) -> None:
    rec = adversarial["records"].get(case.name)
    assert rec is not None, adversarial["proc"].stdout[-3000:] + adversarial["proc"].stderr[-3000:]
    points = adversarial["points"]
    assert set(points) == ALL_TESTS
    expected = sum(p for gid, p in points.items() if gid not in case.failing)
    assert rec["score"] == expected, rec["reason"]
    assert case.reason.lower() in rec["reason"].lower(), rec["reason"]
    if case.needs_look is not None:
        assert rec["needs_look"] is case.needs_look, rec["reason"]
    # Every test cell is in the gradebook with the same score (nothing stays ungraded).
    url = f"sqlite:///{adversarial['root'] / 'gradebook.db'}"
    cells = gradebook.read_scores(url, ASSIGNMENT, case.name)["neurons"]
    got = {gid: cells[gid]["auto_score"] for gid in points}
    assert got == {gid: (0.0 if gid in case.failing else points[gid]) for gid in points}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_adversarial_case(adversarial, case):
    _check_case(adversarial, case)


@pytest.mark.slow
@needs_root
@pytest.mark.parametrize("case", NET_CASES, ids=[c.name for c in NET_CASES])
def test_adversarial_network_is_cut(adversarial, case):
    # Both the kernel and the re-check ran the connection attempts: neither got through.
    assert adversarial["accepted"] == 0
    _check_case(adversarial, case)


@pytest.mark.slow
def test_adversarial_batch_summary_csv_and_backup(adversarial):
    proc, root = adversarial["proc"], adversarial["root"]
    assert proc.returncode == 1, proc.stderr[-2000:]  # graded, some flagged for a look
    assert "flagged for a look" in proc.stdout
    if sandbox.isolation_available():
        assert "private mount namespace, no network" in proc.stdout
    else:
        assert "the network is NOT cut" in proc.stdout
    rows = list(csv.DictReader(open(root / "reports" / f"{ASSIGNMENT}.csv")))
    assert {r["student"] for r in rows} == {c.name for c in [*CASES, *NET_CASES]}
    assert all(r["reason"] and r["needs_look"] in ("yes", "no") for r in rows)
    assert list((root / "backups").glob("gradebook-*.db"))


@pytest.mark.slow
def test_adversarial_nothing_escaped(adversarial):
    root = adversarial["root"]
    assert not (REPO / "ESCAPED-aecourse").exists()
    assert not (root / "ESCAPED").exists()
    assert not Path("/tmp/ESCAPED-aecourse-grade").exists()
    con = sqlite3.connect(root / "gradebook.db")
    assert con.execute("SELECT max(auto_score) FROM grade").fetchone()[0] <= 2.0


@pytest.mark.slow
def test_adversarial_outputs_capped_and_feedback_clean(adversarial):
    root = adversarial["root"]
    graded = root / "autograded" / "print-30mb" / ASSIGNMENT / NOTEBOOK
    assert graded.stat().st_size < 2_000_000
    feedback = list((root / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert len(feedback) >= 10
    for html in feedback:
        text = html.read_text()
        assert "AECOURSE-HIDDEN-TEST" not in text and "BEGIN HIDDEN TESTS" not in text
    report_txt = root / "feedback" / "patch-allclose" / ASSIGNMENT / "aecourse-grading.txt"
    text = report_txt.read_text()
    assert "FAIL 01-linear" in text and "PASS 01-neuron" in text


# --- re-grading a class (slow) ------------------------------------------------------------------


@pytest.mark.slow
def test_regrade_after_broken_resubmission(tmp_path, monkeypatch):
    ctx = _new_course(tmp_path)
    mistakes = course.lesson_mistakes(ASSIGNMENT)
    sources = course.reference_sources(ctx.solution)
    name, wrong = next(iter(mistakes.items()))
    class_ = {
        "ann": course.fill_release(ctx.release, sources),
        "ben": course.fill_release(ctx.release, {**sources, **wrong}),
        "cat": course.fill_release(ctx.release, sources),
    }
    for student, notebook in class_.items():
        folder = tmp_path / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        course.write_json(folder / NOTEBOOK, notebook)
    proc = _grade_cli(tmp_path, "--jobs", "2", "--budget", str(BUDGET))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    total = sum(_points(ctx.release).values())

    def score(student):
        cells = gradebook.read_scores(url, ASSIGNMENT, student)["neurons"]
        return sum(c["auto_score"] for c in cells.values() if "max_score" in c)

    assert score("cat") == total and score("ann") == total and score("ben") < total
    before = _rows(url, exclude="cat")
    cat_before = _rows(url, exclude="nobody")

    # cat resubmits: every test deleted and nothing answered.
    broken = json.loads(json.dumps(ctx.release))
    broken["cells"] = [
        c for c in broken["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")
    ]
    course.write_json(tmp_path / "submitted" / "cat" / ASSIGNMENT / NOTEBOOK, broken)

    # A re-grade that crashes while writing leaves the previous result as it was.
    monkeypatch.setenv("AECOURSE_GRADING_ROOT", str(tmp_path))

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gradebook, "replace_submission", crash)
    opts = runner.Options(
        ASSIGNMENT, REPO, tmp_path, tmp_path / "submitted", url, ["cat"], budget=BUDGET
    )
    batch = runner.grade_class(opts)
    assert batch.outcomes[0].status == "error" and "disk full" in batch.outcomes[0].reason
    assert report.exit_status(batch) == 3
    assert _rows(url, exclude="nobody") == cat_before
    monkeypatch.undo()

    proc = _grade_cli(tmp_path, "--student", "cat", "--budget", str(BUDGET))
    assert score("cat") == 0.0, proc.stdout[-3000:]
    assert _rows(url, exclude="cat") == before  # everyone else byte-identical


@pytest.mark.slow
@needs_root
@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_every_lesson_reference_full_marks_and_release_zero(tmp_path, assignment):
    """`aecourse grade` on each real lesson: the re-check agrees with nbgrader on both ends."""
    grading = tmp_path / "grading"
    release = _release(grading, assignment)
    reference = course.fill_release(
        release, course.reference_sources(course.read_json(course.solution_path(assignment)))
    )
    name = course.notebook_name(assignment) + ".ipynb"
    for student, nb in (("reference", reference), ("untouched", release)):
        folder = grading / "submitted" / student / assignment
        folder.mkdir(parents=True)
        course.write_json(folder / name, nb)
    out = _grade_cli(grading, "--jobs", "2", timeout=900, assignment=assignment)
    assert out.returncode == 0, out.stdout + out.stderr
    with open(grading / "reports" / f"{assignment}.csv") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    ref, blank = rows["reference"], rows["untouched"]
    assert float(ref["score"]) == float(ref["max_score"]) > 0, ref
    assert float(blank["score"]) == 0, blank
    assert "not written yet" in blank["reason"], blank
    assert ref["needs_look"] == "no", ref
