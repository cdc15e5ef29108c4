"""The CLI on damaged question files, conf files, params and stage files: one message naming the file
(and line) and the fix, exit code 2, never a traceback or an "unexpected error".

Each case is a function that damages a fresh project (a git repository with step 1's checks and evidence),
then the command runs in-process, as `clearance` runs it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearance.checklist.results import CheckResult, write_checks
from tests.cli_helpers import run_in_process, write_evidence
from tests.conftest import REPO, run

INSPECT = "checklists/inspect.yaml"
# Would create this file if a YAML tag were ever constructed (it must never be).
RAN = "TAG_RAN"
PYTHON_TAG = f'!!python/object/apply:os.system ["touch {RAN}"]'


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed project folder, as cwd: question files, conf/, params.yaml, step 1's checks and evidence."""
    root = tmp_path / "project"
    root.mkdir()
    for folder in ("checklists", "conf"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy2(REPO / "params.yaml", root / "params.yaml")
    write_checks([CheckResult("mojibake", "fail", 0.08, 0.05, "8% mis-decoded", "fix the encoding", "max")],
                 root / "reports/inspect/checks.json")
    write_evidence(root, "inspect", "1a2b3c4d5e6f")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    monkeypatch.chdir(root)
    return root


def git(root: Path, *args: str) -> str:
    return run(["git", *args], root).stdout


def commit(root: Path, message: str = "edit") -> None:
    git(root, "commit", "-q", "-am", message)


def clearance(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    """Run the command in-process: (exit code, stdout and stderr together)."""
    code, out, err = run_in_process(capsys, *argv)
    return code, out + err


def replace(path: str, old: str, new: str, count: int = 1) -> None:
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, count), encoding="utf-8")


def write(path: str, content: str | bytes) -> None:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content, encoding="utf-8")


def line_of(path: str | Path, text: str, nth: int = 1) -> int:
    """1-based line of the nth line of ``path`` that starts (after indentation) with ``text``."""
    found = [i for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
             if line.strip().startswith(text)]
    return found[nth - 1]


# Where the shipped question file holds what the cases damage (the messages name these lines).
SHIPPED = REPO / INSPECT
STEP, ORDER, TITLE, FIRST_QUESTION, FIRST_ANSWER = (
    line_of(SHIPPED, key) for key in ("step:", "order:", "title:", "question:", "answer:"))


# --- the damage, one function each ----------------------------------------------------------------


def not_utf8(root: Path) -> None:
    write(INSPECT, Path(INSPECT).read_bytes().replace(b"title: Look at the data", b"title: Look at the d\xe4ta"))


def not_utf8_committed(root: Path) -> None:
    not_utf8(root)
    commit(root)


def utf16(root: Path) -> None:
    write(INSPECT, Path(INSPECT).read_text(encoding="utf-8").encode("utf-16"))


def empty(root: Path) -> None:
    write(INSPECT, "")


def a_list(root: Path) -> None:
    write(INSPECT, "- step: inspect\n- questions: []\n")


def a_scalar(root: Path) -> None:
    write(INSPECT, "just some words\n")


def no_questions(root: Path) -> None:
    text = Path(INSPECT).read_text(encoding="utf-8")
    write(INSPECT, text[:text.index("questions:")])


def answer_mapping(root: Path) -> None:
    replace(INSPECT, "    answer:\n", "    answer:\n      Balance: 60/40, fine for accuracy\n")


def answer_nested_list(root: Path) -> None:
    replace(INSPECT, "    answer:\n", "    answer:\n      - one point\n      - [nested, list]\n")


def waiver_without_check(root: Path) -> None:
    replace(INSPECT, "waivers: []", "waivers:\n  - reason: the source writes it that way on purpose")


def waiver_without_reason(root: Path) -> None:
    replace(INSPECT, "waivers: []", "waivers:\n  - check: mojibake")


def waiver_twice(root: Path) -> None:
    replace(INSPECT, "waivers: []", "waivers:\n  - check: mojibake\n    reason: the source writes it that way\n"
                                    "  - check: mojibake\n    reason: and we checked a sample of them by hand")


def id_twice(root: Path) -> None:
    replace(INSPECT, "- id: disputed_labels", "- id: label_balance")


def sign_off_without_date(root: Path) -> None:
    write(INSPECT, Path(INSPECT).read_text(encoding="utf-8") + "signed_off_by:\n  - name: Ada Lovelace\n")


def tab(root: Path) -> None:
    replace(INSPECT, "    question:", "\tquestion:")


