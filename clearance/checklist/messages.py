"""What the gate and the CLI say: the user's next step, in plain words."""

from __future__ import annotations

import re
import textwrap
from datetime import date

from clearance.checklist.gate import CHANGED, UNREVIEWED, Verdict
from clearance.checklist.manifest import RequiredQuestion
from clearance.checklist.answers import distinct_words
from clearance.checklist.citations import could_cite
from clearance.checklist.results import describe

RULE = "─" * 72


def _wrap(text: str, indent: str, width: int = 96) -> str:
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def _quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def question_snippet(question: RequiredQuestion) -> list[str]:
    """A required question as YAML lines to paste back under `questions:` (the file's indentation)."""
    lines = [f"  - id: {question.id}", "    question: >-", _wrap(question.question, "      ", 78)]
    if question.evidence:
        lines += ["    evidence:"] + [f"      - {pointer}" for pointer in question.evidence]
    return lines + ["    answer:"]


def paste_missing(text: str, required: list[dict]) -> tuple[str, list[str]]:
    """A question file's ``text`` with the ``required`` questions (evidence.json's ``questions``) it lacks pasted
    as the gate's message shows them, after the last question; and their ids. The file's own lines stay."""
    present = set(re.findall(r"^\s*-\s+id:\s*(\S+)\s*$", text, re.MULTILINE))
    missing = [RequiredQuestion(q["id"], q["question"], tuple(q.get("evidence") or ()))
               for q in required if q["id"] not in present]
    if not missing:
        return text, []
    block = "".join("\n".join(question_snippet(q)) + "\n" for q in missing)
    found = re.search(r"^waivers:", text, re.MULTILINE)
    pasted = (text.rstrip("\n") + "\n" + block if found is None
              else text[:found.start()] + block + "\n" + text[found.start():])
    return pasted, [q.id for q in missing]


def reviewed_line(v: Verdict) -> str:
    """The exact line that binds the question file to the current evidence."""
    return f"reviewed: {v.manifest.fingerprint}"


def _missing(v: Verdict) -> list[str]:
    path = v.checklist.path
    lines = [f"Required questions missing from {path} ({len(v.missing)}): "
             + ", ".join(q.id for q in v.missing) + ".",
             "  This step requires them (some only for the kind of labels in use, data.task); paste each under "
             "`questions:` and answer it:"]
    for question in v.missing:
        lines += question_snippet(question) + [""]
    return lines


def _answers(v: Verdict) -> list[str]:
    c = v.checklist
    lines: list[str] = []
    if v.unanswered:
        lines.append(f"Questions still unanswered ({len(v.unanswered)} of {len(c.questions)}) — "
                     "write a real answer under `answer:`:")
        for q in v.unanswered:
            lines.append(f"  • {q.id} ({c.path}, line {q.line})")
            lines.append(_wrap(q.question, "      "))
        lines.append("")
    if v.short:
        lines.append(f"Answers too short ({len(v.short)}) — write at least {v.min_words} different words "
                     "of what you found:")
        lines += [f"  • {q.id} (line {q.line}): {_quote(q.answer)}" for q in v.short]
        lines.append("")
    if v.duplicates:
        lines.append("The same answer under several questions — each question needs its own answer:")
        for group in v.duplicates:
            ids = " and ".join(f"{q.id} (line {q.line})" for q in group)
            lines.append(f"  • {ids}: {_quote(group[0].answer)}")
        lines.append("")
    return lines + _uncited(v)


def _uncited(v: Verdict) -> list[str]:
    """Answers that cite nothing of their evidence, each with a few figures it could cite."""
    if not v.uncited:
        return []
    lines = [f"Answers that cite none of their evidence ({len(v.uncited)}) — quote a figure it shows (rounded as "
             "you would write it), a check id or a sample row:"]
    for question, found in v.uncited:
        lines.append(f"  • {question.id} (line {question.line}): {_quote(question.answer)}")
        lines.append(_wrap("could cite: " + ", ".join(could_cite(found)), "      "))
    return lines + ["  (gate.cite_evidence: false turns this rule off, for teams that review answers otherwise)", ""]


def _failing(v: Verdict) -> list[str]:
    c = v.checklist
    lines = [f"Failing checks ({len(v.failing)}) — fix the cause and re-run, or waive in {c.path}:"]
    for check in v.failing:
        lines.append(f"  • {check.id}: {describe(check)}")
        lines.append(_wrap(check.message, "      "))
        if check.fix:
            lines.append(_wrap(f"fix: {check.fix}", "      "))
    lines += _weak_waivers(v)
    written = {c.id for c, *_ in v.empty_waivers + v.short_waivers + v.shared_waivers}
    unwaived = [c for c in v.failing if c.id not in written]
    if not unwaived:
        return lines + [""]
    return lines + ["", (f"  To waive instead, add under `waivers:` (a reason of at least {v.min_reason_words} "
                         "different words, its own, is required):"),
                    f"    - check: {unwaived[0].id}", "      reason: <why this is acceptable for your task>", ""]


