"""The primary metric on any subset of rows, fast enough to repeat for bootstrap resamples.

Each task's labels are encoded once (class ids, a 0/1 matrix, floats) and a metric becomes a function of row
indices; the values equal clearance.core.evaluation's (sklearn's) on the same rows (tests check it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from clearance.core.task import MULTI_LABEL, REGRESSION, Task

Scorer = Callable[[np.ndarray], float]
EPS = 1e-15


def encode(task: Task, labels: Sequence) -> np.ndarray:
    """Labels in the prepared data's own form as arrays: class ids (unknown: -1), a 0/1 matrix, or floats."""
    if task.name == MULTI_LABEL:
        return task.indicators(list(labels)).astype(np.int8)
    if task.name == REGRESSION:
        return task.targets(list(labels)).astype(float)
    index = {c: i for i, c in enumerate(task.classes)}
    return np.array([index.get(str(v), -1) for v in labels], dtype=np.int64)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 per column, 0 where it is undefined (sklearn's zero_division=0)."""
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(len(tp), dtype=float), where=denom > 0)


def _single(metric: str, truth: np.ndarray, predicted: np.ndarray, probs: np.ndarray | None, k: int) -> Scorer:
    def counts(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        t, p = truth[idx], predicted[idx]
        keep = (t >= 0) & (p >= 0)
        table = np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k)
        tp = np.diag(table).astype(float)
        return tp, table.sum(axis=0) - tp, table.sum(axis=1) - tp, table.sum(axis=1)

    if metric == "accuracy":
        return lambda idx: float(np.mean(truth[idx] == predicted[idx])) if len(idx) else 0.0
    if metric == "macro_f1":
        return lambda idx: float(_f1(*counts(idx)[:3]).mean())
    if metric == "weighted_f1":
        def weighted(idx: np.ndarray) -> float:
            tp, fp, fn, support = counts(idx)
            return float((_f1(tp, fp, fn) * support).sum() / support.sum()) if support.sum() else 0.0
        return weighted
    if metric == "log_loss" and probs is not None:
        return lambda idx: float(-np.mean(np.log(np.clip(probs[idx, truth[idx]], EPS, 1.0))))
    raise KeyError(metric)


def _multi(metric: str, truth: np.ndarray, predicted: np.ndarray, probs: np.ndarray | None) -> Scorer:
    def sums(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t, p = truth[idx].astype(bool), predicted[idx].astype(bool)
        return (t & p).sum(axis=0).astype(float), (~t & p).sum(axis=0).astype(float), (t & ~p).sum(axis=0).astype(float)

    if metric == "micro_f1":
        return lambda idx: float(_f1(*(np.array([s.sum()]) for s in sums(idx)))[0])
    if metric == "macro_f1":
        return lambda idx: float(_f1(*sums(idx)).mean())
    if metric == "exact_match":
        return lambda idx: float((truth[idx] == predicted[idx]).all(axis=1).mean()) if len(idx) else 0.0
    if metric == "log_loss" and probs is not None:
        def loss(idx: np.ndarray) -> float:
            p, y = np.clip(probs[idx], EPS, 1 - EPS), truth[idx]
            return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1).mean())
        return loss
    raise KeyError(metric)


def _regression(metric: str, truth: np.ndarray, predicted: np.ndarray) -> Scorer:
    if metric == "rmse":
        return lambda idx: float(np.sqrt(np.mean((predicted[idx] - truth[idx]) ** 2)))
    if metric == "mae":
        return lambda idx: float(np.mean(np.abs(predicted[idx] - truth[idx])))
    if metric == "r2":
        def r2(idx: np.ndarray) -> float:
            y = truth[idx]
            total = float(np.sum((y - y.mean()) ** 2))
            return 1.0 - float(np.sum((predicted[idx] - y) ** 2)) / total if total > 0 else 0.0
        return r2
    if metric == "spearman":
        from scipy.stats import spearmanr

        def rho(idx: np.ndarray) -> float:
            y, p = truth[idx], predicted[idx]
            return 0.0 if np.ptp(y) == 0 or np.ptp(p) == 0 else float(spearmanr(y, p).statistic)
        return rho
    raise KeyError(metric)


def scorer(task: Task, metric: str, truth: np.ndarray, predicted: np.ndarray,
           probs: np.ndarray | None = None) -> Scorer:
    """``metric`` of ``predicted`` against ``truth`` (both ``encode``d) on the rows an index array picks.

    Raises KeyError for a metric the task does not have (or log_loss without probabilities)."""
    if task.name == MULTI_LABEL:
        return _multi(metric, truth, predicted, probs)
    if task.name == REGRESSION:
        return _regression(metric, truth, predicted)
    return _single(metric, truth, predicted, probs, len(task.classes))


def correct(task: Task, truth: np.ndarray, predicted: np.ndarray) -> np.ndarray | None:
    """Whether each row's answer is right (a label set: every label), or None for a numeric target."""
    if task.name == REGRESSION:
        return None
    if task.name == MULTI_LABEL:
        return (truth == predicted).all(axis=1)
    return truth == predicted
