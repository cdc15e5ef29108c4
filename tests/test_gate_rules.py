"""The gate's rules, each tripped on purpose: required questions, answer quality,
reviewed evidence and stale waivers. Each rule also passes on clean input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from clearance.checklist.answers import distinct_words, normalised_answer
from clearance.checklist.gate import CHANGED, REVIEWED, UNREVIEWED, evaluate, stamp
from clearance.checklist.manifest import Manifest, RequiredQuestion
from clearance.checklist.messages import blocked_message, cleared_message
from clearance.checklist.questions import load_checklist
from clearance.checklist.results import CheckResult

FINGERPRINT = "5e6f7a8b9c0d"
REQUIRED = [RequiredQuestion("balance", "Are the labels balanced, and what does that mean for the metric?",
                             ("reports/demo/metrics.json#class_share",)),
            RequiredQuestion("origin", "How was the data obtained, and what noise could that add?")]
ANSWERS = {"balance": "Mostly balanced: 42% / 39% / 18%, so macro-F1 it is.",
           "origin": "Tweets sampled in 2016, labelled by three crowd workers each."}


def question_block(qid: str, question: str, answer: str) -> str:
    """One question entry, as the user's file holds it (answers double-quoted: valid YAML)."""
    quoted = '"' + answer.replace('"', '\\"') + '"' if answer else ""
    return f"  - id: {qid}\n    question: >-\n      {question}\n    answer: {quoted}\n"


def write_file(tmp_path: Path, answers: dict[str, str] | None = None, questions: list[tuple[str, str]] | None = None,
               reviewed: str | None = FINGERPRINT, waivers: str = "[]") -> Path:
    """A question file; by default the required questions, answered, and reviewed."""
    answers = ANSWERS if answers is None else answers
    questions = [(q.id, q.question) for q in REQUIRED] if questions is None else questions
    head = "step: demo\norder: 1\ntitle: Demo\nchecks: reports/demo/checks.json\n"
    if reviewed is not None:
        head += f"reviewed: {reviewed}\n"
    body = "".join(question_block(qid, text, answers.get(qid, "")) for qid, text in questions)
    path = tmp_path / "demo.yaml"
    path.write_text(f"{head}questions:\n{body}waivers: {waivers}\n", encoding="utf-8")
    return path


def judge(path: Path, checks: list[CheckResult] | None = None, fingerprint: str = FINGERPRINT, min_words: int = 5):
    return evaluate(load_checklist(path), checks or [], Manifest("demo", fingerprint, list(REQUIRED)), min_words)


def test_clean_file_clears(tmp_path):
    verdict = judge(write_file(tmp_path))
    assert verdict.cleared and verdict.review == REVIEWED
    assert not (verdict.missing or verdict.edited or verdict.short or verdict.duplicates or verdict.stale_waivers)


# --- required questions ------------------------------------------------------

def test_deleted_required_question_blocks_and_shows_it_to_paste_back(tmp_path):
    path = write_file(tmp_path, questions=[("origin", REQUIRED[1].question)])
    verdict = judge(path)
    assert not verdict.cleared and [q.id for q in verdict.missing] == ["balance"]
    message = blocked_message(verdict)
    assert "Required questions missing from" in message and "balance" in message
    for line in ("  - id: balance", "    question: >-", "      - reports/demo/metrics.json#class_share",
                 "    answer:"):
        assert line in message.splitlines()
    assert "Are the labels balanced" in message


def test_pasted_back_snippet_restores_the_question(tmp_path):
    path = write_file(tmp_path, questions=[("origin", REQUIRED[1].question)])
    lines = blocked_message(judge(path)).splitlines()
    start = lines.index("  - id: balance")
    snippet = "\n".join(lines[start:lines.index("    answer:", start) + 1])
    answered = snippet + ' "Balanced enough: 60/40 across classes."\n'
    text = path.read_text(encoding="utf-8").replace("waivers:", answered + "waivers:")
    path.write_text(text, encoding="utf-8")
    verdict = judge(path)
    assert not verdict.missing and not verdict.edited and verdict.cleared


