"""Scoring shared by baselines, the model and the sweep: one set of metric names.

Every run logs `<split>_accuracy`, `<split>_macro_f1`, `<split>_f1_<class>` and,
when it gives probabilities, `<split>_log_loss`, so the MLflow UI can put a
baseline, a model and a sweep trial side by side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss, r2_score

from clearance.core.task import MULTI_LABEL, REGRESSION, Task

METRICS = ("accuracy", "macro_f1", "weighted_f1", "log_loss",
           "micro_f1", "exact_match",  # multi-label
           "rmse", "mae", "r2", "spearman")  # regression
# Every comparison of scores (best baseline, best trial, gain, noise) takes its sign from here.
HIGHER_IS_BETTER = {"accuracy": True, "macro_f1": True, "weighted_f1": True, "log_loss": False,
                    "micro_f1": True, "exact_match": True,
                    "rmse": False, "mae": False, "r2": True, "spearman": True}


def class_keys(classes: list[str]) -> dict[str, str]:
    """Each label as part of a metric name, all distinct ("-1" and "1" stay apart).

    MLflow accepts word characters, '-', '.', ' ' and '/'; others become '_',
    and labels that still collide get their position appended.
    """
    keys = {c: re.sub(r"[^\w.\- ]", "_", str(c)) or "_" for c in classes}
    seen = [k for k in keys.values()]
    return {c: (k if seen.count(k) == 1 else f"{k}_{i}") for i, (c, k) in enumerate(keys.items())}


def score(truth: np.ndarray, predicted: np.ndarray, probs: np.ndarray | None,
          classes: list[str], prefix: str) -> dict[str, float]:
    """Accuracy, macro/weighted F1, F1 per class and log loss (when there are probabilities)."""
    out = {
        f"{prefix}_accuracy": float(accuracy_score(truth, predicted)),
        f"{prefix}_macro_f1": float(f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)),
        f"{prefix}_weighted_f1": float(f1_score(truth, predicted, labels=classes, average="weighted",
                                                zero_division=0)),
    }
    per_class = f1_score(truth, predicted, labels=classes, average=None, zero_division=0)
    keys = class_keys(classes)
    out.update({f"{prefix}_f1_{keys[c]}": float(v) for c, v in zip(classes, per_class)})
    if probs is not None:
        clipped = np.clip(probs, 1e-15, 1.0)
        out[f"{prefix}_log_loss"] = float(log_loss(truth, clipped / clipped.sum(axis=1, keepdims=True),
                                                   labels=classes))
    return out


def score_multi_label(truth: np.ndarray, predicted: np.ndarray, probs: np.ndarray | None,
                      classes: list[str], prefix: str) -> dict[str, float]:
    """Micro/macro F1, exact match (every label of the text right), F1 per label and, with probabilities,
    the log loss: per text, the sum over labels of the binary cross-entropy (what a sigmoid head's loss
    adds up to), averaged over texts. ``truth`` and ``predicted`` are (rows, labels) 0/1 matrices."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    out = {
        f"{prefix}_micro_f1": float(f1_score(truth, predicted, average="micro", zero_division=0)),
        f"{prefix}_macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        f"{prefix}_exact_match": float((truth == predicted).all(axis=1).mean()) if len(truth) else 0.0,
    }
    per_label = f1_score(truth, predicted, average=None, zero_division=0)
    keys = class_keys(classes)
    out.update({f"{prefix}_f1_{keys[c]}": float(v) for c, v in zip(classes, per_label)})
    if probs is not None:
        out[f"{prefix}_log_loss"] = binary_log_loss(truth, probs)
    return out


def binary_log_loss(truth: np.ndarray, probs: np.ndarray) -> float:
    """Per text, the sum over labels of the binary cross-entropy; averaged over texts."""
    p = np.clip(np.asarray(probs, dtype=float), 1e-15, 1 - 1e-15)
    y = np.asarray(truth, dtype=float)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1).mean())


def score_regression(truth: np.ndarray, predicted: np.ndarray, prefix: str) -> dict[str, float]:
    """RMSE and MAE (in the target's units), R² and Spearman's rank correlation (0 when either side is
    constant: a constant prediction ranks nothing)."""
    from scipy.stats import spearmanr

    y, p = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    error = p - y
    rho = 0.0 if np.ptp(y) == 0 or np.ptp(p) == 0 else float(spearmanr(y, p).statistic)
    return {
        f"{prefix}_rmse": float(np.sqrt(np.mean(error ** 2))),
        f"{prefix}_mae": float(np.mean(np.abs(error))),
        f"{prefix}_r2": float(r2_score(y, p)) if len(y) > 1 else 0.0,
        f"{prefix}_spearman": rho,
    }


def prior(labels: np.ndarray, classes: list[str]) -> np.ndarray:
    """Class shares, in ``classes`` order."""
    counts = np.array([(labels == c).sum() for c in classes], dtype=float)
    return counts / counts.sum()


def expected_prior_score(metric: str, train_prior: np.ndarray, eval_prior: np.ndarray) -> float:
    """The expected score of guessing in the training class proportions.

    A guess drawn from q on data with class shares p has, per class, precision
    p_c and recall q_c; using the expectation rather than one random draw keeps
    the comparison free of sampling noise on small valid splits.
    """
    p, q = eval_prior, train_prior
    f1 = np.divide(2 * p * q, p + q, out=np.zeros_like(p), where=(p + q) > 0)
    if metric == "accuracy":
        return float((p * q).sum())
    if metric == "macro_f1":
        return float(f1[p > 0].mean())
    if metric == "weighted_f1":
        return float((p * f1).sum())
    if metric == "log_loss":
        return float(-(p * np.log(np.clip(q, 1e-15, 1.0))).sum())
    raise ValueError(f"unknown metric {metric!r}")


