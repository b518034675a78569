"""`aecourse grade --db-url postgresql://...` against a real, throwaway PostgreSQL server.

The server is Debian's (``apt-get install -y postgresql``): initdb into a fresh folder, a
Unix socket only (no TCP), trust authentication, stopped and removed at teardown. As root it
runs as the ``postgres`` system user, since PostgreSQL refuses to run as root. Without the
binaries these tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import test_classgrader as tc
from adversarial import ASSIGNMENT, NOTEBOOK

from aecourse import course
from aecourse.classgrader import cli, database, gradebook

INSTALL = "apt-get install -y postgresql (Debian puts it in /usr/lib/postgresql/15/bin)"


def _pg_bin() -> Path | None:
    """The folder of initdb/pg_ctl: $AECOURSE_PG_BIN, Debian's newest, or PATH."""
    env = os.environ.get("AECOURSE_PG_BIN")
    candidates = [Path(env)] if env else []
    candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))][
        ::-1
    ]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for folder in candidates:
        if all((folder / exe).is_file() for exe in ("initdb", "pg_ctl", "pg_restore")):
            return folder
    return None


class PgServer:
    """A throwaway cluster: ``url(db)`` for SQLAlchemy, ``libpq(db)`` for the pg_* tools."""

    def __init__(self, bin_dir: Path, folder: Path, user: str | None):
        self.bin, self.folder, self.user = bin_dir, folder, user

    def run(self, exe: str, *args: str, as_owner: bool = False) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / exe), *args]
        if as_owner and self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stdout}{proc.stderr}"
        return proc

    def url(self, db: str) -> str:
        return f"postgresql://postgres@/{db}?host={self.folder}"

    def libpq(self, db: str) -> str:
        return f"--dbname=postgresql://postgres@/{db}?host={self.folder}"

    def createdb(self, name: str) -> str:
        self.run("createdb", "-h", str(self.folder), "-U", "postgres", name)
        return self.url(name)


