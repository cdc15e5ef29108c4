"""The numbers behind the report's plots, as CSV files declared as DVC plots.

PNGs show one run; these files let `dvc plots diff` put two experiments side by side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clearance.core.report.csv_safe import write_csv


def class_balance(per_class: dict[str, dict], splits: tuple[str, ...], path: Path) -> Path:
    """One row per class and split: how many examples."""
    rows = [{"class": str(c), "split": s, "count": int(v[s])} for c, v in per_class.items() for s in splits]
    return write_csv(pd.DataFrame(rows, columns=["class", "split", "count"]), path)


def length_histogram(values: pd.Series, unit: str, path: Path, bins: int = 40) -> Path:
    """Share of texts per length bin (all classes), cut at the 99.5th percentile."""
    top = max(float(values.quantile(0.995)), 1.0) if len(values) else 1.0
    counts, edges = np.histogram(values.clip(upper=top), bins=bins, range=(0, top))
    share = counts / max(counts.sum(), 1)
    return write_csv(pd.DataFrame({unit: np.round(edges[:-1], 2), "share": np.round(share, 6)}), path)


def pattern_rates(rates: dict[str, float], path: Path) -> Path:
    """Share of texts showing each surface pattern."""
    return write_csv(pd.DataFrame({"pattern": list(rates), "share": [round(float(v), 6) for v in rates.values()]}),
                  path)


def predictions(truth: np.ndarray, predicted: np.ndarray, path: Path) -> Path:
    """One row per example: true and predicted class (DVC's confusion template)."""
    return write_csv(pd.DataFrame({"actual": pd.Series(truth, dtype=str), "predicted": pd.Series(predicted, dtype=str)}),
                  path)


def scores(names: list[str], values: list[float | None], path: Path) -> Path:
    """One bar per model: its score on the primary metric."""
    return write_csv(pd.DataFrame({"model": names, "score": values}), path)
