"""Answers cite their evidence (gate.cite_evidence): filler that meets every other rule keeps the gate closed,
naming what each answer could cite; answers quoting one figure, check or sample row each clear it; the
rounding rules a person writes numbers by; and the setting that turns the rule off."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

from clearance.checklist.citations import (
    Citable,
    Figure,
    Row,
    citable,
    cites,
    could_cite,
    written_numbers,
)
from clearance.checklist.entries import Question
from clearance.checklist.gate import evaluate
from clearance.checklist.manifest import Manifest
from clearance.checklist.messages import blocked_message
from clearance.checklist.questions import load_checklist
from clearance.checklist.results import CheckResult, write_checks
from tests.conftest import run
from tests.journey import Journey, copy_project
from tests.test_gate_rules import ANSWERS, FINGERPRINT, REQUIRED, write_file

CLI = [sys.executable, "-m", "clearance"]
NOUNS = ["river", "mountain", "garden", "window", "candle", "harbor", "meadow", "lantern"]
CLASS_SHARE = {"negative": 0.425, "neutral": 0.3933, "positive": 0.1817}


def filler(question_id: str, noun: str) -> str:
    """The issue's filler: meets the word and duplicate rules, and was written without reading anything."""
    return f"For {question_id} we thoroughly examined the {noun} evidence in report number 1 and judged it acceptable"


def only(figure: float, where: str = "class_share.positive", question: str = "q", qid: str = "q") -> Citable:
    """What an answer may cite when the evidence shows one number."""
    return Citable(figures=(Figure(figure, str(figure), where),), own_id=qid,
                   asked=frozenset(w.text for w in written_numbers(question)))


# --- rounding as a person writes numbers --------------------------------------

@pytest.mark.parametrize("written", ["18%", "18.2%", "18.17%", "0.18", "0.182", "0.1817", "18 percent", ".18"])
def test_a_share_rounded_as_a_person_writes_it_counts(written):
    assert cites(f"The positive class holds {written} of the texts.", only(0.1817))


@pytest.mark.parametrize("written", ["19%", "17%", "0.19", "18.3%", "0.2", "20%", "18"])
def test_a_wrong_or_too_coarse_number_does_not_count(written):
    """19% is another number; 0.2 and 20% round to one significant digit, which any share near it would
    match; "18" without % is a count, not the share."""
    assert not cites(f"The positive class holds {written} of the texts.", only(0.1817))


@pytest.mark.parametrize("written, value", [("2.3", 2.33945), ("2.34", 2.33945), ("23,703", 23703), ("23703", 23703),
                                            ("23.7k", 23703), ("24,000", 23703), ("3.1e-4", 0.000312),
                                            ("42%", 0.425), ("43%", 0.425), ("-0.044", -0.044), ("0.05", 0.05),
                                            ("12.17%", 0.1217)])
def test_other_forms_count(written, value):
    assert cites(f"We found {written} here.", only(value))


@pytest.mark.parametrize("written, value", [("2.4", 2.33945), ("25,000", 23703), ("0.06", 0.05)])
def test_other_wrong_numbers_do_not_count(written, value):
    assert not cites(f"We found {written} here.", only(value))


@pytest.mark.parametrize("answer", ["We read report number 1 and found 10% of it fine",
                                    "Checked 2 of 3 parts; 100% acceptable", "Zero problems: 0 of them"])
def test_small_and_round_numbers_prove_nothing(answer):
    """Even where the evidence holds them: 1, 10%, 100% and 0 are in any text written without reading."""
    found = Citable(figures=tuple(Figure(v, str(v), "x") for v in (1.0, 0.1, 10.0, 2.0, 3.0, 1.0, 0.0)))
    assert all(w.trivial for w in written_numbers(answer))
    assert not cites(answer, found)


def test_the_question_s_own_id_and_numbers_do_not_count():
    """overfit_16 is printed above the answer, and "16 samples" is in the question: neither cites 16."""
    found = only(16.0, "samples", question="Does the model overfit 16 samples?", qid="overfit_16")
    assert not cites("For overfit_16 we looked closely and all is fine", found)
    assert not cites("It overfits the 16 samples as it should", found)


# --- checks and sample rows -----------------------------------------------------

def test_a_check_id_counts_as_written_and_an_everyday_word_beside_check():
    found = Citable(checks=("class_imbalance", "duplicates"))
    assert cites("class_imbalance passes, so accuracy is fine", found)
    assert cites("The duplicates check passes on this corpus", found)
    assert cites("Nothing in `duplicates` worries us here", found)
    assert not cites("Retweets could add duplicates to the corpus", found)  # a word, not the check
    assert not cites("The class imbalance is mild for this task", found)


