"""A question file deleted by mistake shows in `clearance status` and fails `clearance check`, with the way back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import run_in_process
from tests.conftest import REPO, run


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The question files, dvc.yaml and params.yaml in a git repository that has committed them."""
    for name in ("checklists", "conf"):
        shutil.copytree(REPO / name, tmp_path / name)
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy2(REPO / name, tmp_path / name)
    run(["git", "init", "-q"], tmp_path)
    run(["git", "add", "-A"], tmp_path)
    run(["git", "commit", "-qm", "start"], tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def clearance(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code, out, err = run_in_process(capsys, *argv)
    return code, out + err


def test_a_deleted_question_file_is_a_blocked_step_with_the_way_back(project: Path, capsys):
    code, shown = clearance(capsys, "status")
    assert code == 0 and "question file missing" not in shown
    (project / "checklists/baselines.yaml").unlink()
    code, shown = clearance(capsys, "status")
    line = next(line for line in shown.splitlines() if line.startswith("baselines"))
    assert code == 0 and "BLOCKED: question file missing" in line
    assert "git checkout -- checklists/baselines.yaml" in line
    assert [row.split()[0] for row in shown.splitlines()[1:]] == ["inspect", "baselines", "model", "sweep"]
    code, shown = clearance(capsys, "status", "--json")
    steps = {s["step"]: s for s in json.loads(shown)["steps"]}
    assert [s["step"] for s in json.loads(shown)["steps"]] == ["inspect", "baselines", "model", "sweep"]
    assert steps["baselines"]["state"] == "blocked" and steps["baselines"]["blockers"] == ["question file missing"]
    code, shown = clearance(capsys, "check")
    assert code == 1 and "step 2 baselines: BLOCKED (question file missing)" in shown
    assert "git checkout -- checklists/baselines.yaml" in shown
