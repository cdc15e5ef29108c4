"""The `clearance` command as a user runs it: gate, status, show, params."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from clearance.checklist.results import CheckResult, write_checks
from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed, write_evidence
from tests.conftest import REPO, run

CLI = [sys.executable, "-m", "clearance"]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the step-1 question file, check results (one failing) and evidence manifest."""
    shutil.copytree(REPO / "checklists", tmp_path / "checklists")
    shutil.copy2(REPO / "params.yaml", tmp_path / "params.yaml")
    write_checks([CheckResult("mojibake", "fail", 0.08, 0.05, "8% mis-decoded", "fix the encoding", "max"),
                  CheckResult("duplicates", "warn", 0.06, 0.05, "6% repeats", "dedupe", "max")],
                 tmp_path / "reports/inspect/checks.json")
    write_evidence(tmp_path, "inspect", "1a2b3c4d5e6f")
    return tmp_path


def test_gate_blocks_with_the_next_step(workdir):
    result = run(CLI + ["gate", "inspect"], workdir, check=False)
    assert result.returncode == 1
    err = result.stderr
    assert "GATE CLOSED" in err and "checklists/inspect.yaml" in err
    for qid in ("label_balance", "disputed_labels", "data_origin", "preprocessing",
                "diversity", "rule_based", "prior_analyses"):
        assert qid in err
    assert "mojibake: value 0.08 is above the maximum 0.05" in err
    assert "Evidence not reviewed yet" in err and re.search(r"^    reviewed: [0-9a-f]{12}$", err, re.M)
    assert "duplicates=0.06" in err  # warnings are shown
    assert "Traceback" not in err + result.stdout
    assert not (workdir / "gates/inspect.json").exists()


def test_gate_clears_when_answered_and_waived(workdir):
    checklist = workdir / "checklists/inspect.yaml"
    fill_answers(checklist)
    fingerprint = mark_reviewed(checklist)
    still = run(CLI + ["gate", "inspect", "--no-track"], workdir, check=False)
    assert still.returncode == 1 and "mojibake" in still.stderr and "Questions still" not in still.stderr
    add_waivers(checklist, ["mojibake"])
    before = hashlib.sha256(checklist.read_bytes()).hexdigest()
    result = run(CLI + ["gate", "inspect", "--no-track"], workdir)
    assert "GATE CLEARED" in result.stdout and "waived: mojibake" in result.stdout
    stamp = json.loads((workdir / "gates/inspect.json").read_text())
    signed = {key: stamp.pop(key) for key in ("cleared_by", "cleared_at")}  # who and when: tests/test_sign_off.py
    assert stamp == {"step": "inspect", "cleared": True, "waived": ["mojibake"], "reviewed": fingerprint,
                     "checks": {"duplicates": "warn", "mojibake": "fail"}}
    assert signed["cleared_by"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", signed["cleared_at"])
    assert hashlib.sha256(checklist.read_bytes()).hexdigest() == before


def test_cleared_gate_logs_answers_and_waivers_to_mlflow(workdir):
    checklist = workdir / "checklists/inspect.yaml"
    fill_answers(checklist, "Balanced enough for {id}, as the report shows{cite}.")
    add_waivers(checklist, ["mojibake"])
    mark_reviewed(checklist)
    result = run(CLI + ["gate", "inspect"], workdir)
    assert "logged to MLflow" in result.stdout
    with sqlite3.connect(workdir / "mlflow.db") as db:
        names = [r[0] for r in db.execute("select name from runs")]
        tags = dict(db.execute("select key, value from tags"))
    assert names == ["gate_inspect"] and tags["clearance.stage"] == "gate_inspect"
    logged = list((workdir / "mlartifacts").rglob("gate.json"))
    assert len(logged) == 1
    content = json.loads(logged[0].read_text())
    answer = content["answers"]["label_balance"]["answer"]
    assert answer == "Balanced enough for label_balance, as the report shows."
    assert content["waivers"][0]["check"] == "mojibake"


def test_malformed_checklist_names_file_and_line(workdir):
    checklist = workdir / "checklists/inspect.yaml"
    text = checklist.read_text(encoding="utf-8").replace("title: Look at the data", "title: [oops")
    checklist.write_text(text, encoding="utf-8")
    result = run(CLI + ["gate", "inspect"], workdir, check=False)
    assert result.returncode == 2
    assert "checklists/inspect.yaml, line" in result.stderr and "Traceback" not in result.stderr
    assert checklist.read_text(encoding="utf-8") == text


def test_gate_before_the_stage_ran_says_to_run_it(workdir):
    (workdir / "reports/inspect/checks.json").unlink()
    result = run(CLI + ["gate", "inspect"], workdir, check=False)
    assert result.returncode == 2 and "dvc repro" in result.stderr


def test_unknown_step_lists_the_known_ones(workdir):
    result = run(CLI + ["gate", "nosuch"], workdir, check=False)
    assert result.returncode == 2 and "inspect" in result.stderr


def test_status_and_show(workdir):
    status = run(CLI + ["status"], workdir).stdout
    assert re.search(r"inspect\s+0/8\s+1 failing, 0 waived, 1 warn\s+BLOCKED", status)
    show = run(CLI + ["show", "inspect"], workdir).stdout
    assert "[UNANSWERED] label_balance" in show
    assert "reports/inspect/checks.json#mojibake: fail: value 0.08 is above the maximum 0.05" in show
    assert "(not written yet: run `dvc repro`)" in show  # metrics.json is missing here


def test_gate_does_not_import_heavy_modules(workdir):
    code = ("import sys; from clearance.cli import main\n"
            "try:\n    main(['gate', 'inspect', '--no-track'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'mlflow', 'sklearn', 'pandas', 'hydra', 'transformers')"
            " if m in sys.modules))")
    result = run([sys.executable, "-c", code], workdir, check=False)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_params_check_detects_a_stale_file(workdir):
    shutil.copytree(REPO / "conf", workdir / "conf")
    assert run(CLI + ["params", "--check"], workdir).returncode == 0
    params = workdir / "params.yaml"
    params.write_text(params.read_text().replace("seed: 42", "seed: 43"))
    stale = run(CLI + ["params", "--check"], workdir, check=False)
    assert stale.returncode == 1 and "seed" in stale.stderr
    result = run(CLI + ["params", "seed=5"], workdir)
    assert "seed: 5" in params.read_text() and "params.yaml.bak" in result.stdout


def test_params_check_fails_on_a_declared_yaml_the_checks_no_longer_match(workdir):
    shutil.copytree(REPO / "conf", workdir / "conf", dirs_exist_ok=True)
    declared = workdir / "conf/checks/declared.yaml"
    declared.write_text(declared.read_text().replace("imbalance_warn: 3.0", "imbalance_warn: 4.0"))
    stale = run(CLI + ["params", "--check"], workdir, check=False)
    assert stale.returncode == 1 and "conf/checks/declared.yaml" in stale.stderr and "clearance params" in stale.stderr
    written = run(CLI + ["params"], workdir)
    assert "conf/checks/declared.yaml" in written.stdout and "imbalance_warn: 3.0" in declared.read_text()
    assert run(CLI + ["params", "--check"], workdir).returncode == 0
