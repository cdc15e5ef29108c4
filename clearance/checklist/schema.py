"""The editors' JSON Schema of a step's question file: checklists/schema/<step>.schema.json.

Written by `clearance params` from the one declaration of a question file's keys (clearance.checklist.entries,
which the reader also enforces) and from the step's declared checks (clearance.check_catalogue.described_checks,
passed in: the engine imports no step), so the
schema, the reader and the checks cannot drift; `clearance params --check` fails when a shipped schema is not
what this module writes now. Each question file names its schema on its first line (``MODELINE``), which the
YAML language server (VS Code's YAML extension and other editors) reads.

Draft-07: the YAML language server supports JSON Schema 7 and below, and nothing here needs a later draft.
The schema states what a schema can: the keys and their types, required keys, a waiver's check id (an enum,
each id described by its check), an answer or reason that is not blank or a placeholder, a date that parses,
the `reviewed:` fingerprint's shape, and no empty answer once `reviewed:` is written. The rules it cannot
state (distinct words, duplicate answers, the fingerprint's value, stale waivers) stay the gate's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clearance.checklist.answers import PLACEHOLDER_PREFIX, PLACEHOLDERS
from clearance.checklist.entries import FILE_KEYS, Key
from clearance.checklist.fingerprint import LENGTH
from clearance.core.paths import CHECKLIST_DIR, STEPS

DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMA_FOLDER = "schema"  # under checklists/: JSON files, which no reader of question files (*.yaml) globs
# The first line of every question file: the schema's path relative to the file, as the language server reads it.
MODELINE = "# yaml-language-server: $schema=schema/{step}.schema.json"
SCALAR = ["string", "number", "boolean"]
# ECMA-262 regular expressions (the editors' engine) that Python's re reads alike: no inline flags, [0-9]
# rather than \d (Python's \d takes any script's digits, which the gate's date parsing refuses).
_DAY_MONTH = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              "|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_TIME = ("(?:[Tt ](?:[01][0-9]|2[0-3])(?::[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,6})?)?)?"
         "(?:Z|[+-](?:[01][0-9]|2[0-3])(?::[0-5][0-9])?)?)?")
# The gate strips the text it parses, so spaces around the date are allowed here too.
DATE_PATTERN = rf"^\s*(?!0000)(?:[0-9]{{4}}-{_DAY_MONTH}|{_LEAP_YEAR}-02-29){_TIME}\s*$"
FINGERPRINT_PATTERN = rf"^\s*(?:[0-9a-f]{{{LENGTH}}})?\s*$"
_SYNTAX = set("^$\\.*+?()[]{}|/")  # the characters an ECMA regular expression with the u flag lets one escape


def schema_path(step: str, folder: Path = CHECKLIST_DIR) -> Path:
    """checklists/schema/<step>.schema.json."""
    return folder / SCHEMA_FOLDER / f"{step}.schema.json"


def modeline(step: str) -> str:
    """The first line of ``step``'s question file, naming its schema."""
    return MODELINE.format(step=step)


def _literal(text: str) -> str:
    """``text`` as a regular expression matching it in any case (ECMA has no inline ignore-case flag)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.lower() != c.upper() else ("\\" + c if c in _SYNTAX else c)
                   for c in text)


def real_text_pattern() -> str:
    """A pattern that text the gate counts as an answer matches, and blank text or a placeholder does not
    (clearance.checklist.answers.is_real_answer: TODO, ?, tbd, "TODO: later", "tbd." and their kin)."""
    found = re.search(r"\(([\w|]+)\)", PLACEHOLDER_PREFIX.pattern)
    if found is None:
        raise ValueError(f"cannot read the placeholder words of {PLACEHOLDER_PREFIX.pattern!r}")
    words = "|".join(_literal(w) for w in found.group(1).split("|"))
    held = "|".join(_literal(p) for p in sorted(PLACEHOLDERS, key=lambda p: (-len(p), p)))
    # The gate's \b is Unicode-aware; ECMA's is ASCII: a placeholder word glued to an accented letter differs.
    return rf"^(?!\s*(?:{held})[.!:]*\s*$)(?!\s*(?:{words})\b)"


def _text_rule(nullable: bool) -> dict[str, Any]:
    """An answer's or a reason's value: text that counts, or a list of lines (null: not written yet)."""
    return {"type": SCALAR + ["array"] + (["null"] if nullable else []), "pattern": real_text_pattern(),
            "patternErrorMessage": "blank, or a placeholder (TODO, ?, tbd): write what you found", "minItems": 1,
            "items": {"type": SCALAR + ["null"]}}


def _check_rule(checks: list[tuple[str, str]]) -> dict[str, Any]:
    """A waiver's `check:`: one of the step's check ids, each described by its check."""
    return {"type": "string", "enum": [i for i, _ in checks], "enumDescriptions": [about for _, about in checks]}


def _value(key: Key, checks: list[tuple[str, str]]) -> dict[str, Any]:
    """The schema of ``key``'s value, by its kind."""
    rules: dict[str, dict[str, Any]] = {
        "name": {"type": SCALAR, "pattern": r"\S", "patternErrorMessage": "must not be empty"},
        "text": {"type": SCALAR + ["null"]},
        "whole_number": {"type": ["integer", "string", "null"], "pattern": r"^\s*(?:[+-]?[0-9]+)?\s*$"},
        # A fingerprint of digits only (or digits and one e) reads as a number in YAML; the gate reads the line.
        "fingerprint": {"type": ["string", "integer", "number", "null"], "pattern": FINGERPRINT_PATTERN,
                        "minimum": 0, "patternErrorMessage": f"a fingerprint is {LENGTH} hex digits, as "
                                                             "`clearance gate <step>` prints it"},
        "prose": {"type": SCALAR + ["array", "null"], "items": {"type": SCALAR + ["null"]}},
        "answer": _text_rule(nullable=True),
        "reason": _text_rule(nullable=False),
        "pointers": {"type": ["string", "array", "null"], "items": {"type": SCALAR + ["null"]}},
        "date": {"type": "string", "pattern": DATE_PATTERN,
                 "patternErrorMessage": "not a date: write YYYY-MM-DD, or an ISO date-time such as 2026-05-01T09:30Z"},
        "check": _check_rule(checks),
    }
    if key.kind == "entries":
        rule = {"type": "array" if key.required else ["array", "null"], "items": _mapping(key.entries, checks)}
        rule.update({"minItems": 1} if key.required else {})
    else:
        rule = dict(rules[key.kind])
    return {"description": key.about, **rule}


