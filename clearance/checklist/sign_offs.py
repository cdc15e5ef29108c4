"""A question file's `signed_off_by:` list: who approved the step's answers, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.checklist.answers import parses_as_date
from clearance.checklist.entries import SIGN_OFF_KEYS, SignOff
from clearance.checklist.question_yaml import item_line, line_of, one_value, refuse_unknown_keys
from clearance.core.errors import UserError

SIGN_OFF_FIX = "write each sign-off as `- name: <your name>` with `date: YYYY-MM-DD` below it"


def _sign_off(item: Any, line: int, path: Path) -> SignOff:
    """One `signed_off_by:` entry (on ``line``); without a name or with a date that does not parse it names the line."""
    if not hasattr(item, "get"):
        raise UserError(f"{path}, line {line}", "a `signed_off_by` entry is not a mapping", SIGN_OFF_FIX)
    refuse_unknown_keys(item, SIGN_OFF_KEYS, path, f"the `signed_off_by` entry on line {line}", line)
    name = one_value(item.get("name"), path, line, "a sign-off's `name:`").strip()
    if not name:
        raise UserError(f"{path}, line {line}", "a `signed_off_by` entry has no name",
                        "add `name: <who signed off>` to that entry, with its `date: YYYY-MM-DD`")
    when = one_value(item.get("date"), path, line, f"the `date:` of {name!r}'s sign-off").strip()
    if not parses_as_date(when):
        where = line_of(item, "date") if "date" in item else line
        problem = f"the sign-off of {name!r} has " + (f"a date that does not parse: {when!r}" if when else "no date")
        raise UserError(f"{path}, line {where}", problem,
                        "write the day it was given as `date: YYYY-MM-DD` (or an ISO date-time)")
    email = one_value(item.get("email"), path, line, "a sign-off's `email:`").strip()
    return SignOff(name=name, date=when, email=email, line=line)


def read_sign_offs(doc: Any, path: Path) -> list[SignOff]:
    """The `signed_off_by:` list (empty when absent)."""
    items = doc.get("signed_off_by") or []
    if not isinstance(items, list):
        raise UserError(f"{path}, line {line_of(doc, 'signed_off_by')}", "`signed_off_by:` must be a list",
                        SIGN_OFF_FIX)
    return [_sign_off(item, item_line(items, i), path) for i, item in enumerate(items)]
