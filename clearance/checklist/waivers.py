"""A question file's `waivers:` list: each failing check the user accepts, with the reason why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.checklist.entries import WAIVER_KEYS, Waiver
from clearance.checklist.question_yaml import (
    first_repeat,
    item_line,
    line_of,
    one_value,
    prose,
    refuse_unknown_keys,
)
from clearance.core.errors import UserError


def _one_waiver_per_check(waivers: list[Waiver], path: Path) -> None:
    """A check waived twice is refused: the gate would have to keep one reason and drop the other."""
    if (pair := first_repeat(waivers, lambda w: w.check)) is not None:
        one, two = pair
        raise UserError(f"{path}, line {two.line}",
                        f"check {two.check!r} is waived twice (lines {one.line} and {two.line})",
                        "keep one waiver per check: put both reasons under one `reason:` and delete the "
                        "other entry")


def read_waivers(doc: Any, path: Path) -> list[Waiver]:
    """The `waivers:` list (empty when absent); an entry without its check or reason names its line."""
    items = doc.get("waivers") or []
    if not isinstance(items, list):
        raise UserError(f"{path}, line {line_of(doc, 'waivers')}", "`waivers:` must be a list",
                        "write each waiver as `- check: <id>` with `reason: <why>` below it")
    out = []
    for index, item in enumerate(items):
        line = item_line(items, index)
        if hasattr(item, "get"):
            refuse_unknown_keys(item, WAIVER_KEYS, path, f"the waiver on line {line}", line)
        if not hasattr(item, "get") or "check" not in item:
            raise UserError(f"{path}, line {line}", "a waiver has no `check:` field",
                            "write `- check: <check id>` and `reason: <why it is acceptable>`")
        check = one_value(item["check"], path, line, "a waiver's `check:`").strip()
        if "reason" not in item:
            raise UserError(f"{path}, line {line}", f"the waiver of {check!r} has no `reason:` field",
                            "add `reason: <why this failing check is acceptable>` below its `- check:` line")
        reason = prose(item["reason"], path, line_of(item, "reason") or line,
                       f"the reason of the waiver of {check!r}", "reason")
        out.append(Waiver(check=check, reason=reason, line=line))
    _one_waiver_per_check(out, path)
    return out
