"""The gate's rules through the real commands (`clearance gate`, `status`, `show`), run in-process."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from clearance.checklist.results import CheckResult, write_checks
from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed, run_in_process, write_evidence
from tests.conftest import REPO

CHECKS = [CheckResult("mojibake", "fail", 0.08, 0.05, "8% mis-decoded", "fix the encoding", "max"),
          CheckResult("min_class_count", "fail", 3, 10, "a class has 3 rows", "collect more", "min"),
          CheckResult("duplicates", "pass", 0.0, 0.01, "no repeats", "dedupe", "max")]


@pytest.fixture
def step1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder, as cwd, with step 1's question file, checks (two failing) and manifest."""
    shutil.copytree(REPO / "checklists", tmp_path / "checklists")
    shutil.copy2(REPO / "params.yaml", tmp_path / "params.yaml")
    write_checks(CHECKS, tmp_path / "reports/inspect/checks.json")
    write_evidence(tmp_path, "inspect", "1a2b3c4d5e6f")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def clearance(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    """Run the command in-process: (exit code, stdout, stderr)."""
    return run_in_process(capsys, *argv)


def ready(root: Path) -> Path:
    """Answer, waive both failing checks and mark reviewed: a step that clears."""
    checklist = root / "checklists/inspect.yaml"
    fill_answers(checklist)
    add_waivers(checklist, ["mojibake", "min_class_count"])
    mark_reviewed(checklist)
    return checklist


def new_evidence(root: Path) -> str:
    """The stage ran again on other data: a new fingerprint."""
    write_evidence(root, "inspect", "9f8e7d6c5b4a")
    return "9f8e7d6c5b4a"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_failing_checks_read_in_their_direction(step1, capsys):
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1
    assert "• mojibake: value 0.08 is above the maximum 0.05" in err
    assert "• min_class_count: value 3 is below the minimum 10" in err
    assert "over the threshold" not in err
    _, show, _ = clearance(capsys, "show", "inspect")
    assert re.search(r"check mojibake\s+fail\s+value 0.08 is above the maximum 0.05", show)
    assert re.search(r"check min_class_count\s+fail\s+value 3 is below the minimum 10", show)


def test_clean_step_clears(step1, capsys):
    ready(step1)
    code, out, _ = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 0 and "GATE CLEARED" in out and "8 questions answered" in out
    assert "Stale waiver" not in out
    stamp = json.loads((step1 / "gates/inspect.json").read_text())
    assert stamp["reviewed"] == json.loads((step1 / "reports/inspect/evidence.json").read_text())["fingerprint"]
    _, status, _ = clearance(capsys, "status")
    assert re.search(r"inspect\s+8/8\s+0 failing, 2 waived, 0 warn\s+cleared by .+ on \d{4}-\d\d-\d\dT", status, re.M), status


def test_deleted_question_blocks_with_the_snippet_to_paste_back(step1, capsys):
    checklist = ready(step1)
    text = checklist.read_text(encoding="utf-8")
    start = text.index("  - id: label_balance")
    checklist.write_text(text[:start] + text[text.index("  - id: disputed_labels"):], encoding="utf-8")
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1 and "Required questions missing" in err and "label_balance" in err
    assert "  - id: label_balance\n    question: >-\n      Are the labels balanced?" in err
    _, status, _ = clearance(capsys, "status")
    assert "1 required missing" in status
    _, show, _ = clearance(capsys, "show", "inspect")
    assert "[MISSING] label_balance" in show


def test_ok_and_one_answer_pasted_twice_keep_the_gate_closed(step1, capsys):
    checklist = ready(step1)
    edit(checklist, '"Looked at the evidence for label_balance, and it is fine for this task."', "ok")
    edit(checklist, '"Looked at the evidence for diversity, and it is fine for this task."',
         '"Looked at the evidence for rule_based, and it is fine for this task."')
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1
    assert "Answers too short (1)" in err and "label_balance (line" in err
    assert re.search(r"diversity \(line \d+\) and rule_based \(line \d+\)", err)
    _, show, _ = clearance(capsys, "show", "inspect")
    assert "[TOO SHORT: under 5 words] label_balance" in show
    assert "[SAME ANSWER AS rule_based] diversity" in show


def test_minimum_answer_words_is_read_from_params(step1, capsys):
    ready(step1)
    edit(step1 / "params.yaml", "min_answer_words: 5", "min_answer_words: 20")
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1 and "Answers too short (8)" in err and "at least 20 different words" in err


def test_without_params_yaml_the_minimum_comes_from_conf(step1, capsys):
    shutil.copytree(REPO / "conf", step1 / "conf")
    (step1 / "params.yaml").unlink()
    ready(step1)
    edit(step1 / "conf/gate/default.yaml", "min_answer_words: 5", "min_answer_words: 20")
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1 and "at least 20 different words" in err


def test_new_evidence_makes_the_answers_stale_until_reviewed(step1, capsys):
    checklist = ready(step1)
    assert clearance(capsys, "gate", "inspect", "--no-track")[0] == 0
    fingerprint = new_evidence(step1)
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1 and "Evidence changed since the answers were written" in err
    assert f"    reviewed: {fingerprint}" in err.splitlines()
    _, status, _ = clearance(capsys, "status")
    assert re.search(r"^inspect\s+8/8\s+.*BLOCKED: stale", status, re.M)
    _, show, _ = clearance(capsys, "show", "inspect")
    assert "evidence: STALE" in show and f"`reviewed: {fingerprint}`" in show
    edit(checklist, "reviewed: ", f"reviewed: {fingerprint}  # was: ")  # the one-line edit a user makes
    assert clearance(capsys, "gate", "inspect", "--no-track")[0] == 0


def test_fresh_question_file_is_not_reviewed(step1, capsys):
    fill_answers(step1 / "checklists/inspect.yaml")
    add_waivers(step1 / "checklists/inspect.yaml", ["mojibake", "min_class_count"])
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 1 and "Evidence not reviewed yet" in err
    _, status, _ = clearance(capsys, "status")
    assert "BLOCKED: not reviewed" in status


def test_stale_waiver_is_named_on_a_cleared_gate(step1, capsys):
    checklist = ready(step1)
    edit(checklist, "  - check: min_class_count", "  - check: duplicates")  # a check that passes
    write_checks(CHECKS[:1] + CHECKS[2:], step1 / "reports/inspect/checks.json")
    code, out, _ = clearance(capsys, "gate", "inspect", "--no-track")
    line = next(i for i, text in enumerate(checklist.read_text().splitlines(), 1) if "- check: duplicates" in text)
    assert code == 0 and "GATE CLEARED" in out
    assert f"Stale waiver on line {line} of checklists/inspect.yaml: check 'duplicates' — the check now passes" in out
    _, status, _ = clearance(capsys, "status")
    assert "1 stale waiver(s)" in status


def test_reworded_question_is_marked_edited(step1, capsys):
    checklist = ready(step1)
    edit(checklist, "Are the labels balanced? If not,", "Is the label balance a problem? If so,")
    code, out, _ = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 0 and "label_balance" in out
    _, status, _ = clearance(capsys, "status")
    assert "edited: label_balance" in status
    _, show, _ = clearance(capsys, "show", "inspect")
    assert "[answered, edited] label_balance" in show


def test_missing_manifest_says_to_run_the_stage(step1, capsys):
    (step1 / "reports/inspect/evidence.json").unlink()
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 2 and "reports/inspect/evidence.json" in err and "dvc repro" in err
    _, status, _ = clearance(capsys, "status")
    assert re.search(r"inspect\s+0/8\s+not run yet", status)
    _, show, _ = clearance(capsys, "show", "inspect")
    assert "evidence: not written yet" in show


def test_malformed_manifest_names_the_file(step1, capsys):
    (step1 / "reports/inspect/evidence.json").write_text('{"step": "inspect"', encoding="utf-8")
    code, _, err = clearance(capsys, "gate", "inspect", "--no-track")
    assert code == 2 and "reports/inspect/evidence.json, line 1" in err and "Traceback" not in err


def test_status_text_and_json_tell_the_same_state(step1, capsys):
    """One source for a step's state: the text's "ready" is a cleared step whose gate has not stamped it yet,
    the JSON's "cleared" with no one named; once the gate runs, both name who cleared it."""
    ready(step1)
    _, status, _ = clearance(capsys, "status")
    assert re.search(r"^inspect\s+8/8\s+0 failing, 2 waived, 0 warn\s+ready: run `dvc repro` to clear$", status, re.M)
    _, shown, _ = clearance(capsys, "status", "--json")
    step = json.loads(shown)["steps"][0]
    assert step["state"] == "cleared" and step["cleared_by"] is None
    assert {"message", "stamped", "notes", "fix"}.isdisjoint(step)
    assert clearance(capsys, "gate", "inspect", "--no-track")[0] == 0
    stamp = json.loads((step1 / "gates/inspect.json").read_text(encoding="utf-8"))
    _, status, _ = clearance(capsys, "status")
    line = next(line for line in status.splitlines() if line.startswith("inspect"))
    assert line.endswith("cleared" + (f" by {stamp['cleared_by']}" if stamp.get("cleared_by") else "")
                         + (f" on {stamp['cleared_at']}" if stamp.get("cleared_at") else "")), line
    _, shown, _ = clearance(capsys, "status", "--json")
    assert json.loads(shown)["steps"][0]["cleared_by"] == stamp.get("cleared_by")
