"""The model against the best baseline on the same rows: a paired bootstrap interval of the difference in the
primary metric, McNemar's exact test for one class per text, and the rows where one is right and the other wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearance.core.evaluation import HIGHER_IS_BETTER
from clearance.reading.bootstrap import paired_interval
from clearance.reading.metrics import Scorer

MODEL_ONLY = "model right, baseline wrong"
BASELINE_ONLY = "baseline right, model wrong"


def mcnemar(model_right: np.ndarray, baseline_right: np.ndarray) -> dict[str, Any]:
    """McNemar's exact test on the discordant rows: could the model and the baseline be equally often right?"""
    from scipy.stats import binomtest

    only_model = int(np.sum(model_right & ~baseline_right))
    only_baseline = int(np.sum(~model_right & baseline_right))
    discordant = only_model + only_baseline
    p = float(binomtest(min(only_model, only_baseline), discordant, 0.5).pvalue) if discordant else 1.0
    return {"model_only": only_model, "baseline_only": only_baseline, "p_value": round(p, 6)}


def gain_interval(model: Scorer, baseline: Scorer, rows: int, metric: str, times: int, seed: int,
                  level: float) -> dict[str, float]:
    """The model's gain over the baseline (positive is better, whatever the metric's direction) and its interval."""
    first, second = (model, baseline) if HIGHER_IS_BETTER.get(metric, True) else (baseline, model)
    return paired_interval(first, second, np.arange(rows), times, seed, level).to_dict()


def disagreements(frame: pd.DataFrame, model: list, baseline: list, model_right: np.ndarray | None,
                  baseline_right: np.ndarray | None, model_error: np.ndarray | None,
                  baseline_error: np.ndarray | None) -> pd.DataFrame:
    """Every row where one is right and the other wrong (numbers: where one's error is the smaller), the side
    that won, texts last; sorted by side, then by row (numbers: the largest gap in errors first)."""
    out = frame[["row", "label"]].copy()
    out["model"], out["baseline"] = model, baseline
    if model_right is not None:
        out["who"] = np.where(model_right & ~baseline_right, MODEL_ONLY,
                              np.where(~model_right & baseline_right, BASELINE_ONLY, ""))
        order = ["who", "row"]
    else:
        margin = np.abs(model_error) - np.abs(baseline_error)  # negative: the model is closer
        out["who"] = np.where(margin < 0, "model closer", np.where(margin > 0, "baseline closer", ""))
        out["error_gap"] = np.round(np.abs(margin), 4)
        order = ["who", "error_gap"]
    out["text"] = frame["text"].to_numpy()
    out = out[out["who"] != ""]
    ascending = [True, order[1] == "row"]
    return out.sort_values(order, ascending=ascending, kind="stable").reset_index(drop=True)
