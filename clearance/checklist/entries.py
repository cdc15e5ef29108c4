"""What a question file holds, as data: its questions, waivers and sign-offs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clearance.checklist.answers import is_real_answer


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