def test_a_check_named_like_its_question_does_not_count(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checks = [CheckResult("overfitting", "pass", 0.02, 0.1, "gap of 0.02 between train and valid", "", "max")]
    question = Question("overfitting", "Does it overfit?", "", ["reports/model/checks.json#overfitting"])
    found = citable(question, checks, declared=["overfitting"])
    assert found.checks == ()
    assert not cites("The overfitting check passes, nothing to worry about", found)


def test_a_row_of_the_sample_counts_by_its_id_or_a_quote_of_its_text():
    found = Citable(rows=(Row("sample.csv", "26202", "was #deflategate the work of the #patriots?"),
                          Row("sample.csv", "31980", "'@united thank you")))
    assert cites("Row 26202 is labelled neutral but reads negative", found)
    assert cites("Rows 12, 40 and 31980 look mislabelled", found)
    assert cites('The text "the work of the #Patriots" is not neutral', found)
    assert not cites("Row 1 looks fine, and so do the others", found)
    assert not cites('The text "thank you" is fine', found)  # two words are in any sample


# --- what the evidence offers, read from files -------------------------------------

@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (cwd) with step demo's metrics, checks and sample."""
    folder = tmp_path / "reports/demo"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"class_share": CLASS_SHARE, "imbalance_ratio": 2.3394}))
    write_checks([CheckResult("class_imbalance", "pass", 2.33945, 100.0, "the largest class is 2.3x the smallest",
                              "", "max")], folder / "checks.json")
    with (folder / "sample.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerows([["split", "row", "label", "text"], ["train", 26202, "neutral", "Was #Deflategate the work?"]])
    monkeypatch.chdir(tmp_path)
    return tmp_path


POINTERS = ["reports/demo/metrics.json#class_share", "reports/demo/metrics.json#imbalance_ratio",
            "reports/demo/checks.json#class_imbalance", "reports/demo/sample.csv", "reports/demo/report.html#balance"]


def test_every_thing_could_cite_offers_cites_when_quoted(demo):
    found = citable(Question("balance", "Are the labels balanced?", "", POINTERS), [])
    offered = could_cite(found)
    assert offered == ["42.5% (class_share.negative)", "2.339 (imbalance_ratio)", "2.3 (class_imbalance)",
                       "check class_imbalance", "row 26202 (sample.csv)"]
    for said in offered:
        assert cites(f"We read it: {said}.", found), said


def test_nothing_written_yet_or_no_evidence_is_exempt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert citable(Question("balance", "Balanced?", "", POINTERS), []).empty  # the stage has not run
    assert citable(Question("my_own", "Sarcasm?", "", []), []).empty  # a user's question without evidence


def gate(answers: dict[str, str], cite_evidence: bool = True):
    """Step demo's gate (tests/test_gate_rules.py's file and manifest) on these answers."""
    path = write_file(Path.cwd(), answers=answers)
    return evaluate(load_checklist(path), [], Manifest("demo", FINGERPRINT, list(REQUIRED)), 5,
                    cite_evidence=cite_evidence)


def test_an_answer_quoting_the_shares_clears_and_filler_does_not(demo):
    assert gate(ANSWERS).cleared  # "Mostly balanced: 42% / 39% / 18%, so macro-F1 it is."
    verdict = gate({**ANSWERS, "balance": filler("balance", "river")})
    assert not verdict.cleared and [q.id for q, _ in verdict.uncited] == ["balance"]
    assert [q.id for q in verdict.incomplete] == ["balance"]  # status counts it as not answered yet
    message = blocked_message(verdict)
    assert "Answers that cite none of their evidence (1)" in message
    assert "• balance (line" in message and "could cite: 42.5% (class_share.negative)" in message
    assert "origin" not in message.split("Answers that cite")[1]  # no evidence: exempt, and not named


def test_the_rule_is_off_with_cite_evidence_false(demo):
    verdict = gate({**ANSWERS, "balance": filler("balance", "river")}, cite_evidence=False)
    assert verdict.cleared and not verdict.uncited


def test_a_declared_check_the_judging_paired_with_the_question_counts(demo):
    """evidence.json's checks_by_question (written by the judging stage) lets an answer cite a check its
    evidence list does not point at."""
    checks = [CheckResult("dropped_rows", "pass", 0.0, 0.05, "0 of 38158 rows were dropped", "", "max")]
    write_checks(checks, demo / "reports/demo/checks.json")
    (demo / "reports/demo/evidence.json").write_text(json.dumps({"checks_by_question": {"origin": ["dropped_rows"]}}))
    path = write_file(demo, answers={**ANSWERS, "origin": "Crowd-sourced tweets; all 38,158 rows were kept."})
    verdict = evaluate(load_checklist(path), checks, Manifest("demo", FINGERPRINT, list(REQUIRED)), 5)
    assert verdict.cleared
    path = write_file(demo, answers={**ANSWERS, "origin": "Crowd-sourced tweets, labelled by volunteers long ago."})
    verdict = evaluate(load_checklist(path), checks, Manifest("demo", FINGERPRINT, list(REQUIRED)), 5)
    assert [q.id for q, _ in verdict.uncited] == ["origin"]
    assert "38158 (dropped_rows)" in blocked_message(verdict)


# --- gate 1 of the journey, with filler and with real answers -----------------------

def set_answers(path: Path, answers: dict[str, str]) -> None:
    """Replace each question's `answer:` line (the journey wrote one line each) with a new answer."""
    current, lines = "", []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if found := re.match(r"^\s*-\s+id:\s*(\S+)", line):
            current = found.group(1)
        if re.match(r"^\s+answer:", line) and current in answers:
            line = f"    answer: {json.dumps(answers[current])}\n"
        lines.append(line)
    path.write_text("".join(lines), encoding="utf-8")


def step1_questions(project: Path) -> list[Question]:
    return load_checklist(project / "checklists/inspect.yaml").questions


def gate_1(project: Path) -> tuple[int, str]:
    done = run(CLI + ["gate", "inspect", "--no-track"], project, check=False)
    return done.returncode, done.stdout + done.stderr


def test_filler_answers_keep_gate_1_closed_naming_what_each_could_cite(journey: Journey, tmp_path: Path):
    project = copy_project(journey, tmp_path / "project")
    questions = step1_questions(project)
    set_answers(project / "checklists/inspect.yaml", {q.id: filler(q.id, noun) for q, noun in zip(questions, NOUNS)})
    code, output = gate_1(project)
    assert code == 1 and "GATE CLOSED: step 1" in output, output
    named = output.split("Answers that cite none of their evidence")[1].split("gate.cite_evidence: false")[0]
    for question in questions:
        if question.evidence:
            assert f"• {question.id} (line {question.line})" in named, (question.id, output)
        else:  # prior_analyses points at nothing: exempt, and the gate does not name it
            assert question.id not in named
    assert named.count("could cite: ") == sum(1 for q in questions if q.evidence)
    assert "check class_imbalance" in named and "row " in named
    shown = run(CLI + ["show", "inspect"], project).stdout
    assert "[CITES NOTHING] label_balance" in shown and "could cite: " in shown
    evidence = json.loads((project / "reports/inspect/evidence.json").read_text())
    assert "class_imbalance" in evidence["checks_by_question"]["label_balance"]


def written_from_the_report(project: Path) -> dict[str, str]:
    """Answers as a person writes them after reading step 1's report: one figure, check or row each."""
    reports = project / "reports/inspect"
    metrics = json.loads((reports / "metrics.json").read_text())
    with (reports / "sample.csv").open(encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle))
    share = min(metrics["class_share"].values())
    return {
        "label_balance": f"Balanced: the smallest class still holds {share:.0%} of the texts, so accuracy works.",
        "disputed_labels": f"Read the sample; row {first['row']} and the suspects look correctly labelled.",
        "data_origin": "A synthetic keyword corpus; the duplicates check finds no repeated texts.",
        "preprocessing": "Plain ASCII words; the mojibake check passes, so nothing needs repairing.",
        "diversity": f"Only {metrics['vocab']['types']} word types and texts of equal length: not diverse.",
        "rule_based": f"The keyword rule gets {metrics['keyword_rule']['accuracy']:.0%} of valid rows right.",
        "shortcuts": "The too_good_rule check passes and no template predicts the label.",
        "prior_analyses": "None: the corpus was generated for these tests and never published.",
    }


