"""What the gate and the CLI say: the user's next step, in plain words."""

from __future__ import annotations

import textwrap

from clearance.checklist.gate import Verdict

RULE = "─" * 72


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=96, initial_indent=indent, subsequent_indent=indent)


def blocked_message(v: Verdict) -> str:
    """Why a gate is closed and exactly what to do, naming file, ids, values and thresholds."""
    c = v.checklist
    lines = [RULE, f"GATE CLOSED: step {c.order} '{c.title}' is not cleared yet.",
             f"This is your next step, not a crash. Edit {c.path}, then run `dvc repro` again.", ""]
    if v.unanswered:
        lines.append(f"Questions still unanswered ({len(v.unanswered)} of {len(c.questions)}) — "
                     "write a real answer under `answer:`:")
        for q in v.unanswered:
            lines.append(f"  • {q.id} ({c.path}, line {q.line})")
            lines.append(_wrap(q.question, "      "))
        lines.append("")
    if v.failing:
        lines.append(f"Failing checks ({len(v.failing)}) — fix the cause and re-run, or waive in {c.path}:")
        for check in v.failing:
            lines.append(f"  • {check.id}: value {check.value} is over the threshold {check.threshold}")
            lines.append(_wrap(check.message, "      "))
            if check.fix:
                lines.append(_wrap(f"fix: {check.fix}", "      "))
        for check, waiver in v.empty_waivers:
            lines.append(f"  ! the waiver of {check.id} (line {waiver.line}) has no real reason yet")
        lines += ["", "  To waive instead, add under `waivers:` (the reason is required):",
                  f"    - check: {v.failing[0].id}", "      reason: <why this is acceptable for your task>", ""]
    for waiver in v.unknown_waivers:
        lines.append(f"Note: the waiver on line {waiver.line} names check {waiver.check!r}, "
                     "which this step does not have.")
    if v.warnings:
        lines.append("Warnings (shown, not blocking): " + ", ".join(f"{w.id}={w.value}" for w in v.warnings))
    if c.report:
        lines.append(f"Evidence: {c.report} · `clearance show {c.step}` puts each question beside its evidence.")
    lines.append(RULE)
    return "\n".join(lines)


def cleared_message(v: Verdict, stamp_file: str) -> str:
    """Confirmation that a gate opened, with what was waived."""
    c = v.checklist
    waived = f"; waived: {', '.join(ch.id for ch, _ in v.waived)}" if v.waived else ""
    warned = f"; warnings: {', '.join(w.id for w in v.warnings)}" if v.warnings else ""
    return (f"GATE CLEARED: step {c.order} '{c.title}' — {len(c.questions)} questions answered"
            f"{waived}{warned}. Stamp: {stamp_file}")
