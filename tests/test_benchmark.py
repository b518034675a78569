"""The benchmark (benchmarks/): its arithmetic, its command line, and a smoke run on tiny sizes.

No timing is asserted here: the benchmark prints figures, these tests only check that it
runs and that what it writes is complete and consistent.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(REPO))

from benchmarks import report, run, timing  # noqa: E402

METHODS = [
    "aecourse", "book_tf1", "keras_fit", "tf_function_epoch", "eager_tape", "matmul_floor",
    "compute_limit",
]  # fmt: skip


def test_flop_per_epoch_counts_six_matmuls():
    # 5000 x 1024 x 100: 2 forward + 4 backward matmuls of 2*n*d*h FLOPs = 6.144 GFLOP.
    assert timing.flop_per_epoch(5000, 1024, 100) == 6_144_000_000
    assert timing.flop_per_epoch(1, 4, 1) == 48


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_flop_per_epoch_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        timing.flop_per_epoch(bad, 1024, 100)


def test_ratios_say_which_targets_are_met():
    seconds = {
        "aecourse": {"1": 1.0, "100": 0.05, "500": 0.04},
        "keras_fit": {"100": 0.1, "500": 0.05},
        "compute_limit": {"100": 0.025, "500": 0.025},
        "book_tf1": {"1": 3.0},
    }
    got = {r["name"]: r for r in report.ratios(seconds)}
    assert got["aecourse / Keras fit, batch 100"]["value"] == pytest.approx(0.5)
    assert got["aecourse / Keras fit, batch 100"]["ok"] is True
    assert got["aecourse / Keras fit, batch 500"]["value"] == pytest.approx(0.8)
    assert got["aecourse / Keras fit, batch 500"]["ok"] is False
    assert got["aecourse / compute limit, batch 500"]["value"] == pytest.approx(1.6)
    assert got["aecourse / compute limit, batch 500"]["ok"] is False
    assert got["aecourse per-sample / book TF1 per-sample"]["ok"] is True


def test_ratios_of_missing_measurements_are_not_verdicts():
    got = report.ratios({"aecourse": {"100": 0.05}, "keras_fit": {"100": None}})
    assert all(r["value"] is None and r["ok"] is None for r in got)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--batch-sizes", "1,ten"], "comma-separated integers"),
        (["--batch-sizes", "0,10"], "positive integers"),
        (["--image-budget", "-3"], "positive number"),
    ],
)
def test_bad_options_are_refused_with_a_reason(argv, message, capsys):
    with pytest.raises(SystemExit):
        run.parse_args(argv)
    assert message in capsys.readouterr().err


def test_out_must_be_a_directory(tmp_path, capsys):
    a_file = tmp_path / "results.txt"
    a_file.write_text("not a directory")
    with pytest.raises(SystemExit):
        run.parse_args(["--out", str(a_file)])
    assert "is a file" in capsys.readouterr().err


def test_batch_larger_than_the_data_is_refused():
    args = run.parse_args(["--n-samples", "50", "--batch-sizes", "10,100"])
    with pytest.raises(ValueError, match="larger than the 50 rows.*--n-samples"):
        run.settings(args)


@pytest.mark.slow
def test_quick_run_writes_complete_json_and_markdown(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--skip-notebooks", "--out",
         str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    markdown = (tmp_path / "latest.md").read_text()

    batches = [str(b) for b in result["batch_sizes"]]
    assert batches == ["1", "10", "100", "500"]
    assert list(result["seconds_per_epoch"]) == METHODS
    for method in METHODS:
        for b in batches:
            value = result["seconds_per_epoch"][method][b]
            assert value is not None and math.isfinite(value) and value >= 0, (method, b, value)
    # The compute limit is the FLOP count over the peak measured before that batch size's runs.
    for b in batches:
        peak = result["matmul_peak_gflops_by_batch"][b]
        limit = result["flop_per_epoch"] / (peak * 1e9)
        assert result["seconds_per_epoch"]["compute_limit"][b] == pytest.approx(limit)
    names = [r["name"] for r in result["ratios"]]
    assert names[: len(report.TARGETS)] == [t[0] for t in report.TARGETS]
    assert any("iris" in name for name in names) and any("images" in name for name in names)
    assert all(r["value"] is not None and r["ok"] in (True, False) for r in result["ratios"])
    for key in ("cpus", "cpu_model", "tensorflow", "onednn", "intra_op_threads"):
        assert key in result["machine"]

    # PCA with one component on iris: RMSE 0.293 (the chapter's errata, measured independently).
    iris = result["quality"]["iris"]
    assert iris["pca"] == pytest.approx(0.293, abs=0.002)
    assert iris["mean"] > iris["pca"]
    for config in ("book", "course"):
        assert iris[config]["rmse"] > 0
        assert iris[config]["vs_pca"] == pytest.approx(iris[config]["rmse"] / iris["pca"])

    assert "| method | batch 1 | batch 10 | batch 100 | batch 500 |" in markdown
    assert markdown.count("\n| ") >= len(METHODS) + len(result["ratios"]) + 2
    for label in report.METHOD_LABELS.values():
        assert label in markdown
    assert "Load average" in markdown


def test_image_quality_over_its_time_budget_misses_the_target():
    def part(vs_pca, seconds):
        return {"vs_pca": vs_pca, "seconds": seconds}

    quality = {
        "iris": {"course": part(1.05, 2.0)},
        "images": {"course": part(1.10, 45.0), "budget_s": 30.0},
    }
    got = {r["name"]: r["ok"] for r in report.extra_targets(quality)}
    assert got["course config RMSE / PCA's, iris"] is True
    assert got["course config RMSE / PCA's, images, 30 s"] is False  # good RMSE, but too slow


def test_a_failing_notebook_misses_the_suite_target():
    suite = {"total_s": 120.0, "notebooks": {"a.ipynb": {"seconds": 120.0, "error": "boom"}}}
    (target,) = report.extra_targets(notebooks=suite)
    assert target["value"] == 120.0 and target["ok"] is False


@pytest.mark.slow
def test_a_failing_nbgrader_run_is_one_line_that_says_why(tmp_path):
    from benchmarks import notebooks

    nbs = notebooks.solution_notebooks(REPO)[:1]
    notebooks._course(REPO, tmp_path, nbs)
    with pytest.raises(RuntimeError) as info:
        notebooks._nbgrader(tmp_path, "autograde", "--no-such-option")
    message = str(info.value)
    assert "\n" not in message, "the report prints it on one line"
    assert "`nbgrader autograde --no-such-option" in message
    assert "unrecognized arguments: --no-such-option" in message


@pytest.mark.parametrize("key", ["startup", "notebooks", "autograde"])
def test_a_failed_measurement_is_reported_not_a_crash(key):
    failed = {"seconds": None, "error": "CalledProcessError: nbgrader exited with 1"}
    assert report._timing_section(key, failed) == [
        "**Failed:** CalledProcessError: nbgrader exited with 1"
    ]
