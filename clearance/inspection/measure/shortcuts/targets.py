"""The labels of a task as 0/1 columns (one per class or label), which the shortcut searches share: a name, a
template or a token then predicts one column, whatever the task."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clearance.core.task import MULTI_LABEL, SINGLE_LABEL, Task


def label_columns(labels: pd.Series, task: Task) -> np.ndarray:
    """A (rows, labels) boolean matrix: one-hot classes, or the label sets' indicators."""
    if task.name == MULTI_LABEL:
        return task.indicators(labels.tolist()).astype(bool)
    if task.name == SINGLE_LABEL:
        values = labels.to_numpy()
        return np.column_stack([values == c for c in task.classes]) if len(task.classes) else np.zeros((len(values), 0), bool)
    raise ValueError(f"{task.name} has no label columns")


def sampled(rows: pd.DataFrame, max_rows: int, seed: int) -> tuple[pd.DataFrame, dict | None]:
    """At most ``max_rows`` random rows (all when fewer), and what the report says of the sample."""
    if len(rows) <= max_rows:
        return rows.reset_index(drop=True), None
    picked = rows.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    return picked, {"rows": max_rows, "from": len(rows), "setting": "inspect.shortcut_max_rows",
                    "why": "a shortcut worth a warning is common: a random sample finds it and measures its "
                           "share within a point, in a fraction of the time"}
