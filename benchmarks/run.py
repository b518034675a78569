"""Benchmark aecourse.Autoencoder against Keras, the book's TF1 code and the machine's limit.

From the repository root::

    .venv/bin/python -m benchmarks.run                  # full run, about 10 minutes
    .venv/bin/python -m benchmarks.run --quick --skip-notebooks --out /tmp/bench

It writes ``latest.json`` and ``latest.md`` into ``--out`` (default benchmarks/results)
and prints the Markdown, whose target table says which ratios were met.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first instead
    sys.path.insert(0, str(REPO))

from benchmarks import report  # noqa: E402  (after the path fix above)

__all__ = ["parse_args", "settings", "main"]

FULL = {
    "n": 5000, "hidden_dim": 100, "batch_sizes": [1, 10, 100, 500], "epochs": 3,
    "repeats": 3, "keras_max_steps": 1000, "eager_max_steps": 100, "tf1_max_steps": 1000,
    "matmul_size": 2048, "min_seconds": 1.0, "iris_epochs": 250, "image_budget_s": 30.0,
    "image_max_epochs": None,
}  # fmt: skip
QUICK = {
    "n": 500, "hidden_dim": 16, "batch_sizes": [1, 10, 100, 500], "epochs": 1,
    "repeats": 1, "keras_max_steps": 20, "eager_max_steps": 10, "tf1_max_steps": 20,
    "matmul_size": 256, "min_seconds": 0.05, "iris_epochs": 3, "image_budget_s": 2.0,
    "image_max_epochs": 2,
}  # fmt: skip


def _batch_sizes(text):
    try:
        sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--batch-sizes takes comma-separated integers such as 1,10,100,500; got {text!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"--batch-sizes must be positive integers, got {text!r}")
    return sizes


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def parse_args(argv=None):
    """The command line; errors exit with a message naming the bad option."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test, ~30 s)")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"),
                   help="directory for latest.json and latest.md")  # fmt: skip
    p.add_argument("--skip-notebooks", action="store_true",
                   help="skip the notebook suite, autograding and start-up timings")  # fmt: skip
    p.add_argument("--skip-book", action="store_true", help="skip the book's TF1 code")
    p.add_argument("--skip-quality", action="store_true", help="skip RMSE against PCA")
    p.add_argument("--batch-sizes", type=_batch_sizes, help="default 1,10,100,500")
    p.add_argument("--n-samples", type=_positive(int), help="rows of image data (default 5000)")
    p.add_argument("--image-batch", type=_positive(int), default=100,
                   help="batch size of the image quality runs (default 100)")  # fmt: skip
    p.add_argument("--image-budget", type=_positive(float),
                   help="seconds of training for the image quality runs (default 30)")  # fmt: skip
    p.add_argument("--jobs", type=_positive(int), default=2, help="parallel autograding jobs")
    args = p.parse_args(argv)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        p.error(f"--out {args.out} is a file: give a directory to write latest.json into")
    return args


def settings(args):
    """The sizes to run: QUICK or FULL, with the command line's overrides."""
    s = dict(QUICK if args.quick else FULL)
    if args.batch_sizes:
        s["batch_sizes"] = args.batch_sizes
    if args.n_samples:
        s["n"] = args.n_samples
    if args.image_budget:
        s["image_budget_s"] = args.image_budget
    if max(s["batch_sizes"]) > s["n"]:
        raise ValueError(
            f"batch size {max(s['batch_sizes'])} is larger than the {s['n']} rows of data: "
            "lower --batch-sizes or raise --n-samples"
        )
    s["image_batch"] = min(args.image_batch, s["n"])
    return s


def load_images(n):
    """(data (n, 1024) float32 in 0-255, source): CIFAR-10 horses if AECOURSE_CIFAR10 is set."""
    from aecourse import datasets

    if os.environ.get(datasets.CIFAR10_ENV):
        ds = datasets.load_image_class("horse", n=n)
    else:
        ds = datasets.photo_patches(n=n, size=32, seed=0)
    return ds.data.astype("float32"), ds.source


def machine_info():
    """Cores, CPU model, library versions, oneDNN and thread settings."""
    import numpy as np

    from aecourse._tf import keras, tf

    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        numpy_blas = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # the layout of show_config differs between NumPy versions
        numpy_blas = "unknown"
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "numpy_blas": numpy_blas,
        "onednn": "default (on for x86 CPUs)"
        if onednn is None
        else f"TF_ENABLE_ONEDNN_OPTS={onednn}",
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
    }


def _attempt(what, fn, *a, **kw):
    """Run one measurement; on failure print why and return {"error": ...} instead."""
    start = time.perf_counter()
    try:
        result = fn(*a, **kw)
    except Exception as exc:
        print(f"  {what}: FAILED ({type(exc).__name__}: {exc})", flush=True)
        return {"seconds": None, "error": f"{type(exc).__name__}: {exc}"}
    print(f"  {what}: done in {time.perf_counter() - start:.1f} s", flush=True)
    return result


def run_book_tf1(data, s):
    """The book's TF1 loops, in a subprocess (graph mode is process-wide)."""
    with tempfile.TemporaryDirectory(prefix="aecourse-bench-tf1-") as tmp:
        npy, out = Path(tmp, "data.npy"), Path(tmp, "tf1.json")
        import numpy as np

        np.save(npy, data)
        cmd = [sys.executable, str(REPO / "benchmarks" / "book_tf1.py"), "--data", str(npy),
               "--out", str(out), "--batch-sizes", ",".join(map(str, s["batch_sizes"])),
               "--hidden-dim", str(s["hidden_dim"]), "--epochs", str(s["epochs"]),
               "--max-steps", str(s["tf1_max_steps"])]  # fmt: skip
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"book_tf1.py failed: {proc.stderr.strip().splitlines()[-1:]}")
        return json.loads(out.read_text())


