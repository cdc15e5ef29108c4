"""Step 1's files: what the measuring stage writes and the judging stage and the journey read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from clearance.core.paths import INSPECT_STEP as STEP  # noqa: F401  (reports/inspect/)
from clearance.core.records import MEASUREMENTS_FILE, METRICS_FILE, Record, StepMeasurements  # noqa: F401 (its files)


@dataclass
class InspectMeasurements(StepMeasurements):
    """reports/inspect/measurements.json: the statistics the checks grade, and what the report shows."""

    STAGE: ClassVar[str] = "inspect"
    stats: dict[str, Any]
    summary: dict[str, Any]
    plots: dict[str, str]
    report: dict[str, Any]


@dataclass
class InspectMetrics(Record):
    """reports/inspect/metrics.json: step 1's key figures (DVC metrics, the journey report)."""

    STAGE: ClassVar[str] = "inspect"
    rows: int
    classes: int
    imbalance_ratio: float | None
    class_share: dict[str, float]
    dropped_share: float
    duplicates: dict[str, Any]
    overlap: dict[str, Any]
    patterns: dict[str, float]
    vocab: dict[str, Any]
    length: dict[str, Any]
    keyword_rule: dict[str, Any]
    label_issue_share: float | None


@dataclass
class InspectTaskMetrics(InspectMetrics):
    """metrics.json of label sets (multi-label) or a numeric target (regression): the same key figures (for a
    target: no classes, no imbalance), which task, and the task's own figures (labels per text, texts with no
    label; the target's mean, spread, skew, outliers, disagreeing duplicates, correlation with length)."""

    task: str = ""
    figures: dict[str, Any] | None = None
