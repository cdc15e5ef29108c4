"""What step 2's checks judge for label sets and numbers (single-label's facts are in run.measure_facts)."""

from __future__ import annotations

from typing import Any

import numpy as np

from clearance.baselines.measure.metric_choice import label_imbalance, outlier_share
from clearance.core.evaluation import expected_task_losses, expected_task_prior_score, gain
from clearance.core.task import MULTI_LABEL, Task

# What each task's prior guess is, as the report and the checks say it.
PRIOR_GUESS = {MULTI_LABEL: {"micro_f1": "guessing blind (each label at its train share, or every label)",
                             "macro_f1": "guessing blind (each label at its train share, or every label)",
                             "default": "guessing each label at its train share"},
               "regression": {"mae": "predicting the train median", "default": "predicting the train mean"}}
# Regression errors in the target's units: their gain over the guess is the share of its error removed, so
# one limit (checks.baselines.min_gain_over_prior) holds for targets of any scale.
RELATIVE = ("rmse", "mae")


def data_facts(task: Task, labels: dict[str, np.ndarray]) -> dict[str, Any]:
    """How uneven the labels are (multi-label), or how heavy the target's tails (regression), on train:
    what the metric is chosen by."""
    if task.name == MULTI_LABEL:
        truth = task.indicators(labels["train"])
        return {"imbalance_ratio": label_imbalance(truth),
                "label_counts": {c: int(n) for c, n in zip(task.classes, truth.sum(axis=0))},
                "labels_per_text": float(truth.sum(axis=1).mean()) if len(truth) else 0.0}
    y = task.targets(labels["train"])
    return {"outlier_share": outlier_share(y), "target": target_summary(y)}


def target_summary(y: np.ndarray) -> dict[str, float]:
    """The train target's centre, spread, range and shape."""
    from scipy.stats import kurtosis, skew

    if len(y) == 0:
        return {}
    spread = float(np.std(y))
    shape = {"skew": float(skew(y)), "excess_kurtosis": float(kurtosis(y))} if spread > 0 else \
        {"skew": 0.0, "excess_kurtosis": 0.0}
    return {"mean": float(np.mean(y)), "median": float(np.median(y)), "std": spread, "min": float(np.min(y)),
            "max": float(np.max(y)), "mean_absolute_deviation": float(np.mean(np.abs(y - np.median(y)))),
            **shape}


def prior_guess(task: Task, metric: str) -> str:
    """What the prior guess of ``task`` is, for ``metric``."""
    said = PRIOR_GUESS[task.name]
    return said.get(metric, said["default"])


def gain_over_prior(metric: str, best: float, guess: float) -> float:
    """How much better the best baseline is than the guess: a difference, or (RMSE, MAE) the share of the
    guess's error it removes."""
    if metric in RELATIVE and guess > 0:
        return (guess - best) / guess
    return gain(best, guess, metric)


def task_facts(task: Task, metric: str, why: str, data: dict[str, Any], best: str,
               scores: dict[str, dict[str, float]], labels: dict[str, np.ndarray],
               common: dict[str, Any]) -> dict[str, Any]:
    """Everything the checks judge for a multi-label or regression task, as plain numbers and names.

    ``why``: why the metric replaced the configured one ("" when it did not); ``scores``: each baseline's
    metrics; ``common``: run.common_facts."""
    scored_valid = len(labels["valid"]) > 0
    guess = expected_task_prior_score(task, metric, labels["train"], labels["valid"]) if scored_valid else None
    value = scores[best].get(f"valid_{metric}") if best else None
    over = gain_over_prior(metric, value, guess) if value is not None and guess is not None else None
    facts = {"task": task.name, "primary_metric": metric, "metric_replaced": why, **data, "best": best,
             "gain_over_prior": over, "gain_relative": metric in RELATIVE, "prior_expected_score": guess,
             "prior_guess": prior_guess(task, metric), **common,
             "missing_classes": missing_labels(task, labels) if task.name == MULTI_LABEL else {},
             **expected_task_losses(task, labels["train"])}
    if task.name != MULTI_LABEL:
        facts["targets_outside_train"] = outside_range(task, labels)
    return facts


def missing_labels(task: Task, labels: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """The labels no text of valid or test carries (their F1 there cannot be measured)."""
    out = {}
    for split in ("valid", "test"):
        counts = task.indicators(labels[split]).sum(axis=0)
        out[split] = [c for c, n in zip(task.classes, counts) if n == 0]
    return out


def outside_range(task: Task, labels: dict[str, np.ndarray]) -> dict[str, float]:
    """Share of valid and test targets outside the train targets' range (a model fitted on train has seen
    nothing like them)."""
    y = task.targets(labels["train"])
    low, high = (float(y.min()), float(y.max())) if len(y) else (0.0, 0.0)
    out = {}
    for split in ("valid", "test"):
        t = task.targets(labels[split])
        out[split] = float(((t < low) | (t > high)).mean()) if len(t) else 0.0
    return out