def truncated(root: Path) -> None:
    text = Path(INSPECT).read_text(encoding="utf-8")
    write(INSPECT, text[:text.index("- id: preprocessing") + len("- id: preprocessing")])


def tag_in_answer(root: Path) -> None:
    replace(INSPECT, "    answer:\n", f"    answer: {PYTHON_TAG}\n")


def order_not_a_number(root: Path) -> None:
    replace(INSPECT, "order: 1", "order: first")


def step_a_list(root: Path) -> None:
    replace(INSPECT, "step: inspect", "step: [inspect]")


def control_character(root: Path) -> None:
    replace(INSPECT, "title: Look at the data", "title: Look at the\x00data")


def key_twice(root: Path) -> None:
    replace(INSPECT, "    answer:\n", "    answer: it is balanced enough\n    answer: it is not\n")


def deleted(root: Path) -> None:
    Path("checklists/baselines.yaml").unlink()


def deleted_and_committed(root: Path) -> None:
    git(root, "rm", "-q", "checklists/baselines.yaml")
    commit(root, "remove")


def deleted_never_committed(root: Path) -> None:
    shutil.rmtree(".git")
    deleted(root)


def outside_project(root: Path) -> None:
    shutil.rmtree("checklists")


def checks_not_json(root: Path) -> None:
    write("reports/inspect/checks.json", '[{"id": "mojibake", "status": ')


def checks_not_objects(root: Path) -> None:
    write("reports/inspect/checks.json", "[1, 2]")


def checks_bad_direction(root: Path) -> None:
    write("reports/inspect/checks.json", json.dumps([{"id": "mojibake", "status": "fail", "value": 1,
                                                      "threshold": 0, "message": "m", "direction": "up"}]))


def evidence_damaged(root: Path) -> None:
    write("reports/inspect/evidence.json", '{"step": "inspect"}')


def params_not_yaml(root: Path) -> None:
    write("params.yaml", Path("params.yaml").read_text(encoding="utf-8") + "extra: [unclosed\n")


def params_not_utf8(root: Path) -> None:
    write("params.yaml", Path("params.yaml").read_bytes() + b"note: caf\xe9\n")


def params_tag(root: Path) -> None:
    write("params.yaml", Path("params.yaml").read_text(encoding="utf-8") + f"extra: {PYTHON_TAG}\n")


def conf_not_yaml(root: Path) -> None:
    write("conf/gate/default.yaml", Path("conf/gate/default.yaml").read_text(encoding="utf-8") + "extra: [\n")


def conf_tag(root: Path) -> None:
    write("conf/gate/default.yaml", Path("conf/gate/default.yaml").read_text(encoding="utf-8")
          + f"extra: {PYTHON_TAG}\n")


def conf_not_utf8(root: Path) -> None:
    write("conf/gate/default.yaml", Path("conf/gate/default.yaml").read_bytes() + b"# caf\xe9\n")


def nothing(root: Path) -> None:
    """No damage: the command itself is wrong (an unknown step, revision or override)."""


@dataclass(frozen=True)
class Case:
    damage: Callable[[Path], None]
    argv: tuple[str, ...]
    names: tuple[str, ...]  # each must be in the message (the file, the line, the fix)
    code: int = 2


