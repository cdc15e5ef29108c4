"""A no-op `dvc repro` (every stage up to date, every gate cleared): seconds per call.

In a temporary copy of the repository (with git init and a commit) and a small
synthetic CSV: each `dvc repro` stops at the next gate, whose questions are
then answered and failing checks waived, until one clears the last gate; then
`dvc repro` (timed, N times) must find nothing to do.

`--smoke`: the debug group on 100 rows, step 1 only (`dvc repro gate_inspect`, cleared, then one no-op
`dvc repro gate_inspect`): the same loop on the smallest pipeline that has a gate.

    .venv/bin/python benchmarks/bench_dvc_noop.py [--repeat N] [--rows N] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SMOKE_SAMPLE,
    add_smoke,
    add_waivers,
    copy_repo,
    fill_answers,
    mark_reviewed,
    median,
    result,
    smoke_settings,
    venv_env,
)
from synthetic import write_csv  # noqa: E402

NOTHING_TO_DO = ("didn't change", "is up to date", "up to date")
CUSTOM = ["data=custom", "data.path=data/bench.csv", "data.text_column=text", "data.label_column=label",
          "data.keep_columns=[]"]


def run(command: list[str], repo: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


def must(done: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if done.returncode != 0:
        sys.exit(f"{what} failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=600, help="rows of the synthetic CSV")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.repeat, args.rows = 1, SMOKE_SAMPLE

    work = Path(tempfile.mkdtemp(prefix="clearance-bench-dvc-"))
    try:
        repo = copy_repo(work / "repo")
        env = venv_env(DVC_NO_ANALYTICS="1")
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
        must(run(git + ["init", "-q"], repo, env), "git init")
        must(run(git + ["add", "-A"], repo, env), "git add")
        must(run(git + ["commit", "-q", "-m", "benchmark copy"], repo, env), "git commit")

        write_csv(repo / "data" / "bench.csv", args.rows, seed=1)
        settings = smoke_settings(*CUSTOM) if args.smoke else CUSTOM
        must(run(["clearance", "params", *settings], repo, env), "clearance params")

        # Each `dvc repro` runs up to the next closed gate; answer that step and go on.
        steps = [path.stem for path in sorted((repo / "checklists").glob("*.yaml"),
                                              key=lambda p: int(re.search(r"^order: (\d+)", p.read_text(), re.M)[1]))]
        if args.smoke:  # the first gate only: every step goes through the same loop
            steps = steps[:1]
        repro = ["dvc", "repro", f"gate_{steps[-1]}"] if args.smoke else ["dvc", "repro"]
        for number, step in enumerate(steps, start=1):
            start = time.perf_counter()
            blocked = run(repro, repo, env)
            print(f"dvc repro #{number} (stops at the {step} gate): exit {blocked.returncode}, "
                  f"{time.perf_counter() - start:.1f} s")
            if blocked.returncode == 0 or f"gate_{step}" not in blocked.stdout + blocked.stderr:
                sys.exit(f"dvc repro #{number} should have stopped at gate_{step}:\n"
                         + blocked.stdout[-4000:] + blocked.stderr[-4000:])
            checklist = repo / "checklists" / f"{step}.yaml"
            answered = fill_answers(checklist)
            checks = json.loads((repo / "reports" / step / "checks.json").read_text(encoding="utf-8"))
            failing = [c["id"] for c in checks if c["status"] == "fail"]
            add_waivers(checklist, failing)
            mark_reviewed(checklist)
            print(f"  {step}: answered {answered} questions; waived {len(failing)} failing checks: "
                  f"{', '.join(failing) or 'none'}")

        start = time.perf_counter()
        must(run(repro, repo, env), "the last dvc repro (should clear every gate)")
        print(f"dvc repro #{len(steps) + 1} (clears the last gate): exit 0, {time.perf_counter() - start:.1f} s")

        times = []
        for i in range(args.repeat):
            start = time.perf_counter()
            done = must(run(repro, repo, env), f"no-op dvc repro #{i + 1}")
            times.append(time.perf_counter() - start)
            text = done.stdout + done.stderr
            if "Running stage" in text or not any(s in text for s in NOTHING_TO_DO):
                sys.exit(f"no-op dvc repro #{i + 1} was not a no-op:\n{text}")
        last = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        print("no-op output: " + " | ".join(last[-6:]))
        print(f"no-op dvc repro: {len(times)} runs, median {median(times):.2f} s, max {max(times):.2f} s, "
              f"min {min(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})")
        result(f"no-op {' '.join(repro)}, median seconds", "-", f"{median(times):.2f} s (max {max(times):.2f} s)",
               None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
