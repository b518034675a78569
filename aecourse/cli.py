"""The ``aecourse`` command: one subcommand per job, each living in its own module.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
they are imported only when chosen, so ``aecourse --help`` stays cheap to extend.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

# subcommand -> (module, one-line help)
SUBCOMMANDS = {
    "demo": ("aecourse.demo", "release, run and autograde the whole course on a demo class"),
    "grade": ("aecourse.classgrader.cli", "grade a class of submissions robustly (instructor)"),
    "lab": ("aecourse.lab", "start JupyterLab as a student or as an instructor"),
    "iris": ("aecourse.iris_demo", "train the 4 -> 1 -> 4 iris autoencoder of Listing 7.6"),
}


def _ensure_venv_bin_on_path() -> None:
    """nbgrader shells out to alembic and jupyter: make this interpreter's bin visible."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def main(argv: list[str] | None = None) -> int:
    _ensure_venv_bin_on_path()
    parser = argparse.ArgumentParser(prog="aecourse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    chosen = (argv if argv is not None else sys.argv[1:])[:1]
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # Import a subcommand's module only when it is the one being run.
        if chosen == [name]:
            modules[name] = importlib.import_module(module_name)
            modules[name].add_arguments(p)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(modules[args.command].run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
