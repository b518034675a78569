"""Turn the benchmark's results into target ratios and a Markdown report."""

from __future__ import annotations

__all__ = ["TARGETS", "ratios", "extra_targets", "markdown"]

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
    "matmul_floor": "the five matrix products of a step alone, no other work (a floor)",
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


def extra_targets(quality=None, notebooks=None):
    """Targets on quality (RMSE / PCA's) and on the notebook suite's wall time."""
    out = []
    if quality:
        iris = quality["iris"]["course"]["vs_pca"]
        out.append({"name": "course config RMSE / PCA's, iris", "value": iris, "target": 1.1,
                    "ok": iris <= 1.1})  # fmt: skip
        img = quality["images"]
        value, in_time = img["course"]["vs_pca"], img["course"]["seconds"] <= img["budget_s"]
        out.append({"name": f"course config RMSE / PCA's, images, {img['budget_s']:g} s",
                    "value": value, "target": 1.15, "ok": value <= 1.15 and in_time})  # fmt: skip
    if notebooks and "total_s" in notebooks:
        total = notebooks["total_s"]
        failed = any(nb["error"] for nb in notebooks["notebooks"].values())
        out.append({"name": "solution notebooks, total seconds (no errors)", "value": total,
                    "target": 300, "ok": total <= 300 and not failed})  # fmt: skip
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
        f"{d['hidden_dim']}. FLOP per epoch {r['flop_per_epoch'] / 1e9:.2f} G; float32 matmul "
        f"peak measured before each batch size's runs: "
        + ", ".join(f"{v:.0f}" for v in r["matmul_peak_gflops_by_batch"].values())
        + " GFLOP/s.",
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
    lines += _floor_lines(r["seconds_per_epoch"], r["batch_sizes"])
    q = r.get("quality")
    if q:
        lines += ["", "## Reconstruction RMSE against PCA with the same code size", "",
                  "Book config: N(0, 1) weights on raw inputs (`init=\"normal\", "
                  "normalize=False`); course config: the defaults on iris, IMAGE_CONFIG's "
                  "learning rate on images (Glorot, "
                  "normalized inputs). Iris: per-sample epochs; images: batches of "
                  f"{q['images']['course']['batch_size']}, the epochs that fit in "
                  f"{q['images']['budget_s']:g} s. \"mean row\" predicts every row as the mean.",
                  "",
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
        if r.get(key) is not None:
            lines += ["", f"## {title}", "", *_timing_section(key, r[key])]
    lines += ["", f"Whole benchmark: {r['wall_time_s']:.0f} s.", ""]
    return "\n".join(lines)


def _timing_section(key, part):
    """The lines of the start-up, notebooks or autograding section of the report."""
    if "skipped" in part:
        return [f"Skipped: {part['skipped']}"]
    if part.get("error") and part.get("seconds", 0) is None:  # run._attempt's failure record
        return [f"**Failed:** {part['error']}"]
    if key == "startup":
        return [f"- `{k}` in a fresh interpreter: {v:.2f} s" for k, v in part.items()]
    if key == "notebooks":
        lines = [f"All {len(part['notebooks'])} in fresh kernels: {part['total_s']:.1f} s "
                 "(target: under 300 s)."]  # fmt: skip
        for name, nb in part["notebooks"].items():
            err = f" — error: {nb['error']}" if nb["error"] else ""
            lines.append(f"- {name}: {nb['seconds']:.1f} s{err}")
        return lines
    lines = [
        f"One submission ({part['single_assignment']}, one `nbgrader autograde` run: "
        f"start-up, kernel, imports, all cells): {part['single_s']:.1f} s. "
        f"{part['submissions']} submissions (the solution notebooks) in one run: "
        f"{part['serial_per_submission_s']:.1f} s each; with {part['jobs']} runs in "
        f"parallel: {part['parallel_per_submission_s']:.1f} s each (wall time). "
        f"Autograded notebooks written: {part.get('serial_autograded')} and "
        f"{part.get('parallel_autograded')} of {part['submissions']}."
    ]
    if part.get("parallel_error"):
        lines.append(f"The parallel runs failed: {part['parallel_error']}")
    return lines


def _floor_lines(seconds, batch_sizes):
    """What the compute-limit ratios leave out: how close the products alone get to it."""
    floor, limit, ours = (
        seconds.get(m) or {} for m in ("matmul_floor", "compute_limit", "aecourse")
    )
    cells = []
    for b in map(str, batch_sizes):
        if floor.get(b) and limit.get(b) and ours.get(b):
            cells.append(
                f"batch {b}: products alone {floor[b] / limit[b]:.2f}x the limit, "
                f"aecourse's whole step {ours[b] / limit[b]:.2f}x"
            )
    if not cells:
        return []
    return ["", "The five matrix products alone, against the compute limit: " + "; ".join(cells)
            + ". The rest of a step (tanh, residual, loss, bias sums, RMSProp, the shuffle) "
            "costs the difference."]  # fmt: skip
