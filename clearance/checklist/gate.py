"""Judge a step: required and answered questions, reviewed evidence, checks, waivers; write the stamp."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from clearance.checklist.manifest import Manifest, RequiredQuestion
from clearance.checklist.questions import (
    Checklist,
    Question,
    Waiver,
    distinct_words,
    normalised_answer,
    normalised_question,
)
from clearance.checklist.results import CheckResult
from clearance.core.stepfiles import GateStamp

# Review states of a question file against its step's evidence.
REVIEWED, UNREVIEWED, CHANGED = "reviewed", "unreviewed", "changed"


@dataclass
class Verdict:
    """Everything the gate found about one step."""

    checklist: Checklist
    checks: list[CheckResult]
    manifest: Manifest
    min_words: int
    missing: list[RequiredQuestion] = field(default_factory=list)
    edited: list[Question] = field(default_factory=list)
    unanswered: list[Question] = field(default_factory=list)
    short: list[Question] = field(default_factory=list)
    duplicates: list[list[Question]] = field(default_factory=list)
    failing: list[CheckResult] = field(default_factory=list)
    waived: list[tuple[CheckResult, Waiver]] = field(default_factory=list)
    empty_waivers: list[tuple[CheckResult, Waiver]] = field(default_factory=list)
    stale_waivers: list[tuple[Waiver, str]] = field(default_factory=list)
    warnings: list[CheckResult] = field(default_factory=list)

    @property
    def review(self) -> str:
        """REVIEWED, UNREVIEWED (no `reviewed:` fingerprint yet) or CHANGED (evidence moved on)."""
        if not self.checklist.reviewed:
            return UNREVIEWED
        return REVIEWED if self.checklist.reviewed == self.manifest.fingerprint else CHANGED

    @property
    def incomplete(self) -> list[Question]:
        """Questions whose answer does not count yet (empty, too short or shared)."""
        shared = {q.id for group in self.duplicates for q in group}
        return [q for q in self.checklist.questions
                if q in self.unanswered or q in self.short or q.id in shared]

    @property
    def cleared(self) -> bool:
        return not (self.missing or self.unanswered or self.short or self.duplicates or self.failing
                    or self.review != REVIEWED)


def _required(verdict: Verdict) -> None:
    """Required ids must be in the user's file; a reworded one is allowed but marked."""
    present = {q.id: q for q in verdict.checklist.questions}
    for required in verdict.manifest.questions:
        question = present.get(required.id)
        if question is None:
            verdict.missing.append(required)
        elif normalised_question(question.question) != normalised_question(required.question):
            verdict.edited.append(question)


def _answers(verdict: Verdict) -> None:
    """Every question, the user's own included, needs its own answer of enough words."""
    by_text: dict[str, list[Question]] = {}
    for q in verdict.checklist.questions:
        if not q.answered:
            verdict.unanswered.append(q)
            continue
        if distinct_words(q.answer) < verdict.min_words:
            verdict.short.append(q)
        by_text.setdefault(normalised_answer(q.answer), []).append(q)
    verdict.duplicates = [group for group in by_text.values() if len(group) > 1]


def _checks(verdict: Verdict) -> None:
    """Failing checks block unless waived with a reason; waivers that match nothing failing are stale."""
    waivers = {w.check: w for w in verdict.checklist.waivers}
    by_id = {c.id: c for c in verdict.checks}
    for waiver in verdict.checklist.waivers:
        check = by_id.get(waiver.check)
        if check is None:
            verdict.stale_waivers.append((waiver, "this step has no such check"))
        elif check.status != "fail":
            now = "passes" if check.status == "pass" else "warns"
            verdict.stale_waivers.append((waiver, f"the check now {now}"))
    for check in verdict.checks:
        waiver = waivers.get(check.id)
        if check.status == "warn":
            verdict.warnings.append(check)
        elif check.status == "fail" and waiver is not None and waiver.valid:
            verdict.waived.append((check, waiver))
        elif check.status == "fail":
            verdict.failing.append(check)
            if waiver is not None:
                verdict.empty_waivers.append((check, waiver))


def evaluate(checklist: Checklist, checks: list[CheckResult], manifest: Manifest, min_words: int) -> Verdict:
    """A step clears when every required question is present, every question has its own
    answer of at least ``min_words`` different words, the answers were reviewed against
    the current evidence, and every failing check is fixed or waived with a reason.
    Warnings and stale waivers are reported but never block."""
    verdict = Verdict(checklist=checklist, checks=checks, manifest=manifest, min_words=min_words)
    _required(verdict)
    _answers(verdict)
    _checks(verdict)
    return verdict


def stamp(verdict: Verdict) -> dict:
    """The gate's stamp: deterministic, and independent of the answers' wording,
    so rewording an answer does not re-run the steps after it."""
    return {
        "step": verdict.checklist.step,
        "cleared": verdict.cleared,
        "reviewed": verdict.checklist.reviewed,
        "checks": {c.id: c.status for c in sorted(verdict.checks, key=lambda c: c.id)},
        "waived": sorted(c.id for c, _ in verdict.waived),
    }


def stamp_path(step: str, folder: Path) -> Path:
    """Where a step's stamp lives."""
    return folder / f"{step}.json"


def write_stamp(verdict: Verdict, folder: Path) -> Path:
    """Write the stamp only if its content changed (keeps its bytes identical)."""
    path = stamp_path(verdict.checklist.step, folder)
    text = json.dumps(GateStamp(**stamp(verdict)).to_dict(), indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path
