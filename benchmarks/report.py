"""Turn the benchmark's results into target ratios and a Markdown report."""

from __future__ import annotations

__all__ = ["TARGETS", "ratios", "markdown"]

# (name, numerator method, denominator method, batch size, the most the ratio may be)
TARGETS = [
    ("aecourse / Keras fit, batch 100", "aecourse", "keras_fit", 100, 0.6),
    ("aecourse / Keras fit, batch 500", "aecourse", "keras_fit", 500, 0.6),
    ("aecourse / compute limit, batch 100", "aecourse", "compute_limit", 100, 2.5),
    ("aecourse / compute limit, batch 500", "aecourse", "compute_limit", 500, 1.3),
    ("aecourse per-sample / book TF1 per-sample", "aecourse", "book_tf1", 1, 0.5),
]

METHOD_LABELS = {
    "aecourse": "`aecourse.Autoencoder.train`",
    "book_tf1": "book's TF1 code (Listing 7.4 per sample / 7.8 batches) under tf.compat.v1",
    "keras_fit": "Keras 3 `model.fit`, same architecture, RMSprop, RMSE loss",
    "tf_function_epoch": "plain TF2, a whole epoch in one `tf.function`",
    "eager_tape": "eager `GradientTape` step per batch",
    "compute_limit": "compute limit (FLOP per epoch / measured matmul peak)",
}


def ratios(seconds):
    """[{name, value, target, ok}] from {method: {batch (str): seconds or None}}."""
    out = []
    for name, num, den, batch, target in TARGETS:
        a = (seconds.get(num) or {}).get(str(batch))
        b = (seconds.get(den) or {}).get(str(batch))
        value = a / b if a is not None and b else None
        ok = None if value is None else value <= target
        out.append({"name": name, "value": value, "target": target, "ok": ok})
    return out


def _fmt(x, digits=3):
    if x is None:
        return "–"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"


def _verdict(ok):
    return {True: "met", False: "**missed**", None: "not measured"}[ok]


def markdown(r):
    """The whole report as Markdown (tables of timings, ratios, quality and notebooks)."""
    m, d = r["machine"], r["data"]
    lines = [
        f"# aecourse benchmark ({r['created']}{', quick run' if r['quick'] else ''})",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['platform']}; Python {m['python']}, "
        f"TensorFlow {m['tensorflow']}, Keras {m['keras']}, NumPy {m['numpy']}. "
        f"oneDNN: {m['onednn']}. Threads: intra-op {m['intra_op_threads']}, inter-op "
        f"{m['inter_op_threads']} (0 = TensorFlow's default, one per core); "
        f"OMP_NUM_THREADS={m['omp_num_threads']}. NumPy BLAS: {m['numpy_blas']}.",
        f"Load average (1 min) at start {r['load']['start'][0]:.2f}, at end "
        f"{r['load']['end'][0]:.2f}: the machine is shared, so timings are noisy.",
        f"Data: {d['source']}, {d['n']} rows x {d['input_dim']} values, code size "
        f"{d['hidden_dim']}. FLOP per epoch {r['flop_per_epoch'] / 1e9:.2f} G; measured float32 "
        f"matmul peak {r['matmul_peak_gflops']:.0f} GFLOP/s.",
        "",
        "## Seconds per epoch (median after warm-up)",
        "",
        "| method | " + " | ".join(f"batch {b}" for b in r["batch_sizes"]) + " |",
        "|---|" + "---|" * len(r["batch_sizes"]),
    ]
    for method, row in r["seconds_per_epoch"].items():
        cells = [_fmt(row.get(str(b))) for b in r["batch_sizes"]]
        lines.append(f"| {METHOD_LABELS.get(method, method)} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets (ratios measured in this run)", "", "| ratio | measured | target | |",
              "|---|---|---|---|"]  # fmt: skip
    for t in r["ratios"]:
        lines.append(
            f"| {t['name']} | {_fmt(t['value'])} | <= {t['target']} | {_verdict(t['ok'])} |"
        )
    q = r.get("quality")
    if q:
        lines += ["", "## Reconstruction RMSE against PCA with the same code size", "",
                  "| data | code | PCA | mean row | book config | course config |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for name, part in q.items():
            cells = []
            for cfg in ("book", "course"):
                c = part[cfg]
                cells.append(
                    f"{c['rmse']:.3g} ({c['vs_pca']:.2f}x PCA; {c['epochs']} epochs, "
                    f"{c['seconds']:.1f} s, {100 * c['saturated']:.0f}% units saturated)"
                )
            lines.append(
                f"| {name} | {part['code_size']} | {part['pca']:.3g} | {part['mean']:.3g} | "
                + " | ".join(cells)
                + " |"
            )
        lines += ["", "Quality targets: course config within 10% of PCA on iris "
                  "(<= 1.10x), within 15% on images (<= 1.15x) after at most 30 s."]  # fmt: skip
    for key, title in (("startup", "Start-up"), ("notebooks", "Solution notebooks"),
                       ("autograde", "Autograding")):  # fmt: skip
        part = r.get(key)
        if part is None:
            continue
        lines += ["", f"## {title}", ""]
        if "skipped" in part:
            lines.append(f"Skipped: {part['skipped']}")
        elif key == "startup":
            lines += [f"- `{k}` in a fresh interpreter: {v:.2f} s" for k, v in part.items()]
        elif key == "notebooks":
            lines.append(f"All {len(part['notebooks'])} in fresh kernels: {part['total_s']:.1f} s "
                         "(target: under 300 s).")  # fmt: skip
            for name, nb in part["notebooks"].items():
                err = f" — error: {nb['error']}" if nb["error"] else ""
                lines.append(f"- {name}: {nb['seconds']:.1f} s{err}")
        else:
            lines.append(
                f"{part['submissions']} submissions (the solution notebooks): "
                f"{part['serial_mean_s']:.1f} s each serially (`nbgrader autograde`, including "
                f"its start-up); with {part['jobs']} parallel jobs "
                f"{part['parallel_per_submission_s']:.1f} s per submission of wall time."
            )
    lines += ["", f"Whole benchmark: {r['wall_time_s']:.0f} s.", ""]
    return "\n".join(lines)
