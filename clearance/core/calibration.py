"""Are a classifier's probabilities to be trusted? Expected calibration error, the reliability table a diagram
draws, and one temperature fitted on valid by negative log-likelihood (Guo et al., 2017).

A temperature T divides the logits before the softmax (one class per text) or the sigmoids (a set of labels per
text): T > 1 softens over-confident probabilities, T < 1 sharpens timid ones, and no prediction moves (the argmax
and the order of every label's scores stay). A numeric target has no probabilities: nothing here applies to it.

The ECE after calibration is measured on the rows T was fitted on: one parameter fitted on hundreds of rows or
more makes that optimism small, and the record says so. numpy and scipy only: the judging stage imports nothing
heavy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SINGLE_LABEL, MULTI_LABEL = "single_label", "multi_label"  # clearance.core.task's names, kept light here
BINS = 15  # equal-width confidence bins: the usual choice in the ECE literature
# The temperatures searched. Wide on purpose: the bounds only keep the search finite, and a model scored 10x too
# sure on top of its own over-confidence (T 2-3 for the debug models on the built-in corpus) needs 20-30.
T_BOUNDS = (0.01, 100.0)
NOT_APPLICABLE = "a numeric target has no probabilities"


def _name(task: Any) -> str:
    """A task's name, from a ``Task`` or its name."""
    return str(getattr(task, "name", task))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, task: Any, temperature: float = 1.0) -> float:
    """Mean NLL per text of ``logits / temperature``: cross-entropy against class ids, or the binary
    cross-entropy summed over a text's labels against a multi-hot matrix (the training loss of each task)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if _name(task) == MULTI_LABEL:
        y = np.asarray(labels, dtype=np.float64)
        # log sigmoid(z) = -log(1 + e^-z), stable for large |z|
        per_label = y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)
        return float(per_label.sum(axis=1).mean())
    ids = np.asarray(labels, dtype=np.int64)
    return float(-_log_softmax(z)[np.arange(len(ids)), ids].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, task: Any) -> float:
    """The temperature that minimises the NLL of ``logits / T`` on these rows (valid), searched over log T in
    ``T_BOUNDS``; 1.0 where there is nothing to fit (no rows, one class, outputs that are not finite).

    A set of labels per text shares one temperature across its labels: valid holds few positive rows of a rare
    label, too few to fit a temperature of its own without fitting its noise. Rounded to 4 decimals, so the
    record, the package and every probability computed from them agree.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or not len(z) or (_name(task) == SINGLE_LABEL and z.shape[1] < 2) or not np.isfinite(z).all():
        return 1.0
    from scipy.optimize import minimize_scalar

    low, high = (math.log(bound) for bound in T_BOUNDS)
    found = minimize_scalar(lambda u: negative_log_likelihood(z, labels, task, math.exp(u)), bounds=(low, high),
                            method="bounded", options={"xatol": 1e-5})
    best = math.exp(float(found.x))
    # A flat NLL (every temperature as good) keeps the model's own probabilities.
    if negative_log_likelihood(z, labels, task, best) >= negative_log_likelihood(z, labels, task) - 1e-12:
        return 1.0
    return round(best, 4)


def calibrated(logits: np.ndarray, task: Any, temperature: float = 1.0) -> np.ndarray:
    """The probabilities of ``logits / temperature``: softmax rows, or each label's sigmoid."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if _name(task) == MULTI_LABEL:
        with np.errstate(over="ignore"):  # exp of a large negative logit is inf, and 1 / (1 + inf) is 0
            return 1.0 / (1.0 + np.exp(-z))
    return np.exp(_log_softmax(z))


def _binary(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and correctness of every decision: one per text (the argmax class), or, for a multi-hot
    ``labels``, one per text and label (each label's sigmoid read as a yes/no answer, as a 2-class softmax)."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels)
    if y.ndim == 2:
        yes = p >= 0.5
        return np.where(yes, p, 1.0 - p).ravel(), (yes == (y > 0.5)).ravel()
    return p.max(axis=1), p.argmax(axis=1) == y.astype(np.int64)


def _bin_of(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Each confidence's equal-width bin, (k/bins, (k+1)/bins], 0 in the first."""
    return np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)


def _ece(confidence: np.ndarray, correct: np.ndarray, bins: int) -> float:
    if not len(confidence):
        return 0.0
    which = _bin_of(confidence, bins)
    counts = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, weights=correct.astype(np.float64), minlength=bins)
                 - np.bincount(which, weights=confidence, minlength=bins))
    return float(gap.sum() / counts.sum())


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """ECE: the mean |accuracy - confidence| over equal-width confidence bins, weighted by their rows.

    Class ids (``labels`` [N]): the confidence of the argmax class against whether it is right. A multi-hot
    matrix ([N, K]): each label's ECE as a yes/no problem, then their mean (``per_label_ece``)."""
    y = np.asarray(labels)
    if y.ndim == 2:
        per_label = per_label_ece(probs, y, bins)
        return float(np.mean(per_label)) if per_label else 0.0
    return _ece(*_binary(probs, y), bins)


def per_label_ece(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[float]:
    """Each label's ECE (its sigmoid as a yes/no answer, against the multi-hot column), in column order."""
    p, y = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    return [_ece(*_binary(p[:, [k]], y[:, [k]]), bins) for k in range(p.shape[1] if p.ndim == 2 else 0)]


def reliability_table(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Per confidence bin: its edges, the mean confidence, the accuracy and how many decisions fall in it (the
    reliability diagram's points; an empty bin has None for both). A multi-hot ``labels`` pools every text's
    yes/no decision on every label."""
    confidence, correct = _binary(probs, labels)
    which = _bin_of(confidence, bins)
    table = []
    for k in range(bins):
        inside = which == k
        count = int(inside.sum())
        table.append({"low": round(k / bins, 4), "high": round((k + 1) / bins, 4), "count": count,
                      "confidence": round(float(confidence[inside].mean()), 4) if count else None,
                      "accuracy": round(float(correct[inside].mean()), 4) if count else None})
    return table
