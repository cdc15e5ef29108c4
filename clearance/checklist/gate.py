"""Judge a step: required and answered questions, reviewed evidence, checks, waivers; write the stamp."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearance.checklist.answers import distinct_words, normalised_answer, normalised_name, normalised_question
from clearance.checklist.citations import Citable, citable, cites, declared_by_question
from clearance.checklist.entries import Checklist, Question, SignOff, Waiver
from clearance.checklist.manifest import Manifest, RequiredQuestion
from clearance.checklist.results import CheckResult
from clearance.core.git import git_text
from clearance.core.paths import stamp_file
from clearance.core.records import GateStamp

# Review states of a question file against its step's evidence.
REVIEWED, UNREVIEWED, CHANGED = "reviewed", "unreviewed", "changed"
# Who cleared a gate and when: kept in the stamp, but not part of the decision it records.
SIGN_OFF_KEYS = ("cleared_by", "cleared_at")
UNKNOWN_SIGNER = "unknown (set gate.reviewer or git config user.name)"


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
    min_reason_words: int = 0
    min_sign_offs: int = 0
    reviewer: str | None = None  # gate.reviewer: who the stamp names instead of the git user
    short_waivers: list[tuple[CheckResult, Waiver]] = field(default_factory=list)
    shared_waivers: list[tuple[CheckResult, Waiver, Waiver]] = field(default_factory=list)  # (check, its, other)
    cleared_by: str = ""  # what the stamp says, once write_stamp has written or kept it
    cleared_at: str = ""
    blocked: list[str] = field(default_factory=list)  # what a rule of RULES found, in words with its fix
    cite_evidence: bool = True  # gate.cite_evidence: each answer must cite a figure, check or row it is paired with
    uncited: list[tuple[Question, Citable]] = field(default_factory=list)  # answers citing none of what they could

    @property
    def review(self) -> str:
        """REVIEWED, UNREVIEWED (no `reviewed:` fingerprint yet) or CHANGED (evidence moved on)."""
        if not self.checklist.reviewed:
            return UNREVIEWED
        return REVIEWED if self.checklist.reviewed == self.manifest.fingerprint else CHANGED

    @property
    def incomplete(self) -> list[Question]:
        """Questions whose answer does not count yet (empty, too short, shared, or citing nothing it could)."""
        shared = {q.id for group in self.duplicates for q in group} | {q.id for q, _ in self.uncited}
        return [q for q in self.checklist.questions
                if q in self.unanswered or q in self.short or q.id in shared]

    @property
    def sign_offs(self) -> list[SignOff]:
        """The file's sign-offs, one per person: the first entry of each name (case and spacing ignored)."""
        seen: dict[str, SignOff] = {}
        for entry in self.checklist.sign_offs:
            seen.setdefault(normalised_name(entry.name), entry)
        return list(seen.values())

    @property
    def missing_sign_offs(self) -> int:
        """How many more distinct people must sign off before the gate may clear."""
        return max(0, self.min_sign_offs - len(self.sign_offs))

    @property
    def cleared(self) -> bool:
        return not (self.missing or self.unanswered or self.short or self.duplicates or self.failing
                    or self.review != REVIEWED or self.missing_sign_offs or self.blocked or self.uncited)


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


def _citations(verdict: Verdict) -> None:
    """With gate.cite_evidence, each answer cites something its evidence shows (a figure, a check, a sample
    row: clearance.checklist.citations). Evidence pointers are read from the project folder (the working
    directory, as `clearance show` reads them); a question with nothing to cite is exempt."""
    if not verdict.cite_evidence:
        return
    declared = declared_by_question(verdict.checklist.checks)
    required = {q.id: q.evidence for q in verdict.manifest.questions}
    for question in verdict.checklist.questions:
        if question in verdict.unanswered or question in verdict.short:
            continue  # already told to write more
        found = citable(question, verdict.checks, pointers=required.get(question.id, ()),
                        declared=declared.get(question.id, ()))
        if not found.empty and not cites(question.answer, found):
            verdict.uncited.append((question, found))


def _shared_reasons(waivers: list[Waiver]) -> dict[int, Waiver]:
    """For each waiver (by id()) whose reason another waiver repeats, the first other waiver with it."""
    by_text: dict[str, list[Waiver]] = {}
    for waiver in waivers:
        if waiver.valid:
            by_text.setdefault(normalised_answer(waiver.reason), []).append(waiver)
    return {id(w): next(o for o in group if o is not w)
            for group in by_text.values() if len(group) > 1 for w in group}


def _waiver_counts(verdict: Verdict, check: CheckResult, waiver: Waiver | None, shared: dict[int, Waiver]) -> bool:
    """Whether ``waiver`` waives the failing ``check``; if not, record why (no reason, too short, shared)."""
    if waiver is None:
        return False
    if not waiver.valid:
        verdict.empty_waivers.append((check, waiver))
    elif distinct_words(waiver.reason) < verdict.min_reason_words:
        verdict.short_waivers.append((check, waiver))
    elif id(waiver) in shared:
        verdict.shared_waivers.append((check, waiver, shared[id(waiver)]))
    else:
        return True
    return False