def _mapping(keys: tuple[Key, ...], checks: list[tuple[str, str]]) -> dict[str, Any]:
    """A mapping holding ``keys`` and no other key (the reader refuses any other)."""
    return {"type": "object", "properties": {k.name: _value(k, checks) for k in keys},
            "required": [k.name for k in keys if k.required], "additionalProperties": False}


def _answered_once_reviewed() -> dict[str, Any]:
    """Once `reviewed:` names a fingerprint the answers are said to be written: an empty one is an error."""
    written = {"type": SCALAR + ["array"], "errorMessage": "no answer yet, but `reviewed:` says the answers are "
                                                           "written: answer it, or empty the `reviewed:` line"}
    return {"if": {"required": ["reviewed"], "properties": {"reviewed": {"type": ["string", "integer", "number"],
                                                                          "pattern": r"\S"}}},
            "then": {"properties": {"questions": {"items": {"properties": {"answer": written}}}}}}


def question_file_schema(step: str, checks: list[tuple[str, str]]) -> dict[str, Any]:
    """The schema of checklists/<step>.yaml, given the step's checks as (id, what it tells)."""
    body = _mapping(FILE_KEYS, checks)
    body["properties"]["step"] = {**body["properties"]["step"], "const": step}
    return {"$schema": DRAFT,
            "$comment": "Written by `clearance params` from clearance/checklist/entries.py and the checks' "
                        "declarations: do not edit (`clearance params --check` compares).",
            "title": f"checklists/{step}.yaml",
            "description": f"The question file of step {step!r}: answer each question, waive failing checks "
                           "with a reason, then write the `reviewed:` line `clearance gate` prints.",
            **body, **_answered_once_reviewed()}


def schema_text(step: str, checks: list[tuple[str, str]]) -> str:
    """checklists/schema/<step>.schema.json's text, given the step's checks as (id, what it tells)."""
    return json.dumps(question_file_schema(step, checks), indent=2, ensure_ascii=False) + "\n"


# The steps' checks come from the caller (clearance.check_catalogue.described_checks): the engine imports no step.
StepChecks = dict[str, list[tuple[str, str]]]


def stale_schemas(checks: StepChecks, folder: Path = CHECKLIST_DIR) -> list[Path]:
    """The steps' schema files that are missing or not what ``schema_text`` writes now."""
    return [path for step in STEPS if not (path := schema_path(step, folder)).is_file()
            or path.read_text(encoding="utf-8") != schema_text(step, checks[step])]


def write_schemas(checks: StepChecks, folder: Path = CHECKLIST_DIR) -> list[Path]:
    """Rewrite the steps' schema files that changed; the paths written."""
    written = []
    for path in stale_schemas(checks, folder):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(schema_text(path.name.removesuffix(".schema.json"), checks[path.name.split(".")[0]]),
                        encoding="utf-8")
        written.append(path)
    return written


def plain(node: Any) -> Any:
    """A loaded question file (clearance.checklist.question_yaml.parse_yaml: YAML 1.2, dates as text) as the
    plain JSON values a schema validator reads, as the YAML language server sees the file."""
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(node, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [plain(v) for v in node]
    if isinstance(node, (bool, ScalarBoolean)):
        return bool(node)
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node
