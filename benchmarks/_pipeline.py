"""Helpers for driving the DVC journey in a temporary git copy of the repository (not a benchmark itself).

`dvc repro` runs until a gate closes; the gate is answered as a user who read the report would (every
question answered, every failing check waived with a reason, the evidence marked reviewed) and
`dvc repro` runs again, until the gate of the chosen step clears. Each `dvc repro` is timed per stage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import add_waivers, compose_params, copy_repo, fill_answers, mark_reviewed

STEPS = ("inspect", "baselines", "model", "sweep")
STEP_OF = {"builtin_data": "inspect", "prepare": "inspect", "inspect": "inspect", "judge_inspect": "inspect",
           "gate_inspect": "inspect", "baselines": "baselines", "judge_baselines": "baselines",
           "gate_baselines": "baselines", "probe_model": "model", "judge_probes": "model", "train_model": "model",
           "judge_model": "model", "gate_model": "model", "sweep": "sweep", "seed_runs": "sweep",
           "choose_final": "sweep", "final_test": "sweep", "judge_sweep": "sweep", "gate_sweep": "sweep",
           "register": "sweep", "summary": "sweep"}
# Stages that measure (read the data, fit models): a threshold change must re-run none of them.
MEASURING = ("builtin_data", "prepare", "inspect", "baselines")
NOTHING_TO_DO = ("didn't change", "is up to date", "up to date")
SYNTHETIC_CSV = "data/bench.csv"
CUSTOM = ["data=custom", f"data.path={SYNTHETIC_CSV}", "data.text_column=text", "data.label_column=label",
          "data.keep_columns=[]"]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


@dataclass
class Repro:
    """One `dvc repro`: exit code, wall seconds, (stage, seconds from its start to the next), peak RSS, output."""

    returncode: int
    seconds: float
    stages: list[tuple[str, float]]
    peak_mb: float
    output: str

    @property
    def ran(self) -> list[str]:
        return [name for name, _ in self.stages]


@dataclass
class Leg:
    """One `dvc repro` of the journey and the gate it stopped at (``cleared``: the last one, which clears)."""

    gate: str  # the step whose gate closed, or "cleared"
    repro: Repro


def run(command: list[str], repo: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


def git_copy(target: Path, env: dict, settings: list[str]) -> Path:
    """The repository copied to ``target`` with ``settings`` composed into params.yaml, committed as a git repo
    (DVC needs one; the stages record the commit)."""
    repo = copy_repo(target)
    if settings:
        compose_params(repo, settings, env)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "benchmark copy"]):
        done = run(GIT + command, repo, env)
        if done.returncode != 0:
            sys.exit(f"git {command[0]} failed:\n{done.stdout}{done.stderr}")
    return repo


def synthetic_settings(repo: Path, rows: int) -> list[str]:
    """Write ``rows`` synthetic rows into ``repo`` (uncommitted: git need not hash a large file);
    return the `clearance params` overrides that read them."""
    from synthetic import write_csv

    write_csv(repo / SYNTHETIC_CSV, rows, seed=1)
    return list(CUSTOM)


def repro_command(through: str) -> list[str]:
    """`dvc repro` up to ``through``'s gate; the whole pipeline (register and summary too) for the last step."""
    return ["dvc", "repro"] if through == STEPS[-1] else ["dvc", "repro", f"gate_{through}"]