def expected_losses(train_prior: np.ndarray) -> dict[str, float]:
    """What a guess costs in cross-entropy: ln K for uniform, the prior's entropy for the prior."""
    p = train_prior[train_prior > 0]
    return {"uniform_log_loss": math.log(len(train_prior)), "prior_log_loss": float(-(p * np.log(p)).sum())}


def pick_best(scores: dict[str, dict[str, float]], metric: str, exclude: tuple[str, ...] = ()) -> str:
    """The name whose ``valid_<metric>`` is best (valid only: test is never used to choose).

    ``scores`` maps a name (a baseline, a model, a sweep trial) to its metrics;
    names in ``exclude`` and names without a valid score are skipped; "" if none is left.
    """
    key = f"valid_{metric}"
    scored = {name: m[key] for name, m in scores.items() if key in m and m[key] is not None and name not in exclude}
    if not scored:
        return ""
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    return max(scored, key=lambda name: sign * scored[name])


def gain(value: float, reference: float, metric: str) -> float:
    """How much better ``value`` is than ``reference`` (positive is better, whatever the metric's direction)."""
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    return sign * (value - reference)


def score_task(task: Task, truth: Sequence, predicted: Sequence, probs: np.ndarray | None,
               prefix: str) -> dict[str, float]:
    """Every metric of ``task`` for predictions in the prepared labels' own form (clearance.core.task): class
    names, kept label sets, or targets. ``probs``: softmax rows (single-label), each label's probability
    (multi-label), None (regression, or a predictor without probabilities)."""
    if task.name == MULTI_LABEL:
        return score_multi_label(task.indicators(truth), task.indicators(predicted), probs, list(task.classes),
                                 prefix)
    if task.name == REGRESSION:
        return score_regression(task.targets(truth), task.targets(predicted), prefix)
    return score(np.asarray(truth), np.asarray(predicted), probs, list(task.classes), prefix)


def expected_task_losses(task: Task, train_labels: Sequence) -> dict[str, float]:
    """What a guess costs in the task's loss, the bar a model's loss at initialisation is held to.

    single-label: cross-entropy, ln K (uniform) and the prior's entropy; multi-label: per text the sum over
    labels of binary cross-entropy, K ln 2 (every label at one half) and the sum of the labels' binary
    entropies (each at its share); regression: squared error of predicting the mean, the target's variance
    (``prior_log_loss`` is that variance: the loss name stays the same across tasks), and 1.0 on the
    standardised target a model learns."""
    if task.name == MULTI_LABEL:
        share = np.clip(task.indicators(train_labels).mean(axis=0), 1e-12, 1 - 1e-12)
        entropy = -(share * np.log(share) + (1 - share) * np.log(1 - share))
        return {"uniform_log_loss": len(task.classes) * math.log(2), "prior_log_loss": float(entropy.sum())}
    if task.name == REGRESSION:
        y = task.targets(train_labels)
        return {"uniform_log_loss": 1.0, "prior_log_loss": float(np.var(y))}
    return expected_losses(prior(np.asarray(train_labels), list(task.classes)))


def expected_task_prior_score(task: Task, metric: str, train_labels: Sequence, eval_labels: Sequence) -> float:
    """What the task's prior guess scores on ``eval_labels``, in expectation (no sampling noise).

    multi-label: each label guessed independently at its train share q; per label, precision is the label's
    eval share p and recall q, so F1 = 2pq/(p+q) (macro: their mean over labels; micro: pooled counts), or,
    when it scores more, every label given (q = 1); exact match the chance of getting every label of a text
    right, log loss the summed binary cross-entropy of q.
    regression: the best constant for the metric: the train mean (RMSE, R², Spearman: a constant ranks
    nothing, 0), the train median (MAE). single-label: ``expected_prior_score``."""
    if task.name == MULTI_LABEL:
        return _expected_label_prior(metric, task.indicators(train_labels).mean(axis=0),
                                     task.indicators(eval_labels))
    if task.name == REGRESSION:
        train, y = task.targets(train_labels), task.targets(eval_labels)
        guess = float(np.median(train)) if metric == "mae" else float(np.mean(train))
        scored = score_regression(y, np.full(len(y), guess), "prior")
        return scored[f"prior_{metric}"]
    train, evaluated = np.asarray(train_labels), np.asarray(eval_labels)
    return expected_prior_score(metric, prior(train, list(task.classes)), prior(evaluated, list(task.classes)))


def _expected_label_prior(metric: str, q: np.ndarray, truth: np.ndarray) -> float:
    """``expected_task_prior_score`` of a multi-label guess at shares ``q`` on a (rows, labels) 0/1 matrix."""
    p = truth.mean(axis=0) if len(truth) else np.zeros_like(q)
    # F1 grows with how often a label is given, so giving every label beats guessing at the shares (2p/(1+p)
    # against p): the bar is the better of the two blind guesses, or a rule that learned nothing clears it.
    if metric == "macro_f1":  # every label counts, as in score_multi_label (an absent one scores 0)
        return float(max(np.divide(2 * p * guess, p + guess, out=np.zeros_like(p), where=(p + guess) > 0).mean()
                         for guess in (q, np.ones_like(q))))
    if metric == "micro_f1":
        return float(max(2 * (p * guess).sum() / max(p.sum() + guess.sum(), 1e-12) for guess in (q, np.ones_like(q))))
    if metric == "exact_match":
        return float(np.where(truth == 1, q, 1 - q).prod(axis=1).mean()) if len(truth) else 0.0
    if metric == "log_loss":
        return binary_log_loss(truth, np.tile(q, (len(truth), 1))) if len(truth) else 0.0
    raise ValueError(f"unknown multi-label metric {metric!r}")
