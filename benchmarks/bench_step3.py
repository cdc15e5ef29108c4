"""Step 3 on the built-in corpus: the wall time from a cleared step-2 gate to the step-3 gate.

In a temporary git copy of the repository: `dvc repro` to the first gate, answer it
(and waive its failing checks, as a user who read the report would), the same for the
second gate, then time the `dvc repro` that runs step 3 (probe_model, judge_probes,
train_model, judge_model) and stops at gate 3. Prints the total (goal <= 10 min on
2 CPU cores), each stage's share (from the moment DVC starts it), the training
figures from reports/model/metrics.json, valid macro-F1 against the best baseline's,
and the peak resident memory of the biggest process. `--smoke`: the debug group on 100 rows (the same
path through three gates: 1-2 min on 2 busy cores).

    .venv/bin/python benchmarks/bench_step3.py [--set key=value ...] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_smoke,
    add_waivers,
    copy_repo,
    fill_answers,
    mark_reviewed,
    result,
    smoke_settings,
    venv_env,
)

GOAL_SECONDS = 600


def run(command: list[str], repo: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


def answer_gate(repo: Path, step: str) -> None:
    """Answer the step's questions, waive its failing checks with a reason, mark the evidence reviewed."""
    checks = json.loads((repo / "reports" / step / "checks.json").read_text(encoding="utf-8"))
    checklist = repo / "checklists" / f"{step}.yaml"
    fill_answers(checklist)
    add_waivers(checklist, [c["id"] for c in checks if c["status"] == "fail"])
    mark_reviewed(checklist)


def timed_repro(repo: Path, env: dict) -> tuple[float, list[tuple[str, float]], float, str]:
    """One `dvc repro`: wall seconds, (stage, seconds from its start to the next), peak RSS MB, output."""
    started = time.perf_counter()
    proc = subprocess.Popen(["dvc", "repro"], cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    marks: list[tuple[str, float]] = []
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Running stage '"):
            marks.append((line.split("'")[1], time.perf_counter() - started))
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - started
    ends = [t for _, t in marks[1:]] + [total]
    stages = [(name, end - start) for (name, start), end in zip(marks, ends)]
    return total, stages, usage.ru_maxrss / 1024, "".join(lines)


def git_copy(target: Path, env: dict, settings: list[str]) -> Path:
    """The repository copied to ``target`` with ``settings`` composed into params.yaml, as a git repo."""
    repo = copy_repo(target)
    if settings:
        run(["clearance", "params", *settings], repo, env)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "benchmark copy"]):
        run(git + command, repo, env)
    return repo


def report_results(total: float, metrics: dict, bar: dict, peak_mb: float) -> None:
    """The summary rows: step 3's wall time against its goal, the model against the bar, the memory."""
    result("step 3, gate 2 cleared -> gate 3", f"<= {GOAL_SECONDS // 60} min", f"{total:.0f} s ({total / 60:.1f} min)",
           total <= GOAL_SECONDS)
    if bar.get("model") is not None and bar.get("baseline") is not None:
        result(f"step 3 valid {bar.get('metric', 'score')}, model against the best baseline", "-",
               f"{bar['model']:.4f} vs {bar['baseline']:.4f} ({bar.get('best_baseline')})", None)
    result("step 3, training throughput", "-", f"{metrics['samples_per_second']} samples/s", None)
    result("step 3, peak resident memory (biggest process)", "-", f"{peak_mb:.0f} MB", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], help="a `clearance params` override, e.g. train.eval_every=200")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.set = smoke_settings(*args.set)
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-step3-"))
    try:
        env = venv_env()
        repo = git_copy(work / "repo", env, args.set)
        for step in ("inspect", "baselines"):
            done = run(["dvc", "repro"], repo, env)
            if not (repo / "reports" / step / "checks.json").exists():
                sys.exit(f"step {step} did not run:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
            answer_gate(repo, step)
        total, stages, peak_mb, output = timed_repro(repo, env)
        if "GATE CLOSED: step 3" not in output:
            sys.exit(f"step 3 did not reach its gate:\n{output[-4000:]}")
        metrics = json.loads((repo / "reports/model/metrics.json").read_text(encoding="utf-8"))
        bar = metrics.get("bar", {})
        print(f"settings: {' '.join(args.set) or 'defaults'}")
        print(f"step 3, gate 2 cleared -> gate 3: {total:.0f} s ({total / 60:.1f} min; goal <= "
              f"{GOAL_SECONDS // 60} min: {'MET' if total <= GOAL_SECONDS else 'NOT MET'})")
        for name, seconds in stages:
            print(f"  {name:<14} {seconds:6.1f} s")
        print(f"training: {metrics['steps']} steps at {metrics['samples_per_second']} samples/s")
        print(f"valid: {json.dumps(metrics['valid'])}")
        print(f"bar: {json.dumps(bar)}")
        print(f"peak resident memory (biggest process): {peak_mb:.0f} MB")
        report_results(total, metrics, bar, peak_mb)
        if args.keep:
            print(f"kept: {repo}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
