"""`clearance gate inspect --no-track`: seconds per call, blocked and cleared, and heavy imports.

Goal: under 0.5 s a call, and neither torch, mlflow nor sklearn imported.

    .venv/bin/python benchmarks/bench_gate.py [--repeat N] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
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

GOAL_S = 0.5
HEAVY = ("torch", "mlflow", "sklearn")
GATE = ["gate", "inspect", "--no-track"]


def check(cid: str, status: str, value, threshold, message: str, fix: str = "") -> dict:
    return {"id": cid, "status": status, "value": value, "threshold": threshold, "message": message, "fix": fix,
            "direction": "max"}


FINGERPRINT = "0123456789ab"


def write_evidence(folder: Path) -> None:
    """The manifest the judging stage writes: a fingerprint and the required questions (of one class per text,
    what the shipped question file holds)."""
    from clearance.checklist.required import required_questions
    from clearance.inspection.judge.run import QUESTIONS

    manifest = {"step": "inspect", "fingerprint": FINGERPRINT, "basis": {},
                "questions": required_questions(QUESTIONS, "single_label")}
    (folder / "evidence.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


BLOCKED_CHECKS = [
    check("class_imbalance", "warn", 2.33, 3.0, "largest class / smallest class"),
    check("duplicates", "pass", 0.024, 0.05, "share of rows repeating an earlier text"),
    check("mojibake", "fail", 0.081, 0.05, "share of texts with mis-decoded characters",
          "repair the encoding (ftfy) or waive it"),
    check("split_overlap", "pass", 0.0, 0.0, "held-out rows whose text is also in train"),
]
PASSING_CHECKS = [
    check("class_imbalance", "pass", 1.2, 3.0, "largest class / smallest class"),
    check("duplicates", "pass", 0.01, 0.05, "share of rows repeating an earlier text"),
    check("mojibake", "pass", 0.0, 0.05, "share of texts with mis-decoded characters"),
    check("split_overlap", "pass", 0.0, 0.0, "held-out rows whose text is also in train"),
]


def time_gate(repo: Path, env: dict, repeat: int, expect: int) -> list[float]:
    """Seconds of ``repeat`` calls of the console script, checking each exit code."""
    return time_command([str(VENV_BIN / "clearance"), *GATE], repo, env, repeat, expect)


def heavy_imports(repo: Path, env: dict) -> tuple[set[str], set[str]]:
    """Heavy top-level packages one gate call imports: those -X importtime saw, and those left in sys.modules
    (one process gives both: the CLI's main called in-process imports what `clearance gate` does)."""
    code = ("import sys\nfrom clearance.cli import main\n"
            f"try:\n    main({GATE!r})\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY:' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    probe = subprocess.run([str(VENV_BIN / "python"), "-X", "importtime", "-c", code], cwd=repo, env=env,
                           capture_output=True, text=True)
    seen = set()
    for line in probe.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            if module.split(".")[0] in HEAVY:
                seen.add(module.split(".")[0])
    marked = [line for line in probe.stdout.splitlines() if line.startswith("HEAVY:")]
    if not marked:
        sys.exit(f"the import probe failed:\n{probe.stdout}{probe.stderr[-4000:]}")
    in_process = set(filter(None, marked[-1][len("HEAVY:"):].split(",")))
    return seen, in_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    add_smoke(parser)
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat

    work = Path(tempfile.mkdtemp(prefix="clearance-bench-gate-"))
    try:
        repo = copy_repo(work / "repo")
        env = venv_env()
        checks_json = repo / "reports" / "inspect" / "checks.json"
        checks_json.parent.mkdir(parents=True, exist_ok=True)
        results = {}

        checks_json.write_text(json.dumps(BLOCKED_CHECKS, indent=2) + "\n", encoding="utf-8")
        write_evidence(checks_json.parent)
        results["blocked (unanswered questions, 1 failing check)"] = time_gate(repo, env, repeat, expect=1)
        blocked_imports = heavy_imports(repo, env)

        checks_json.write_text(json.dumps(PASSING_CHECKS, indent=2) + "\n", encoding="utf-8")
        answered = fill_answers(repo / "checklists" / "inspect.yaml")  # citing the checks it is judged with
        mark_reviewed(repo / "checklists" / "inspect.yaml", FINGERPRINT)
        results[f"cleared ({answered} answers, passing checks)"] = time_gate(repo, env, repeat, expect=0)
        cleared_imports = heavy_imports(repo, env)
        if not (repo / "gates" / "inspect.json").exists():
            sys.exit("the cleared gate wrote no gates/inspect.json")

        for name, times in results.items():
            met = max(times) < GOAL_S
            print(f"gate {name}: {len(times)} runs, median {median(times):.3f} s, max {max(times):.3f} s, "
                  f"min {min(times):.3f} s (goal < {GOAL_S} s: {'MET' if met else 'NOT MET'})")
            result(f"gate {name.split(' ')[0]}, max seconds a call", f"< {GOAL_S} s",
                   f"{max(times):.3f} s (median {median(times):.3f} s)", met)
        for name, (by_importtime, by_modules) in (("blocked", blocked_imports), ("cleared", cleared_imports)):
            heavy = by_importtime | by_modules
            print(f"gate {name}: heavy imports {', '.join(sorted(heavy)) or 'none'} "
                  f"(checked {', '.join(HEAVY)} with -X importtime and sys.modules): "
                  f"{'NOT MET' if heavy else 'MET'}")
            result(f"gate {name}, heavy imports", f"none of {', '.join(HEAVY)}", ", ".join(sorted(heavy)) or "none",
                   not heavy)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
