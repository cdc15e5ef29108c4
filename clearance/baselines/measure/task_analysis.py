"""Error analysis of the best baseline for label sets and numbers (single-label's is run.single_label_analysis).

multi-label: each label's precision, recall and F1 (plots/label_f1.csv) and the texts with the most wrong
labels; regression: predicted against actual (plots/predicted_vs_actual.csv), the error by the target's
decile, and the texts with the largest absolute errors. Both write mistakes.csv.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from clearance.baselines.measure.files import MISTAKES_IN_REPORT
from clearance.core.progress import step
from clearance.core.report.csv_safe import write_csv
from clearance.core.report.long_texts import Cutter
from clearance.core.task import MULTI_LABEL, Task

MULTI_COLUMNS = ["row", "label", "predicted", "wrong", "missed", "extra", "text"]
REGRESSION_COLUMNS = ["row", "label", "predicted", "error", "text"]
DECILES = 10


def write_task_analysis(task: Task, files: dict[str, Path], limit: int, best: Any, valid: pd.DataFrame,
                        cutter: Cutter) -> dict[str, Any]:
    """Write mistakes.csv and the task's plot data for ``best`` (a BaselineResult, or None) on ``valid``
    (row, text, label); add the plot file to ``files``; return what the report shows."""
    multi = task.name == MULTI_LABEL
    files["label_f1" if multi else "predicted_vs_actual"] = files["scores"].with_name(
        "label_f1.csv" if multi else "predicted_vs_actual.csv")
    predicted = None if best is None else best.valid_predicted
    report: dict[str, Any] = {"per_class": [], "by_target": [], "classes": list(task.classes)}
    if predicted is None:
        mistakes = pd.DataFrame(columns=MULTI_COLUMNS if multi else REGRESSION_COLUMNS)
        plot = pd.DataFrame(columns=["label", "f1", "precision", "recall", "support"] if multi
                            else ["actual", "predicted"])
    else:
        with step(f"Error analysis of {best.name}"):
            if multi:
                report["per_class"], mistakes = per_label(task, valid, predicted), label_mistakes(task, valid, predicted)
                plot = pd.DataFrame(report["per_class"]).rename(columns={"class": "label"})
            else:
                report["by_target"] = by_decile(task.targets(valid["label"]), np.asarray(predicted, dtype=float))
                mistakes = largest_errors(task, valid, predicted)
                plot = pd.DataFrame({"actual": task.targets(valid["label"]), "predicted": predicted})
    mistakes = cutter.columns(mistakes.head(limit).reset_index(drop=True))
    write_csv(mistakes, files["mistakes"])
    write_csv(plot, files["label_f1" if multi else "predicted_vs_actual"])
    return {**report, "mistakes": mistakes.head(MISTAKES_IN_REPORT), "cut": cutter.note(), "confusion_png": None}


def per_label(task: Task, valid: pd.DataFrame, predicted: np.ndarray) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of every label on valid."""
    truth, guess = task.indicators(valid["label"]), task.indicators(predicted)
    precision, recall, f1, support = precision_recall_fscore_support(truth, guess, average=None, zero_division=0)
    return [{"class": c, "precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
             "support": int(s)} for c, p, r, f, s in zip(task.classes, precision, recall, f1, support)]


def label_mistakes(task: Task, valid: pd.DataFrame, predicted: np.ndarray) -> pd.DataFrame:
    """Texts whose predicted set differs from the true one, the most wrong labels first."""
    truth, guess = task.indicators(valid["label"]), task.indicators(predicted)
    names = np.asarray(task.classes, dtype=object)
    missed, extra = (truth == 1) & (guess == 0), (truth == 0) & (guess == 1)
    out = valid[["row", "label", "text"]].copy()
    out["predicted"] = predicted
    out["wrong"] = (missed | extra).sum(axis=1)
    out["missed"] = [", ".join(names[row]) for row in missed]
    out["extra"] = [", ".join(names[row]) for row in extra]
    wrong = out[out["wrong"] > 0].sort_values("wrong", ascending=False, kind="stable")
    return wrong[MULTI_COLUMNS]


def largest_errors(task: Task, valid: pd.DataFrame, predicted: np.ndarray) -> pd.DataFrame:
    """Every text with its error (predicted minus true), the largest absolute error first."""
    out = valid[["row", "label", "text"]].copy()
    out["predicted"] = np.round(np.asarray(predicted, dtype=float), 6)
    out["error"] = np.round(out["predicted"].to_numpy() - task.targets(valid["label"]), 6)
    order = np.argsort(-np.abs(out["error"].to_numpy()), kind="stable")
    return out.iloc[order][REGRESSION_COLUMNS]


def by_decile(truth: np.ndarray, predicted: np.ndarray) -> list[dict[str, Any]]:
    """The error in each decile of the true target: where the baseline is off, and which way."""
    if len(truth) == 0:
        return []
    bins = pd.qcut(truth, DECILES, duplicates="drop")
    frame = pd.DataFrame({"bin": bins, "truth": truth, "predicted": predicted,
                          "absolute": np.abs(predicted - truth)})
    rows = []
    for interval, part in frame.groupby("bin", observed=True):
        rows.append({"targets": f"{interval.left:.4g} to {interval.right:.4g}", "texts": len(part),
                     "mean_true": round(float(part["truth"].mean()), 4),
                     "mean_predicted": round(float(part["predicted"].mean()), 4),
                     "mae": round(float(part["absolute"].mean()), 4)})
    return rows
