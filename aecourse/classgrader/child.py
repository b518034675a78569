"""The untrusted side of the re-check: run a student's cells, call the graded functions.

Runs inside the sandbox (``python -I -m aecourse.classgrader.child JOB``). Nothing here is
believed by the grader: it only writes plain data (JSON lines: numbers, shapes, error
strings) that the trusted process in :mod:`aecourse.classgrader.recheck` compares with the
reference. Cells run with plain ``exec`` (no IPython: no input or AST transformers).

Calls to the reference of the exercise being checked are recorded by tripwires: the
reference attributes in every ``aecourse`` module are replaced by recorders, and a
profile hook spots a call to any function whose code equals a reference's (a reloaded or
re-executed copy).
"""

from __future__ import annotations

import io
import json
import linecache
import os
import signal
import sys
import threading

__all__ = ["main"]

MAX_OUTPUT_VALUES = 1_000_000
STDOUT_CAP = 1_000_000


class _CellTimeout(BaseException):
    pass


class _Capped(io.TextIOBase):
    """A text stream that keeps at most ``cap`` bytes and drops the rest silently."""

    def __init__(self, raw, cap: int):
        self._raw, self._left = raw, cap

    def writable(self):
        return True

    def write(self, s):
        data = str(s).encode("utf-8", "replace")
        if self._left > 0:
            chunk = data[: self._left]
            self._left -= len(chunk)
            try:
                self._raw.write(chunk)
                self._raw.flush()
            except OSError:
                self._left = 0
        return len(s)

    def flush(self):
        pass


