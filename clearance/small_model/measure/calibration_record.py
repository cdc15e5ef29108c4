"""training.json's ``calibration``: can the model's probabilities on valid be trusted, and what the temperature
fitted on valid does to them (clearance.core.calibration; graded by the ``calibration`` check).

Its keys: ``applies`` and ``why`` (a numeric target has no probabilities; a diverged run has no valid outputs);
when it applies, ``temperature``, ``ece_before`` and ``ece_after`` (the ECE of the model's own probabilities and of
the calibrated ones the package serves, on the valid rows the temperature was fitted on), ``bins``, ``per_label``
(label sets: each label's ``ece_before`` and ``ece_after``; [] for one class per text) and ``reliability``
(``before`` and ``after``: ``reliability_table``'s bins, for the diagram).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clearance.core.calibration import (
    BINS,
    NOT_APPLICABLE,
    calibrated,
    expected_calibration_error,
    fit_temperature,
    per_label_ece,
    reliability_table,
)
from clearance.core.task import MULTI_LABEL, REGRESSION, Task


def not_applicable(why: str) -> dict[str, Any]:
    """The record of a run whose probabilities cannot be measured, saying why."""
    return {"applies": False, "why": why}


def calibration_record(task: Task, logits: np.ndarray, labels: np.ndarray, temperature: float | None = None,
                       bins: int = BINS) -> dict[str, Any]:
    """ECE before and after ``temperature`` (fitted on these rows when None), per label for label sets, and the
    reliability tables, of valid ``logits`` against its encoded ``labels`` (class ids or the multi-hot matrix)."""
    if task.name == REGRESSION:
        return not_applicable(NOT_APPLICABLE)
    if temperature is None:
        temperature = fit_temperature(logits, labels, task.name)
    before, after = calibrated(logits, task.name), calibrated(logits, task.name, temperature)
    per_label: list[dict[str, Any]] = []
    if task.name == MULTI_LABEL:
        per_label = [{"label": label, "ece_before": round(b, 4), "ece_after": round(a, 4)}
                     for label, b, a in zip(task.classes, per_label_ece(before, labels, bins),
                                            per_label_ece(after, labels, bins))]
    return {"applies": True, "why": "", "temperature": float(temperature),
            "ece_before": round(expected_calibration_error(before, labels, bins), 4),
            "ece_after": round(expected_calibration_error(after, labels, bins), 4), "bins": bins,
            "per_label": per_label, "reliability": {"before": reliability_table(before, labels, bins),
                                                    "after": reliability_table(after, labels, bins)}}
