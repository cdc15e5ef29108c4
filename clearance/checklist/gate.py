"""Judge a step: answered questions, failing checks, waivers; write the stamp."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from clearance.checklist.questions import Checklist, Question, Waiver
from clearance.checklist.results import CheckResult


@dataclass
class Verdict:
    """Everything the gate found about one step."""

    checklist: Checklist
    checks: list[CheckResult]
    unanswered: list[Question] = field(default_factory=list)
    failing: list[CheckResult] = field(default_factory=list)
    waived: list[tuple[CheckResult, Waiver]] = field(default_factory=list)
    empty_waivers: list[tuple[CheckResult, Waiver]] = field(default_factory=list)
    unknown_waivers: list[Waiver] = field(default_factory=list)
    warnings: list[CheckResult] = field(default_factory=list)

    @property
    def cleared(self) -> bool:
        return not self.unanswered and not self.failing


def evaluate(checklist: Checklist, checks: list[CheckResult]) -> Verdict:
    """A step clears when every question has a real answer and every failing
    check is fixed or waived with a written reason. Warnings never block."""
    verdict = Verdict(checklist=checklist, checks=checks)
    verdict.unanswered = [q for q in checklist.questions if not q.answered]
    waivers = {w.check: w for w in checklist.waivers}
    ids = {c.id for c in checks}
    verdict.unknown_waivers = [w for w in checklist.waivers if w.check not in ids]
    for check in checks:
        waiver = waivers.get(check.id)
        if check.status == "warn":
            verdict.warnings.append(check)
        elif check.status == "fail" and waiver is not None and waiver.valid:
            verdict.waived.append((check, waiver))
        elif check.status == "fail":
            verdict.failing.append(check)
            if waiver is not None:
                verdict.empty_waivers.append((check, waiver))
    return verdict


def stamp(verdict: Verdict) -> dict:
    """The gate's stamp: deterministic, and independent of the answers' wording,
    so rewording an answer does not re-run the steps after it."""
    return {
        "step": verdict.checklist.step,
        "cleared": verdict.cleared,
        "checks": {c.id: c.status for c in sorted(verdict.checks, key=lambda c: c.id)},
        "waived": sorted(c.id for c, _ in verdict.waived),
    }


def stamp_path(step: str, folder: Path) -> Path:
    """Where a step's stamp lives."""
    return folder / f"{step}.json"


def write_stamp(verdict: Verdict, folder: Path) -> Path:
    """Write the stamp only if its content changed (keeps its bytes identical)."""
    path = stamp_path(verdict.checklist.step, folder)
    text = json.dumps(stamp(verdict), indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path
