"""An evaluation scored for its task: the valid metrics of a history record, the decision threshold a
multi-label evaluation chooses on the rows it scored, and the tracked texts' predictions."""

from __future__ import annotations

from typing import Any

import numpy as np

from clearance.core.evaluation import score, score_task
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from clearance.neural.parts.parts import Parts
from clearance.neural.task_heads import DEFAULT_THRESHOLD, choose_threshold, decode
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
                     metric: str) -> tuple[dict[str, float], float | None]:
    """``valid_<metric>`` scores of an evaluation, and the threshold it chose (multi-label; else None)."""
    if task_name(parts) == SINGLE_LABEL:
        # The single-label path as it always was: its numbers must not move by a bit.
        names = np.asarray(parts.classes, dtype=object)
        return score(names[labels], names[evaluation.predicted], evaluation.probabilities(), parts.classes,
                     "valid"), None
    task = parts.task
    truth = truth_of(parts, labels)
    probs = evaluation.probabilities()
    threshold = choose_threshold(task, truth, probs, metric) if task.name == MULTI_LABEL else None
    predicted = decode(task, evaluation.logits, threshold or DEFAULT_THRESHOLD, parts.scale)
    return score_task(task, truth, predicted, probs, "valid"), threshold


def tracked_predictions(parts: Parts, seen: Evaluation, threshold: float | None) -> list[dict[str, Any]]:
    """Each tracked text's prediction: the class and its probability; the kept label set and how sure the
    least sure of its decisions is; the target in its units."""
    if task_name(parts) == SINGLE_LABEL:
        return [{"predicted": parts.classes[int(k)], "confidence": round(float(p[k]), 4)}
                for k, p in zip(seen.predicted, seen.probabilities())]
    task = parts.task
    if task.name == REGRESSION:
        return [{"predicted": round(float(v), 4)} for v in decode(task, seen.logits, scale=parts.scale)]
    probs = seen.probabilities()
    cut = threshold if threshold is not None else DEFAULT_THRESHOLD
    sets = decode(task, seen.logits, cut)
    sure = np.where(probs >= cut, probs, 1 - probs).min(axis=1) if probs.shape[1] else np.ones(len(sets))
    return [{"predicted": kept, "confidence": round(float(c), 4)} for kept, c in zip(sets, sure)]
