"""Run every benchmark (benchmarks/bench_*.py) and print one summary table of their goal figures.

Each script's output streams as it runs; its `BENCH-RESULT` rows (see `_common.result`) are collected
and printed at the end as a table, per script: figure | goal | value | met. Exit 1 if any script
failed, naming it. `make bench` runs this in full; `--smoke` passes `--smoke` to every script (tiny
inputs, one repeat: what the tests run, tests/test_benchmarks.py).

    .venv/bin/python benchmarks/run_all.py [--smoke] [--timeout S] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import REPO, RESULT_PREFIX  # noqa: E402

TAIL_LINES = 40  # lines of a failed script's output shown with its failure
HEADER = ("figure", "goal", "value", "met")


@dataclass
class ScriptRun:
    """One benchmark script run: its exit code, wall seconds and output."""

    script: str  # its path, from the repository root when inside it: benchmarks/bench_gate.py
    returncode: int
    seconds: float
    output: str
    timed_out: bool = False

    @property
    def rows(self) -> list[tuple[str, ...]]:
        """Its summary rows: (figure, goal, value, met), from the `BENCH-RESULT` lines it printed."""
        rows = []
        for line in self.output.splitlines():
            if line.startswith(RESULT_PREFIX + "\t"):
                cells = line.rstrip("\n").split("\t")[1:]
                rows.append(tuple((cells + [""] * 4)[:4]))
        return rows

    def tail(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


def scripts(folder: Path = HERE) -> list[Path]:
    """Every benchmark script: bench_*.py in ``folder`` (a new one is picked up with no list to update)."""
    return sorted(folder.glob("bench_*.py"))


def run_script(path: Path, smoke: bool = False, timeout: float | None = None,
               echo: Callable[[str], None] | None = None) -> ScriptRun:
    """Run one benchmark with this interpreter from the repository root; ``echo`` gets each line as it comes.

    The script runs in its own process group, so a timeout also ends the dvc and stage processes it started.
    """
    command = [sys.executable, str(path), *(["--smoke"] if smoke else [])]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", bufsize=1, start_new_session=True)
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if echo:
                echo(line)
        proc.wait()
    finally:
        if timer:
            timer.cancel()
    return ScriptRun(_shown(path), proc.returncode, time.perf_counter() - started, "".join(lines), expired.is_set())


def _shown(path: Path) -> str:
    """``path`` as a message names it: from the repository root when it is inside."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(resolved)


def failure(run: ScriptRun, need_rows: bool = True) -> str | None:
    """Why ``run`` failed, naming the script, with the tail of its output; None when it did not."""
    if run.timed_out:
        why = f"timed out after {run.seconds:.0f} s"
    elif run.returncode != 0:
        why = f"exited {run.returncode} after {run.seconds:.1f} s"
    elif need_rows and not run.rows:
        why = f"printed no {RESULT_PREFIX} row (call _common.result for each goal figure)"
    else:
        return None
    return f"{run.script} {why}; the last lines of its output:\n{run.tail()}"


def table(runs: list[ScriptRun]) -> str:
    """The summary: per script a header line, then its rows as figure | goal | value | met, columns aligned."""
    rows = [HEADER] + [row for run in runs for row in run.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        return "  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    out = [line(HEADER), "  " + "-+-".join("-" * width for width in widths)]
    for run in runs:
        state = ("TIMED OUT" if run.timed_out else f"FAILED (exit {run.returncode})" if run.returncode
                 else "no summary rows" if not run.rows else "ok")
        out.append(f"{Path(run.script).name} ({run.seconds:.1f} s, {state})")
        out += [line(row) for row in run.rows]
    return "\n".join(out)


def main(argv: list[str] | None = None, folder: Path = HERE) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="pass --smoke to every script (tiny inputs, seconds)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds a script may run (default: no limit)")
    parser.add_argument("names", nargs="*", help="run only the scripts whose names contain one of these")
    args = parser.parse_args(argv)
    chosen = [p for p in scripts(folder) if not args.names or any(n in p.name for n in args.names)]
    if not chosen:
        print(f"no benchmark script matches {args.names} in {folder}", file=sys.stderr)
        return 2
    runs = []
    for path in chosen:
        print(f"\n===== {path.name}{' --smoke' if args.smoke else ''} =====", flush=True)
        runs.append(run_script(path, args.smoke, args.timeout, echo=lambda text: print(text, end="", flush=True)))
    failed = [run for run in runs if failure(run, need_rows=False)]
    print(f"\n===== summary: {len(runs)} scripts, {sum(r.seconds for r in runs):.0f} s "
          f"({'smoke' if args.smoke else 'full'} runs) =====")
    print(table(runs))
    for run in failed:
        print(f"\nFAILED: {failure(run, need_rows=False)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
