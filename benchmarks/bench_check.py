"""`clearance check`: seconds per call on a project whose step 1 is cleared, against `python -c pass`.

Goal: under 0.5 s a call (what a pre-commit hook or a CI step can afford on every push). It reads
files only, so the figure is the interpreter's start plus the checklist engine's imports and reads.

    .venv/bin/python benchmarks/bench_check.py [--repeat N] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    VENV_BIN,
    add_smoke,
    copy_repo,
    fill_answers,
    mark_reviewed,
    median,
    result,
    time_command,
    venv_env,
)
from bench_gate import FINGERPRINT, PASSING_CHECKS, write_evidence  # noqa: E402

GOAL_S = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    add_smoke(parser)
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat

    work = Path(tempfile.mkdtemp(prefix="clearance-bench-check-"))
    try:
        repo = copy_repo(work / "repo")
        env = venv_env()
        checks_json = repo / "reports" / "inspect" / "checks.json"
        checks_json.parent.mkdir(parents=True, exist_ok=True)
        checks_json.write_text(json.dumps(PASSING_CHECKS, indent=2) + "\n", encoding="utf-8")
        write_evidence(checks_json.parent)
        fill_answers(repo / "checklists" / "inspect.yaml")
        mark_reviewed(repo / "checklists" / "inspect.yaml", FINGERPRINT)

        check = time_command([str(VENV_BIN / "clearance"), "check"], repo, env, repeat, expect=0)
        bare = time_command([str(VENV_BIN / "python"), "-c", "pass"], repo, env, repeat, expect=0)
        met = median(check) < GOAL_S
        print(f"clearance check: {repeat} runs, median {median(check):.3f} s, max {max(check):.3f} s "
              f"(goal < {GOAL_S} s: {'MET' if met else 'NOT MET'})")
        print(f"python -c pass: {repeat} runs, median {median(bare):.3f} s")
        print(f"clearance check / python -c pass: {median(check) / median(bare):.1f}x "
              f"(+{median(check) - median(bare):.3f} s over the bare interpreter)")
        result("clearance check, median seconds a call", f"< {GOAL_S} s", f"{median(check):.3f} s "
               f"({median(check) / median(bare):.1f}x python -c pass)", met)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
