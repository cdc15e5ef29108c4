"""The editors' JSON Schema of the question files (checklists/schema/<step>.schema.json), checked with
jsonschema's draft-07 validator, the equivalent of what the YAML language server runs: every shipped and every
answered question file validates, a file the gate refuses for a structural reason is refused by the schema
too, and the shipped schemas are what `clearance params` writes now."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from clearance.check_catalogue import check_about, declared_checks, described_checks
from clearance.checklist.answers import PLACEHOLDERS, is_real_answer, parses_as_date
from clearance.checklist.entries import FILE_KEYS
from clearance.checklist.question_yaml import parse_yaml
from clearance.checklist.questions import find_checklists, load_checklist
from clearance.checklist.schema import DATE_PATTERN, modeline, plain, real_text_pattern, schema_path, stale_schemas
from clearance.core.errors import UserError
from clearance.core.paths import CHECKLIST_DIR, STEPS
from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed
from tests.conftest import REPO, run

FINGERPRINT = "0a1b2c3d4e5f"
SIGN_OFF = "signed_off_by:\n  - name: Ada Lovelace\n    date: 2026-05-01\n    email: ada@example.org\n"


@lru_cache(maxsize=None)
def validator(step: str) -> Draft7Validator:
    schema = json.loads(schema_path(step, REPO / CHECKLIST_DIR).read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def schema_errors(path: Path, step: str = "inspect") -> list[str]:
    """The schema's complaints about a question file, as the editor would list them."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(step).iter_errors(plain(parse_yaml(path)))]


def answered(folder: Path, step: str = "inspect") -> Path:
    """The shipped question file answered as a user answers it: answers, two waivers, reviewed, a sign-off."""
    path = folder / f"{step}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / CHECKLIST_DIR / f"{step}.yaml", path)
    fill_answers(path)
    add_waivers(path, [d.id for d in declared_checks(step)[:2]])
    mark_reviewed(path, FINGERPRINT)
    path.write_text(path.read_text(encoding="utf-8") + SIGN_OFF, encoding="utf-8")
    return path


def edited(tmp_path: Path, old: str, new: str) -> Path:
    """The answered inspect file with its first ``old`` replaced by ``new``."""
    path = answered(tmp_path / "checklists")
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("step", STEPS)
def test_every_shipped_question_file_names_its_schema_and_validates(step):
    path = REPO / CHECKLIST_DIR / f"{step}.yaml"
    assert path.read_text(encoding="utf-8").splitlines()[0] == modeline(step)
    named = modeline(step).split("$schema=", 1)[1]
    assert (path.parent / named).resolve() == schema_path(step, REPO / CHECKLIST_DIR).resolve()
    assert (path.parent / named).is_file()
    assert schema_errors(path, step) == []


@pytest.mark.parametrize("step", STEPS)
def test_the_first_line_changes_nothing_the_gate_reads(tmp_path, step):
    shipped = load_checklist(REPO / CHECKLIST_DIR / f"{step}.yaml")
    bare = tmp_path / f"{step}.yaml"
    bare.write_text((REPO / CHECKLIST_DIR / f"{step}.yaml").read_text(encoding="utf-8").split("\n", 1)[1],
                    encoding="utf-8")
    without = load_checklist(bare)
    for field in ("step", "title", "order", "checks", "report", "questions", "waivers", "reviewed", "sign_offs"):
        shifted = getattr(shipped, field)
        if field == "questions":  # every line moved down by one; the wording is the same
            assert [(q.id, q.question, q.answer, q.evidence, q.line - 1) for q in shifted] == \
                   [(q.id, q.question, q.answer, q.evidence, q.line) for q in without.questions]
        else:
            assert shifted == getattr(without, field), field


@pytest.mark.parametrize("step", STEPS)
def test_every_answered_question_file_validates(tmp_path, step):
    path = answered(tmp_path, step)
    assert load_checklist(path).sign_offs and schema_errors(path, step) == []


