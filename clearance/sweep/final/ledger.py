"""The test split's ledger: every scoring of a final model on the test split, kept across runs.

One JSON object a line in ``ledger/test_split.jsonl`` (a DVC output with ``persist: true`` and no
cache, meant to be committed with the project): when, which configuration under which rule, the
score, and the digest of the test split's texts and labels. A test score is an unbiased estimate
only the first time its test split is seen; the count per digest says how often it has been, and a
changed test split (new data, another split) starts a new count.

Reading comes before scoring: a ledger that cannot be read stops the final test, so no scoring goes
unrecorded. Appending never rewrites earlier lines.

A file can be deleted or edited; the count must not go down. Every scoring is also recorded in the
MLflow store, as two tags of the final test's run (the test split's digest, and the scoring's number
for that digest), so the count for a digest is the larger of the ledger's lines and the store's
highest number. A ledger that holds fewer gets the store's missing scorings written back
(``restore_from_store``) before the next scoring.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.core.data.digest import splits_digest
from clearance.core.errors import UserError
from clearance.sweep.final.files import LEDGER

if TYPE_CHECKING:  # the judging reads the ledger without pandas; only scoring the test split needs it
    import pandas as pd

FIELDS = ("when", "test_digest", "chosen")
# The tags of a final test's run that record its scoring in the MLflow store, where the ledger file cannot erase it.
DIGEST_TAG, SCORING_TAG = "clearance.test_split_digest", "clearance.test_split_scoring"
SEEN_METRIC = "test_seen"  # the final test's run logs the count too: not a score to copy into a line
# The store's records of one digest's scorings (clearance.core.tracking.tagged_runs, bound to the store).
StoreRuns = Callable[[str], list[dict[str, Any]]]
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


def store_scorings(runs: list[dict[str, Any]]) -> int:
    """How many scorings of one test split the store records: the highest scoring number its runs carry
    (``runs``: clearance.core.tracking.tagged_runs for the digest)."""
    numbers = [int(n) for run in runs if (n := str(run.get("tags", {}).get(SCORING_TAG, ""))).isdigit()]
    return max(numbers, default=0)


def count_scorings(entries: list[dict[str, Any]], digest: str, runs: list[dict[str, Any]]) -> int:
    """The count for a digest: the ledger's or the store's, whichever holds more (neither can lower it)."""
    return max(times_seen(entries, digest), store_scorings(runs))


def _restored_entry(digest: str, number: int, run: dict[str, Any] | None) -> dict[str, Any]:
    """A ledger line for the store's scoring ``number``, from the run that recorded it (when it is there)."""
    if run is None:  # the store's count names it, but its run is gone from the store
        return {"when": None, "test_digest": digest, "chosen": None, "scoring": number,
                "restored_from": "the MLflow store's count (no run of it is left)"}
    started = run.get("start_time")
    when = (dt.datetime.fromtimestamp(started / 1000, dt.timezone.utc).isoformat(timespec="seconds")
            if isinstance(started, (int, float)) else None)
    params, metrics = run.get("params", {}), run.get("metrics", {})
    return {"when": when, "test_digest": digest, "chosen": params.get("chosen"), "rule": params.get("sweep.final"),
            "scoring": number, "restored_from": f"MLflow run {run.get('run_id')}",
            **{k: v for k, v in sorted(metrics.items()) if k.startswith("test_") and k != SEEN_METRIC}}


def missing_from_ledger(entries: list[dict[str, Any]], digest: str, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The store's scorings of ``digest`` beyond the ledger's count, as ledger lines (oldest first)."""
    have = times_seen(entries, digest)
    by_number = {int(n): run for run in runs if (n := str(run.get("tags", {}).get(SCORING_TAG, ""))).isdigit()}
    return [_restored_entry(digest, number, by_number.get(number))
            for number in range(have + 1, store_scorings(runs) + 1)]


def restore_from_store(entries: list[dict[str, Any]], digest: str, runs: list[dict[str, Any]],
                       path: Path = LEDGER) -> list[dict[str, Any]]:
    """Append the scorings the store holds and the ledger lost; return the lines written."""
    restored = missing_from_ledger(entries, digest, runs)
    for entry in restored:
        _append(entry, path)
    return restored


def ensure_ledger(path: Path = LEDGER) -> None:
    """Create an empty ledger where none exists (DVC expects the stage's output after every run)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def record_scoring(entry: dict[str, Any], path: Path = LEDGER, now: dt.datetime | None = None) -> dict[str, Any]:
    """Append one scoring (``when`` is added, in UTC) and return it as written."""
    stamped = {"when": (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"), **entry}
    _append(stamped, path)
    return stamped


def _append(entry: dict[str, Any], path: Path) -> None:
    ensure_ledger(path)
    text = path.read_text(encoding="utf-8")
    with path.open("a", encoding="utf-8") as handle:
        if text and not text.endswith("\n"):  # a hand edit without a final newline must not merge two entries
            handle.write("\n")
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