CASES = {
    "not_utf8_status": Case(not_utf8, ("status",), (f"{INSPECT}, line {TITLE}", "byte 0xe4", "save the file as UTF-8")),
    "not_utf8_show": Case(not_utf8, ("show", "inspect"), (f"{INSPECT}, line {TITLE}", "byte offset")),
    "not_utf8_gate": Case(not_utf8, ("gate", "inspect", "--no-track"), (f"{INSPECT}, line {TITLE}",)),
    "not_utf8_check": Case(not_utf8, ("check",), (f"{INSPECT}, line {TITLE}",)),
    "not_utf8_diff_working_tree": Case(not_utf8, ("diff",), (f"{INSPECT}, line {TITLE}", "UTF-8")),
    "not_utf8_diff_revision": Case(not_utf8_committed, ("diff", "HEAD~1", "HEAD"),
                                   (f"HEAD:{INSPECT}, line {TITLE}", "byte 0xe4",
                                    "save checklists/inspect.yaml as UTF-8")),
    "utf16": Case(utf16, ("status",), (INSPECT, "UTF-16")),
    "empty": Case(empty, ("status",), (INSPECT, "empty", f"git checkout -- {INSPECT}")),
    "a_list": Case(a_list, ("show", "inspect"), (INSPECT, "YAML list", f"git diff -- {INSPECT}")),
    "a_scalar": Case(a_scalar, ("status",), (INSPECT, "single value")),
    "no_questions": Case(no_questions, ("status",), (INSPECT, "`questions:`")),
    "answer_mapping": Case(answer_mapping, ("show", "inspect"),
                           (f"{INSPECT}, line {FIRST_ANSWER}", "label_balance", "`answer: |`")),
    "answer_nested_list": Case(answer_nested_list, ("status",), (f"{INSPECT}, line {FIRST_ANSWER}", "`answer: |`")),
    "waiver_without_check": Case(waiver_without_check, ("status",), (INSPECT, "`check:`")),
    "waiver_without_reason": Case(waiver_without_reason, ("gate", "inspect", "--no-track"),
                                  (INSPECT, "mojibake", "`reason:`")),
    "waiver_twice": Case(waiver_twice, ("status",), (INSPECT, "'mojibake' is waived twice")),
    "id_twice": Case(id_twice, ("show", "inspect"), (INSPECT, "'label_balance' appears twice")),
    "sign_off_without_date": Case(sign_off_without_date, ("status",), (INSPECT, "no date", "YYYY-MM-DD")),
    "tab": Case(tab, ("status",), (f"{INSPECT}, line {FIRST_QUESTION}, column 1", "'\\t'")),
    "truncated": Case(truncated, ("status",), (INSPECT, "preprocessing", "`question:`")),
    "tag_in_answer": Case(tag_in_answer, ("show", "inspect"),
                          (f"{INSPECT}, line {FIRST_ANSWER}", "`!!python/object/apply:os.system` is refused",
                           "remove the tag")),
    "order_not_a_number": Case(order_not_a_number, ("status",), (f"{INSPECT}, line {ORDER}", "`order:`")),
    "step_a_list": Case(step_a_list, ("status",), (f"{INSPECT}, line {STEP}", "`step:`")),
    "control_character": Case(control_character, ("status",), (f"{INSPECT}, line {TITLE}, column 19", "#x0000")),
    "key_twice": Case(key_twice, ("status",), (f"{INSPECT}, line {FIRST_ANSWER + 1}", "duplicate key")),
    "deleted": Case(deleted, ("show", "baselines"),
                    ("checklists/baselines.yaml", "git checkout -- checklists/baselines.yaml", "git restore")),
    "deleted_gate": Case(deleted, ("gate", "baselines", "--no-track"),
                         ("git checkout -- checklists/baselines.yaml",)),
    "deleted_and_committed": Case(deleted_and_committed, ("show", "baselines"),
                                  ("checklists/baselines.yaml", "~1 -- checklists/baselines.yaml")),
    "deleted_never_committed": Case(deleted_never_committed, ("show", "baselines"),
                                    ("git holds no copy", "clearance/baselines/judge/questions.yaml")),
    "unknown_step": Case(nothing, ("show", "nosuchstep"), ("checklists/nosuchstep.yaml", "use one of: baselines")),
    "unknown_revision": Case(nothing, ("diff", "nosuchrev"), ("'nosuchrev'", "git log")),
    "outside_project_status": Case(outside_project, ("status",), ("checklists", "project's root")),
    "outside_project_check": Case(outside_project, ("check",), ("checklists", "project's root")),
    "outside_project_show": Case(outside_project, ("show", "inspect"), ("checklists", "project's root")),
    "checks_not_json": Case(checks_not_json, ("check",), ("reports/inspect/checks.json, line 1", "dvc repro")),
    "checks_not_objects": Case(checks_not_objects, ("status",), ("reports/inspect/checks.json, item 0",)),
    "checks_bad_direction": Case(checks_bad_direction, ("show", "inspect"), ("reports/inspect/checks.json", "'up'")),
    "evidence_damaged": Case(evidence_damaged, ("status",), ("reports/inspect/evidence.json",)),
    "params_not_yaml": Case(params_not_yaml, ("status",), ("params.yaml, line", "clearance params")),
    "params_not_utf8": Case(params_not_utf8, ("gate", "inspect", "--no-track"),
                            ("params.yaml, line", "byte 0xe9", "clearance params")),
    "params_tag": Case(params_tag, ("status",), ("params.yaml, line", "is refused", "clearance params")),
    "conf_not_yaml": Case(conf_not_yaml, ("params",), ("conf/gate/default.yaml, line", "column", "not valid YAML")),
    "conf_tag": Case(conf_tag, ("params",), ("conf/gate/default.yaml, line", "`!!python/object/apply:os.system`")),
    "conf_not_utf8": Case(conf_not_utf8, ("params",), ("conf/gate/default.yaml, line", "byte 0xe9")),
    "override_unknown_option": Case(nothing, ("params", "model=nosuch"),
                                    ("`model=nosuch`", "conf/model/ has no nosuch.yaml", "tiny")),
    "override_unknown_key": Case(nothing, ("params", "data.nosuch=1"), ("`data.nosuch=1`", "`+data.nosuch=1`")),
    "override_unknown_top_key": Case(nothing, ("params", "nosuch=1"), ("`nosuch=1`", "`+nosuch=1`")),
    "override_unparsable": Case(nothing, ("params", "data.path=["), ("`data.path=[`", "key=value")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_damaged_file_is_one_message(workdir, capsys, name):
    case = CASES[name]
    case.damage(workdir)
    code, output = clearance(capsys, *case.argv)
    assert "Traceback" not in output and "unexpected error" not in output, output
    assert code == case.code, output
    for text in case.names:
        assert text in output, f"{text!r} not in:\n{output}"
    assert re.search(r"^\s+fix: \S", output, re.MULTILINE), output
    assert not (workdir / RAN).exists()  # a YAML tag never runs anything


@pytest.mark.parametrize("argv, code", [(("status",), 0), (("show", "inspect"), 0), (("check",), 1),
                                        (("gate", "inspect", "--no-track"), 1), (("diff",), 0),
                                        (("params",), 0)])
def test_clean_project_has_no_message(workdir, capsys, argv, code):
    """The same commands on the undamaged project: their normal answer (1 is a closed gate, not an error)."""
    found, output = clearance(capsys, *argv)
    assert found == code, output
    assert not re.search(r"^clearance: .*\n  fix: ", output, re.MULTILINE), output
    assert "Traceback" not in output


def test_duplicate_id_is_named_on_its_id_line(workdir, capsys):
    id_twice(workdir)
    first, second = line_of(INSPECT, "- id: label_balance", 1), line_of(INSPECT, "- id: label_balance", 2)
    _, output = clearance(capsys, "status")
    assert f"{INSPECT}, line {second}: question id 'label_balance' appears twice (lines {first} and {second})" \
        in output


def test_second_waiver_names_both_lines(workdir, capsys):
    waiver_twice(workdir)
    first, second = line_of(INSPECT, "- check: mojibake", 1), line_of(INSPECT, "- check: mojibake", 2)
    _, output = clearance(capsys, "gate", "inspect", "--no-track")
    assert f"{INSPECT}, line {second}: check 'mojibake' is waived twice (lines {first} and {second})" in output


def test_damaged_stamp_reads_as_no_stamp(workdir, capsys):
    """A gate stamp is the gate's file, not the user's: a damaged one only means the gate runs again."""
    write("gates/inspect.json", b"{\xff not json")
    code, output = clearance(capsys, "status")
    assert code == 0 and "Traceback" not in output and "inspect" in output


def test_damaged_dvc_yaml_is_not_read_by_the_checklist_commands(workdir, capsys):
    write("dvc.yaml", "stages: [\n")
    code, output = clearance(capsys, "status")
    assert code == 0 and "Traceback" not in output


def test_damaged_report_csv_is_named_in_show(workdir, capsys):
    """An evidence pointer to a CSV that is not UTF-8 says so beside the question."""
    write("reports/inspect/sample.csv", b"text,label\ncaf\xe9,1\n")
    replace(INSPECT, "      - reports/inspect/report.html#balance", "      - reports/inspect/sample.csv")
    code, output = clearance(capsys, "show", "inspect")
    assert code == 0 and "reports/inspect/sample.csv: (not readable as a UTF-8 CSV" in output


def test_recomposing_replaces_a_damaged_params_file_and_keeps_its_bytes(workdir, capsys):
    params_not_utf8(workdir)
    damaged = Path("params.yaml").read_bytes()
    code, output = clearance(capsys, "params")
    assert code == 0 and "could not be read" in output and "params.yaml.bak" in output
    assert Path("params.yaml.bak").read_bytes() == damaged
    assert clearance(capsys, "params", "--check")[0] == 0


def test_question_file_is_never_rewritten(workdir, capsys):
    """Refusing a damaged file leaves its bytes as the user wrote them."""
    waiver_twice(workdir)
    before = Path(INSPECT).read_bytes()
    for argv in (("status",), ("show", "inspect"), ("gate", "inspect", "--no-track"), ("check",)):
        clearance(capsys, *argv)
    assert Path(INSPECT).read_bytes() == before
