"""`clearance diff` as plain text for a terminal: one block per step (the markdown form reuses its pieces)."""

from __future__ import annotations

import json
from typing import Any

from clearance.checklist.diff_changes import StepDiff
from clearance.checklist.diff_compare import collapsed
from clearance.checklist.diff_revisions import WORKING_TREE

SHORT = 48  # characters of an answer or value shown before "…"


def short(value: Any, width: int = SHORT) -> str:
    """A value or answer on one line, cut to ``width`` characters (the markdown form allows more)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = collapsed(text)
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def headline(d: StepDiff) -> str:
    """The step's first line: its number, name and what became of its evidence fingerprint."""
    head = f"step {d.order} {d.step}:"
    if not d.file_a:
        return f"{head} question file added"
    if not d.file_b:
        return f"{head} question file removed"
    if not d.changed:
        return f"{head} no change"
    if d.fingerprint_changed:
        return f"{head} evidence fingerprint {d.fingerprint_a} -> {d.fingerprint_b} (changed)"
    if d.fingerprint_a is not None and d.fingerprint_b is not None:
        return f"{head} evidence fingerprint {d.fingerprint_a} (unchanged)"
    if d.fingerprint_a is None and d.fingerprint_b is None:
        return f"{head} no evidence at either side"
    return f"{head} evidence fingerprint {d.fingerprint_a or '(none)'} -> {d.fingerprint_b or '(none)'}"


def _check_lines(d: StepDiff) -> list[str]:
    lines = [f"  checks: {c.id} {c.status_a} -> {c.status_b} ({short(c.value_a)} -> {short(c.value_b)})"
             for c in d.checks_moved]
    lines += [f"  checks: + {c.id} {c.status_b} ({short(c.value_b)})" for c in d.checks_added]
    lines += [f"  checks: - {c.id} (was {c.status_a})" for c in d.checks_removed]
    return lines


def _review_lines(d: StepDiff) -> list[str]:
    """The question file's answers, waivers and sign-offs."""
    lines = []
    if d.reviewed_changed:
        lines.append(f"  reviewed: {d.reviewed_a or '(empty)'} -> {d.reviewed_b or '(empty)'}")
    lines += [f"  answers: + {x.id} ({short(x.after)!r})" for x in d.answers_added]
    lines += [f"  answers: changed {x.id} ({short(x.before)!r} -> {short(x.after)!r})" for x in d.answers_changed]
    lines += [f"  answers: - {x.id} (was {short(x.before)!r})" for x in d.answers_removed]
    lines += [f"  waivers: + {w.check} (reason: {short(w.reason_b)})" for w in d.waivers_added]
    lines += [f"  waivers: changed {w.check} (reason: {short(w.reason_a)!r} -> {short(w.reason_b)!r})"
              for w in d.waivers_changed]
    lines += [f"  waivers: - {w.check} (reason was: {short(w.reason_a)})" for w in d.waivers_removed]
    lines += [f"  sign-offs: + {s}" for s in d.signoffs_added]
    lines += [f"  sign-offs: - {s}" for s in d.signoffs_removed]
    return lines


def gate_state(cleared: bool | None, by: str | None, at: str | None) -> str:
    """One side of a gate stamp: "cleared by Ada Lovelace on 2026-12-06" or "not cleared"."""
    return ("cleared" if cleared else "not cleared") + (f" by {by}" if by else "") + (f" on {at}" if at else "")


def _gate_line(d: StepDiff) -> list[str]:
    if not d.gate_changed:
        return []
    before = gate_state(d.cleared_a, d.cleared_by_a, d.cleared_at_a)
    return [f"  gate: {before} -> {gate_state(d.cleared_b, d.cleared_by_b, d.cleared_at_b)}"]


def _render_step(d: StepDiff, label_a: str, label_b: str) -> list[str]:
    lines = [headline(d)]
    if d.changed:
        lines += _check_lines(d) + _review_lines(d) + _gate_line(d)
    for label, missing in ((label_a, d.missing_a), (label_b, d.missing_b)):
        if missing:  # e.g. reports/ git-ignored: say so instead of calling every check new
            where = "the working tree" if label == WORKING_TREE else label
            lines.append(f"  not compared, missing at {where}: {', '.join(missing)}")
    return lines


def render(diffs: list[StepDiff], label_a: str = "HEAD", label_b: str = WORKING_TREE) -> str:
    """Plain text for a pull request: one block per step, "no change" where nothing moved."""
    lines = [f"clearance diff: {label_a} -> {label_b}"]
    for d in diffs:
        lines += _render_step(d, label_a, label_b)
    if not diffs:
        lines.append("no question files in checklists/ at either revision")
    return "\n".join(lines)
