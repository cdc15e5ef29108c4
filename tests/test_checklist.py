"""The checklist engine: answers, waivers, warnings, malformed files, the stamp.

The rules on required questions, answer quality, reviewed evidence and stale
waivers have their own files: tests/test_gate_*.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from clearance.checklist.answers import is_real_answer
from clearance.checklist.gate import evaluate as judge
from clearance.checklist.gate import stamp, write_stamp
from clearance.checklist.manifest import Manifest, RequiredQuestion
from clearance.checklist.messages import blocked_message, cleared_message
from clearance.checklist.questions import load_checklist
from clearance.checklist.results import (
    CheckResult,
    graded,
    read_checks,
    summary_line,
    write_checks,
)
from clearance.core.errors import UserError

TEMPLATE = """\
# my notes stay here
step: demo
order: 1
title: Demo step
checks: {checks}
reviewed: {reviewed}
questions:
  - id: first
    question: Is the first thing true?
    evidence: [{checks}#alpha]
    answer: {a1}
  - id: second
    question: >-
      And the second?
    answer: {a2}
waivers: {waivers}
"""


FINGERPRINT = "0a1b2c3d4e5f"
# Two distinct answers long enough for the default minimum of five words.
YES = "Yes, the first thing holds for all rows"
NO = "No, the second one fails on short texts"


def write(tmp_path: Path, a1: str = "", a2: str = "", waivers: str = "[]", reviewed: str = FINGERPRINT) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(TEMPLATE.format(checks=tmp_path / "checks.json", a1=a1, a2=a2, waivers=waivers,
                                    reviewed=reviewed), encoding="utf-8")
    return path


MANIFEST = Manifest("demo", FINGERPRINT, [RequiredQuestion("first", "Is the first thing true?"),
                                          RequiredQuestion("second", "And the second?")])


def evaluate(checklist, results, manifest: Manifest = MANIFEST, min_words: int = 5):
    """The gate's judgement with the demo step's manifest and the default minimum."""
    return judge(checklist, results, manifest, min_words)


def checks(tmp_path: Path, *statuses: str) -> list[CheckResult]:
    results = [CheckResult(f"c{i}", s, i, 0, f"check {i}", "do x") for i, s in enumerate(statuses)]
    write_checks(results, tmp_path / "checks.json")
    return read_checks(tmp_path / "checks.json")


@pytest.mark.parametrize("answer", ["", None, "TODO", "todo: later", "?", "???", "tbd", "TBD.", "  ", "FIXME"])
def test_placeholders_are_not_answers(answer):
    assert not is_real_answer(answer)


@pytest.mark.parametrize("answer", ["yes, 60/40", "No: the labels look right", "42", "Todos los datos"])
def test_real_answers_count(answer):
    assert is_real_answer(answer)


def test_unanswered_questions_block(tmp_path):
    verdict = evaluate(load_checklist(write(tmp_path, a1=YES)), checks(tmp_path, "pass"))
    assert not verdict.cleared
    assert [q.id for q in verdict.unanswered] == ["second"]
    message = blocked_message(verdict)
    assert "second" in message and "demo.yaml, line 15" in message


def test_answered_with_passing_checks_clears(tmp_path):
    verdict = evaluate(load_checklist(write(tmp_path, YES, NO)), checks(tmp_path, "pass", "pass"))
    assert verdict.cleared


def test_warnings_are_shown_but_do_not_block(tmp_path):
    verdict = evaluate(load_checklist(write(tmp_path, YES, NO)), checks(tmp_path, "warn"))
    assert verdict.cleared and [c.id for c in verdict.warnings] == ["c0"]


def test_failing_check_blocks_with_value_threshold_and_fix(tmp_path):
    verdict = evaluate(load_checklist(write(tmp_path, YES, NO)), checks(tmp_path, "pass", "fail"))
    assert not verdict.cleared and [c.id for c in verdict.failing] == ["c1"]
    message = blocked_message(verdict)
    assert "c1: value 1 (expected: 0)" in message and "fix: do x" in message
    assert "- check: c1" in message


def test_waiver_with_a_reason_clears_a_failing_check(tmp_path):
    waivers = "\n  - check: c1\n    reason: acceptable because the source is like that"
    verdict = evaluate(load_checklist(write(tmp_path, YES, NO, waivers)), checks(tmp_path, "fail", "fail")[1:])
    assert verdict.cleared and [c.id for c, _ in verdict.waived] == ["c1"]


def test_waiver_without_a_real_reason_does_not_count(tmp_path):
    waivers = "\n  - check: c0\n    reason: TODO"
    verdict = evaluate(load_checklist(write(tmp_path, YES, NO, waivers)), checks(tmp_path, "fail"))
    assert not verdict.cleared and verdict.empty_waivers
    assert "has no real reason" in blocked_message(verdict)


def test_waiver_of_an_unknown_check_is_reported_even_when_cleared(tmp_path):
    waivers = "\n  - check: nosuch\n    reason: because"
    verdict = evaluate(load_checklist(write(tmp_path, YES, NO, waivers)), checks(tmp_path, "pass"))
    assert verdict.cleared and "nosuch" in cleared_message(verdict, "gates/demo.json")


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, YES, NO)
    text = path.read_text(encoding="utf-8").replace("title: Demo step", "title: [Demo step")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_checklist(path)
    assert str(path) in info.value.where and "line" in info.value.where


def test_answer_with_colon_space_is_a_yaml_error_with_a_hint(tmp_path):
    path = write(tmp_path, "yes: but no: really", "no")
    with pytest.raises(UserError) as info:
        load_checklist(path)
    assert "line 11" in info.value.where and "quote" in info.value.fix


@pytest.mark.parametrize("cut, keep, field", [
    ("    answer: {a2}\n", "", "answer"),
    ("  - id: first\n    question:", "  - question:", "id"),
    ("    question: Is the first thing true?\n", "", "question"),
])
def test_partly_deleted_question_names_the_missing_field(tmp_path, cut, keep, field):
    path = tmp_path / "demo.yaml"
    text = TEMPLATE.replace(cut, keep).format(checks=tmp_path / "c.json", a1="x", a2="y", waivers="[]",
                                              reviewed="")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_checklist(path)
    assert f"`{field}:`" in info.value.problem and "line" in info.value.where


def test_truncated_file_without_questions(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text("step: demo\ntitle: Demo\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_checklist(path)
    assert "questions" in info.value.problem


def test_duplicate_ids_are_rejected(tmp_path):
    path = write(tmp_path, "a", "b")
    path.write_text(path.read_text(encoding="utf-8").replace("id: second", "id: first"), encoding="utf-8")
    with pytest.raises(UserError, match="appears twice"):
        load_checklist(path)


def test_loading_never_rewrites_the_file(tmp_path):
    path = write(tmp_path, YES, "")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    evaluate(load_checklist(path), checks(tmp_path, "fail"))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_stamp_is_deterministic_and_ignores_answer_wording(tmp_path):
    one = evaluate(load_checklist(write(tmp_path, YES, NO)), checks(tmp_path, "pass", "warn"))
    two = evaluate(load_checklist(write(tmp_path, YES + " indeed", NO + " again")),
                   checks(tmp_path, "pass", "warn"))
    assert stamp(one) == stamp(two)
    first = write_stamp(one, tmp_path / "gates")
    mtime = first.stat().st_mtime_ns
    write_stamp(two, tmp_path / "gates")
    assert first.stat().st_mtime_ns == mtime  # same content: the file is left alone


def test_stamp_changes_when_a_check_changes(tmp_path):
    one = evaluate(load_checklist(write(tmp_path, YES, NO)), checks(tmp_path, "pass"))
    two = evaluate(load_checklist(write(tmp_path, YES, NO)), checks(tmp_path, "warn"))
    assert stamp(one) != stamp(two)


def test_graded_check_levels():
    assert graded("x", 0.5, 0.1, 0.3, "m", "f").status == "fail"
    assert graded("x", 0.2, 0.1, 0.3, "m", "f").status == "warn"
    assert graded("x", 0.05, 0.1, 0.3, "m", "f").status == "pass"
    assert graded("x", 0.2, None, 0.3, "m", "f").status == "pass"


def test_checks_file_contract_is_enforced(tmp_path):
    path = tmp_path / "checks.json"
    path.write_text('[{"id": "a", "status": "maybe", "value": 1, "threshold": 0, "message": "m"}]')
    with pytest.raises(UserError, match="bad status"):
        read_checks(path)
    path.write_text('[{"id": "a", "status": "pass"}]')
    with pytest.raises(UserError, match="missing value"):
        read_checks(path)
    with pytest.raises(UserError, match="no check results yet"):
        read_checks(tmp_path / "absent.json")


def test_summary_line_names_the_failing_checks():
    results = [CheckResult("a", "pass", 0, 1, "m"), CheckResult("b", "fail", 2, 1, "m"),
               CheckResult("c", "warn", 1, 0, "m")]
    assert summary_line(results) == "checks: 3 run, 1 failing: b"
    assert summary_line(results[:1]) == "checks: 1 run, 0 failing"
