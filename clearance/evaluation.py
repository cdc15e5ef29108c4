"""Scoring shared by baselines, the model and the sweep: one set of metric names.

Every run logs `<split>_accuracy`, `<split>_macro_f1`, `<split>_f1_<class>` and,
when it gives probabilities, `<split>_log_loss`, so the MLflow UI can put a
baseline, a model and a sweep trial side by side.
"""

from __future__ import annotations

import math
import re

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss

METRICS = ("accuracy", "macro_f1", "weighted_f1", "log_loss")
HIGHER_IS_BETTER = {"accuracy": True, "macro_f1": True, "weighted_f1": True, "log_loss": False}


def class_key(label: str) -> str:
    """A label as part of a metric name."""
    return re.sub(r"\W+", "_", str(label)).strip("_") or "class"


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
    out.update({f"{prefix}_f1_{class_key(c)}": float(v) for c, v in zip(classes, per_class)})
    if probs is not None:
        clipped = np.clip(probs, 1e-15, 1.0)
        out[f"{prefix}_log_loss"] = float(log_loss(truth, clipped / clipped.sum(axis=1, keepdims=True),
                                                   labels=classes))
    return out


def prior(labels: np.ndarray, classes: list[str]) -> np.ndarray:
    """Class shares, in ``classes`` order."""
    counts = np.array([(labels == c).sum() for c in classes], dtype=float)
    return counts / counts.sum()


def expected_losses(train_prior: np.ndarray) -> dict[str, float]:
    """What a guess costs in cross-entropy: ln K for uniform, the prior's entropy for the prior."""
    p = train_prior[train_prior > 0]
    return {"uniform_log_loss": math.log(len(train_prior)), "prior_log_loss": float(-(p * np.log(p)).sum())}