def test_renamed_required_id_blocks_and_the_new_id_counts_as_the_users_own(tmp_path):
    questions = [("balance_of_labels", REQUIRED[0].question), ("origin", REQUIRED[1].question)]
    path = write_file(tmp_path, questions=questions, answers={"origin": ANSWERS["origin"]})
    verdict = judge(path)
    assert not verdict.cleared and [q.id for q in verdict.missing] == ["balance"]
    assert [q.id for q in verdict.unanswered] == ["balance_of_labels"]  # the user's own question must be answered


def test_user_added_question_must_be_answered_and_then_counts(tmp_path):
    questions = [(q.id, q.question) for q in REQUIRED] + [("my_own", "Is the sarcasm rate worth measuring?")]
    blocked = judge(write_file(tmp_path, questions=questions))
    assert not blocked.cleared and [q.id for q in blocked.unanswered] == ["my_own"]
    answers = {**ANSWERS, "my_own": "Yes, roughly one tweet in twenty is sarcastic."}
    cleared = judge(write_file(tmp_path, answers=answers, questions=questions))
    assert cleared.cleared and "3 questions answered" in cleared_message(cleared, "gates/demo.json")


def test_reworded_required_question_is_allowed_but_marked_edited(tmp_path):
    questions = [("balance", "Is the class balance a problem?"), ("origin", REQUIRED[1].question)]
    verdict = judge(write_file(tmp_path, questions=questions))
    assert verdict.cleared and [q.id for q in verdict.edited] == ["balance"]
    assert "reworded required questions" in cleared_message(verdict, "gates/demo.json")


def test_rewrapped_question_is_not_edited(tmp_path):
    path = write_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace("balanced, and what", "balanced,\n      and   what")
    path.write_text(text, encoding="utf-8")
    assert judge(path).edited == []


# --- answer quality ----------------------------------------------------------

@pytest.mark.parametrize("answer", ["ok", "yes", "n/a", "see report", "asdf asdf", "asdf asdf asdf asdf asdf",
                                    "Fine. Fine. Fine. Fine. Fine. Fine."])
def test_short_or_repetitive_answers_block(tmp_path, answer):
    verdict = judge(write_file(tmp_path, answers={**ANSWERS, "origin": answer}))
    assert not verdict.cleared and [q.id for q in verdict.short] == ["origin"]
    message = blocked_message(verdict)
    assert "origin (line" in message and "at least 5 different words" in message


def test_minimum_words_comes_from_the_caller(tmp_path):
    answers = {"balance": "Balanced: 52/48 across both classes.", "origin": ANSWERS["origin"]}
    path = write_file(tmp_path, answers=answers)
    assert distinct_words(answers["balance"]) == 6
    assert judge(path, min_words=6).cleared
    assert [q.id for q in judge(path, min_words=7).short] == ["balance"]


def test_placeholders_still_count_as_unanswered(tmp_path):
    verdict = judge(write_file(tmp_path, answers={**ANSWERS, "origin": "TODO: read the data card first"}))
    assert [q.id for q in verdict.unanswered] == ["origin"] and not verdict.short


def test_same_answer_under_two_questions_blocks_naming_both(tmp_path):
    shared = "Looked at it carefully, all fine for this task."
    answers = {"balance": shared, "origin": "  looked at it CAREFULLY,   all fine for this task!! "}
    assert normalised_answer(answers["balance"]) == normalised_answer(answers["origin"])
    verdict = judge(write_file(tmp_path, answers=answers))
    assert not verdict.cleared
    assert [[q.id for q in group] for group in verdict.duplicates] == [["balance", "origin"]]
    message = blocked_message(verdict)
    assert "same answer under several questions" in message
    assert "balance (line" in message and "and origin (line" in message


