"""``aecourse grade ASSIGNMENT``: grade a class robustly, with nbgrader underneath.

Examples::

    aecourse grade 01_neurons                       # every folder in submitted/
    aecourse grade 01_neurons --student alice --student bob --jobs 2
    aecourse grade 03_autoencoder --db-url postgresql://grader@db/aecourse --budget 600

Results land where nbgrader keeps them (gradebook, autograded/, feedback/ under the grading
root: $AECOURSE_GRADING_ROOT or <repo>/.grading), so formgrader and ``nbgrader export`` read
them. The gradebook is backed up first into <grading root>/backups/: SQLite as
gradebook-<time>.db, PostgreSQL with pg_dump as gradebook-<time>.dump (restore it with
pg_restore --clean). When no backup can be made (pg_dump missing or failing) nothing is graded
unless you pass --no-backup. A CSV with a reason and a needs-look flag per student goes to
<grading root>/reports/<assignment>.csv.

PostgreSQL: create the database first (createdb aecourse) and install the driver
(pip install 'psycopg[binary]'). Keep the password out of --db-url, where other users of the
machine can read it: use ~/.pgpass or PGPASSWORD. An unreachable server, an unknown database
or a refused login stops the run before anything is written (exit status 2).

How it holds: each submission is graded by its own ``nbgrader autograde`` subprocess in a
scratch course (a copy of a template gradebook), while a second sandboxed process runs the
student's cells with plain ``exec`` and calls every graded function on cases drawn with a
seed the grader chose; the outputs come back as JSON numbers and are compared with the
reference in the grader. The re-check's verdict wins; a disagreement with nbgrader flags
the submission. The final scores replace the submission's rows in one transaction.

Sandbox (as root, e.g. a grading server or CI container): nbgrader stays trusted, its
kernel and the re-check run under ``unshare --mount`` as a numeric uid of their own
(from 61000 up, one per running job, held by a lock file; no passwd entry), in an empty
scratch folder seen as /mnt, with solutions/, .git, the grading root (gradebook, other
submissions), /root and /home covered by empty tmpfs mounts, private /tmp and /dev/shm,
a scrubbed environment and rlimits (4 GB address space, CPU = budget, 64 MB files). When
the budget runs out every process of that uid is killed. Without root only the
environment, the working folder and the rlimits apply: grade as root (or in a container)
for a class you do not trust.

Exit status: 0 all graded, none flagged; 1 all graded, some flagged for a look (nbgrader
and the re-check disagreed); 3 some submissions could not be written to the gradebook
(see the summary); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n", 2)[2]
    parser.add_argument("assignment", help="assignment folder name, e.g. 01_neurons")
    parser.add_argument(
        "--student",
        action="append",
        dest="students",
        metavar="S",
        help="grade only this student (repeatable); default: every folder in submitted/",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="submissions graded in parallel (default 1)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="wall-clock budget per submission; then it is killed (default 300)",
    )
    parser.add_argument(
        "--db-url",
        default=None,
        metavar="URL",
        help="gradebook URL (default sqlite:///<grading root>/gradebook.db; "
        "use postgresql://... for a large class, as nbgrader recommends)",
    )
    parser.add_argument(
        "--submitted",
        type=Path,
        default=None,
        metavar="DIR",
        help="submissions folder, DIR/<student>/<assignment>/ (default <grading root>/submitted)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="where to write the CSV (default <grading root>/reports/)",
    )
    parser.add_argument(
        "--no-backup",
        action="store_true",
        help="grade even when the gradebook cannot be backed up first (default: refuse)",
    )
    parser.add_argument(
        "--keep-work",
        action="store_true",
        help="keep the scratch folders (logs of nbgrader and the re-check)",
    )


def _grading_root(repo: Path) -> Path:
    env = os.environ.get("AECOURSE_GRADING_ROOT")
    return Path(env).expanduser().resolve() if env else repo / ".grading"


def run(args: argparse.Namespace) -> int:
    from aecourse.classgrader import database, report, runner

    repo = Path(__file__).resolve().parents[2]
    if not (repo / "nbgrader_config.py").is_file():
        print(
            f"error: no nbgrader_config.py in {repo}: run from a clone of the course "
            "installed with `pip install -e .`",
            file=sys.stderr,
        )
        return 2
    if args.jobs < 1 or args.budget <= 0:
        print("error: --jobs must be >= 1 and --budget > 0", file=sys.stderr)
        return 2
    root = _grading_root(repo)
    try:
        secret = bool(args.db_url and database.for_subprocess(args.db_url)[1])
    except database.DatabaseError:
        secret = False  # reported with its fix when the batch checks the URL
    if secret:
        # Student code runs on this machine and can read any process's command line.
        print(
            "warning: the password in --db-url is readable by every process on this machine, "
            "submissions included: put it in ~/.pgpass or PGPASSWORD instead",
            file=sys.stderr,
        )
    opts = runner.Options(
        assignment=args.assignment,
        repo=repo,
        grading_root=root,
        submitted=(args.submitted or root / "submitted").resolve(),
        db_url=args.db_url or f"sqlite:///{root / 'gradebook.db'}",
        students=args.students,
        jobs=args.jobs,
        budget=args.budget,
        keep_work=args.keep_work,
        backup=not args.no_backup,
    )

    def progress(out):
        flag = " (needs a look)" if out.needs_look else ""
        print(
            f"{out.student}: {out.score:g}/{out.max_score:g}{flag} - {out.reason[:120]}", flush=True
        )

    try:
        batch = runner.grade_class(opts, progress=progress)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    csv_path = report.write_csv(batch, args.csv or root / "reports" / f"{args.assignment}.csv")
    print(report.summary(batch))
    print(f"CSV: {csv_path}")
    return report.exit_status(batch)
