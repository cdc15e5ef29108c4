"""Resolve a question's evidence pointers to the values they name.

A pointer is a file, optionally with a fragment:
``reports/inspect/metrics.json#imbalance_ratio`` (a dotted key in a JSON file),
``reports/inspect/checks.json#mojibake`` (a check by id), or
``reports/inspect/report.html#balance`` (a section of a report).
``resolve`` renders one line for `clearance show`; ``raw_value`` gives the data itself, for the gate's
rule that answers cite their evidence (clearance.checklist.citations).
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Any

from clearance.checklist.results import CheckResult, describe

# The rows of a CSV pointer read for citations: the sample and the lists of suspects are shorter, and a
# gate that runs on every `dvc repro` must not read a large file whole.
MAX_ROWS = 2000


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


def raw_value(pointer: str, root: Path = Path(".")) -> Any:
    """What the pointer names, as data: a JSON file's value at the fragment (a check: its checks.json item;
    no fragment: the whole document), a CSV's rows as dicts (at most MAX_ROWS), or None when the file is not
    written yet, cannot be read, lacks the fragment, or is a page to open (a report section)."""
    file, _, fragment = pointer.partition("#")
    path = root / file
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not fragment:
                return data
            if isinstance(data, list):
                return next((item for item in data if isinstance(item, dict) and item.get("id") == fragment), None)
            return _lookup(data, fragment)
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                return list(itertools.islice(csv.DictReader(handle), MAX_ROWS))
    except (OSError, KeyError, TypeError, ValueError, csv.Error):  # UnicodeDecodeError is a ValueError
        return None
    return None