def _checks(verdict: Verdict) -> None:
    """Failing checks block unless waived with a reason of their own, long enough like an answer;
    waivers that match nothing failing are stale."""
    waivers = {w.check: w for w in verdict.checklist.waivers}
    shared = _shared_reasons(verdict.checklist.waivers)
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
        elif check.status == "fail" and _waiver_counts(verdict, check, waiver, shared):
            verdict.waived.append((check, waiver))
        elif check.status == "fail":
            verdict.failing.append(check)


# The gate's rules, in order: each reads the verdict and records what it finds (a rule of your own appends a
# sentence that says what is wrong and how to fix it to ``verdict.blocked``: docs/extending.md).
RULES: tuple[Callable[[Verdict], None], ...] = (_required, _answers, _citations, _checks)


def evaluate(checklist: Checklist, checks: list[CheckResult], manifest: Manifest, min_words: int, *,
             min_reason_words: int | None = None, min_sign_offs: int = 0, reviewer: str | None = None,
             cite_evidence: bool = True) -> Verdict:
    """A step clears when every required question is present, every question has its own
    answer of at least ``min_words`` different words (that cites its evidence, with ``cite_evidence``),
    the answers were reviewed against the current evidence, every failing check is fixed or waived
    with a reason of its own (at least ``min_reason_words`` different words; ``min_words`` when None), and at least
    ``min_sign_offs`` different people signed off. Warnings and stale waivers never block."""
    verdict = Verdict(checklist=checklist, checks=checks, manifest=manifest, min_words=min_words,
                      min_reason_words=min_words if min_reason_words is None else min_reason_words,
                      min_sign_offs=min_sign_offs, reviewer=reviewer, cite_evidence=cite_evidence)
    for rule in RULES:
        rule(verdict)
    return verdict


def stamp(verdict: Verdict) -> dict:
    """The gate's decision as its stamp records it: deterministic, and independent of the answers'
    wording and of who signed, so rewording an answer does not re-run the steps after it.
    write_stamp adds who cleared it and when (SIGN_OFF_KEYS)."""
    return {
        "step": verdict.checklist.step,
        "cleared": verdict.cleared,
        "reviewed": verdict.checklist.reviewed,
        "checks": {c.id: c.status for c in sorted(verdict.checks, key=lambda c: c.id)},
        "waived": sorted(c.id for c, _ in verdict.waived),
    }


def stamp_path(step: str, folder: Path) -> Path:
    """Where a step's stamp lives."""
    return stamp_file(step, folder)


def decision(recorded: dict[str, Any]) -> dict[str, Any]:
    """A stamp's content less who cleared the gate and when: what the next steps depend on."""
    return {key: value for key, value in recorded.items() if key not in SIGN_OFF_KEYS}


def git_user(root: Path) -> str:
    """`Name <email>` from git's user.name and user.email as seen in ``root``; "" when unset."""
    def config(key: str) -> str:
        return (git_text(["config", key], root, timeout=10) or "").strip()

    name, email = config("user.name"), config("user.email")
    if not name:
        return f"<{email}>" if email else ""
    return f"{name} <{email}>" if email else name


def signer(reviewer: str | None, root: Path) -> str:
    """Who clears the gate: gate.reviewer when set, else the git user, else a hint to set either."""
    return (reviewer or "").strip() or git_user(root) or UNKNOWN_SIGNER


def utc_now() -> str:
    """The current time, ISO 8601 in UTC to the second (e.g. 2024-05-01T09:30:00Z)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _recorded(path: Path) -> dict[str, Any] | None:
    """The stamp already there, or None (absent or unreadable: the gate writes it again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_stamp(verdict: Verdict, folder: Path) -> Path:
    """Write the stamp, with who cleared the gate and when, only if the decision changed: the next
    steps' stages depend on its bytes, so re-running a gate to the same decision keeps the file
    (and its cleared_by/cleared_at) as it is. Sets ``verdict.cleared_by``/``cleared_at`` to the stamp's."""
    path = stamp_path(verdict.checklist.step, folder)
    content = stamp(verdict)
    previous = _recorded(path)
    if previous is not None and decision(previous) == content:
        verdict.cleared_by = str(previous.get("cleared_by") or "")
        verdict.cleared_at = str(previous.get("cleared_at") or "")
        return path
    verdict.cleared_by = signer(verdict.reviewer, folder.resolve().parent)
    verdict.cleared_at = utc_now()
    record = GateStamp(**content, cleared_by=verdict.cleared_by, cleared_at=verdict.cleared_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
