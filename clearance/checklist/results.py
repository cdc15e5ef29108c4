"""Automated check results: the reports/<step>/checks.json contract."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.records import RERUN, read_stage_json

STATUSES = ("pass", "warn", "fail")
# Which side of the threshold is bad: "max" (values above it are bad), "min"
# (values below it are bad), or "" when the threshold is not a number to compare.
DIRECTIONS = ("max", "min", "")


@dataclass
class CheckResult:
    """One automated check: what was measured, against what, and what to do about it."""

    id: str
    status: str
    value: Any
    threshold: Any
    message: str
    fix: str = ""
    direction: str = ""

    def __post_init__(self) -> None:
        one_of(f"check {self.id}", status=(self.status, STATUSES), direction=(self.direction, DIRECTIONS))


def one_of(owner: str, **chosen: tuple[Any, tuple[Any, ...]]) -> None:
    """Refuse a field outside its choices (``field=(value, choices)``), naming ``owner`` and the field."""
    for name, (value, choices) in chosen.items():
        if value not in choices:
            raise ValueError(f"{owner}: {name} must be one of {choices}, not {value!r}")


def _beyond(value: float, limit: float | None, direction: str) -> bool:
    if limit is None:
        return False
    return value < limit if direction == "min" else value > limit


def graded(check_id: str, value: float, warn: float | None, fail: float | None,
           message: str, fix: str, direction: str = "max") -> CheckResult:
    """Grade a number against warn/fail limits.

    ``direction="max"``: larger values are worse (fail above ``fail``, warn above ``warn``);
    ``direction="min"``: smaller values are worse (fail below ``fail``, warn below ``warn``).
    """
    if _beyond(value, fail, direction):
        status, threshold = "fail", fail
    elif _beyond(value, warn, direction):
        status, threshold = "warn", warn
    else:
        status, threshold = "pass", fail if fail is not None else warn
    return CheckResult(check_id, status, _clean(value), threshold, message, fix, direction)


def describe(check: CheckResult) -> str:
    """The value against the threshold in words that match the check's direction."""
    if check.direction == "max":
        side = "above the maximum" if check.status != "pass" else "within the maximum"
        return f"value {check.value} is {side} {check.threshold}"
    if check.direction == "min":
        side = "below the minimum" if check.status != "pass" else "at or above the minimum"
        return f"value {check.value} is {side} {check.threshold}"
    return f"value {check.value} (expected: {check.threshold})"


def _clean(value: Any) -> Any:
    """JSON-friendly numbers: rounded floats, no NaN."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value


def summary_line(results: list[CheckResult]) -> str:
    """One line for a stage's output: how many checks ran and which fail."""
    failing = [r.id for r in results if r.status == "fail"]
    return f"checks: {len(results)} run, {len(failing)} failing" + (f": {', '.join(failing)}" if failing else "")


def write_checks(results: list[CheckResult], path: Path) -> None:
    """Write results as a JSON list, in a stable order, without timestamps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def read_checks(path: Path) -> list[CheckResult]:
    """Read a checks.json file, checking the contract's fields."""
    items = read_stage_json(path, "check results")
    if not isinstance(items, list):
        raise UserError(str(path), "expected a list of check results", "run the step's stage again")
    results = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise UserError(f"{path}, item {i}", f"expected a check result (an object), not {item!r:.60}", RERUN)
        missing = [k for k in ("id", "status", "value", "threshold", "message") if k not in item]
        if missing or item.get("status") not in STATUSES:
            raise UserError(f"{path}, item {i}",
                            f"missing {', '.join(missing)}" if missing else f"bad status {item.get('status')!r}",
                            "each check needs id, status (pass/warn/fail), value, threshold, message")
        if not isinstance(item["id"], str):
            raise UserError(f"{path}, item {i}", f"the check's id is not text: {item['id']!r:.60}", RERUN)
        if item.get("direction", "") not in DIRECTIONS:
            raise UserError(f"{path}, item {i}", f"bad direction {item.get('direction')!r:.60} "
                            "(expected 'max', 'min' or '')", RERUN)
        results.append(CheckResult(**{k: item.get(k, "") for k in
                                      ("id", "status", "value", "threshold", "message", "fix", "direction")}))
    return results


@dataclass
class Judgement:
    """A step's graded checks, the files the judging wrote, and the measurements it read."""

    checks: list[CheckResult]
    files: dict[str, Path]
    measurements: dict[str, Any]
