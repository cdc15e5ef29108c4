"""Turn a raw table into (text, label) rows, counting everything that is dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import pandas as pd

from clearance.core.config.data import DataConfig
from clearance.core.data.labels import label_changes, label_variants, normalise, whole_decimals
from clearance.core.data.task_detect import TaskDecision, decide_task
from clearance.core.data.task_labels import EMPTY_SET, read_label_sets, read_targets
from clearance.core.errors import UserError
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, decode_label_set

# The column that carries data.split_column's values from cleaning to splitting.
GIVEN_SPLIT = "given_split"


@dataclass
class CleanSummary:
    """What happened to the rows on their way in; written to the prepare summary."""

    rows_read: int = 0
    missing_text: int = 0
    missing_label: int = 0
    dropped: int = 0
    kept_empty_text: int = 0
    kept_columns: list[str] = field(default_factory=list)
    missing_keep_columns: list[str] = field(default_factory=list)
    # Labels respelled on the way in (clearance.core.data.labels): {"from", "to", "rows", "why"} each.
    label_changes: list[dict] = field(default_factory=list)
    # Kept labels that differ only by case or word joins, kept apart: {"labels": {label: rows}, "rows"} each.
    label_variants: list[dict] = field(default_factory=list)
    # Multi-label texts with no label at all (data.empty_label_set: keep counts them here, drop in dropped).
    empty_label_sets: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _as_text(values: pd.Series) -> pd.Series:
    """Strings with missing values kept as NA (numbers become their text).

    A missing value turns an integer column into floats in JSONL and Parquet;
    whole floats go back to integers so that label 1 stays "1", not "1.0".
    """
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if (present == present.round()).all():
            values = values.astype("Int64")
    out = values.astype("string")
    return out.where(values.notna(), pd.NA)


def _maybe_numeric(values: pd.Series) -> pd.Series:
    """Numbers where the whole column parses as numbers, else the column unchanged."""
    try:
        return pd.to_numeric(values)
    except (ValueError, TypeError):
        return values


Respellings = Callable[[pd.Series], list[dict]]  # the rows kept -> the labels respelled among them


def _labels(frame: pd.DataFrame, cfg: DataConfig, task: TaskDecision, summary: CleanSummary
            ) -> tuple[pd.Series, pd.Series, Respellings]:
    """Each row's kept label for the task (clearance.core.task), where it is missing, and how to count the
    labels respelled among the rows kept (label sets record theirs, and those that look alike, at once)."""
    if task.name == MULTI_LABEL:
        labels, changes, summary.label_variants = read_label_sets(frame, cfg, task)
        return labels, labels.isna(), lambda kept: changes
    if task.name == REGRESSION:
        labels = read_targets(frame, cfg)
        return labels, labels.isna(), lambda kept: []
    written = _as_text(frame[cfg.label_column])
    whole = whole_decimals(frame[cfg.label_column])
    labels, respelled = normalise(written, whole)
    return labels, labels.isna() | (labels == ""), lambda kept: label_changes(written[kept], whole[kept], respelled)


def clean(frame: pd.DataFrame, cfg: DataConfig, task: TaskDecision | None = None
          ) -> tuple[pd.DataFrame, CleanSummary]:
    """Standard columns text, label, row (source row number), group, given split and kept extras.

    ``task``: what the labels are (decided from them when None)."""
    summary = CleanSummary(rows_read=len(frame))
    task = task or decide_task(frame, cfg)
    labels, no_label, respellings = _labels(frame, cfg, task, summary)
    out = pd.DataFrame({
        "row": range(len(frame)),
        "text": _as_text(frame[cfg.text_column]),
        "label": labels,
    })
    if cfg.group_column:
        out["group"] = _as_text(frame[cfg.group_column]).fillna("")
    if cfg.split_column:
        # The file's own split, as written; it is checked and mapped when splitting.
        out[GIVEN_SPLIT] = _as_text(frame[cfg.split_column]).str.strip().fillna("")
    for column in cfg.keep_columns:
        if column not in frame.columns:
            summary.missing_keep_columns.append(column)
        elif column not in out.columns:  # the standard columns are there already
            out[column] = _maybe_numeric(frame[column])
            summary.kept_columns.append(column)

    no_label = pd.Series(no_label.to_numpy(), index=out.index)
    if cfg.missing_label == EMPTY_CELL_IS_EMPTY_SET:
        no_label = _empty_cells_as_sets(out, no_label, task, cfg)
    no_text = out["text"].isna() | (out["text"].str.strip() == "")
    summary.missing_label = int(no_label.sum())
    summary.missing_text = int(no_text.sum())
    if summary.missing_label and cfg.missing_label == "error":
        first = int(out.loc[no_label, "row"].iloc[0])
        raise UserError(f"{cfg.path}: data.label_column={cfg.label_column}",
                        f"{summary.missing_label} rows have no label (first: data row {first + 1})",
                        "fill them in, or set data.missing_label=drop to drop and count them")
    if summary.missing_text and cfg.missing_text == "error":
        first = int(out.loc[no_text, "row"].iloc[0])
        raise UserError(f"{cfg.path}: data.text_column={cfg.text_column}",
                        f"{summary.missing_text} rows have empty text (first: data row {first + 1})",
                        "fill them in, or set data.missing_text to drop or keep")
    drop = no_label | (no_text if cfg.missing_text == "drop" else False)
    if task.name == MULTI_LABEL:
        drop = drop | _empty_sets(out, cfg, summary, drop)
    if cfg.missing_text == "keep":
        summary.kept_empty_text = int((no_text & ~no_label).sum())
    summary.label_changes = respellings(~drop)
    out = out.loc[~drop].copy()
    out["text"] = out["text"].fillna("")
    summary.dropped = int(drop.sum())
    if task.name == SINGLE_LABEL:
        summary.label_variants = label_variants(out["label"])
    _require_usable(out, cfg, summary, task)
    return out.reset_index(drop=True), summary


EMPTY_CELL_IS_EMPTY_SET = "empty_set"  # data.missing_label: an empty multi-label cell is a text with no label


def _empty_cells_as_sets(rows: pd.DataFrame, no_label: pd.Series, task: TaskDecision, cfg: DataConfig) -> pd.Series:
    """data.missing_label=empty_set: multi-label rows whose label cell is empty get the empty label set (then
    kept, dropped or refused by data.empty_label_set) instead of being dropped as unlabelled."""
    if task.name != MULTI_LABEL:
        raise UserError(f"{cfg.path}: data.missing_label=empty_set",
                        f"an empty label cell can be read as 'no label' only in multi-label data, and this is "
                        f"{task.name} ({task.reason})", "set data.missing_label to drop or error")
    rows.loc[no_label, "label"] = EMPTY_SET
    return pd.Series(False, index=no_label.index)


def _empty_sets(rows: pd.DataFrame, cfg: DataConfig, summary: CleanSummary, dropped: pd.Series) -> pd.Series:
    """Multi-label rows with no label, by data.empty_label_set: kept (a valid answer), dropped, or refused."""
    empty = (rows["label"] == EMPTY_SET) & ~dropped
    summary.empty_label_sets = int(empty.sum())
    if summary.empty_label_sets and cfg.empty_label_set == "error":
        first = int(rows.loc[empty, "row"].iloc[0])
        raise UserError(f"{cfg.path}: data.empty_label_set=error",
                        f"{summary.empty_label_sets} rows have no label at all (first: data row {first + 1})",
                        "give those rows their labels, or set data.empty_label_set to keep (no label is a valid "
                        "answer) or drop")
    return empty if cfg.empty_label_set == "drop" else pd.Series(False, index=rows.index)


def _require_usable(rows: pd.DataFrame, cfg: DataConfig, summary: CleanSummary, task: TaskDecision) -> None:
    """A classifier needs rows and at least two classes; a multi-label task two labels; a regression two
    distinct targets."""
    if rows.empty and summary.missing_label == summary.rows_read:
        raise UserError(f"{cfg.path}: data.label_column={cfg.label_column}",
                        f"every one of the {summary.rows_read} rows has an empty label",
                        "fill in the labels, or set data.label_column to the column that holds them")
    if rows.empty:
        raise UserError(cfg.path, "no usable rows are left after dropping missing text and labels",
                        f"check data.text_column={cfg.text_column} and data.label_column={cfg.label_column}")
    if task.name == MULTI_LABEL:
        found = {label for kept in rows["label"].unique() for label in decode_label_set(kept)}
        if len(found) < 2:
            raise UserError(f"{cfg.path}: {task.read_as}", f"only {len(found)} distinct label(s) in the label sets; "
                            "a multi-label task needs at least two", "check data.label_column, data.label_separator "
                            "and data.label_columns, or set data.task=single_label")
        return
    if task.name == REGRESSION:
        if rows["label"].nunique() < 2:
            raise UserError(f"{cfg.path}: data.label_column={cfg.label_column}",
                            "every target is the same number: there is nothing to predict",
                            "check that data.label_column names the target column")
        return
    classes = rows["label"].unique()
    if len(classes) < 2:
        raise UserError(f"{cfg.path}: data.label_column={cfg.label_column}",
                        f"only one class ({classes[0]!r}) in the labels; a classifier needs at least two",
                        "check that data.label_column names the label column, and that the file holds every class")
