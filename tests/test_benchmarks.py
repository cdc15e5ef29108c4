"""Every benchmark runs: each benchmarks/bench_*.py in its smoke mode (tiny inputs, one repeat) must exit 0
and print at least one summary row, so a benchmark that rots (a moved config, a renamed key) fails here,
naming the script. The scripts are found by glob: a new one is covered with no list to update."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# Far above a smoke run's seconds: only a hung script (or a machine many times slower) reaches it.
SMOKE_TIMEOUT_S = 600


def _load_runner():
    """benchmarks/run_all.py as a module: the same runner `make bench` uses."""
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCHMARKS / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


run_all = _load_runner()


@pytest.mark.parametrize("script", run_all.scripts(BENCHMARKS), ids=lambda path: path.name)
def test_benchmark_smoke(script: Path) -> None:
    run = run_all.run_script(script, smoke=True, timeout=SMOKE_TIMEOUT_S)
    problem = run_all.failure(run)
    assert problem is None, problem


BROKEN = """
import sys
from pathlib import Path
sys.path.insert(0, {benchmarks!r})
from _common import add_smoke
import argparse
parser = argparse.ArgumentParser()
add_smoke(parser)
parser.parse_args()
from clearance.core.compose import compose
compose(conf_dir=Path("default/conf"))  # the rot issue 18 found: a config path that moved
"""
WORKING = """
import sys
sys.path.insert(0, {benchmarks!r})
from _common import result
assert "--smoke" in sys.argv
print("measuring")
result("a figure", "< 1 s", "0.5 s", True)
"""


def _write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(code.format(benchmarks=str(BENCHMARKS)), encoding="utf-8")
    return path


def test_a_broken_benchmark_fails_naming_the_script(tmp_path: Path) -> None:
    run = run_all.run_script(_write(tmp_path, "bench_broken.py", BROKEN), smoke=True, timeout=120)
    problem = run_all.failure(run)
    assert problem is not None
    assert "bench_broken.py" in problem and "exited 1" in problem
    assert "default/conf/config.yaml: file not found" in problem  # the tail of its output shows why


def test_a_benchmark_without_a_summary_row_fails(tmp_path: Path) -> None:
    run = run_all.run_script(_write(tmp_path, "bench_quiet.py", "print('a figure, no row')\n"), smoke=True)
    problem = run_all.failure(run)
    assert problem is not None and "bench_quiet.py" in problem and "BENCH-RESULT" in problem


def test_run_all_prints_the_table_and_names_the_failed_script(tmp_path: Path, capsys) -> None:
    _write(tmp_path, "bench_broken.py", BROKEN)
    _write(tmp_path, "bench_working.py", WORKING)
    assert run_all.main(["--smoke"], folder=tmp_path) == 1
    printed = capsys.readouterr().out
    assert "measuring" in printed  # each script's output is streamed
    table = printed.split("===== summary")[1]
    assert re.search(r"figure +\| goal +\| value +\| met", table)
    assert "a figure" in table and "MET" in table
    assert "bench_broken.py" in table and f"FAILED: {tmp_path.resolve() / 'bench_broken.py'} exited 1" in table


def _load_pipeline_benchmark():
    """benchmarks/bench_pipeline.py as a module (benchmarks/ on sys.path for its `_common` import)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("bench_pipeline", BENCHMARKS / "bench_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _rows(printed: str) -> dict[str, tuple[str, ...]]:
    """The summary rows printed, by figure: (goal, value, met)."""
    prefix = run_all.RESULT_PREFIX + "\t"
    return {cells[0]: tuple(cells[1:]) for cells in
            (line[len(prefix):].split("\t") for line in printed.splitlines() if line.startswith(prefix))}


def test_pipeline_benchmark_reports_steps_3_and_4_of_a_finished_journey(journey, capsys) -> None:
    """The smoke run stops at gate 1; the step-3 and step-4 figures are read from a project through all four
    gates, with made-up stage seconds."""
    import json

    bench = _load_pipeline_benchmark()
    stages = [("train_model", 30.0), ("sweep", 50.0), ("seed_runs", 20.0), ("gate_sweep", 1.0)]
    bench.report_steps(stages, "sweep", peak=512.0)
    bench.report_step3(journey.root, 120.0, stages[:1], peak_mb=400.0)
    bench.report_sweep(journey.root, stages)
    rows = _rows(capsys.readouterr().out)

    assert rows["whole pipeline, four gates"][:3] == ("<= 15 min", "101 s (1.7 min)", "MET")
    assert rows["step 3, gate 2 cleared -> gate 3"] == ("<= 10 min", "120 s (2.0 min)", "MET")
    metrics = json.loads((journey.root / "reports/model/metrics.json").read_text())
    assert rows["step 3, training throughput"][1] == f"{metrics['samples_per_second']} samples/s"
    assert "step 3, epochs seen" in rows
    assert rows["sweep + seed re-runs"] == ("-", "70 s (1.2 min)", "-")
    seeds = json.loads((journey.root / "reports/sweep/seeds.json").read_text())
    reused = sum(t is not None for name in ("best", "reference") for t in seeds[name]["trials"])
    assert rows["seed re-runs reused from trials"][1] == f"{reused} of {2 * len(seeds['seeds'])}"
    measured = json.loads((journey.root / "reports/sweep/measurements.json").read_text())
    complete = sum(t["state"] == "COMPLETE" for t in measured["trials"])
    assert rows["sweep trials (complete)"][1] == f"{len(measured['trials'])} ({complete})"
    final = json.loads((journey.root / "reports/sweep/final.json").read_text())
    figure = next(name for name in rows if name.startswith("final choice"))
    assert (final["chosen"] or "none") in rows[figure][1]
