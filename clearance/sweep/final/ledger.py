"""The test split's ledger: every scoring of a final model on the test split, kept across runs.

One JSON object a line in ``ledger/test_split.jsonl`` (a DVC output with ``persist: true`` and no
cache, meant to be committed with the project): when, which configuration under which rule, the
score, and the digest of the test split's texts and labels. A test score is an unbiased estimate
only the first time its test split is seen; the count per digest says how often it has been, and a
changed test split (new data, another split) starts a new count.

Reading comes before scoring: a ledger that cannot be read stops the final test, so no scoring goes
unrecorded. Appending never rewrites earlier lines.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from clearance.core.data.digest import splits_digest
from clearance.core.errors import UserError
from clearance.sweep.final.files import LEDGER

FIELDS = ("when", "test_digest", "chosen")
REPAIR = ("restore it from git (`git checkout -- {path}`), or delete the broken line by hand; the test split "
          "is not scored until the ledger reads, so no scoring goes uncounted")


def ledger_digest(test: pd.DataFrame) -> str:
    """The digest of the test split's texts and labels, in order (the ledger counts by it)."""
    return splits_digest({"test": test})


def read_ledger(path: Path = LEDGER) -> list[dict[str, Any]]:
    """Every entry, oldest first ([] for a missing or empty file); a broken line is a clear error."""
    if not path.exists():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(str(path), f"cannot be read ({error})", REPAIR.format(path=path)) from None
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise UserError(f"{path}, line {number}", f"not a JSON object ({error.msg})",
                            REPAIR.format(path=path)) from None
        missing = [f for f in FIELDS if not isinstance(entry, dict) or f not in entry]
        if missing:
            raise UserError(f"{path}, line {number}", f"a ledger entry without {', '.join(missing)}",
                            REPAIR.format(path=path))
        entries.append(entry)
    return entries


def times_seen(entries: list[dict[str, Any]], digest: str) -> int:
    """How many entries scored the test split with this digest."""
    return sum(entry.get("test_digest") == digest for entry in entries)


def ensure_ledger(path: Path = LEDGER) -> None:
    """Create an empty ledger where none exists (DVC expects the stage's output after every run)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def record_scoring(entry: dict[str, Any], path: Path = LEDGER, now: dt.datetime | None = None) -> dict[str, Any]:
    """Append one scoring (``when`` is added, in UTC) and return it as written."""
    stamped = {"when": (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"), **entry}
    ensure_ledger(path)
    text = path.read_text(encoding="utf-8")
    with path.open("a", encoding="utf-8") as handle:
        if text and not text.endswith("\n"):  # a hand edit without a final newline must not merge two entries
            handle.write("\n")
        handle.write(json.dumps(stamped, sort_keys=True) + "\n")
    return stamped
