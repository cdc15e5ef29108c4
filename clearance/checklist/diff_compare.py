"""One step's two sides set against each other: which checks, answers, waivers, sign-offs and stamp moved."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from clearance.checklist.answers import is_real_answer
from clearance.checklist.diff_changes import AnswerChange, CheckMove, StepDiff, WaiverChange
from clearance.checklist.diff_reading import StepFiles, person
from clearance.checklist.entries import Checklist

T = TypeVar("T")


def collapsed(text: str) -> str:
    """``text`` on one line, its runs of whitespace one space each."""
    return " ".join((text or "").split())


def _answers(a: Checklist | None, b: Checklist | None, out: StepDiff) -> None:
    """Real answers by question id; placeholders (TODO, ?) count as no answer."""
    before = {q.id: collapsed(q.answer) for q in (a.questions if a else []) if is_real_answer(q.answer)}
    after = {q.id: collapsed(q.answer) for q in (b.questions if b else []) if is_real_answer(q.answer)}
    out.answers_added, out.answers_changed, out.answers_removed = _keyed_changes(before, after, AnswerChange)


def _waivers(a: Checklist | None, b: Checklist | None, out: StepDiff) -> None:
    before = {w.check: collapsed(w.reason) for w in (a.waivers if a else [])}
    after = {w.check: collapsed(w.reason) for w in (b.waivers if b else [])}
    out.waivers_added, out.waivers_changed, out.waivers_removed = _keyed_changes(before, after, WaiverChange)


def _keyed_changes(before: dict[str, str], after: dict[str, str], change: Callable[[str, str | None, str | None], T]
                   ) -> tuple[list[T], list[T], list[T]]:
    """(added, changed, removed) between two {key: text} maps, each as ``change(key, before, after)``."""
    added = [change(key, None, text) for key, text in after.items() if key not in before]
    changed = [change(key, before[key], text) for key, text in after.items() if key in before and before[key] != text]
    removed = [change(key, text, None) for key, text in before.items() if key not in after]
    return added, changed, removed


def _check_moves(a: dict[str, dict], b: dict[str, dict], out: StepDiff) -> None:
    """Checks whose status moved, and checks one side has not; a value change alone is not a move."""
    for cid, item in b.items():
        old = a.get(cid)
        if old is None:
            out.checks_added.append(CheckMove(cid, None, item.get("status"), None, item.get("value")))
        elif old.get("status") != item.get("status"):
            out.checks_moved.append(CheckMove(cid, old.get("status"), item.get("status"),
                                              old.get("value"), item.get("value")))
    out.checks_removed += [CheckMove(cid, item.get("status"), None, item.get("value"), None)
                           for cid, item in a.items() if cid not in b]


def _stamp_fields(stamp: dict | None) -> tuple[bool | None, str | None, str | None]:
    """cleared, cleared_by and cleared_at, each read with .get(): older stamps have no sign-off keys."""
    if stamp is None:
        return None, None, None
    by, at = stamp.get("cleared_by"), stamp.get("cleared_at")
    return bool(stamp.get("cleared")), None if by is None else person(by), None if at is None else str(at)


def _held_by_one_side(a: StepFiles, b: StepFiles, out: StepDiff) -> None:
    """The files only one side holds, named instead of compared."""
    held = {"checks": (a.checks, b.checks), "evidence": (a.fingerprint, b.fingerprint),
            "stamp": (a.stamp, b.stamp)}
    for what, (in_a, in_b) in held.items():
        if in_a is None and in_b is not None:
            out.missing_a.append(a.paths[what])
        elif in_b is None and in_a is not None:
            out.missing_b.append(b.paths[what])


def compare(a: StepFiles | None, b: StepFiles | None) -> StepDiff:
    """One step's differences; files held by one side only are listed, not compared."""
    ref = b or a
    out = StepDiff(step=ref.checklist.step, order=ref.checklist.order, file_a=a is not None, file_b=b is not None)
    ca, cb = (a.checklist if a else None), (b.checklist if b else None)
    out.reviewed_a, out.reviewed_b = (ca.reviewed if ca else None), (cb.reviewed if cb else None)
    _answers(ca, cb, out)
    _waivers(ca, cb, out)
    signs_a, signs_b = (a.signoffs if a else []), (b.signoffs if b else [])
    out.signoffs_added = [s for s in signs_b if s not in signs_a]
    out.signoffs_removed = [s for s in signs_a if s not in signs_b]
    if a is None or b is None:
        return out
    out.fingerprint_a, out.fingerprint_b = a.fingerprint, b.fingerprint
    out.cleared_a, out.cleared_by_a, out.cleared_at_a = _stamp_fields(a.stamp)
    out.cleared_b, out.cleared_by_b, out.cleared_at_b = _stamp_fields(b.stamp)
    if a.checks is not None and b.checks is not None:
        _check_moves(a.checks, b.checks, out)
    _held_by_one_side(a, b, out)
    return out
