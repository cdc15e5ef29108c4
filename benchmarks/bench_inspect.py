"""Step 1 (prepare, inspect, judge_inspect): wall time and peak memory on the default data and on N synthetic rows.

Each stage runs as DVC runs it (`python stages/<name>.py`, MLflow logging included) in a temporary copy
of the repository whose params.yaml is composed from conf/ (`clearance params`): the built-in corpus
with the default settings, the synthetic rows with `data=custom`; `--smoke` adds `debug=tiny`.

Goals: step 1 on the default data (38k rows) under 60 s, the time per row at 1M rows within 2x of the
default's, and at 1M rows peak memory at most 6 GB.

    .venv/bin/python benchmarks/bench_inspect.py [--rows N] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Measured,
    add_builtin_corpus,
    add_smoke,
    in_steps,
    project_copy,
    result,
    run_stage,
    step_timings,
    venv_env,
    verdict,
)
from synthetic import write_csv  # noqa: E402

DEFAULT_GOAL_S = 60.0
RATIO_GOAL = 2.0
PEAK_GOAL_MB = 6000.0
STEP1 = ("prepare", "inspect_data", "judge_inspect")
SMOKE_ROWS = 2000


@dataclass
class StepTiming:
    """Step 1's stages on one dataset."""

    rows: int  # rows read (data.sample may keep fewer)
    kept: int  # rows in the prepared splits, the ones inspect measures
    stages: dict[str, Measured]

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.stages.values())

    @property
    def peak_mb(self) -> float:
        return max(m.peak_mb for m in self.stages.values())

    def step_seconds(self) -> float:
        """Seconds inside the stages' progress steps (no interpreter start, imports or MLflow logging)."""
        return sum(in_steps(m.output) for m in self.stages.values())


def run_step1(repo: Path, env: dict) -> StepTiming:
    """prepare, inspect and judge_inspect in ``repo``, each in its own subprocess."""
    stages = {name: run_stage(repo, name, env) for name in STEP1}
    summary = json.loads((repo / "data" / "prepared" / "summary.json").read_text(encoding="utf-8"))
    return StepTiming(summary["clean"]["rows_read"], sum(summary["sizes"].values()), stages)


def report(name: str, t: StepTiming) -> None:
    """Each stage's wall time, seconds in its steps and peak memory; then step 1's totals."""
    print(f"[{name}] rows {t.rows} read, {t.kept} kept")
    for stage, m in t.stages.items():
        print(f"[{name}] {stage}: {m.seconds:.1f} s wall ({in_steps(m.output):.1f} s in its steps), "
              f"peak {m.peak_mb:.0f} MB")
        for title, seconds in step_timings(m.output):
            print(f"[{name}]    {stage} step {seconds:7.1f} s  {title}")
    print(f"[{name}] step 1 (prepare+inspect+judge): {t.seconds:.1f} s wall, {t.seconds / t.rows * 1e6:.1f} us/row; "
          f"in steps {t.step_seconds():.1f} s, {t.step_seconds() / t.rows * 1e6:.1f} us/row; peak {t.peak_mb:.0f} MB")


def synthetic_project(work: Path, rows: int, overrides: list[str], env: dict) -> Path:
    """A project copy reading ``rows`` synthetic rows through data=custom."""
    repo = project_copy(work / "synthetic", ["data=custom", "data.path=data/raw/synthetic.csv", *overrides], env)
    start = time.perf_counter()
    csv_path = write_csv(repo / "data" / "raw" / "synthetic.csv", rows)
    print(f"[synthetic] generated {rows} rows in {time.perf_counter() - start:.1f} s "
          f"({csv_path.stat().st_size / 1e6:.0f} MB CSV; not counted)", flush=True)
    return repo


def summarise(default: StepTiming, synth: StepTiming, smoke: bool) -> None:
    """The summary lines and the BENCH-RESULT rows."""
    per_row_default, per_row_synth = default.seconds / default.rows, synth.seconds / synth.rows
    ratio = per_row_synth / per_row_default
    step_ratio = (synth.step_seconds() / synth.rows) / (default.step_seconds() / default.rows)
    print("== summary ==")
    for name, t in (("default", default), ("synthetic", synth)):
        print(f"{name:<9} rows {t.rows:>9}  {t.seconds:8.1f} s  {t.seconds / t.rows * 1e6:8.1f} us/row  "
              f"peak {t.peak_mb:6.0f} MB")
    print(f"per-row time ratio synthetic/default (wall): {ratio:.2f}x "
          f"(goal <= {RATIO_GOAL:.0f}x: {'MET' if ratio <= RATIO_GOAL else 'NOT MET'})")
    print(f"per-row time ratio synthetic/default (in steps only, no start-up/imports/logging): {step_ratio:.2f}x")
    print(f"default step 1 {default.seconds:.1f} s "
          f"(goal < {DEFAULT_GOAL_S:.0f} s: {'MET' if default.seconds < DEFAULT_GOAL_S else 'NOT MET'})")
    tag = " (smoke: debug=tiny)" if smoke else ""
    result(f"step 1 on the built-in corpus, seconds{tag}", f"< {DEFAULT_GOAL_S:.0f} s", f"{default.seconds:.1f} s",
           verdict(default.seconds < DEFAULT_GOAL_S, smoke))
    result(f"step 1 time per row, {synth.rows} synthetic rows / built-in corpus{tag}", f"<= {RATIO_GOAL:.0f}x",
           f"{ratio:.2f}x ({per_row_synth * 1e6:.0f} vs {per_row_default * 1e6:.0f} us/row)",
           verdict(ratio <= RATIO_GOAL, smoke))
    result(f"step 1 peak memory, {synth.rows} synthetic rows{tag}", f"<= {PEAK_GOAL_MB / 1000:.0f} GB",
           f"{synth.peak_mb:.0f} MB", verdict(synth.peak_mb <= PEAK_GOAL_MB, smoke))
    result(f"step 1 wall time, {synth.rows} synthetic rows{tag}", "-", f"{synth.seconds:.1f} s", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows (default 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work directory")
    add_smoke(parser)
    args = parser.parse_args()
    rows = SMOKE_ROWS if args.smoke else args.rows
    overrides = ["debug=tiny"] if args.smoke else []

    env = venv_env(PYTHONUNBUFFERED="1", COLUMNS="120")
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-inspect-"))
    try:
        repo = project_copy(work / "default", overrides, env)
        add_builtin_corpus(repo)
        default = run_step1(repo, env)
        report("default", default)
        synth = run_step1(synthetic_project(work, rows, overrides, env), env)
        report("synthetic", synth)
        summarise(default, synth, args.smoke)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
