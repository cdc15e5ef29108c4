"""prepare + inspect: wall time and peak memory on the default data and on N synthetic rows.

Goals: prepare + inspect of the default data (38k rows) under 60 s, and the
time per row at 1M rows within 2x of the default's.

    .venv/bin/python benchmarks/bench_inspect.py [--rows N] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PipelineTiming, export_default, run_prepare_inspect, step_timings  # noqa: E402
from synthetic import write_csv  # noqa: E402

DEFAULT_GOAL_S = 60.0
RATIO_GOAL = 2.0


def report(name: str, t: PipelineTiming) -> None:
    compute = t.compute_seconds()
    print(f"[{name}] rows {t.rows}")
    print(f"[{name}] prepare: {t.prepare.seconds:.1f} s wall ({_compute(t.prepare.output, 'prepare')}), "
          f"peak {t.prepare.peak_mb:.0f} MB")
    print(f"[{name}] inspect: {t.inspect.seconds:.1f} s wall ({_compute(t.inspect.output, 'inspect')}), "
          f"peak {t.inspect.peak_mb:.0f} MB")
    for title, seconds in step_timings(t.inspect.output):
        print(f"[{name}]    inspect step {seconds:7.1f} s  {title}")
    print(f"[{name}] prepare+inspect: {t.seconds:.1f} s wall, {t.seconds / t.rows * 1e6:.1f} us/row; "
          f"compute {compute:.1f} s, {compute / t.rows * 1e6:.1f} us/row; peak {t.peak_mb:.0f} MB")


def _compute(output: str, phase: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"BENCH {phase}_compute_s "):
            function = "prepare()" if phase == "prepare" else "run_inspection()"
            return f"{float(line.split()[2]):.1f} s inside {function}"
    return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows (default 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="clearance-bench-inspect-"))
    try:
        default_dir = work / "default"
        default_dir.mkdir()
        csv_path = export_default(default_dir)
        default = run_prepare_inspect(csv_path, "text", "sentiment", ["confidence"], default_dir)
        report("default", default)

        synth_dir = work / "synthetic"
        start = time.perf_counter()
        synth_csv = write_csv(synth_dir / "synthetic.csv", args.rows)
        print(f"[synthetic] generated {args.rows} rows in {time.perf_counter() - start:.1f} s "
              f"({synth_csv.stat().st_size / 1e6:.0f} MB CSV; not counted)")
        synth = run_prepare_inspect(synth_csv, "text", "label", [], synth_dir)
        report("synthetic", synth)

        per_row_default = default.seconds / default.rows
        per_row_synth = synth.seconds / synth.rows
        ratio = per_row_synth / per_row_default
        compute_ratio = (synth.compute_seconds() / synth.rows) / (default.compute_seconds() / default.rows)
        print("== summary ==")
        print(f"default   rows {default.rows:>9}  {default.seconds:8.1f} s  "
              f"{per_row_default * 1e6:8.1f} us/row  peak {default.peak_mb:6.0f} MB")
        print(f"synthetic rows {synth.rows:>9}  {synth.seconds:8.1f} s  "
              f"{per_row_synth * 1e6:8.1f} us/row  peak {synth.peak_mb:6.0f} MB")
        print(f"per-row time ratio synthetic/default (wall): {ratio:.2f}x "
              f"(goal <= {RATIO_GOAL:.0f}x: {'MET' if ratio <= RATIO_GOAL else 'NOT MET'})")
        print(f"per-row time ratio synthetic/default (compute only, no start-up/imports): {compute_ratio:.2f}x "
              f"(goal <= {RATIO_GOAL:.0f}x: {'MET' if compute_ratio <= RATIO_GOAL else 'NOT MET'})")
        print(f"default prepare+inspect {default.seconds:.1f} s "
              f"(goal < {DEFAULT_GOAL_S:.0f} s: {'MET' if default.seconds < DEFAULT_GOAL_S else 'NOT MET'})")
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
