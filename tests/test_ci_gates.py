"""Gates a team's CI can rely on: `clearance status --json`, `clearance check` and the recipe in docs/ci.md,
on real projects (a fresh clone, the finished four-gate journey, and a copy of it whose data changed)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import BIN, run
from tests.journey import Journey, copy_project, relabel_half, repro

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "docs" / "ci.md"


def clearance(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return run([str(BIN / "clearance"), *args], cwd, check=False)


def status_of(cwd: Path) -> dict[str, dict]:
    shown = clearance(["status", "--json"], cwd)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["schema"] == 1
    return {s["step"]: s for s in document["steps"]}


def recipe_commands(job: str) -> list[str]:
    """The `run:` commands of a job of the GitHub Actions workflow in docs/ci.md (the recipe users copy)."""
    block = re.search(r"```yaml\n(name: clearance.*?)```", RECIPE.read_text(encoding="utf-8"), re.DOTALL)
    assert block, "docs/ci.md has no GitHub Actions workflow"
    steps = yaml.safe_load(block.group(1))["jobs"][job]["steps"]
    return [step["run"] for step in steps if "run" in step]


def run_recipe_command(command: str, cwd: Path, base: str = "HEAD") -> subprocess.CompletedProcess:
    """A recipe command as CI runs it, with this machine's venv and ``base`` as the pull request's base."""
    command = command.replace(".venv/bin/", f"{BIN}/").replace("origin/${{ github.base_ref }}", base)
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, check=False)


def test_the_recipe_in_a_fresh_clone_stops_because_nothing_has_run(project: Path):
    """`make install` is left out (this machine's venv is the installed project); the rest runs as written."""
    commands = recipe_commands("gates")
    assert commands[0] == "make install" and any("clearance check" in c for c in commands)
    gates = run_recipe_command(next(c for c in commands if "clearance check" in c), project)
    assert gates.returncode == 1 and "nothing has run yet" in gates.stderr and "dvc repro" in gates.stderr
    assert {s["state"] for s in status_of(project).values()} == {"not_run"}


def test_the_recipe_passes_on_the_finished_journey_and_strict_fails_on_its_warnings(journey: Journey,
                                                                                   tmp_path: Path):
    project = copy_project(journey, tmp_path / "project")
    for command in recipe_commands("gates")[1:]:
        done = run_recipe_command(command, project)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    steps = status_of(project)
    assert [s["state"] for s in steps.values()] == ["cleared"] * 4
    assert all(s["review"]["matches"] and s["review"]["reviewed"] == s["review"]["evidence"] for s in steps.values())
    warned = {name for name, s in steps.items() if s["checks"]["warned"]}
    assert warned  # the journey's sweep warns (an absurd learning-rate band)
    strict = clearance(["check", "--strict"], project)
    assert strict.returncode == 1 and all(f"{name}: cleared, but warns" in strict.stderr for name in warned)
    one = clearance(["check", "--step", "inspect"], project)
    assert one.returncode == 0 and "step 1 inspect: cleared" in one.stdout and "baselines" not in one.stdout


def test_check_names_a_blocked_step_with_the_gates_instructions(journey: Journey, tmp_path: Path):
    project = copy_project(journey, tmp_path / "project")
    checklist = project / "checklists/baselines.yaml"
    text = checklist.read_text(encoding="utf-8")
    checklist.write_text(re.sub(r"(?m)^reviewed:.*$", "reviewed:", text), encoding="utf-8")
    blocked = clearance(["check"], project)
    assert blocked.returncode == 1 and "step 2 baselines: BLOCKED (not reviewed)" in blocked.stderr
    assert "GATE CLOSED: step 2" in blocked.stderr  # the gate's own instructions
    assert status_of(project)["baselines"]["state"] == "blocked"


def test_usage_and_file_errors_exit_2(journey: Journey, tmp_path: Path):
    project = copy_project(journey, tmp_path / "project")
    unknown = clearance(["check", "--step", "nope"], project)
    assert unknown.returncode == 2 and "--step nope" in unknown.stderr and "inspect" in unknown.stderr
    assert clearance(["check", "--bogus"], project).returncode == 2
    (project / "checklists/inspect.yaml").write_text("questions: [unclosed\n", encoding="utf-8")
    broken = clearance(["check"], project)
    assert broken.returncode == 2 and "checklists/inspect.yaml" in broken.stderr and "Traceback" not in broken.stderr


def test_changed_data_makes_step_1_stale(journey: Journey, tmp_path: Path):
    """Half the labels changed and step 1 re-run: check exits 1 with `stale`, the JSON says so, and
    `clearance diff` names the fingerprint change and the checks whose status moved."""
    project = copy_project(journey, tmp_path / "project")
    run(["git", "add", "-A"], project)  # the answers and the evidence the gates read are committed together
    run(["git", "commit", "-q", "-m", "four steps cleared"], project)
    relabel_half(journey, project)
    code, output = repro(project, "judge_inspect")
    assert code == 0, output
    stale = clearance(["check"], project)
    assert stale.returncode == 1 and "step 1 inspect: STALE" in stale.stderr, stale.stderr
    inspect = status_of(project)["inspect"]
    assert inspect["state"] == "stale" and not inspect["review"]["matches"]
    assert inspect["review"]["reviewed"] != inspect["review"]["evidence"]
    changed = clearance(["diff"], project)
    assert changed.returncode == 0, changed.stderr
    block = changed.stdout.split("step 2")[0]
    assert f"evidence fingerprint {inspect['review']['reviewed']} -> {inspect['review']['evidence']} (changed)" in block
    assert re.search(r"checks: .*\b(pass|warn|fail) -> (pass|warn|fail)\b", block), block
    assert "step 2 baselines: no change" in changed.stdout


@pytest.mark.parametrize("args", [["check"], ["status", "--json"]])
def test_check_and_status_read_files_only_and_never_import_torch(journey: Journey, args: list[str]):
    probe = ("import sys, runpy; sys.argv = ['clearance', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('clearance', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "heavy = [m for m in ('torch', 'mlflow', 'hydra', 'sklearn', 'matplotlib') if m in sys.modules]\n"
             "print('HEAVY', heavy)")
    done = run([str(BIN / "python"), "-c", probe, *args], journey.root, check=False)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_check_answers_fast(journey: Journey):
    """A loose bound here (shared CI cores); benchmarks/bench_check.py measures it against `python -c pass`."""
    started = time.perf_counter()
    done = clearance(["check"], journey.root)
    assert done.returncode == 0 and time.perf_counter() - started < 5.0
