"""Step 2's own files (its metrics.json, with the bar later steps read, is in clearance.core.records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from clearance.core.records import Record
from clearance.core.records import Bar

STEP = "baselines"
MEASUREMENTS_FILE = "measurements.json"


@dataclass
class BaselinesMeasurements(Record):
    """reports/baselines/measurements.json: the facts the checks grade, the results, the bar, the report."""

    STAGE: ClassVar[str] = "baselines"
    step: str
    data_digest: str
    settings_digest: str
    facts: dict[str, Any]
    results: list[dict[str, Any]]
    report: dict[str, Any]
    bar: Bar
