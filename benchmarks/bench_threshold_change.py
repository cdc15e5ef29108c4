"""`dvc repro` after a threshold change: only the judging re-runs, never the measuring.

In a temporary copy of the repository (git init + commit), on the built-in corpus
(or `--rows N` synthetic rows): run the pipeline up to the first gate, then
`clearance params checks.inspect.duplicate_warn=0.2` and time `dvc repro`
(judge_inspect + gate_inspect). For comparison, time what the same change cost
when thresholds fed the measuring stage: `dvc repro --force --downstream inspect`
(inspect + judge_inspect + gate_inspect). Prints both and their ratio, measured
alternately ``--repeat`` times. `--smoke`: the debug group on 100 rows of the built-in corpus, one repeat.

    .venv/bin/python benchmarks/bench_threshold_change.py [--repeat N] [--rows N] [--smoke]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_smoke, copy_repo, median, result, smoke_settings, venv_env  # noqa: E402
from synthetic import write_csv  # noqa: E402

MEASURING = ("builtin_data", "prepare", "inspect", "baselines")


def run(command: list[str], repo: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


def timed_repro(command: list[str], repo: Path, env: dict) -> tuple[float, list[str]]:
    """Seconds of one `dvc repro …` (a closed gate exits 1, as expected) and the stages it ran."""
    start = time.perf_counter()
    done = run(command, repo, env)
    seconds = time.perf_counter() - start
    ran = [line.split("'")[1] for line in done.stdout.splitlines() if line.startswith("Running stage '")]
    if "Traceback" in done.stdout + done.stderr or not ran:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds, ran


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=0, help="synthetic rows instead of the built-in corpus")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.repeat = 1
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-threshold-"))
    try:
        repo = copy_repo(work / "repo")
        env = venv_env()
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "benchmark copy"]):
            run(git + command, repo, env)
        base = []
        if args.rows:
            write_csv(repo / "data" / "bench.csv", args.rows)
            base = ["data=custom", "data.path=data/bench.csv"]
        if args.smoke:
            base = smoke_settings(*base)
        run(["clearance", "params", *base], repo, env)
        first, _ = timed_repro(["dvc", "repro"], repo, env)
        print(f"first dvc repro (up to gate 1): {first:.1f} s")
        after, before = [], []
        for i in range(args.repeat):
            warn = 0.2 if i % 2 == 0 else 0.3
            run(["clearance", "params", *base, f"checks.inspect.duplicate_warn={warn}"], repo, env)
            seconds, ran = timed_repro(["dvc", "repro"], repo, env)
            if set(ran) & set(MEASURING):
                sys.exit(f"a threshold change re-ran a measuring stage: {ran}")
            after.append(seconds)
            rerun = ran
            seconds, ran = timed_repro(["dvc", "repro", "--force", "--downstream", "inspect"], repo, env)
            before.append(seconds)
        print(f"threshold change, now   (ran judge_inspect, gate_inspect): median {median(after):.2f} s "
              f"over {len(after)} runs")
        print(f"threshold change, as it was (inspect re-measured too):     median {median(before):.2f} s "
              f"over {len(before)} runs")
        print(f"ratio now / as it was: {median(after) / median(before):.3f}")
        # a measuring stage re-run exits above, so reaching this row means the goal is met
        result("threshold change, stages dvc repro re-runs", "no measuring stage", ", ".join(rerun), True)
        result("threshold change, seconds now / as it was", "-", f"{median(after):.2f} / {median(before):.2f} s = "
               f"{median(after) / median(before):.3f}", None)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
