"""Error analysis of the best baseline: confusion matrix, per-class report, confident mistakes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix


def confusion(truth: np.ndarray, predicted: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Counts with true classes as rows and predicted classes as columns."""
    return pd.DataFrame(confusion_matrix(truth, predicted, labels=classes), index=classes, columns=classes)


def per_class_report(truth: np.ndarray, predicted: np.ndarray, classes: list[str]) -> list[dict]:
    """Precision, recall, F1 and support of every class."""
    report = classification_report(truth, predicted, labels=classes, output_dict=True, zero_division=0)
    return [{"class": c, **{k: round(float(v), 4) for k, v in report[c].items()}} for c in classes]


def confident_mistakes(frame: pd.DataFrame, predicted: np.ndarray, probs: np.ndarray | None,
                       classes: list[str], limit: int) -> pd.DataFrame:
    """Wrong predictions, the most confident first (in row order without probabilities)."""
    out = frame[["row", "label", "text"]].copy()
    out["predicted"] = predicted
    out["confidence"] = probs.max(axis=1).round(4) if probs is not None else np.nan
    wrong = out[out["label"] != out["predicted"]]
    if probs is not None:
        wrong = wrong.sort_values("confidence", ascending=False, kind="stable")
    return wrong.head(limit).reset_index(drop=True)[["row", "label", "predicted", "confidence", "text"]]