def test_answers_quoting_one_figure_each_clear_gate_1(journey: Journey, tmp_path: Path):
    project = copy_project(journey, tmp_path / "project")
    answers = written_from_the_report(project)
    assert set(answers) == {q.id for q in step1_questions(project)}
    set_answers(project / "checklists/inspect.yaml", answers)
    code, output = gate_1(project)
    assert code == 0 and "GATE CLEARED: step 1" in output, output


def test_cite_evidence_false_lets_the_filler_through(journey: Journey, tmp_path: Path):
    project = copy_project(journey, tmp_path / "project")
    questions = step1_questions(project)
    set_answers(project / "checklists/inspect.yaml", {q.id: filler(q.id, noun) for q, noun in zip(questions, NOUNS)})
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("cite_evidence: true", "cite_evidence: false"))
    code, output = gate_1(project)
    assert code == 0 and "GATE CLEARED: step 1" in output, output


def test_what_the_gate_offers_to_cite_cites_when_quoted():
    """A figure shown too round to count ("60%" for 0.6034) is not offered; the ones offered count when quoted."""
    from clearance.checklist.citations import Citable, Figure, cites, could_cite

    found = Citable(figures=(Figure(0.6034, "60%", "vocab.hapax_share"), Figure(0.6034, "60.3%", "vocab.hapax_share", 1),
                             Figure(320.0, "320", "length.chars_max", 2)))
    offered = could_cite(found)
    assert offered and not any(o.startswith("60% ") for o in offered), offered
    assert all(cites(f"It shows {o}.", found) for o in offered), offered
