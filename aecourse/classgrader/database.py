"""The class gradebook's database: check ``--db-url`` before grading, back it up, hide passwords.

SQLite is backed up with its online backup API (:func:`gradebook.backup`), PostgreSQL with
``pg_dump --format=custom`` into the same ``backups/`` folder (``gradebook-<UTC time>.dump``,
restored with ``pg_restore``). Every failure raises :class:`DatabaseError` or
:class:`BackupError` with a message that names the problem and the fix, before anything
is graded or written.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from aecourse.classgrader import gradebook

__all__ = [
    "DatabaseError",
    "BackupError",
    "is_postgres",
    "check",
    "for_subprocess",
    "pg_dump_path",
    "backup",
]

_EXAMPLES = "sqlite:////abs/path/gradebook.db or postgresql://USER@HOST/DBNAME"
_DRIVER = "psycopg[binary]"
_NOTHING = "nothing was graded or changed"


class DatabaseError(RuntimeError):
    """The gradebook database cannot be used; the message says why and what to do."""


class BackupError(RuntimeError):
    """The gradebook could not be backed up before grading; the message says what to do."""


def _url(db_url: str):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db_url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"--db-url {db_url!r} is not a database URL ({exc}): use {_EXAMPLES}; {_NOTHING}"
        ) from None


def _shown(url) -> str:
    return url.render_as_string(hide_password=True)


def is_postgres(db_url: str) -> bool:
    """True for ``postgresql://`` and ``postgresql+DRIVER://`` URLs."""
    return _url(db_url).get_backend_name() == "postgresql"


def check(db_url: str) -> str:
    """Connect once and return the URL to use (plain ``postgresql://`` gets psycopg 3).

    Raises DatabaseError naming the problem (unknown scheme, missing driver, server down,
    unknown database, refused login) and the fix.
    """
    import sqlalchemy as sa
    from sqlalchemy.exc import NoSuchModuleError, OperationalError

    url = _url(db_url)
    if url.drivername in ("postgres", "pgsql"):
        raise DatabaseError(
            f"--db-url {_shown(url)!r}: write postgresql://, not {url.drivername}://; {_NOTHING}"
        )
    if url.drivername == "postgresql":
        # SQLAlchemy 2.0 would pick psycopg2 and 2.1 psycopg 3: always use the one we install.
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        folder = Path(url.database or "").parent
        if not url.database or not folder.is_dir():
            raise DatabaseError(
                f"--db-url {db_url!r}: the folder {folder} does not exist; create it or use "
                f"{_EXAMPLES}; {_NOTHING}"
            )
        return db_url
    try:
        args = {"connect_timeout": 10} if url.get_backend_name() == "postgresql" else {}
        engine = sa.create_engine(url, connect_args=args)
    except NoSuchModuleError:
        raise DatabaseError(
            f"--db-url {_shown(url)!r}: unknown database {url.drivername!r}; use {_EXAMPLES}; "
            f"{_NOTHING}"
        ) from None
    except ImportError as exc:
        raise DatabaseError(
            f"--db-url {_shown(url)!r} needs a database driver that is not installed ({exc}): "
            f"install it into the Python that runs aecourse, e.g. pip install '{_DRIVER}'; "
            f"{_NOTHING}"
        ) from None
    try:
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        raise DatabaseError(_explain(url, str(exc.orig or exc))) from None
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


def _explain(url, detail: str) -> str:
    """A message for a failed connection: what went wrong, then how to fix it."""
    first = " ".join(detail.strip().split())[:300]
    where = f"{url.host or 'the local socket'}:{url.port or 5432}"
    low = detail.lower()
    if "database" in low and "does not exist" in low:
        fix = (
            f"create it (createdb -h {url.host or 'SOCKET_DIR'} -U {url.username or 'USER'} "
            f"{url.database}) or fix the database name in --db-url"
        )
    elif any(k in low for k in ("authentication failed", "no password", "role", "permission")):
        fix = (
            "fix the user in --db-url and give its password in ~/.pgpass or PGPASSWORD "
            "(not on the command line, where other users can read it)"
        )
    else:
        fix = (
            "start the server (e.g. pg_ctlcluster 15 main start, or systemctl start postgresql) "
            "or fix the host, port or socket folder in --db-url"
        )
    return f"cannot use the gradebook database {_shown(url)} at {where}: {first}; {fix}; {_NOTHING}"


def for_subprocess(db_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that carries the password instead.

    Command lines are readable by every user of the machine; environments are not.
    """
    if not db_url.startswith("postgresql"):
        return db_url, {}
    url = _url(db_url)
    if url.password is None:
        return db_url, {}
    # URL.set(password=None) would keep the password: None means "unchanged" there.
    plain = url._replace(password=None).render_as_string(hide_password=False)
    return plain, {"PGPASSWORD": str(url.password)}


def pg_dump_path() -> str | None:
    """``$AECOURSE_PG_DUMP``, else pg_dump on PATH, else the newest Debian one, else None."""
    env = os.environ.get("AECOURSE_PG_DUMP")
    if env:
        return env
    found = shutil.which("pg_dump")
    if found:
        return found
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_dump"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return debian[-1] if debian else None


def _pg_backup(db_url: str, folder: Path) -> Path:
    skip = "or pass --no-backup to grade without one (back the database up yourself first)"
    exe = pg_dump_path()
    if exe is None:
        raise BackupError(
            "cannot back up the PostgreSQL gradebook: pg_dump not found; install PostgreSQL's "
            "client tools (apt-get install postgresql-client, the server's major version or "
            f"newer) or set AECOURSE_PG_DUMP=/path/to/pg_dump, {skip}; {_NOTHING}"
        )
    url = _url(db_url)
    # pg_dump speaks libpq URIs: no "+driver"; the password travels in the environment.
    plain, env = for_subprocess(
        url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"gradebook-{gradebook.backup_stamp()}.dump"
    part = dest.with_name(dest.name + ".part")
    try:
        proc = subprocess.run(
            [exe, "--format=custom", f"--file={part}", f"--dbname={plain}"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=900,
        )
        error = proc.stderr.strip() if proc.returncode != 0 else None
    except (OSError, subprocess.TimeoutExpired) as exc:
        error = str(exc)
    if error is not None or not part.is_file():
        part.unlink(missing_ok=True)
        tail = " ".join((error or "no output file").split())[-400:]
        raise BackupError(
            f"cannot back up the PostgreSQL gradebook: {exe} failed: {tail}; fix pg_dump (a "
            "pg_dump older than the server refuses to dump it: install the matching "
            f"postgresql-client or set AECOURSE_PG_DUMP) {skip}; {_NOTHING}"
        )
    # Renamed only when complete: a file named gradebook-*.dump is always a whole dump.
    part.rename(dest)
    return dest


def backup(db_url: str, folder: Path) -> Path | None:
    """Back up the gradebook into ``folder`` (None: a SQLite gradebook that does not exist yet).

    Raises BackupError when no backup could be made, so grading never starts without one
    unless the user opted out.
    """
    if is_postgres(db_url):
        return _pg_backup(db_url, folder)
    if gradebook.sqlite_path(db_url) is None:
        raise BackupError(
            f"no automatic backup for {_shown(_url(db_url))}: back it up yourself and pass "
            f"--no-backup; {_NOTHING}"
        )
    try:
        return gradebook.backup(db_url, folder)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(
            f"cannot back up the SQLite gradebook {gradebook.sqlite_path(db_url)}: {exc}; fix "
            f"it or pass --no-backup to grade without a backup; {_NOTHING}"
        ) from None