def test_every_answered_question_file_of_the_journey_validates(journey):
    for step in STEPS:
        path = journey.root / CHECKLIST_DIR / f"{step}.yaml"
        assert load_checklist(path).reviewed and schema_errors(path, step) == [], step
        produced = {c["id"] for c in json.loads((journey.root / f"reports/{step}/checks.json").read_text())}
        allowed = set(validator(step).schema["properties"]["waivers"]["items"]["properties"]["check"]["enum"])
        assert produced <= allowed, step


def test_the_shipped_schemas_are_what_the_generator_writes_now():
    assert stale_schemas(described_checks(), REPO / CHECKLIST_DIR) == []


@pytest.mark.parametrize("step", STEPS)
def test_a_waivers_check_is_one_of_the_steps_checks_described_by_its_check(step):
    rule = validator(step).schema["properties"]["waivers"]["items"]["properties"]["check"]
    checks = declared_checks(step)
    assert rule["enum"] == [d.id for d in checks]
    assert rule["enumDescriptions"] == [check_about(d) for d in checks]
    assert all(len(about) > 20 for about in rule["enumDescriptions"])


def test_a_misspelt_waiver_id_is_a_schema_error_naming_the_allowed_ids(tmp_path):
    path = edited(tmp_path, "\n  - check: ", "\n  - check: mojibak\n    # was: ")
    errors = schema_errors(path)
    assert len(errors) == 1 and "'mojibak' is not one of" in errors[0]
    assert all(f"'{d.id}'" in errors[0] for d in declared_checks("inspect"))
    # The gate reads the file (the waiver names no check it knows: it is stale and waives nothing).
    assert load_checklist(path).waivers[0].check == "mojibak"


def test_the_schema_files_are_not_question_files():
    from clearance.checklist.diff_revisions import side

    assert [c.step for c in find_checklists(REPO / CHECKLIST_DIR)] == list(STEPS)
    assert side(None, REPO).question_files() == sorted(f"checklists/{s}.yaml" for s in STEPS)


# -- structural refusals: the gate and the schema agree ----------------------------------------------------------

# case: (text replaced, its replacement, what the gate's message says)
REFUSED = {
    "a misspelt top-level key": ("\nwaivers:", "\nwaiver:", "unknown key `waiver:`"),
    "a misspelt question key": ('\n    answer: "', '\n    answr: "', "unknown key `answr:`"),
    "a misspelt waiver key": ('\n    reason: "', '\n    reson: "', "unknown key `reson:`"),
    "a misspelt sign-off key": ("    date: 2026-05-01", "    dated: 2026-05-01", "unknown key `dated:`"),
    "an unknown key of one's own": ("\nquestions:", "\nnotes: read twice\nquestions:", "unknown key `notes:`"),
    "a sign-off without a date": ("    date: 2026-05-01\n", "", "no date"),
    "a sign-off without a name": ("  - name: Ada Lovelace\n    date:", "  - date:", "no name"),
    "a sign-off with an empty name": ("name: Ada Lovelace", "name: ''", "no name"),
    "a month that does not exist": ("2026-05-01", "2026-13-01", "does not parse"),
    "a day that does not exist": ("2026-05-01", "2026-02-30", "does not parse"),
    "a 29 February of a common year": ("2026-05-01", "2023-02-29", "does not parse"),
    "a date in words": ("2026-05-01", "yesterday", "does not parse"),
    "a date written day first": ("2026-05-01", "01/05/2026", "does not parse"),
    "a date without its leading zeros": ("2026-05-01", "2026-5-1", "does not parse"),
    "a date that YAML reads as a number": ("2026-05-01", "20260501", "does not parse"),
    "reviewed inside a question": ("  - id: data_origin\n", f"  - id: data_origin\n    reviewed: {FINGERPRINT}\n",
                                   "unknown key `reviewed:`"),
    "reviewed inside a waiver": ("\n  - check: ", f"\n  - reviewed: {FINGERPRINT}\n    check: ",
                                 "unknown key `reviewed:`"),
    "reviewed inside a sign-off": ("  - name: Ada", f"  - reviewed: {FINGERPRINT}\n    name: Ada",
                                   "unknown key `reviewed:`"),
    "reviewed as a list": (f"reviewed: {FINGERPRINT}", f"reviewed: [{FINGERPRINT}]", "single fingerprint"),
    "an empty step": ("step: inspect", "step: ''", "`step:` is empty"),
    "a step that is a list": ("step: inspect", "step: [inspect]", "is a list"),
    "an order that is not a number": ("order: 1", "order: first", "whole number"),
    "evidence that is a mapping": ("  - id: prior_analyses\n",
                                   "  - id: prior_analyses\n    evidence:\n      sample: reports/inspect/sample.csv\n",
                                   "not a list of pointers"),
    "an answer YAML reads as a mapping": ('    answer: "Looked at the evidence for label_balance',
                                          '    answer:\n      Balance: "60/40', "is not text"),
}
# case: (a change to the loaded file, what the gate's message says)
REFUSED_SHAPES = {
    "no questions": (lambda doc: doc.__setitem__("questions", []), "non-empty list"),
    "waivers that are not a list": (lambda doc: doc.__setitem__("waivers", "mojibake"), "`waivers:` must be a list"),
    "a waiver that is not a mapping": (lambda doc: doc["waivers"].__setitem__(0, "mojibake"), "no `check:`"),
    "sign-offs that are not a list": (lambda doc: doc.__setitem__("signed_off_by", "Ada"), "must be a list"),
    "a sign-off that is not a mapping": (lambda doc: doc["signed_off_by"].__setitem__(0, "Ada"), "not a mapping"),
}