def test_similar_but_different_answers_are_not_duplicates(tmp_path):
    answers = {"balance": "Looked at it carefully, all fine for the metric.",
               "origin": "Looked at it carefully, all fine for the source."}
    assert judge(write_file(tmp_path, answers=answers)).cleared


# --- reviewed evidence -------------------------------------------------------

def test_stale_fingerprint_blocks_and_shows_the_line_to_set(tmp_path):
    verdict = judge(write_file(tmp_path, reviewed="0000aaaa1111"))
    assert not verdict.cleared and verdict.review == CHANGED
    message = blocked_message(verdict)
    assert "Evidence changed since the answers were written" in message
    assert "`reviewed: 0000aaaa1111`" in message
    assert f"    reviewed: {FINGERPRINT}" in message.splitlines()


@pytest.mark.parametrize("reviewed", ["", None])
def test_empty_or_absent_reviewed_line_blocks(tmp_path, reviewed):
    verdict = judge(write_file(tmp_path, reviewed=reviewed))
    assert not verdict.cleared and verdict.review == UNREVIEWED
    message = blocked_message(verdict)
    assert "Evidence not reviewed yet" in message and f"    reviewed: {FINGERPRINT}" in message.splitlines()


def test_new_evidence_reopens_a_cleared_step(tmp_path):
    path = write_file(tmp_path)
    assert judge(path).cleared
    assert not judge(path, fingerprint="ffffeeee0000").cleared


def test_gate_never_writes_the_reviewed_line(tmp_path):
    path = write_file(tmp_path, reviewed="")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    blocked_message(judge(path))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_stamp_holds_the_reviewed_fingerprint(tmp_path):
    verdict = judge(write_file(tmp_path))
    assert stamp(verdict)["reviewed"] == FINGERPRINT
    assert stamp(verdict) == stamp(judge(write_file(tmp_path)))


# --- waivers -----------------------------------------------------------------

WAIVERS = ("\n  - check: gone\n    reason: the old encoding check, kept for the record"
           "\n  - check: fixed\n    reason: mis-decoded text was repaired at the source"
           "\n  - check: noisy\n    reason: the warning level is expected for tweets"
           "\n  - check: broken\n    reason: accepted, the model copes with a few of these")
CHECKS = [CheckResult("fixed", "pass", 0.0, 0.05, "m", direction="max"),
          CheckResult("noisy", "warn", 0.04, 0.03, "m", direction="max"),
          CheckResult("broken", "fail", 0.2, 0.05, "m", direction="max")]


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line of ``path`` holding ``text``."""
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_stale_waivers_are_shown_on_a_cleared_gate(tmp_path):
    path = write_file(tmp_path, waivers=WAIVERS)
    verdict = judge(path, CHECKS)
    assert verdict.cleared and [c.id for c, _ in verdict.waived] == ["broken"]
    assert {w.check: why for w, why in verdict.stale_waivers} == {
        "gone": "this step has no such check", "fixed": "the check now passes", "noisy": "the check now warns"}
    message = cleared_message(verdict, "gates/demo.json")
    for check in ("gone", "fixed", "noisy"):
        line = line_of(path, f"- check: {check}")
        assert f"Stale waiver on line {line} of {path}: check {check!r}" in message
    assert "'broken'" not in message.split("Stamp:")[1]


def test_stale_waivers_are_shown_on_a_closed_gate_too(tmp_path):
    path = write_file(tmp_path, answers={}, waivers=WAIVERS)
    verdict = judge(path, CHECKS)
    assert not verdict.cleared
    assert f"Stale waiver on line {line_of(path, '- check: gone')} of" in blocked_message(verdict)


def test_no_stale_waiver_when_every_waiver_matches_a_failing_check(tmp_path):
    waivers = "\n  - check: broken\n    reason: accepted, the model copes with a few of these"
    verdict = judge(write_file(tmp_path, waivers=waivers), CHECKS)
    assert verdict.cleared and verdict.stale_waivers == []
    assert "Stale waiver" not in cleared_message(verdict, "gates/demo.json")
