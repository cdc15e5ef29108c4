"""What a question file holds, as data: its questions, waivers and sign-offs; and its keys, declared once.

The key tables below (``FILE_KEYS`` and the entries' keys under them) are the one declaration of a question
file's layout: the reader refuses a key they do not name (clearance.checklist.question_yaml.refuse_unknown_keys)
and the editors' JSON Schema is written from them (clearance.checklist.schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clearance.checklist.answers import is_real_answer

# How a key's value is read (each maps to one rule of the schema, clearance.checklist.schema):
KINDS = {
    "name": "one value that must not be empty",
    "text": "one value (a number or yes/no is read as text); may be empty",
    "whole_number": "a whole number",
    "fingerprint": "the evidence fingerprint the answers were written against, or empty",
    "prose": "text, or a list of lines; may be empty",
    "answer": "text, or a list of lines; empty until written, and never a placeholder (TODO, ?, tbd)",
    "reason": "text, or a list of lines; never empty or a placeholder",
    "pointers": "one pointer or a list of them",
    "date": "YYYY-MM-DD or an ISO date-time",
    "check": "the id of one of the step's checks",
    "entries": "a list of mappings, each with the keys below it",
}


@dataclass(frozen=True)
class Key:
    """One key a question file (or one of its entries) may hold."""

    name: str
    kind: str  # one of KINDS
    about: str  # what it holds, as an editor shows it on hover
    required: bool = False  # the key must be there (its value may still be empty where ``kind`` allows)
    entries: tuple[Key, ...] = ()  # for kind "entries": the keys of each entry

    def __post_init__(self) -> None:
        if self.kind not in KINDS or bool(self.entries) != (self.kind == "entries"):
            raise ValueError(f"key {self.name!r}: kind {self.kind!r} and its entries do not match")


QUESTION_KEYS = (
    Key("id", "text", "The question's id: keep a required question's id, the gate looks it up by it.", True),
    Key("question", "prose", "The question; you may reword it (`clearance status` marks it edited).", True),
    Key("evidence", "pointers", "Where the evidence is: `reports/<step>/<file>#<key>` pointers."),
    Key("answer", "answer", "Your answer: at least `gate.min_answer_words` different words, written from the "
                            "evidence, and not the same as another question's answer.", True),
)
WAIVER_KEYS = (
    Key("check", "check", "The id of the failing check you accept (reports/<step>/checks.json).", True),
    Key("reason", "reason", "Why this failing check is acceptable: at least `gate.min_reason_words` different "
                            "words, not shared with another waiver.", True),
)
SIGN_OFF_KEYS = (
    Key("name", "name", "Who approved the step's answers.", True),
    Key("date", "date", "The day it was given: YYYY-MM-DD, or an ISO date-time such as 2026-05-01T09:30:00Z.",
        True),
    Key("email", "text", "How to reach them (optional)."),
)
FILE_KEYS = (
    Key("step", "name", "The step this file answers (its name in dvc.yaml and reports/<step>/).", True),
    Key("order", "whole_number", "The step's number: the order `clearance status` lists the steps in."),
    Key("title", "text", "The step's title, as the status and the journey report show it."),
    Key("checks", "text", "The step's check results the gate reads (default reports/<step>/checks.json)."),
    Key("report", "text", "The step's report to read before answering."),
    Key("reviewed", "fingerprint", "The fingerprint of the evidence your answers were written against: "
                                   "`clearance gate <step>` prints the line to write once you have answered."),
    Key("questions", "entries", "The step's questions, each with your answer.", True, QUESTION_KEYS),
    Key("waivers", "entries", "Failing checks you accept, each with the reason why.", entries=WAIVER_KEYS),
    Key("signed_off_by", "entries", "Who approved the answers, and when (`gate.min_sign_offs` asks for them).",
        entries=SIGN_OFF_KEYS),
)


@dataclass
class Checklist:
    """A step's question file."""

    path: Path
    step: str
    title: str
    order: int
    checks: Path
    report: str
    questions: list[Question]
    waivers: list[Waiver]
    reviewed: str = ""
    reviewed_line: int = 0
    sign_offs: list[SignOff] = field(default_factory=list)
    sign_offs_line: int = 0  # the `signed_off_by:` key's line, 0 when the file has none


@dataclass
class Question:
    """One question of a step, with the user's answer."""

    id: str
    question: str
    answer: str
    evidence: list[str] = field(default_factory=list)
    line: int = 0  # the `answer:` line, where the user writes
    id_line: int = 0  # the `- id:` line, where the question starts

    @property
    def answered(self) -> bool:
        return is_real_answer(self.answer)


@dataclass
class SignOff:
    """One person's `signed_off_by:` entry: who approved the step's answers, and when."""

    name: str
    date: str  # as written: YYYY-MM-DD or an ISO date-time
    email: str = ""
    line: int = 0


@dataclass
class Waiver:
    """The user's written reason to accept a failing check."""

    check: str
    reason: str
    line: int = 0

    @property
    def valid(self) -> bool:
        return is_real_answer(self.reason)