def reshaped(path: Path, change) -> Path:
    """``path`` loaded, changed by ``change`` and written back (comments and order kept)."""
    yaml = YAML(typ="rt")
    doc = yaml.load(path.read_text(encoding="utf-8"))
    change(doc)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    return path


def refused_by_both(path: Path, says: str) -> None:
    with pytest.raises(UserError) as refused:
        load_checklist(path)
    assert says in refused.value.problem and re.search(r", line \d+$", refused.value.where) and refused.value.fix
    assert schema_errors(path), f"the gate refuses it ({refused.value.problem}) but the schema does not"


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_structural_refusal_of_the_gate_is_a_schema_error_too(tmp_path, case):
    old, new, says = REFUSED[case]
    refused_by_both(edited(tmp_path, old, new), says)


@pytest.mark.parametrize("case", sorted(REFUSED_SHAPES))
def test_a_wrong_shape_is_refused_by_both(tmp_path, case):
    change, says = REFUSED_SHAPES[case]
    refused_by_both(reshaped(answered(tmp_path), change), says)


def _required_keys() -> list[tuple[str, str]]:
    """(where, key) of every required key the tables declare: the file's, a question's, a waiver's, a sign-off's."""
    found = [("", k.name) for k in FILE_KEYS if k.required]
    return found + [(k.name, e.name) for k in FILE_KEYS for e in k.entries if e.required]


@pytest.mark.parametrize("where, key", _required_keys())
def test_a_required_key_taken_out_is_refused_by_both(tmp_path, where, key):
    path = reshaped(answered(tmp_path), lambda doc: (doc[where][0] if where else doc).__delitem__(key))
    refused_by_both(path, f"no {key}" if key in ("name", "date") else f"`{key}:`")


def test_the_gate_names_a_misspelt_key_and_the_one_meant(tmp_path, capsys):
    from tests.cli_helpers import run_in_process

    path = edited(tmp_path, *REFUSED["a misspelt question key"][:2])
    with pytest.raises(UserError) as refused:
        load_checklist(path)
    assert "unknown key `answr:`" in refused.value.problem and "did you mean `answer:`" in refused.value.fix
    path = edited(tmp_path / "b", *REFUSED["reviewed inside a question"][:2])
    with pytest.raises(UserError) as refused:
        load_checklist(path)
    assert "`reviewed:` belongs in the file's top level" in refused.value.fix
    code, _, err = run_in_process(capsys, "--checklists", str(path.parent), "status")
    assert code == 2 and "unknown key `reviewed:`" in err and "Traceback" not in err


