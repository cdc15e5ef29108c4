"""ydata-profiling's profile of the default data beside clearance's prepare + inspect.

ydata-profiling is installed only for this comparison, into its own virtual
environment at /tmp/ydata-venv (created when missing); it never goes into the
project's venv.

    .venv/bin/python benchmarks/bench_ydata.py [--no-minimal] [--venv DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import export_default, run_measured, run_prepare_inspect, step_timings  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=YDATA_VENV, help="the ydata-profiling venv")
    parser.add_argument("--no-minimal", action="store_true", help="skip the minimal=True profile")
    args = parser.parse_args()

    ydata_python = ensure_venv(args.venv)
    version = subprocess.run([str(ydata_python), "-c", "import ydata_profiling; print(ydata_profiling.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-ydata-"))
    try:
        csv_path = export_default(work)
        clearance = run_prepare_inspect(csv_path, "text", "sentiment", ["confidence"], work / "clearance")
        print(f"clearance prepare+inspect ({clearance.rows} rows): {clearance.seconds:.1f} s wall "
              f"(prepare {clearance.prepare.seconds:.1f} s, inspect {clearance.inspect.seconds:.1f} s), "
              f"peak {clearance.peak_mb:.0f} MB")
        for title, seconds in step_timings(clearance.inspect.output):
            print(f"    clearance step {seconds:6.1f} s  {title}")

        results = {}
        for minimal in ([False] if args.no_minimal else [False, True]):
            label = f"ydata-profiling {version} minimal={minimal}"
            out = work / f"ydata_minimal_{minimal}.html"
            measured = run_measured([str(ydata_python), "-c", PROFILE_CODE, str(csv_path), str(out),
                                     "1" if minimal else "0"], cwd=work)
            if measured.returncode != 0:
                sys.exit(f"{label} failed (exit {measured.returncode}):\n{measured.output[-4000:]}")
            results[minimal] = measured
            print(f"{label} ({int(bench_value(measured.output, 'rows'))} rows): {measured.seconds:.1f} s wall "
                  f"(imports {bench_value(measured.output, 'import_s'):.1f} s, read_csv "
                  f"{bench_value(measured.output, 'read_csv_s'):.1f} s, ProfileReport+to_file "
                  f"{bench_value(measured.output, 'profile_s'):.1f} s), peak {measured.peak_mb:.0f} MB, "
                  f"report {out.stat().st_size / 1e6:.1f} MB")

        print("== summary ==")
        print(f"clearance prepare+inspect: {clearance.seconds:.1f} s")
        for minimal, measured in results.items():
            print(f"ydata-profiling minimal={minimal}: {measured.seconds:.1f} s; "
                  f"ratio ydata/clearance = {measured.seconds / clearance.seconds:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
