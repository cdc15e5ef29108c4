"""Resolve a question's evidence pointers to the values they name.

A pointer is a file, optionally with a fragment:
``reports/inspect/metrics.json#imbalance_ratio`` (a dotted key in a JSON file),
``reports/inspect/checks.json#mojibake`` (a check by id), or
``reports/inspect/report.html#balance`` (a section of a report).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from clearance.checklist.results import CheckResult, describe


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(dotted)
    return data


def _check(items: list[dict], check_id: str) -> str:
    for item in items:
        if isinstance(item, dict) and item.get("id") == check_id:
            check = CheckResult(**{k: item.get(k, "") for k in
                                   ("id", "status", "value", "threshold", "message", "fix", "direction")})
            return f"{check.status}: {describe(check)} — {check.message}"
    raise KeyError(check_id)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resolve(pointer: str, root: Path = Path(".")) -> str:
    """A one-line rendering of what the pointer names, or why it cannot be read yet."""
    file, _, fragment = pointer.partition("#")
    path = root / file
    if not path.exists():
        return "(not written yet: run `dvc repro`)"
    if path.suffix == ".json" and fragment:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, list):
                return _check(data, fragment)
            return _short(_lookup(data, fragment))
        except (KeyError, TypeError, ValueError):  # ValueError covers bad JSON and bad statuses
            return f"(no '{fragment}' in {file})"
    if path.suffix == ".csv":
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = max(sum(1 for _ in csv.reader(handle)) - 1, 0)  # texts may hold newlines
        except (UnicodeDecodeError, csv.Error) as exc:  # a damaged report is named, not a traceback
            return f"(not readable as a UTF-8 CSV: {exc}; run its step's stage again to rewrite it)"
        return f"{rows} rows to read"
    return "open it" + (f" at section #{fragment}" if fragment else "")
