"""State that tells the truth, on copies of the finished four-gate journey (tests/journey.py): the test
split's count cannot be reset by deleting the ledger, status says when a cleared step's outputs are gone,
and a finished project commits cleanly (what DVC tracks is ignored by git) and runs on after the commit."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run
from tests.journey import Journey, copy_project, repro

# What a finished project adds for git (docs/commands.md, "What to commit"), besides the user's own data.
TO_COMMIT = re.compile(r"dvc\.lock|gates/\w+\.json|ledger/test_split\.jsonl|"
                       r"reports/\w+/(checks|evidence|metrics)\.json")
USER_DATA = "data/tiny.csv"  # the journey's corpus: the user's input, not a pipeline output


@pytest.fixture
def copied(journey: Journey, tmp_path: Path) -> Path:
    """A copy of the finished journey to change."""
    return copy_project(journey, tmp_path / "project")


def sweep_check(root: Path, check_id: str) -> dict:
    return next(c for c in json.loads((root / "reports/sweep/checks.json").read_text()) if c["id"] == check_id)


def test_deleting_the_ledger_and_running_step_4_again_counts_the_test_split_twice(copied: Path):
    project, ledger = copied, copied / "ledger/test_split.jsonl"
    assert len(ledger.read_text().splitlines()) == 1
    ledger.unlink()
    code, output = repro(project)
    assert "Running stage 'final_test'" in output and "written back from the store" in output, output
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert [line["scoring"] for line in lines] == [1, 2] and lines[0]["restored_from"].startswith("MLflow run ")
    check = sweep_check(project, "test_split_reuse")
    assert check["status"] == "warn" and "seen 2 times" in check["message"], check
    assert code != 0 and "GATE CLOSED: step 4" in output  # the evidence changed: gate 4 asks for a new review


def test_status_says_when_a_cleared_step_s_outputs_are_gone(copied: Path):
    project = copied
    shutil.rmtree(project / "models/model")
    shown = run(["clearance", "status"], project).stdout
    line = next(line for line in shown.splitlines() if line.startswith("model "))
    assert "cleared, outputs missing: run `dvc repro` (models/model)" in line, shown
    assert sum("outputs missing" in line for line in shown.splitlines()) == 1, shown
    steps = {s["step"]: s for s in json.loads(run(["clearance", "status", "--json"], project).stdout)["steps"]}
    assert steps["model"]["state"] == "cleared" and steps["model"]["outputs_missing"] == ["models/model"]
    assert all(steps[s]["outputs_missing"] == [] for s in ("inspect", "baselines", "sweep"))
    # The decision holds on the committed evidence (a CI clone never has DVC's outputs): check still passes.
    assert run(["clearance", "check"], project, check=False).returncode == 0


def test_a_finished_project_commits_cleanly_and_dvc_repro_still_runs(copied: Path):
    project = copied
    porcelain = run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout.splitlines()
    untracked = [line[3:] for line in porcelain if line.startswith("??")]
    stray = [path for path in untracked if path != USER_DATA and not TO_COMMIT.fullmatch(path)]
    assert untracked and not stray, stray  # models/, mlflow.db, the reports' HTML: all git-ignored
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "the finished journey"], project)
    assert run(["git", "ls-files", "models", "data/prepared", "mlflow.db", "mlartifacts", ".clearance"],
               project).stdout == ""
    code, output = repro(project, "-f", "-s", "train_model")
    assert code == 0 and "already tracked by SCM" not in output, output
    after = run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout.splitlines()
    assert not [line for line in after if line.startswith("??")], after
