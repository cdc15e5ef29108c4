"""Required questions (package data), the evidence manifest and the `reviewed:` line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.checklist.manifest import (
    manifest_path,
    read_manifest,
    read_step_manifest,
)
from clearance.checklist.questions import load_checklist
from clearance.core.errors import UserError
from tests.conftest import REPO
from tests.steps import PACKAGES, step_questions

SHIPPED = sorted(p.stem for p in (REPO / "checklists").glob("*.yaml"))


def test_every_shipped_step_declares_its_required_questions():
    assert SHIPPED == sorted(PACKAGES) == ["baselines", "inspect", "model", "sweep"]
    for step in PACKAGES:
        questions = step_questions(step)
        assert questions and all(set(q) == {"id", "question", "evidence"} for q in questions)
        assert len({q["id"] for q in questions}) == len(questions)
        assert all(isinstance(q["evidence"], list) for q in questions)


@pytest.mark.parametrize("step", SHIPPED)
def test_shipped_question_file_holds_exactly_the_required_questions(step):
    checklist = load_checklist(REPO / "checklists" / f"{step}.yaml")
    required = step_questions(step)
    assert [q.id for q in checklist.questions] == [q["id"] for q in required]
    for mine, theirs in zip(checklist.questions, required):
        assert mine.question == theirs["question"], mine.id
        assert mine.evidence == theirs["evidence"], mine.id


@pytest.mark.parametrize("step", SHIPPED)
def test_shipped_question_file_is_unanswered_and_unreviewed(step):
    path = REPO / "checklists" / f"{step}.yaml"
    checklist = load_checklist(path)
    assert checklist.reviewed == "" and checklist.reviewed_line > 0
    assert not any(q.answered for q in checklist.questions)
    above = path.read_text(encoding="utf-8").splitlines()[checklist.reviewed_line - 6:checklist.reviewed_line - 1]
    assert all(line.startswith("#") for line in above) and "fingerprint" in " ".join(above)  # explained


def test_unknown_step_names_the_known_ones():
    with pytest.raises(KeyError, match="inspect"):
        step_questions("nosuch")


# --- the manifest ------------------------------------------------------------

def manifest_doc(**changes) -> dict:
    doc = {"step": "inspect", "fingerprint": "1a2b3c4d5e6f", "basis": {"data": "abc", "checks": {"x": "pass"}},
           "questions": [{"id": "label_balance", "question": "Are the labels\n  balanced?",
                          "evidence": ["reports/inspect/metrics.json#class_share"]}]}
    doc.update(changes)
    return doc


def write_json(tmp_path: Path, doc) -> Path:
    path = tmp_path / "reports/inspect/evidence.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_manifest_is_read_with_its_questions(tmp_path):
    manifest = read_manifest(write_json(tmp_path, manifest_doc()))
    assert (manifest.step, manifest.fingerprint) == ("inspect", "1a2b3c4d5e6f")
    assert manifest.questions[0].id == "label_balance"
    assert manifest.questions[0].question == "Are the labels balanced?"
    assert manifest.questions[0].evidence == ("reports/inspect/metrics.json#class_share",)
    assert manifest.basis["data"] == "abc"


def test_manifest_lives_beside_the_checks():
    assert manifest_path(Path("reports/inspect/checks.json")) == Path("reports/inspect/evidence.json")


def test_missing_manifest_says_to_run_dvc_repro(tmp_path):
    with pytest.raises(UserError) as info:
        read_manifest(tmp_path / "reports/inspect/evidence.json")
    assert "evidence.json" in info.value.where and "dvc repro" in info.value.fix


@pytest.mark.parametrize("doc, problem", [
    ("{not json", "not valid JSON"),
    ([], "expected an object"),
    (manifest_doc(fingerprint=""), "no `fingerprint` text"),
    (manifest_doc(step=None), "no `step` text"),
    (manifest_doc(questions="label_balance"), "`questions` is missing or not a list"),
    (manifest_doc(questions=[{"question": "Why?"}]), "questions[0] has no `id` text"),
    (manifest_doc(questions=[{"id": "x", "question": "Why?", "evidence": "a.json"}]), "not a list of pointers"),
    (manifest_doc(questions=["x"]), "questions[0] is not an object"),
])
def test_malformed_manifest_names_the_file_and_the_problem(tmp_path, doc, problem):
    path = write_json(tmp_path, doc)
    with pytest.raises(UserError) as info:
        read_manifest(path)
    assert str(path) in info.value.where and problem in info.value.problem
    assert "dvc repro -f" in info.value.fix


def test_manifest_of_another_step_is_refused(tmp_path):
    write_json(tmp_path, manifest_doc(step="baselines"))
    with pytest.raises(UserError, match="written for step 'baselines'"):
        read_step_manifest(tmp_path / "reports/inspect/checks.json", "inspect")


def test_manifest_written_by_a_stage_reads_back(tmp_path):
    from clearance.checklist.fingerprint import write_manifest
    from clearance.checklist.results import CheckResult

    checks = [CheckResult("mojibake", "pass", 0.0, 0.05, "m", direction="max")]
    path = write_manifest("inspect", "data-digest", "settings-digest", checks, step_questions("inspect"),
                          tmp_path / "reports/inspect")
    manifest = read_step_manifest(tmp_path / "reports/inspect/checks.json", "inspect")
    assert path == manifest_path(tmp_path / "reports/inspect/checks.json")
    assert len(manifest.fingerprint) == 12
    assert [q.id for q in manifest.questions] == [q["id"] for q in step_questions("inspect")]
    assert [q.question for q in manifest.questions] == [q["question"] for q in step_questions("inspect")]


# --- the `reviewed:` line ----------------------------------------------------

def checklist_with(tmp_path: Path, reviewed_line: str):
    path = tmp_path / "demo.yaml"
    path.write_text(f"step: demo\n{reviewed_line}\nquestions:\n  - id: a\n    question: Why?\n    answer:\n",
                    encoding="utf-8")
    return load_checklist(path)


@pytest.mark.parametrize("line, value", [
    ("reviewed: 1a2b3c4d5e6f", "1a2b3c4d5e6f"),
    ("reviewed: 000123456789", "000123456789"),   # YAML would read the number 123456789
    ("reviewed: 12e456789012", "12e456789012"),   # YAML would read a float
    ("reviewed: '0a0b0c0d0e0f'", "0a0b0c0d0e0f"),
    ('reviewed: "0a0b0c0d0e0f"  # after the March data', "0a0b0c0d0e0f"),
    ("reviewed:", ""),
    ("reviewed:   # not yet", ""),
    ("", ""),
])
def test_reviewed_line_is_read_as_written(tmp_path, line, value):
    assert checklist_with(tmp_path, line).reviewed == value


def test_reviewed_must_be_one_value(tmp_path):
    with pytest.raises(UserError) as info:
        checklist_with(tmp_path, "reviewed: [a, b]")
    assert "line 2" in info.value.where and "`reviewed:`" in info.value.problem
