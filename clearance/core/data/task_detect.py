"""Which task the label column asks for (``data.task``), decided from the labels when ``auto``, and why.

- Numbers with many distinct values are a target to predict (regression); numbers with a handful of
  values are classes (star ratings), and the reason says how to read them as numbers instead.
- JSON lists, or a separator (``data.label_separator``) inside most labels, are label sets (multi-label).
- Several 0/1 columns (``data.label_columns``) are label sets, one column a label.
- Anything else is one class per text.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import pandas as pd

from clearance.core.config.data import DataConfig
from clearance.core.errors import UserError
from clearance.core.task import MULTI_LABEL, REGRESSION, SETTINGS, SINGLE_LABEL

# Fewer distinct numbers than this read as classes under auto (ratings 1-5, a 0-10 scale).
MIN_TARGET_VALUES = 12
# A separator inside at least this share of the labels makes them label sets under auto.
SEPARATOR_SHARE = 0.5


@dataclass
class TaskDecision:
    """The task, the setting it came from, why, and how the labels were read."""

    name: str
    setting: str
    reason: str
    read_as: str  # "one class per row", "separator '|'", "JSON lists", "0/1 columns a, b", "numbers"

    def as_dict(self) -> dict:
        return asdict(self)


def parse_list(value: object) -> list | None:
    """A label cell's list when it holds one (a JSONL list, or text that is a JSON list), else None."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, str):  # a numpy array from Parquet
        out = value.tolist()
        return out if isinstance(out, list) else None
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            out = json.loads(value)
        except ValueError:
            return None
        return out if isinstance(out, list) else None
    return None


def as_number(value: object) -> float | None:
    """A label cell's number (None for text or a missing cell); inf and NaN written out stay inf/NaN."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        return None


def present(values: pd.Series) -> pd.Series:
    """The label cells that hold something (not NA, not blank text)."""
    def filled(v: object) -> bool:
        if isinstance(v, str):
            return v.strip() != ""
        if parse_list(v) is not None:
            return True
        return not pd.isna(v)
    return values[values.map(filled)] if len(values) else values


def decide_task(frame: pd.DataFrame, cfg: DataConfig) -> TaskDecision:
    """The task ``data.task`` names, or the one the label column shows when it is ``auto``."""
    setting = str(cfg.task)
    if setting not in SETTINGS:
        raise UserError(f"data.task={setting}", f"is not one of {', '.join(SETTINGS)}",
                        "set data.task=auto to let prepare decide from the labels, or name the task")
    if cfg.label_columns:
        if setting not in ("auto", MULTI_LABEL):
            raise UserError(f"data.task={setting}", "data.label_columns names one 0/1 column per label: "
                            "that is a multi-label task", "set data.task=multi_label (or auto), or set "
                            "data.label_columns=[] to read data.label_column")
        return TaskDecision(MULTI_LABEL, setting, f"data.label_columns names {len(cfg.label_columns)} "
                            "0/1 columns, one a label", "0/1 columns " + ", ".join(cfg.label_columns))
    values = present(frame[cfg.label_column])
    if setting == SINGLE_LABEL:
        return TaskDecision(SINGLE_LABEL, setting, "set by data.task", "one class per row")
    if setting == REGRESSION:
        return TaskDecision(REGRESSION, setting, "set by data.task" + _few_values_note(values), "numbers")
    if setting == MULTI_LABEL:
        return TaskDecision(MULTI_LABEL, setting, "set by data.task", _multi_read_as(values, cfg, required=True))
    return _auto(values, cfg)


def _few_values_note(values: pd.Series) -> str:
    """A word when a target set by hand has few distinct values: it may be classes."""
    numbers = values.map(as_number).dropna()
    distinct = numbers.nunique()
    if 0 < distinct < MIN_TARGET_VALUES:
        return (f"; only {distinct} distinct values: this looks like classes, so set data.task=single_label "
                "if a wrong answer is as wrong whichever value it gives")
    return ""


def _auto(values: pd.Series, cfg: DataConfig) -> TaskDecision:
    """Decide from the labels: lists, then numbers, then a separator, else one class per row."""
    n = len(values)
    if n == 0:
        return TaskDecision(SINGLE_LABEL, "auto", "no labels to decide from", "one class per row")
    lists = int(values.map(lambda v: parse_list(v) is not None).sum())
    if lists / n >= SEPARATOR_SHARE:
        return TaskDecision(MULTI_LABEL, "auto", f"{lists:,} of {n:,} labels are JSON lists", "JSON lists")
    numbers = values.map(as_number)
    numeric = numbers.notna()
    distinct = int(numbers[numeric].nunique())
    if numeric.all():
        if distinct >= MIN_TARGET_VALUES:
            lo, hi = numbers.min(), numbers.max()
            return TaskDecision(REGRESSION, "auto", f"every label is a number, with {distinct:,} distinct values "
                                f"from {_short(lo)} to {_short(hi)}: a target to predict", "numbers")
        return TaskDecision(SINGLE_LABEL, "auto", f"the labels are numbers with only {distinct} distinct values: "
                            "read as classes (set data.task=regression to predict them as numbers)",
                            "one class per row")
    if numeric.mean() >= 0.9 and distinct >= MIN_TARGET_VALUES:
        text = values[~numeric]
        raise UserError(f"{cfg.path}: data.label_column={cfg.label_column}",
                        f"the labels mix numbers and text: {int(numeric.sum()):,} are numbers, {len(text):,} are not "
                        f"(e.g. {str(text.iloc[0])!r})",
                        "correct or empty those rows (an empty label is dropped and counted), or set data.task "
                        "to single_label to read every label as a class name")
    sep = cfg.label_separator
    with_sep = int(values.map(lambda v: isinstance(v, str) and sep in v).sum()) if sep else 0
    if sep and with_sep / n >= SEPARATOR_SHARE:
        return TaskDecision(MULTI_LABEL, "auto", f"{with_sep:,} of {n:,} labels hold the separator {sep!r} "
                            "(data.label_separator): each is a set of labels", f"separator {sep!r}")
    reason = "each row holds one label"
    if sep and with_sep:
        reason += (f" ({with_sep:,} of {n:,} hold the separator {sep!r}, too few to read them as label sets; "
                   "set data.task=multi_label if they are)")
    return TaskDecision(SINGLE_LABEL, "auto", reason, "one class per row")


def _multi_read_as(values: pd.Series, cfg: DataConfig, required: bool) -> str:
    """How multi-label cells are written: JSON lists, or the separator (which must occur somewhere)."""
    if len(values) and values.map(lambda v: parse_list(v) is not None).mean() >= SEPARATOR_SHARE:
        return "JSON lists"
    sep = cfg.label_separator
    if required and (not sep or not values.map(lambda v: isinstance(v, str) and sep in v).any()):
        raise UserError(f"{cfg.path}: data.label_column={cfg.label_column}, data.label_separator={sep!r}",
                        f"data.task=multi_label, but the separator {sep!r} appears in no label: every text "
                        "would have exactly one label",
                        "set data.label_separator to the character your file puts between labels (e.g. ';' or "
                        "','), write the labels as JSON lists, name 0/1 columns in data.label_columns, or set "
                        "data.task=single_label")
    return f"separator {sep!r}"


def _short(x: float) -> str:
    return f"{x:g}" if math.isfinite(x) else str(x)