def test_what_only_the_gate_can_refuse_passes_the_schema(tmp_path):
    """Two entries with one id, or one check waived twice: a schema cannot compare entries' values."""
    twice = edited(tmp_path / "a", "id: data_origin", "id: label_balance")
    waived_twice = answered(tmp_path / "b")
    first = declared_checks("inspect")[0].id
    add_waivers(waived_twice, [first], reason="A second reason for {id}, written by someone else entirely.")
    for path in (twice, waived_twice):
        with pytest.raises(UserError, match="twice"):
            load_checklist(path)
        assert schema_errors(path) == []


# -- the rules a schema can state: a real answer, a date that parses, the fingerprint's shape ---------------------

def _answers() -> list[str]:
    """Placeholders in their variants, blank text, and real answers that only look close to one."""
    variants = [v for p in sorted(PLACEHOLDERS) for v in (p, p.upper(), p.title(), f"  {p}.  ", f"{p}!", f"{p}:")]
    return variants + ["", " ", "\n\t ", "...", "!!", "TODO: read the report", "tbd later", "fixme", "xxx yyy",
                       "todos are done", "later on we dropped 3% of rows", "Answer: 42% of rows are neutral",
                       "none yet seen in 400 rows", "? see below: 60/40", "Mostly balanced: 42% / 39% / 18%.",
                       "Ambiguous sarcasm;\nwe relabelled 12 rows.\n", "tbdx is our tokenizer's name"]


def test_the_answer_pattern_refuses_exactly_what_the_gate_does_not_count():
    pattern = real_text_pattern()
    for text in _answers():
        assert bool(re.search(pattern, text)) == is_real_answer(text), repr(text)


def _dates() -> list[str]:
    days = [date(year, 1, 1) + timedelta(n) for year in (1900, 2000, 2023, 2024) for n in range(366)]
    made_up = [f"{y}-{m:02d}-{d:02d}" for y in ("2023", "2024", "1900", "0000") for m in range(14) for d in range(33)]
    times = ["T09", "T09:30", "T09:30:00", " 09:30", "T09:30:00.5", "T09:30:00,25", "T09:30:00Z", "T09:30+02:00",
             "T09:30:00-0530", "T24:00", "T09:60", "T9:30", "X09:30", "T09:30:00.1234567", "Z", "T09:30:00+24:00"]
    return [d.isoformat() for d in days] + made_up + [f"2026-05-01{t}" for t in times] + [
        "2026-5-1", "26-05-01", "2026/05/01", "yesterday", "", "2026-05-01 ", "2026-05-01\n", "２０２６-05-01"]


def test_the_date_pattern_accepts_only_what_the_gate_parses():
    for text in _dates():
        if re.search(DATE_PATTERN, text):  # the gate parses the text stripped
            assert parses_as_date(text.strip()), repr(text)
        elif len(text) == 10 and text.isascii():  # every YYYY-MM-DD the gate takes, the schema takes
            assert not parses_as_date(text), repr(text)


@pytest.mark.skipif(shutil.which("node") is None, reason="node (the editors' regular expressions) is not installed")
def test_the_editors_regular_expressions_read_the_patterns_alike(tmp_path):
    """The YAML language server runs the patterns as ECMAScript regular expressions (with the u flag when they
    compile with it): each pattern of every schema compiles so, and matches what Python's re matches."""
    patterns = sorted({p for step in STEPS for p in re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")',
                                                                 schema_path(step, REPO / CHECKLIST_DIR).read_text())})
    assert len(patterns) >= 5  # the answer's, the date's, the fingerprint's, the number's, a name's
    texts = _answers() + _dates() + ["0a1b2c3d4e5f", " 0a1b2c3d4e5f ", "0A1B2C3D4E5F", "0a1b2c", "1", " +3 ", "x"]
    (tmp_path / "cases.json").write_text(json.dumps({"patterns": [json.loads(p) for p in patterns], "texts": texts}))
    script = ("const c = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));"
              "console.log(JSON.stringify(c.patterns.map(p => c.texts.map(t => new RegExp(p, 'u').test(t)))));")
    found = json.loads(subprocess.run(["node", "-e", script, str(tmp_path / "cases.json")], capture_output=True,
                                      text=True, check=True).stdout)
    for pattern, matches in zip(patterns, found):
        python = [bool(re.search(json.loads(pattern), t)) for t in texts]
        differ = [t for t, a, b in zip(texts, matches, python) if a != b and t.isascii()]
        assert not differ, (pattern[:60], differ)