def timed_repro(repo: Path, env: dict, command: list[str]) -> Repro:
    """Run ``command`` (a `dvc repro …`), timing each stage from the line DVC prints as it starts it."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    marks: list[tuple[str, float]] = []
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Running stage '"):
            marks.append((line.split("'")[1], time.perf_counter() - started))
    # wait4 reports the biggest process among dvc and the stages it waited for, not this one
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - started
    ends = [t for _, t in marks[1:]] + [total]
    stages = [(name, end - start) for (name, start), end in zip(marks, ends)]
    return Repro(os.waitstatus_to_exitcode(status), total, stages, usage.ru_maxrss / 1024, "".join(lines))


def answer_gate(repo: Path, step: str) -> list[str]:
    """Answer the step's questions, waive its failing checks with a reason, mark the evidence reviewed;
    return the waived check ids."""
    checks = json.loads((repo / "reports" / step / "checks.json").read_text(encoding="utf-8"))
    failing = [c["id"] for c in checks if c["status"] == "fail"]
    checklist = repo / "checklists" / f"{step}.yaml"
    paste_task_questions(checklist, repo / "reports" / step / "evidence.json")
    fill_answers(checklist)
    add_waivers(checklist, failing)
    mark_reviewed(checklist)
    return failing


def paste_task_questions(checklist: Path, manifest: Path) -> None:
    """Paste the questions the gate asks for the data's task (multi-label, regression) that the shipped file
    lacks, as its message tells a user to."""
    from clearance.checklist.messages import paste_missing

    text, _ = paste_missing(checklist.read_text(encoding="utf-8"),
                            json.loads(manifest.read_text(encoding="utf-8"))["questions"])
    checklist.write_text(text, encoding="utf-8")


def walk(repo: Path, env: dict, through: str) -> list[Leg]:
    """`dvc repro` until each gate up to ``through``'s closes, answering it, then once more to clear the last;
    exit with the output when a gate does not close or clear where it should."""
    command = repro_command(through)
    legs = []
    for number, step in enumerate(STEPS[:STEPS.index(through) + 1], start=1):
        repro = timed_repro(repo, env, command)
        if f"GATE CLOSED: step {number}" not in repro.output:
            sys.exit(f"expected gate {number} ({step}) to close:\n{repro.output[-4000:]}")
        print(f"{' '.join(command)} #{number}: gate {number} ({step}) closed, {repro.seconds:.1f} s", flush=True)
        waived = answer_gate(repo, step)
        print(f"  answered; waived {len(waived)} failing check(s): {', '.join(waived) or 'none'}", flush=True)
        legs.append(Leg(step, repro))
    number = STEPS.index(through) + 1
    repro = timed_repro(repo, env, command)
    if repro.returncode != 0 or f"GATE CLEARED: step {number}" not in repro.output:
        sys.exit(f"gate {number} ({through}) did not clear (exit {repro.returncode}):\n{repro.output[-4000:]}")
    if through == STEPS[-1] and not (repo / "reports/summary.html").exists():
        sys.exit(f"gate 4 cleared but no reports/summary.html:\n{repro.output[-4000:]}")
    print(f"{' '.join(command)} #{number + 1}: gate {number} ({through}) cleared, {repro.seconds:.1f} s", flush=True)
    legs.append(Leg("cleared", repro))
    return legs


def noop_repros(repo: Path, env: dict, command: list[str], repeat: int) -> list[float]:
    """Seconds of ``repeat`` `dvc repro` calls with every stage up to date; exit if one runs a stage or fails."""
    times = []
    for i in range(repeat):
        repro = timed_repro(repo, env, command)
        times.append(repro.seconds)
        if repro.returncode != 0 or repro.ran or not any(s in repro.output for s in NOTHING_TO_DO):
            sys.exit(f"no-op {' '.join(command)} #{i + 1} was not a no-op (exit {repro.returncode}):\n"
                     f"{repro.output[-4000:]}")
    return times


def changed_repro(repo: Path, env: dict, command: list[str]) -> Repro:
    """A `dvc repro …` after a change: it must run a stage and crash none. Its exit code is not checked: the
    changed evidence closes the gate again (its answers name the old fingerprint), which exits nonzero."""
    repro = timed_repro(repo, env, command)
    if "Traceback" in repro.output or not repro.ran:
        sys.exit(f"{' '.join(command)} failed (exit {repro.returncode}):\n{repro.output[-4000:]}")
    return repro
