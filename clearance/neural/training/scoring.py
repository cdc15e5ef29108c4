"""An evaluation scored for its task: the valid metrics of a history record, the temperature a classifier's
probabilities are calibrated with and the decision threshold a multi-label evaluation chooses, both on the rows
it scored, and the tracked texts' predictions."""

from __future__ import annotations

from typing import Any

import numpy as np

from clearance.core.calibration import fit_temperature
from clearance.core.evaluation import score, score_task
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from clearance.neural.parts.parts import Parts
from clearance.neural.task_heads import DEFAULT_THRESHOLD, choose_threshold, decode, probabilities
from clearance.neural.training.evaluation import Evaluation


def task_name(parts: Parts) -> str:
    """The task parts serve (parts built without one, as tests do by hand, are single-label)."""
    task = getattr(parts, "task", None)
    return task.name if task is not None else SINGLE_LABEL


def truth_of(parts: Parts, labels: np.ndarray) -> list | np.ndarray:
    """Encoded labels back in the prepared labels' form (class names, kept sets, targets in their units)."""
    task = parts.task
    if task.name == MULTI_LABEL:
        return task.from_indicators(np.asarray(labels) > 0.5)
    if task.name == REGRESSION:
        return parts.scale.restore(labels).tolist()
    return np.asarray(parts.classes, dtype=object)[labels]


def score_evaluation(parts: Parts, evaluation: Evaluation, labels: np.ndarray,
                     metric: str) -> tuple[dict[str, float], float | None, float | None]:
    """``valid_<metric>`` scores of an evaluation, the threshold it chose (multi-label; else None) and the
    temperature fitted on its rows (classes and label sets; None for a number).

    The temperature comes first, the threshold second, chosen on the calibrated probabilities: the package
    serves calibrated probabilities, and the threshold it keeps must be one on their scale. The scores are the
    decisions' and the model's own (uncalibrated) probabilities': a log loss on the rows the temperature was
    fitted on would flatter the model against the baselines.
    """
    task = task_name(parts)
    temperature = fit_temperature(evaluation.logits, labels, task) if task != REGRESSION else None
    if task == SINGLE_LABEL:
        # The single-label path as it always was: its numbers must not move by a bit.
        names = np.asarray(parts.classes, dtype=object)
        return score(names[labels], names[evaluation.predicted], evaluation.probabilities(), parts.classes,
                     "valid"), None, temperature
    truth = truth_of(parts, labels)
    threshold = choose_threshold(parts.task, truth, probabilities(task, evaluation.logits, temperature), metric) \
        if task == MULTI_LABEL else None
    predicted = decode(parts.task, evaluation.logits, threshold or DEFAULT_THRESHOLD, parts.scale, temperature or 1.0)
    return score_task(parts.task, truth, predicted, evaluation.probabilities(), "valid"), threshold, temperature


def tracked_predictions(parts: Parts, seen: Evaluation, threshold: float | None,
                        temperature: float | None = None) -> list[dict[str, Any]]:
    """Each tracked text's prediction: the class and its probability; the kept label set and how sure the
    least sure of its decisions is (on the calibrated probabilities the threshold was chosen on); the target in
    its units."""
    if task_name(parts) == SINGLE_LABEL:
        return [{"predicted": parts.classes[int(k)], "confidence": round(float(p[k]), 4)}
                for k, p in zip(seen.predicted, seen.probabilities())]
    task = parts.task
    if task.name == REGRESSION:
        return [{"predicted": round(float(v), 4)} for v in decode(task, seen.logits, scale=parts.scale)]
    probs = probabilities(task.name, seen.logits, temperature or 1.0)
    cut = threshold if threshold is not None else DEFAULT_THRESHOLD
    sets = decode(task, seen.logits, cut, temperature=temperature or 1.0)
    sure = np.where(probs >= cut, probs, 1 - probs).min(axis=1) if probs.shape[1] else np.ones(len(sets))
    return [{"predicted": kept, "confidence": round(float(c), 4)} for kept, c in zip(sets, sure)]