@pytest.fixture(scope="module")
def pg():
    """Start a PostgreSQL server on a Unix socket in a temporary folder; stop it afterwards."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        msg = f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; .ci/run should have installed them")
        pytest.skip(msg)
    user = None
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = "postgres" if _has_user("postgres") else "nobody"
    # Not tmp_path: pytest's base folder is 0700 (the server's user could not enter it) and
    # too deep for a socket path (107 bytes at most).
    folder = Path(tempfile.mkdtemp(prefix="aecourse-pg-"))
    if user:
        shutil.chown(folder, user)
    server = PgServer(bin_dir, folder, user)
    data = folder / "data"
    server.run(
        "initdb",
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
        as_owner=True,
    )
    opts = f"-k {folder} -c listen_addresses= -c fsync=off -c full_page_writes=off"
    log = folder / "server.log"
    server.run("pg_ctl", "-D", str(data), "-l", str(log), "-o", opts, "-w", "start", as_owner=True)
    try:
        yield server
    finally:
        subprocess.run(
            ["runuser", "-u", user, "--"] * bool(user)
            + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _csv(root: Path) -> list[dict]:
    with open(root / "reports" / f"{ASSIGNMENT}.csv") as fh:
        return list(csv.DictReader(fh))


def _run_cli(monkeypatch, capsys, root: Path, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("AECOURSE_GRADING_ROOT", str(root))
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    code = cli.run(parser.parse_args([ASSIGNMENT, *args]))
    return code, capsys.readouterr().err


# --- errors (fast) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://postgres@/aecourse?host=/nonexistent-aecourse", "start the server"),
        ("postgres://grader@localhost/aecourse", "write postgresql://"),
        ("mysql://grader@localhost/aecourse", "pip install"),
        ("gradebook.db", "not a database URL"),
    ],
    ids=["server-down", "postgres-scheme", "no-driver", "not-a-url"],
)
def test_unusable_database_stops_before_anything_is_written(
    tmp_path, monkeypatch, capsys, url, message
):
    (tmp_path / "submitted" / "amy" / ASSIGNMENT).mkdir(parents=True)
    root = tmp_path / "grading"
    code, err = _run_cli(
        monkeypatch, capsys, root, "--db-url", url, "--submitted", str(tmp_path / "submitted")
    )
    assert code == 2, err
    assert message in err and "nothing was graded or changed" in err, err
    assert not root.exists()  # no backup, no scratch folder, no report


def test_unknown_database_names_createdb(pg, tmp_path, monkeypatch, capsys):
    (tmp_path / "submitted" / "amy" / ASSIGNMENT).mkdir(parents=True)
    code, err = _run_cli(
        monkeypatch,
        capsys,
        tmp_path / "grading",
        "--db-url",
        pg.url("no_such_db"),
        "--submitted",
        str(tmp_path / "submitted"),
    )
    assert code == 2 and "no_such_db" in err and "does not exist" in err and "createdb" in err


def test_password_stays_off_command_lines():
    url, env = database.for_subprocess("postgresql+psycopg://grader:s3cret@db:5433/aecourse")
    assert "s3cret" not in url and env == {"PGPASSWORD": "s3cret"}
    assert url.startswith("postgresql+psycopg://grader@db:5433/aecourse")
    assert database.for_subprocess("sqlite:////x/gradebook.db") == ("sqlite:////x/gradebook.db", {})


def test_backup_refused_without_pg_dump_and_restores_when_present(pg, tmp_path, monkeypatch):
    url = tc._tiny_gradebook(tmp_path)  # a SQLite gradebook with two students ...
    pg_url = pg.createdb("backup_unit")
    from nbgrader.api import Gradebook

    with Gradebook(database.check(pg_url)) as gb:  # ... and the same in PostgreSQL
        gb.add_assignment("a1")
        for student in ("amy", "bob"):
            gb.add_student(student)
    monkeypatch.setattr(database, "pg_dump_path", lambda: None)
    with pytest.raises(database.BackupError, match="pg_dump not found.*--no-backup"):
        database.backup(pg_url, tmp_path / "backups")
    monkeypatch.undo()
    monkeypatch.setenv("AECOURSE_PG_DUMP", "/bin/false")
    with pytest.raises(database.BackupError, match="failed.*--no-backup"):
        database.backup(pg_url, tmp_path / "backups")
    assert not list((tmp_path / "backups").glob("*"))  # no half-written dump left behind
    monkeypatch.delenv("AECOURSE_PG_DUMP")
    dump = database.backup(pg_url, tmp_path / "backups")
    assert dump.name.startswith("gradebook-") and dump.suffix == ".dump"
    restored = pg.createdb("backup_unit_restored")
    pg.run("pg_restore", pg.libpq("backup_unit_restored"), "--no-owner", str(dump))
    with Gradebook(database.check(restored)) as gb:
        assert sorted(s.id for s in gb.students) == ["amy", "bob"]
    # SQLite keeps its own backup, named the same way.
    assert database.backup(url, tmp_path / "backups").suffix == ".db"


# --- a small class graded in PostgreSQL and in SQLite (slow) --------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader-class")
def test_postgres_grades_like_sqlite_and_regrade_keeps_others(pg, tmp_path, monkeypatch):
    lite = tmp_path / "sqlite"
    ctx = tc._new_course(lite)
    sources = course.reference_sources(ctx.solution)
    wrong = next(iter(course.lesson_mistakes(ASSIGNMENT).values()))
    submitted = lite / "submitted"
    for student, nb in {
        "ann": course.fill_release(ctx.release, sources),
        "ben": course.fill_release(ctx.release, {**sources, **wrong}),
    }.items():
        (submitted / student / ASSIGNMENT).mkdir(parents=True)
        course.write_json(submitted / student / ASSIGNMENT / NOTEBOOK, nb)
    budget = str(tc.BUDGET)

    proc = tc._grade_cli(lite, "--jobs", "2", "--budget", budget)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    url = pg.createdb("gradebook")
    root = tmp_path / "pg"
    common = ("--db-url", url, "--submitted", str(submitted), "--budget", budget)
    proc = tc._grade_cli(root, "--jobs", "2", *common)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

    # Same scores, cell by cell, and the same report; the full solution earns every point.
    lite_url = f"sqlite:///{lite / 'gradebook.db'}"
    total = sum(tc._points(ctx.release).values())
    for student in ("ann", "ben"):
        cells = gradebook.read_scores(url, ASSIGNMENT, student)
        assert cells == gradebook.read_scores(lite_url, ASSIGNMENT, student), student
        got = sum(c["auto_score"] for c in cells["neurons"].values() if "max_score" in c)
        assert got == total if student == "ann" else got < total, (student, got)
    # The reasons name cases drawn from a per-run seed, so only the verdicts must agree.
    verdict = ("student", "score", "max_score", "status", "needs_look")
    assert [[r[k] for k in verdict] for r in _csv(root)] == [
        [r[k] for k in verdict] for r in _csv(lite)
    ]
    dumps = list((root / "backups").glob("gradebook-*.dump"))
    assert len(dumps) == 1 and "gradebook backup: " + str(dumps[0]) in proc.stdout
    assert list((root / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))

    # ann resubmits a notebook with every test deleted.
    broken = json.loads(json.dumps(ctx.release))
    broken["cells"] = [
        c for c in broken["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")
    ]
    course.write_json(submitted / "ann" / ASSIGNMENT / NOTEBOOK, broken)
    everything, ben = tc._rows(url, exclude="nobody"), tc._rows(url, exclude="ann")

    # pg_dump fails: nothing is graded, nothing changes, and the message says what to do.
    monkeypatch.setenv("AECOURSE_PG_DUMP", "/bin/false")
    proc = tc._grade_cli(root, "--student", "ann", *common)
    assert proc.returncode == 2 and "pg_dump" in proc.stderr and "--no-backup" in proc.stderr
    assert tc._rows(url, exclude="nobody") == everything

    # The explicit opt-out grades without a backup; only ann's rows change.
    proc = tc._grade_cli(root, "--student", "ann", "--no-backup", *common)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    cells = gradebook.read_scores(url, ASSIGNMENT, "ann")["neurons"]
    assert sum(c["auto_score"] for c in cells.values() if "max_score" in c) == 0.0
    assert tc._rows(url, exclude="ann") == ben
    assert list((root / "backups").glob("gradebook-*")) == dumps
    assert "gradebook backup: none" in proc.stdout
