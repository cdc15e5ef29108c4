"""What `clearance diff` finds moved in one step, as data (the text and the JSON are both made from it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckMove:
    """A check whose status moved, or that one side does not have (status None)."""

    id: str
    status_a: str | None
    status_b: str | None
    value_a: Any = None
    value_b: Any = None


@dataclass
class AnswerChange:
    """An answer given, changed or taken back (text None where there is no real answer)."""

    id: str
    before: str | None
    after: str | None


@dataclass
class WaiverChange:
    """A waiver added, removed or with another reason (reason None on the side without it)."""

    check: str
    reason_a: str | None
    reason_b: str | None


@dataclass
class StepDiff:
    """Everything that moved in one step between revision a and revision b."""

    step: str
    order: int
    file_a: bool = True  # whether the question file exists at each side
    file_b: bool = True
    missing_a: list[str] = field(default_factory=list)  # files only side b holds
    missing_b: list[str] = field(default_factory=list)
    fingerprint_a: str | None = None
    fingerprint_b: str | None = None
    reviewed_a: str | None = None
    reviewed_b: str | None = None
    checks_moved: list[CheckMove] = field(default_factory=list)
    checks_added: list[CheckMove] = field(default_factory=list)
    checks_removed: list[CheckMove] = field(default_factory=list)
    answers_added: list[AnswerChange] = field(default_factory=list)
    answers_changed: list[AnswerChange] = field(default_factory=list)
    answers_removed: list[AnswerChange] = field(default_factory=list)
    waivers_added: list[WaiverChange] = field(default_factory=list)
    waivers_changed: list[WaiverChange] = field(default_factory=list)
    waivers_removed: list[WaiverChange] = field(default_factory=list)
    signoffs_added: list[str] = field(default_factory=list)
    signoffs_removed: list[str] = field(default_factory=list)
    cleared_a: bool | None = None
    cleared_b: bool | None = None
    cleared_by_a: str | None = None
    cleared_by_b: str | None = None
    cleared_at_a: str | None = None
    cleared_at_b: str | None = None

    @property
    def fingerprint_changed(self) -> bool:
        """Only when both sides record a fingerprint: a missing file is not a change of evidence."""
        return None not in (self.fingerprint_a, self.fingerprint_b) and self.fingerprint_a != self.fingerprint_b

    @property
    def reviewed_changed(self) -> bool:
        return self.file_a and self.file_b and self.reviewed_a != self.reviewed_b

    @property
    def gate_changed(self) -> bool:
        both = None not in (self.cleared_a, self.cleared_b)
        return both and (self.cleared_a, self.cleared_by_a, self.cleared_at_a) != (
            self.cleared_b, self.cleared_by_b, self.cleared_at_b)

    @property
    def changed(self) -> bool:
        """Whether anything comparable moved (files held by one side only are noted, not counted)."""
        lists = (self.checks_moved, self.checks_added, self.checks_removed, self.answers_added,
                 self.answers_changed, self.answers_removed, self.waivers_added, self.waivers_changed,
                 self.waivers_removed, self.signoffs_added, self.signoffs_removed)
        return (self.file_a != self.file_b or self.fingerprint_changed or self.reviewed_changed
                or self.gate_changed or any(lists))
