"""What the journey's labels are (data.task) and which way its metric is better, read from the steps' files.

The journey reads only what the steps wrote: the first ``task`` a step's file records (the sweep's
measurements record it; earlier steps' files may), else what the primary metric implies, else
single-label, as every project was before tasks were recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

from clearance.core.paths import REPORTS_DIR

SINGLE, MULTI, REGRESSION = "single_label", "multi_label", "regression"
# The files that may record the task, in the order the journey trusts them (the latest step first).
TASK_FILES = ("sweep/measurements.json", "model/metrics.json", "model/training.json", "baselines/metrics.json",
              "baselines/measurements.json", "inspect/metrics.json", "inspect/measurements.json")
# Metrics only one task has: a file that records no task still says it through its metric.
METRIC_TASK = {"rmse": REGRESSION, "mae": REGRESSION, "r2": REGRESSION, "spearman": REGRESSION,
               "micro_f1": MULTI, "exact_match": MULTI}


def recorded_task(root: Path, reports: Path = REPORTS_DIR) -> str | None:
    """The first ``task`` one of the steps' files records (None when none does)."""
    for name in TASK_FILES:
        path = root / reports / name
        try:
            doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        except (json.JSONDecodeError, UnicodeDecodeError):  # the step's own page says what is wrong with it
            continue
        task = doc.get("task") if isinstance(doc, dict) else None
        name_of = task.get("name") if isinstance(task, dict) else task
        if name_of in (SINGLE, MULTI, REGRESSION):
            return name_of
    return None


def journey_task(root: Path, metric: str = "") -> str:
    """The task of the project at ``root``: recorded, else implied by the metric, else single-label."""
    return recorded_task(root) or METRIC_TASK.get(metric, SINGLE)


# The metrics a smaller value of is better: clearance.core.evaluation.HIGHER_IS_BETTER's False entries, spelled
# here because that module imports sklearn and `clearance report` must not (tests/test_sweep_tasks.py holds the
# two equal).
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})


def higher_is_better(metric: str) -> bool:
    """Whether a larger ``metric`` is better (unknown names: larger, as every metric before tasks was)."""
    return metric not in LOWER_IS_BETTER


def gain(value: float | None, reference: float | None, metric: str) -> float | None:
    """How much better ``value`` is than ``reference`` on ``metric`` (positive is better; lower RMSE is better)."""
    if value is None or reference is None:
        return None
    return (value - reference) if higher_is_better(metric) else (reference - value)
