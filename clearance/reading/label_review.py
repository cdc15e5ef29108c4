"""The labels the trained model doubts, by cleanlab, on rows it never trained on; and their overlap with step
1's list (found there with TF-IDF out-of-fold probabilities)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearance.core.task import MULTI_LABEL, REGRESSION, Task, encode_label_set

REGRESSION_ISSUE_SHARE = 0.05  # as step 1's search: a score under 5% of the median score (Datalab's rule)


def _single(truth: np.ndarray, probs: np.ndarray, classes: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    from cleanlab.filter import find_label_issues

    ranked = find_label_issues(truth, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    columns = {"given_label_prob": probs[ranked, truth[ranked]].round(4),
               "suggested_label": np.array(classes, dtype=object)[probs[ranked].argmax(axis=1)]}
    return ranked, columns


def _multi(truth: np.ndarray, probs: np.ndarray, classes: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    from cleanlab.multilabel_classification.filter import find_label_issues
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    lists = [np.flatnonzero(row).tolist() for row in truth]
    ranked = find_label_issues(lists, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    quality = get_label_quality_scores(lists, probs)
    names = np.array(classes)
    return ranked, {"label_quality": quality[ranked].round(4),
                    "suggested_label": [encode_label_set(names[p >= 0.5]) for p in probs[ranked]]}


def _regression(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    from cleanlab.regression.rank import get_label_quality_scores

    quality = get_label_quality_scores(truth, predicted)
    flagged = np.flatnonzero(quality < REGRESSION_ISSUE_SHARE * np.median(quality))
    ranked = flagged[np.argsort(quality[flagged], kind="stable")]
    return ranked, {"predicted": predicted[ranked].round(4), "label_quality": quality[ranked].round(4)}


def doubted_labels(task: Task, frame: pd.DataFrame, truth: np.ndarray, probs: np.ndarray | None,
                   predicted: np.ndarray) -> tuple[pd.DataFrame, str]:
    """The rows whose label the model doubts, most doubted first (rank, row, label, cleanlab's figures, text), and
    why there are none when cleanlab could not search (a class with no row, a single class)."""
    classes = list(task.classes)
    try:
        if task.name == REGRESSION:
            ranked, columns = _regression(truth, predicted)
        elif probs is None:
            return pd.DataFrame(), "the model gives no probabilities"
        elif task.name == MULTI_LABEL:
            ranked, columns = _multi(truth, probs, classes)
        else:
            if (truth < 0).any():
                return pd.DataFrame(), "a label outside the model's classes"
            ranked, columns = _single(truth, probs, classes)
    except ValueError as exc:  # cleanlab needs each class somewhere in the rows it reads
        return pd.DataFrame(), f"cleanlab could not rank these rows: {str(exc).splitlines()[0]}"
    out = frame.iloc[ranked][["row", "label"]].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    for name, values in columns.items():
        out[name] = values
    out["text"] = frame["text"].iloc[ranked].to_numpy()
    return out, ""


def overlap(doubted: pd.DataFrame, step1: pd.DataFrame, split: str) -> dict[str, Any]:
    """How many of the model's doubted rows step 1's search listed too (its rows of the same split)."""
    if step1.empty or "row" not in step1:
        return {"step1_rows": 0, "both": 0, "rows": []}
    theirs = set(step1.loc[step1["split"] == split, "row"].astype(int)) if "split" in step1 else set()
    both = sorted(set(doubted["row"].astype(int)) & theirs) if not doubted.empty else []
    return {"step1_rows": len(theirs), "both": len(both), "rows": both[:50]}
