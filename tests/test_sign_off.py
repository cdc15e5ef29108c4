"""Sign-off: who cleared a gate and when (gates/<step>.json, MLflow, the journey), required sign-offs
(`signed_off_by:` and gate.min_sign_offs), and waivers' reasons held to the standard of answers."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clearance.checklist.gate import UNKNOWN_SIGNER, evaluate, write_stamp
from clearance.checklist.manifest import Manifest, RequiredQuestion
from clearance.checklist.messages import blocked_message, cleared_message
from clearance.checklist.questions import load_checklist
from clearance.checklist.results import CheckResult, write_checks
from clearance.core.errors import UserError
from clearance.core.records import GateStamp
from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed, run_in_process, write_evidence
from tests.conftest import REPO, run

FINGERPRINT = "5e6f7a8b9c0d"
REQUIRED = [RequiredQuestion("balance", "Are the labels balanced?"), RequiredQuestion("origin", "Where from?")]
HEAD = f"step: demo\norder: 1\ntitle: Demo\nchecks: reports/demo/checks.json\nreviewed: {FINGERPRINT}\n"
QUESTIONS = ("questions:\n"
             "  - id: balance\n    question: Are the labels balanced?\n"
             "    answer: Mostly balanced at 42% / 39% / 18%, so macro-F1 it is.\n"
             "  - id: origin\n    question: Where from?\n"
             "    answer: Tweets sampled in 2016, labelled by three crowd workers each.\n")
CHECKS = [CheckResult("mojibake", "fail", 0.08, 0.05, "8% mis-decoded", "fix the encoding", "max"),
          CheckResult("short_texts", "fail", 0.2, 0.1, "20% are short", "drop them", "max"),
          CheckResult("duplicates", "pass", 0.0, 0.01, "no repeats", "dedupe", "max")]
REASONS = {"mojibake": "Mis-decoded emoji stay rare tokens; the model copes with them.",
           "short_texts": "Short tweets are the task itself, so we keep every one."}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def waivers(reasons: dict[str, str]) -> str:
    return "waivers:\n" + "".join(f"  - check: {c}\n    reason: {json.dumps(r)}\n" for c, r in reasons.items())


def signed(*entries: tuple[str, str]) -> str:
    return "signed_off_by:\n" + "".join(f"  - name: {n}\n    date: {d}\n" for n, d in entries)


def write_file(tmp_path: Path, reasons: dict[str, str] | None = None, sign_offs: str = "") -> Path:
    """A question file, answered and reviewed, both failing checks waived with their own reasons by default."""
    path = tmp_path / "demo.yaml"
    path.write_text(HEAD + QUESTIONS + waivers(REASONS if reasons is None else reasons) + sign_offs,
                    encoding="utf-8")
    return path


def judge(path: Path, checks: list[CheckResult] = CHECKS, **settings):
    return evaluate(load_checklist(path), checks, Manifest("demo", FINGERPRINT, list(REQUIRED)), 5, **settings)


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def no_git_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the machine's nor the user's git configuration is seen, nor a repository above tmp_path."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


# --- who cleared it, and when ------------------------------------------------

def test_stamp_names_gate_reviewer_and_the_time(tmp_path, no_git_user):
    verdict = judge(write_file(tmp_path), reviewer="Ada Lovelace <ada@example.org>")
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = json.loads(write_stamp(verdict, tmp_path / "gates").read_text(encoding="utf-8"))
    assert stamp["cleared_by"] == "Ada Lovelace <ada@example.org>" and ISO_UTC.fullmatch(stamp["cleared_at"])
    at = datetime.strptime(stamp["cleared_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= at <= before + timedelta(seconds=60)
    assert stamp["waived"] == ["mojibake", "short_texts"] and stamp["reviewed"] == FINGERPRINT
    assert "cleared by Ada Lovelace <ada@example.org> at " + stamp["cleared_at"] in cleared_message(verdict, "g")


def test_stamp_names_the_git_user_when_no_reviewer_is_set(tmp_path, no_git_user):
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    git(project, "config", "user.name", "Grace Hopper")
    git(project, "config", "user.email", "grace@example.org")
    stamp = GateStamp.read(write_stamp(judge(write_file(tmp_path)), project / "gates"))
    assert stamp.cleared_by == "Grace Hopper <grace@example.org>"


def test_without_reviewer_or_git_user_the_stamp_says_how_to_name_one(tmp_path, no_git_user):
    stamp = GateStamp.read(write_stamp(judge(write_file(tmp_path)), tmp_path / "gates"))
    assert stamp.cleared_by == UNKNOWN_SIGNER and "gate.reviewer" in stamp.cleared_by


def test_same_decision_keeps_the_stamp_byte_for_byte(tmp_path, no_git_user):
    path = write_stamp(judge(write_file(tmp_path), reviewer="Ada Lovelace"), tmp_path / "gates")
    first = path.read_bytes()
    # Another reviewer, a new sign-off and reworded reasons: the same decision.
    again = judge(write_file(tmp_path, {c: r + " Checked again." for c, r in REASONS.items()},
                             signed(("Alan Turing", "2024-05-02"))), reviewer="Someone Else")
    write_stamp(again, tmp_path / "gates")
    assert path.read_bytes() == first
    assert again.cleared_by == "Ada Lovelace" and again.cleared_at == json.loads(first)["cleared_at"]
    # A changed decision (a check now passes, so one waiver fewer) writes a new stamp, signed anew.
    changed = judge(write_file(tmp_path, {"mojibake": REASONS["mojibake"]}),
                    [CHECKS[0], CheckResult("short_texts", "pass", 0.0, 0.1, "m", "", "max"), CHECKS[2]],
                    reviewer="Someone Else")
    write_stamp(changed, tmp_path / "gates")
    stamp = json.loads(path.read_text(encoding="utf-8"))
    assert stamp["waived"] == ["mojibake"] and stamp["cleared_by"] == "Someone Else"


def test_stamp_written_before_sign_off_still_reads_and_is_kept(tmp_path, no_git_user):
    verdict = judge(write_file(tmp_path), reviewer="Ada Lovelace")
    old = {"step": "demo", "cleared": True, "reviewed": FINGERPRINT, "waived": ["mojibake", "short_texts"],
           "checks": {"duplicates": "pass", "mojibake": "fail", "short_texts": "fail"}}
    path = tmp_path / "gates/demo.json"
    path.parent.mkdir()
    path.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    before = path.read_bytes()
    assert GateStamp.read(path).cleared_by == "" and GateStamp.read(path).cleared_at == ""
    write_stamp(verdict, tmp_path / "gates")
    assert path.read_bytes() == before and verdict.cleared_by == ""


# --- required sign-offs -------------------------------------------------------

def test_no_sign_off_is_required_by_default(tmp_path):
    verdict = judge(write_file(tmp_path))
    assert verdict.cleared and verdict.sign_offs == [] and verdict.missing_sign_offs == 0


def test_one_sign_off_of_two_keeps_the_gate_closed_naming_what_is_missing(tmp_path):
    path = write_file(tmp_path, sign_offs=signed(("Ada Lovelace", "2024-05-01")))
    verdict = judge(path, min_sign_offs=2)
    assert not verdict.cleared and verdict.missing_sign_offs == 1
    message = blocked_message(verdict)
    assert f"Sign-offs missing (1): gate.min_sign_offs asks for 2 different people, {path} has 1 (Ada Lovelace)" \
        in message
    assert f"under `signed_off_by:` (line {line_of(path, 'signed_off_by:')})" in message
    assert re.search(r"^      - name: <your name>\n        date: \d{4}-\d\d-\d\d$", message, re.MULTILINE)
    assert message.count("- name: <your name>") == 1


def test_without_any_sign_off_the_message_shows_the_whole_list_to_add(tmp_path):
    message = blocked_message(judge(write_file(tmp_path), min_sign_offs=2))
    assert "Sign-offs missing (2)" in message and "has 0 (none)" in message
    assert "    signed_off_by:\n      - name: <your name>\n" in message
    assert message.count("- name: <your name>") == 2


def test_the_same_name_twice_counts_once(tmp_path):
    path = write_file(tmp_path, sign_offs=signed(("Ada Lovelace", "2024-05-01"), ("  ada   LOVELACE ", "2024-05-03")))
    verdict = judge(path, min_sign_offs=2)
    assert not verdict.cleared and [s.name for s in verdict.sign_offs] == ["Ada Lovelace"]
    assert verdict.missing_sign_offs == 1
    assert "The same name twice counts once" in blocked_message(verdict)


def test_two_different_names_clear(tmp_path):
    entries = signed(("Ada Lovelace", "2024-05-01"), ("Alan Turing", "2024-05-02T09:30:00Z"))
    path = write_file(tmp_path, sign_offs=entries)
    verdict = judge(path, min_sign_offs=2)
    assert verdict.cleared and verdict.missing_sign_offs == 0
    assert [(s.name, s.date, s.line) for s in verdict.sign_offs] == [
        ("Ada Lovelace", "2024-05-01", line_of(path, "Ada Lovelace")),
        ("Alan Turing", "2024-05-02T09:30:00Z", line_of(path, "Alan Turing"))]
    assert "signed off by: Ada Lovelace, Alan Turing" in cleared_message(verdict, "gates/demo.json")


@pytest.mark.parametrize("entry, bad_line, problem", [
    ("  - date: 2024-05-01\n", "- date: 2024-05-01", "has no name"),
    ("  - name: ''\n    date: 2024-05-01\n", "- name: ''", "has no name"),
    ("  - name: Ada Lovelace\n    date: 2024-13-01\n", "date: 2024-13-01", "a date that does not parse: '2024-13-01'"),
    ("  - name: Ada Lovelace\n    date: last week\n", "date: last week", "a date that does not parse"),
    ("  - name: Ada Lovelace\n    date: 2024-05-01T25:00:00\n", "date: 2024-05-01T25", "a date that does not parse"),
    ("  - name: Ada Lovelace\n", "- name: Ada Lovelace", "no date"),
    ("  - Ada Lovelace\n", "- Ada Lovelace", "not a mapping"),
])
def test_a_bad_sign_off_entry_names_its_line(tmp_path, entry, bad_line, problem):
    path = write_file(tmp_path, sign_offs="signed_off_by:\n  - name: Alan Turing\n    date: 2024-05-02\n" + entry)
    with pytest.raises(UserError) as info:
        load_checklist(path)
    assert info.value.where == f"{path}, line {line_of(path, bad_line)}"
    assert problem in info.value.problem


def test_sign_off_with_email_and_a_quoted_date_loads(tmp_path):
    path = write_file(tmp_path, sign_offs='signed_off_by:\n  - name: Ada\n    email: ada@example.org\n'
                                         '    date: "2024-05-01"\n')
    (entry,) = load_checklist(path).sign_offs
    assert (entry.name, entry.email, entry.date) == ("Ada", "ada@example.org", "2024-05-01")


# --- waivers held to the standard of answers ---------------------------------

def test_waiver_with_reason_ok_keeps_the_gate_closed_naming_it_and_its_line(tmp_path):
    path = write_file(tmp_path, {"mojibake": "ok", "short_texts": REASONS["short_texts"]})
    verdict = judge(path)
    assert not verdict.cleared and [c.id for c in verdict.failing] == ["mojibake"]
    assert [c.id for c, _ in verdict.waived] == ["short_texts"]
    line = line_of(path, "- check: mojibake")
    assert (f"the waiver of mojibake (line {line}) does not count: its reason is too short "
            "(1 of 5 different words)") in blocked_message(verdict)


def test_one_reason_under_every_waiver_keeps_the_gate_closed(tmp_path):
    reason = "Accepted after reading the report for this task."
    path = write_file(tmp_path, {"mojibake": reason, "short_texts": reason.upper() + "  "})
    verdict = judge(path)
    assert not verdict.cleared and [c.id for c in verdict.failing] == ["mojibake", "short_texts"]
    assert verdict.waived == []
    message = blocked_message(verdict)
    first, second = line_of(path, "- check: mojibake"), line_of(path, "- check: short_texts")
    assert (f"the waiver of mojibake (line {first}) does not count: its reason is shared with the waiver of check "
            f"short_texts on line {second}") in message
    assert f"the waiver of short_texts (line {second}) does not count: its reason is shared with the waiver " \
           f"of check mojibake on line {first}" in message


def test_distinct_long_reasons_clear(tmp_path):
    verdict = judge(write_file(tmp_path))
    assert verdict.cleared and [c.id for c, _ in verdict.waived] == ["mojibake", "short_texts"]
    assert not (verdict.short_waivers or verdict.shared_waivers or verdict.failing)


def test_min_reason_words_is_its_own_setting(tmp_path):
    path = write_file(tmp_path)
    assert judge(path, min_reason_words=5).cleared
    strict = judge(path, min_reason_words=12)  # each reason has 11 different words
    assert not strict.cleared and [c.id for c, _ in strict.short_waivers] == ["mojibake", "short_texts"]
    assert "(11 of 12 different words)" in blocked_message(strict)


# --- through the command, with params.yaml ------------------------------------

def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def step1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_git_user) -> Path:
    """A project (cwd) with step 1's question file answered, reviewed and its failing checks waived."""
    shutil.copytree(REPO / "checklists", tmp_path / "checklists")
    shutil.copy2(REPO / "params.yaml", tmp_path / "params.yaml")
    write_checks(CHECKS, tmp_path / "reports/inspect/checks.json")
    write_evidence(tmp_path, "inspect", "1a2b3c4d5e6f")
    checklist = tmp_path / "checklists/inspect.yaml"
    fill_answers(checklist)
    add_waivers(checklist, ["mojibake", "short_texts"])
    mark_reviewed(checklist)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def gate(capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    return run_in_process(capsys, "gate", "inspect", "--no-track")


def test_settings_come_from_params(step1, capsys):
    edit(step1 / "params.yaml", "min_sign_offs: 0", "min_sign_offs: 1")
    code, _, err = gate(capsys)
    assert code == 1 and "Sign-offs missing (1): gate.min_sign_offs asks for 1" in err
    with (step1 / "checklists/inspect.yaml").open("a", encoding="utf-8") as f:
        f.write(signed(("Ada Lovelace", "2024-05-01")))
    edit(step1 / "params.yaml", "reviewer: null", "reviewer: Ada Lovelace <ada@example.org>")
    code, out, _ = gate(capsys)
    assert code == 0 and "signed off by: Ada Lovelace" in out
    assert GateStamp.read(step1 / "gates/inspect.json").cleared_by == "Ada Lovelace <ada@example.org>"
    edit(step1 / "params.yaml", "min_reason_words: 5", "min_reason_words: 30")
    code, _, err = gate(capsys)
    assert code == 1 and "the waiver of mojibake (line" in err and "of 30 different words" in err


def test_cleared_gate_logs_who_and_when_to_mlflow(step1):
    edit(step1 / "params.yaml", "reviewer: null", "reviewer: Ada Lovelace")
    run([sys.executable, "-m", "clearance", "gate", "inspect"], step1)
    stamp = GateStamp.read(step1 / "gates/inspect.json")
    with sqlite3.connect(step1 / "mlflow.db") as db:
        tags = dict(db.execute("select key, value from tags"))
    assert tags["clearance.cleared_by"] == stamp.cleared_by == "Ada Lovelace"
    assert tags["clearance.cleared_at"] == stamp.cleared_at and ISO_UTC.fullmatch(stamp.cleared_at)


# --- the journey report ---------------------------------------------------------

def test_journey_shows_who_cleared_each_step(tmp_path, monkeypatch):
    from clearance.journey.report import build_journey, write_journey
    from tests.test_journey import make_project

    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = make_project(tmp_path / "proj")
    stamp = project / "gates/inspect.json"
    doc = json.loads(stamp.read_text(encoding="utf-8"))
    stamp.write_text(json.dumps({**doc, "cleared_by": "Ada Lovelace <ada@example.org>",
                                 "cleared_at": "2024-05-01T09:30:00Z"}), encoding="utf-8")
    gates = {s["step"]: s["gate"] for s in build_journey(project)["steps"]}
    assert gates["inspect"]["cleared_by"] == "Ada Lovelace <ada@example.org>"
    assert "cleared by Ada Lovelace <ada@example.org> on 2024-05-01T09:30:00Z" in gates["inspect"]["text"]
    assert gates["baselines"]["cleared_by"] == "" and gates["baselines"]["state"] == "cleared"  # an older stamp
    html = write_journey(project).read_text(encoding="utf-8")
    assert ('cleared by <span class="signer">Ada Lovelace &lt;ada@example.org&gt;</span> on '
            '<time datetime="2024-05-01T09:30:00Z">2024-05-01T09:30:00Z</time>') in html
    assert html.count('class="signer"') == 1
