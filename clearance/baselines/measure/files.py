"""Step 2's own files (its metrics.json, with the bar later steps read, is in clearance.core.records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from clearance.core.paths import BASELINES_STEP as STEP  # noqa: F401 (this step's id, for its modules)
from clearance.core.records import MEASUREMENTS_FILE, Bar, StepMeasurements  # noqa: F401

MISTAKES_IN_REPORT = 30  # of the best baseline's mistakes, the report shows this many (the CSV holds more)


@dataclass
class BaselinesMeasurements(StepMeasurements):
    """reports/baselines/measurements.json: the facts the checks grade, the results, the bar, the report."""

    STAGE: ClassVar[str] = "baselines"
    facts: dict[str, Any]
    results: list[dict[str, Any]]
    report: dict[str, Any]
    bar: Bar
    # What the labels are (data/prepared/summary.json's task): the judging leaves out checks of other tasks.
    task: str = "single_label"