def _weak_waivers(v: Verdict) -> list[str]:
    """Waivers of failing checks that do not count, each with its line and why."""
    lines = [f"  ! the waiver of {check.id} (line {waiver.line}) has no real reason yet"
             for check, waiver in v.empty_waivers]
    lines += [f"  ! the waiver of {check.id} (line {waiver.line}) does not count: its reason is too short "
              f"({distinct_words(waiver.reason)} of {v.min_reason_words} different words): {_quote(waiver.reason)}"
              for check, waiver in v.short_waivers]
    lines += [f"  ! the waiver of {check.id} (line {waiver.line}) does not count: its reason is shared with the "
              f"waiver of check {other.check} on line {other.line}; each waiver needs its own reason"
              for check, waiver, other in v.shared_waivers]
    return lines


def _sign_offs(v: Verdict) -> list[str]:
    """How many sign-offs are missing, who has signed, and the YAML to add."""
    c, signed = v.checklist, v.sign_offs
    names = ", ".join(s.name for s in signed) or "none"
    lines = [(f"Sign-offs missing ({v.missing_sign_offs}): gate.min_sign_offs asks for {v.min_sign_offs} different "
              f"people, {c.path} has {len(signed)} ({names}).")]
    if len(c.sign_offs) > len(signed):
        lines.append("  The same name twice counts once (case and spacing ignored).")
    where = (f"under `signed_off_by:` (line {c.sign_offs_line})" if c.sign_offs_line
             else "at the top level, e.g. below `waivers:`")
    lines.append(f"  Each reviewer who read the answers adds an entry {where}:")
    if not c.sign_offs_line:
        lines.append("    signed_off_by:")
    today = date.today().isoformat()
    for _ in range(v.missing_sign_offs):
        lines += ["      - name: <your name>", f"        date: {today}"]
    return lines + [""]


def _review(v: Verdict) -> list[str]:
    c = v.checklist
    if v.review == CHANGED:
        lines = [f"Evidence changed since the answers were written: line {c.reviewed_line} of {c.path} says "
                 f"`reviewed: {c.reviewed}`, the evidence is now {v.manifest.fingerprint}.",
                 f"Re-read the report, check that every answer still holds, then set this line in {c.path}:"]
    else:
        where = ("in place of the empty `reviewed:`" if c.reviewed_line
                 else "at the top level, e.g. above `questions:`")
        lines = ["Evidence not reviewed yet: the answers have not been checked against this evidence.",
                 f"After reading the evidence and answering, put this line in {c.path} ({where}):"]
    return lines + [f"    {reviewed_line(v)}", ""]


def notes(v: Verdict) -> list[str]:
    """What the gate reports whether or not it clears: stale waivers and reworded questions."""
    lines = [f"Stale waiver on line {w.line} of {v.checklist.path}: check {w.check!r} — {why}; remove it."
             for w, why in v.stale_waivers]
    if v.edited:
        lines.append("Note: reworded required questions (allowed; answer what the step asks): "
                     + ", ".join(q.id for q in v.edited))
    return lines


def blocked_message(v: Verdict) -> str:
    """Why a gate is closed and exactly what to do, naming file, ids, values and thresholds."""
    c = v.checklist
    lines = [RULE, f"GATE CLOSED: step {c.order} '{c.title}' is not cleared yet.",
             f"This is your next step, not a crash. Edit {c.path}, then run `dvc repro` again.", ""]
    if v.missing:
        lines += _missing(v)
    lines += _answers(v)
    if v.failing:
        lines += _failing(v)
    if v.review in (CHANGED, UNREVIEWED):
        lines += _review(v)
    if v.missing_sign_offs:
        lines += _sign_offs(v)
    lines += [f"{said}\n" for said in v.blocked]
    lines += notes(v)
    if v.warnings:
        lines.append("Warnings (shown, not blocking): " + ", ".join(f"{w.id}={w.value}" for w in v.warnings))
    if c.report:
        lines.append(f"Evidence: {c.report} · `clearance show {c.step}` puts each question beside its evidence.")
    lines.append(RULE)
    return "\n".join(lines)


def cleared_message(v: Verdict, stamp_file: str) -> str:
    """Confirmation that a gate opened, with what was waived and any stale waivers."""
    c = v.checklist
    waived = f"; waived: {', '.join(ch.id for ch, _ in v.waived)}" if v.waived else ""
    warned = f"; warnings: {', '.join(w.id for w in v.warnings)}" if v.warnings else ""
    signed = f"; signed off by: {', '.join(s.name for s in v.sign_offs)}" if v.sign_offs else ""
    by = f" (cleared by {v.cleared_by} at {v.cleared_at})" if v.cleared_by else ""
    head = (f"GATE CLEARED: step {c.order} '{c.title}' — {len(c.questions)} questions answered"
            f"{waived}{warned}{signed}. Stamp: {stamp_file}{by}")
    return "\n".join([head] + notes(v))