def measure(args):
    """Run every part; return the results dict."""
    from benchmarks import notebooks, quality, timing

    s = settings(args)
    start = time.perf_counter()
    r = {
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": args.quick,
        "settings": s,
        "load": {"start": list(os.getloadavg())},
    }
    print("machine and data", flush=True)
    r["machine"] = machine_info()
    data, source = load_images(s["n"])
    n, d, h = len(data), data.shape[1], s["hidden_dim"]
    r["data"] = {"source": source, "n": n, "input_dim": d, "hidden_dim": h}
    r["batch_sizes"] = s["batch_sizes"]
    r["flop_per_epoch"] = timing.flop_per_epoch(n, d, h)
    # The peak is measured again just before each batch size's runs: on a shared machine
    # the limit then reflects the same load as the timings it is compared with.
    peaks = {}
    scaled = data / 255.0  # the baselines train on [0, 1] pixels (speed does not depend on it)
    ep = s["epochs"]
    methods = {
        "aecourse": lambda b: timing.time_aecourse(
            data, b, h, epochs=max(1, ep - 1) if b == 1 else ep,
            repeats=max(1, s["repeats"] - 1) if b == 1 else s["repeats"],
            min_seconds=s["min_seconds"],
        ),  # per-sample epochs take seconds each: fewer of them
        "keras_fit": lambda b: timing.time_keras_fit(scaled, b, h, ep, s["keras_max_steps"]),
        "tf_function_epoch": lambda b: timing.time_tf_function_epoch(scaled, b, h, ep),
        "eager_tape": lambda b: timing.time_eager_tape(scaled, b, h, ep, s["eager_max_steps"]),
        "matmul_floor": lambda b: timing.time_matmul_floor(scaled, b, h, ep),
    }  # fmt: skip
    details = {m: {} for m in methods}
    for b in s["batch_sizes"]:
        print(f"batch size {b}", flush=True)
        peaks[str(b)] = timing.matmul_peak_gflops(s["matmul_size"])
        for m, fn in methods.items():
            details[m][str(b)] = _attempt(f"{m} batch {b}", fn, b)
    if not args.skip_book:
        print("book's TF1 code (subprocess)", flush=True)
        tf1 = _attempt("book_tf1", run_book_tf1, data, s)
        details["book_tf1"] = tf1 if "error" not in tf1 else {str(b): tf1 for b in r["batch_sizes"]}
    r["matmul_peak_gflops_by_batch"] = peaks
    r["matmul_peak_gflops"] = max(peaks.values())
    details["compute_limit"] = {
        b: {"seconds": r["flop_per_epoch"] / (peak * 1e9), "note": f"peak {peak:.0f} GFLOP/s"}
        for b, peak in peaks.items()
    }
    order = ["aecourse", "book_tf1", "keras_fit", "tf_function_epoch", "eager_tape",
             "matmul_floor", "compute_limit"]  # fmt: skip
    r["details"] = {m: details[m] for m in order if m in details}
    r["seconds_per_epoch"] = {
        m: {b: v.get("seconds") for b, v in row.items()} for m, row in r["details"].items()
    }
    r["ratios"] = report.ratios(r["seconds_per_epoch"])
    if not args.skip_quality:
        print("quality against PCA", flush=True)
        r["quality"] = _attempt(
            "quality", quality.quality_report, data, image_budget_s=s["image_budget_s"],
            image_batch=s["image_batch"],
            iris_epochs=s["iris_epochs"], image_max_epochs=s["image_max_epochs"],
        )  # fmt: skip
        if "error" in r["quality"]:
            r["quality_error"] = r.pop("quality")["error"]
    if not args.skip_notebooks:
        print("start-up, notebooks and autograding", flush=True)
        r["startup"] = _attempt("start-up", notebooks.time_startup)
        nbs = notebooks.solution_notebooks(REPO)
        if not nbs:
            missing = "no solution notebooks in solutions/*/*.ipynb yet"
            r["notebooks"] = r["autograde"] = {"skipped": missing}
        else:
            r["notebooks"] = _attempt("notebook suite", notebooks.time_notebook_suite, nbs)
            if not (REPO / "nbgrader_config.py").exists():
                r["autograde"] = {"skipped": "no nbgrader_config.py at the repository root yet"}
            else:
                r["autograde"] = _attempt(
                    "autograde", notebooks.time_autograde, REPO, nbs, jobs=args.jobs
                )
        for key in ("startup", "notebooks", "autograde"):
            if "error" in r[key]:
                r[key] = {"skipped": f"failed: {r[key]['error']}"}
    r["ratios"] += report.extra_targets(r.get("quality"), r.get("notebooks"))
    r["load"]["end"] = list(os.getloadavg())
    r["wall_time_s"] = time.perf_counter() - start
    return r


def main(argv=None):
    args = parse_args(argv)
    try:
        settings(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import aecourse  # noqa: F401  (quiet TensorFlow import before anything else loads it)

    results = measure(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=float) + "\n")
    text = report.markdown(results)
    (out / "latest.md").write_text(text)
    print()
    print(text)
    print(f"wrote {out / 'latest.json'} and {out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