def _strip_magics(source: str) -> str:
    # IPython syntax is not Python: drop line magics, shell escapes and cell magics.
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines.append(line[: len(line) - len(stripped)] + "pass")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _encode(value, np):
    """A student's return value as plain data: {"s": shape, "d": float64 values} or a string."""
    if value is None:
        raise ValueError("the result is None: did you forget a `return` statement?")
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    arr = np.asarray(value, dtype=object)
    if arr.size > MAX_OUTPUT_VALUES:
        raise ValueError(f"the result has {arr.size} values: too large to check")
    flat = [float(v) for v in arr.reshape(-1)]  # float(): a lying subclass becomes a number
    return {"s": [int(n) for n in arr.shape], "d": flat}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as fh:
        job = json.load(fh)
    os.unlink(argv[0])  # the seed must not be readable by the student's code
    results = open(job["results"], "a", buffering=1)
    lock = threading.Lock()

    def emit(obj: dict) -> None:
        with lock:
            results.write(json.dumps(obj) + "\n")
            results.flush()

    log = open(job.get("log", os.devnull), "wb", buffering=0)
    sys.stdout = sys.stderr = _Capped(log, STDOUT_CAP)

    import numpy as np

    import aecourse  # noqa: F401  (quiet TensorFlow import before any student code)
    from aecourse.grading import core, load_lessons

    load_lessons()
    exercises = job["exercises"]
    cases_of = {}
    for gid, spec in exercises.items():
        ex = core.REGISTRY[gid]
        rng = np.random.default_rng(spec["seed"])
        cases_of[gid] = list(ex.cases(rng))
    copy_args = core._copy_args

    # --- tripwires -------------------------------------------------------------------
    state = {"exercise": None, "calls": set()}
    originals: dict[str, object] = {}
    for spec in exercises.values():
        for dotted in spec["forbidden"]:
            module_name, _, attr = dotted.rpartition(".")
            obj = sys.modules.get(module_name)
            if obj is None:
                try:
                    obj = __import__(module_name, fromlist=["_"])
                except ImportError:
                    continue
            target = getattr(obj, attr, None)
            if target is not None:
                originals[dotted] = target

    def recorder(dotted, original):
        def called(*args, **kwargs):
            if state["exercise"] is not None:
                state["calls"].add(dotted)
            return original(*args, **kwargs)

        called.__name__ = getattr(original, "__name__", "reference")
        return called

    by_id = {id(obj): dotted for dotted, obj in originals.items()}
    for name, module in list(sys.modules.items()):
        if not (name == "aecourse" or name.startswith("aecourse.")) or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if id(value) in by_id and callable(value) and not isinstance(value, type):
                setattr(module, attr, recorder(by_id[id(value)], value))

    codes: dict[object, str] = {}
    for dotted, obj in originals.items():
        funcs = [obj] if not isinstance(obj, type) else list(vars(obj).values())
        for f in funcs:
            code = getattr(getattr(f, "__func__", f), "__code__", None)
            if code is not None:
                codes[code] = dotted
    code_names = {c.co_name for c in codes}

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_name in code_names and state["exercise"]:
            dotted = codes.get(frame.f_code)
            if dotted is not None:
                state["calls"].add(dotted)

    def alarm(signum, frame):
        raise _CellTimeout()

    signal.signal(signal.SIGALRM, alarm)
    timeout = float(job.get("cell_timeout", 60))

    # --- the student's cells and the checks -------------------------------------------
    ns: dict[str, object] = {"__name__": "__main__", "__builtins__": __builtins__}
    done: set[str] = set()

    def check(gid: str) -> None:
        spec = exercises[gid]
        done.add(gid)
        emit({"event": "exercise-start", "grade_id": gid})
        fn = ns.get(spec["function_name"])
        if fn is None or not callable(fn):
            what = "is not defined" if fn is None else f"is a {type(fn).__name__}, not a function"
            emit({"event": "exercise", "grade_id": gid, "error": f"{spec['function_name']} {what}"})
            return
        forbidden = set(spec["forbidden"])
        used = {d for d, o in originals.items() if d in forbidden and (fn is o)}
        code = getattr(fn, "__code__", None)
        if code is not None and codes.get(code) in forbidden:
            used.add(codes[code])
        outputs = []
        state["calls"] = set()
        state["exercise"] = gid
        tampered = False
        for args in cases_of[gid]:
            sys.setprofile(profile)
            threading.setprofile(profile)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                outputs.append(_encode(fn(*copy_args(args)), np))
            except _CellTimeout:
                outputs.append(f"TimeoutError: no result within {timeout:g} s")
            except BaseException as exc:  # noqa: BLE001 - every failure becomes a message
                outputs.append(f"{type(exc).__name__}: {exc}"[:2000])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                if sys.getprofile() is not profile:
                    tampered = True
                sys.setprofile(None)
                threading.setprofile(None)
        state["exercise"] = None
        used |= state["calls"] & forbidden
        emit(
            {
                "event": "exercise",
                "grade_id": gid,
                "outputs": outputs,
                "forbidden_calls": sorted(used),
                "tampered": tampered,
            }
        )

    for index, cell in enumerate(job["cells"]):
        gid = cell.get("grade_id")
        if cell["kind"] == "test":
            if gid in exercises and gid not in done:
                check(gid)
            continue
        emit({"event": "cell-start", "index": index, "grade_id": gid})
        signal.setitimer(signal.ITIMER_REAL, timeout)
        error = None
        source, filename = _strip_magics(cell["source"]), f"<cell {index}>"
        # As IPython does: inspect.getsource (and so autograph in tf.function) needs the text.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            exec(compile(source, filename, "exec"), ns)
        except _CellTimeout:
            error = f"TimeoutError: cell did not finish within {timeout:g} s"
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: the next cells still run
            error = f"{type(exc).__name__}: {exc}"[:2000]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if error:
            emit({"event": "cell-error", "index": index, "grade_id": gid, "error": error})
    for gid in exercises:  # test cells the student deleted are checked too
        if gid not in done:
            check(gid)
    emit({"event": "done"})
    results.close()
    os._exit(0)  # skip interpreter teardown: TensorFlow's can be slow or noisy


if __name__ == "__main__":
    main()
