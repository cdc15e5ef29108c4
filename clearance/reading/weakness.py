"""The primary metric on each slice, with its bootstrap interval, beside the score on every row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearance.core.evaluation import HIGHER_IS_BETTER
from clearance.reading.bootstrap import interval
from clearance.reading.metrics import Scorer
from clearance.reading.slices import Slice


def slice_scores(score: Scorer, slices: list[Slice], times: int, seed: int, level: float) -> list[dict[str, Any]]:
    """Each non-empty slice's size, score and interval (the same seed for every slice: comparable draws)."""
    out = []
    for s in slices:
        rows = np.flatnonzero(s.mask)
        if not len(rows):
            continue
        scored = interval(score, rows, times, seed, level)
        out.append({"name": s.name, "kind": s.kind, "size": int(len(rows)), **scored.to_dict()})
    return out


def worst_first(scores: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Slices ordered from the worst score to the best (the metric's own direction)."""
    sign = -1 if HIGHER_IS_BETTER.get(metric, True) else 1
    return sorted(scores, key=lambda s: sign * s["value"] if np.isfinite(s["value"]) else np.inf, reverse=True)


def slice_examples(frame: pd.DataFrame, mask: np.ndarray, wrong: np.ndarray, error: np.ndarray | None,
                   predicted: list, count: int) -> list[dict[str, Any]]:
    """A slice's mistakes to read: its wrong rows (numbers: its largest errors), ``count`` of them."""
    rows = np.flatnonzero(mask & wrong) if error is None else np.flatnonzero(mask)
    if error is not None:
        rows = rows[np.argsort(-np.abs(error[rows]), kind="stable")]
    return [{"row": int(frame["row"].iloc[i]), "label": frame["label"].iloc[i], "predicted": predicted[i],
             "text": str(frame["text"].iloc[i])} for i in rows[:count]]