@pytest.mark.parametrize("answer, reviewed, valid", [
    ("", "", True),  # `answer:` left empty in a file not yet reviewed: the shipped files are so
    ("", FINGERPRINT, False),  # `reviewed:` written, an answer still empty: the gate stays closed
    ("'   '", "", False),
    ("TODO", "", False),
    ("'tbd.'", "", False),
    ("'?'", "", False),
    ("'TODO: read the report'", "", False),
    ("Mostly balanced at 42% / 39% / 18%, so macro-F1 it is.", FINGERPRINT, True),
    ("\n      - Mostly balanced at 42% / 39% / 18%.\n      - So macro-F1 it is.", FINGERPRINT, True),
])
def test_an_answer_is_real_or_not_yet_written(tmp_path, answer, reviewed, valid):
    path = edited(tmp_path, '    answer: "Looked at the evidence for label_balance, and it is fine for this task."',
                  f"    answer: {answer}")
    path.write_text(path.read_text(encoding="utf-8").replace(f"reviewed: {FINGERPRINT}", f"reviewed: {reviewed}"),
                    encoding="utf-8")
    errors = schema_errors(path)
    assert (errors == []) == valid and all(e.startswith("['questions', 0, 'answer']") for e in errors), errors
    # The gate reads each file; an answer the schema refuses, or one not yet written, does not count there.
    assert load_checklist(path).questions[0].answered == ("Mostly" in answer)


@pytest.mark.parametrize("reviewed, valid", [
    ("0a1b2c3d4e5f", True), ("000123456789", True), ("'0a1b2c3d4e5f'", True), ("12e456789012", True), ("", True),
    ("0a1b2c", False), ("<fingerprint>", False), ("0A1B2C3D4E5F", False)])
def test_the_reviewed_line_holds_a_fingerprint(tmp_path, reviewed, valid):
    path = edited(tmp_path, f"reviewed: {FINGERPRINT}", f"reviewed: {reviewed}")
    assert (schema_errors(path) == []) == valid
    assert load_checklist(path).reviewed == reviewed.strip("'")


def test_a_waiver_without_a_reason_is_a_schema_error(tmp_path):
    for n, reason in enumerate(("TBD", "", "'  '")):
        path = edited(tmp_path / str(n), '\n    reason: "We accept the class_imbalance', f"\n    reason: {reason}\n    # ")
        errors = schema_errors(path)
        assert errors and all(e.startswith("['waivers', 0, 'reason']") for e in errors), errors
        assert not load_checklist(path).waivers[0].valid  # the gate reads it: the check stays failing


def test_params_check_fails_on_a_stale_schema_and_params_rewrites_it(tmp_path):
    for name in ("checklists", "conf"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy2(REPO / "params.yaml", tmp_path / "params.yaml")
    cli = [sys.executable, "-m", "clearance", "params"]
    shipped = tmp_path / "checklists/schema/model.schema.json"
    shipped.write_text(shipped.read_text(encoding="utf-8").replace('"calibration",', ""), encoding="utf-8")
    stale = run([*cli, "--check"], tmp_path, check=False)
    assert stale.returncode == 1 and "checklists/schema/model.schema.json" in stale.stderr
    assert "clearance params" in stale.stderr
    written = run(cli, tmp_path)
    assert "wrote checklists/schema/model.schema.json" in written.stdout
    assert shipped.read_text(encoding="utf-8") == (REPO / "checklists/schema/model.schema.json").read_text()
    assert run([*cli, "--check"], tmp_path).returncode == 0
