"""Length distributions in characters and words, overall and per class."""

from __future__ import annotations

import pandas as pd

from clearance.core.text.units import WHITESPACE, WordUnit

QUANTILES = (0.05, 0.5, 0.95)


def lengths(texts: pd.Series, unit: WordUnit = WordUnit(WHITESPACE)) -> pd.DataFrame:
    """Characters and words (in ``unit``) of every text."""
    texts = texts.astype("string").fillna("")
    return pd.DataFrame({"chars": texts.str.len(), "words": unit.count(texts)}).astype(int)


def describe(values: pd.Series) -> dict[str, float]:
    """Mean, 5th/50th/95th percentiles and max."""
    if values.empty:
        return {"mean": 0.0, "p5": 0.0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    q = values.quantile(list(QUANTILES))
    return {"mean": float(values.mean()), "p5": float(q.iloc[0]), "p50": float(q.iloc[1]),
            "p95": float(q.iloc[2]), "max": float(values.max())}


def length_stats(lens: pd.DataFrame, labels: pd.Series) -> dict[str, dict]:
    """{unit: {"all": stats, "per_class": {label: stats}}} for chars and words."""
    out: dict[str, dict] = {}
    for unit in ("chars", "words"):
        per_class = {str(k): describe(v) for k, v in lens[unit].groupby(labels.to_numpy())}
        out[unit] = {"all": describe(lens[unit]), "per_class": per_class}
    return out
