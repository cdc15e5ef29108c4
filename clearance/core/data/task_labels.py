"""Labels read for the tasks beyond one class per text: label sets, and numeric targets.

Label sets become their kept form (``clearance.core.task.encode_label_set``): each label respelled as
one class name is (``clearance.core.data.labels``), the set sorted. A missing cell stays NA (dropped and
counted as a missing label); an empty set (``[]``, or a cell with only separators) is kept, dropped or
refused by ``data.empty_label_set``. A target is a finite number; a missing one is a missing label, and
text or an infinite value stops prepare with the rows to correct.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clearance.core.config.data import DataConfig
from clearance.core.data.labels import label_changes, label_variants, normalise, whole_decimals
from clearance.core.data.task_detect import TaskDecision, as_number, parse_list
from clearance.core.errors import UserError
from clearance.core.task import encode_label_set

TRUE_CELLS = {"1", "1.0", "true", "yes"}
FALSE_CELLS = {"0", "0.0", "false", "no", ""}
EMPTY_SET = encode_label_set([])


def _rows(frame: pd.DataFrame, mask: pd.Series, limit: int = 5) -> str:
    """The first data rows where ``mask`` holds, 1-based as a spreadsheet shows them."""
    found = [str(int(i) + 1) for i in np.flatnonzero(mask.to_numpy())[:limit]]
    more = int(mask.sum()) - len(found)
    return ", ".join(found) + (f" and {more} more" if more > 0 else "")


def _split_cell(value: object, sep: str) -> list[str] | None:
    """One cell's labels (None when the cell is missing)."""
    listed = parse_list(value)
    if listed is not None:
        return [str(v) for v in listed if v is not None and str(v).strip() != ""]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return [part for part in str(value).split(sep) if part.strip() != ""] if sep else [str(value)]


def _from_columns(frame: pd.DataFrame, cfg: DataConfig) -> list[list[str] | None]:
    """Label sets from 0/1 columns: a column's name is in a row's set where the cell is 1."""
    missing = [c for c in cfg.label_columns if c not in frame.columns]
    if missing:
        raise UserError(f"{cfg.path}: data.label_columns", f"no column named {', '.join(map(repr, missing))}; "
                        f"the file has: {', '.join(map(str, frame.columns))}", "name the 0/1 label columns as the "
                        "file spells them")
    marks = {}
    for column in cfg.label_columns:
        cells = frame[column].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                                  else str(v).strip().casefold())
        odd = ~cells.isin(TRUE_CELLS | FALSE_CELLS)
        if odd.any():
            raise UserError(f"{cfg.path}: data.label_columns, column {column!r}",
                            f"{int(odd.sum())} cells are neither 0 nor 1 (e.g. {frame[column][odd].iloc[0]!r}; "
                            f"data rows {_rows(frame, odd)})",
                            "write 1 where the label applies and 0 (or nothing) where it does not")
        marks[column] = cells.isin(TRUE_CELLS).to_numpy()
    return [[c for c in cfg.label_columns if marks[c][i]] for i in range(len(frame))]


def read_label_sets(frame: pd.DataFrame, cfg: DataConfig, decision: TaskDecision
                    ) -> tuple[pd.Series, list[dict], list[dict]]:
    """Each row's kept label set (NA when missing), the labels respelled, and labels that look alike."""
    if cfg.label_columns:
        sets = _from_columns(frame, cfg)
    else:
        sets = [_split_cell(v, cfg.label_separator) for v in frame[cfg.label_column]]
    parts = pd.Series([label for s in sets if s for label in s], dtype="object")
    written = parts.map(str).astype("string")
    whole = whole_decimals(parts) if len(parts) else pd.Series([], dtype=bool)
    kept, respelled = normalise(written, whole)
    forms = dict(zip(zip(written.tolist(), whole.astype(bool).tolist()), kept.tolist()))
    out, at = [], 0
    for s in sets:
        if s is None:
            out.append(pd.NA)
            continue
        labels = [forms[(str(v), bool(w))] for v, w in zip(s, whole.iloc[at:at + len(s)])]
        at += len(s)
        out.append(encode_label_set(label for label in labels if label))
    changes = label_changes(written, whole, respelled)
    variants = label_variants(kept[kept.notna() & (kept != "")]) if len(kept) else []
    return pd.Series(out, index=frame.index, dtype="object"), changes, variants


def read_targets(frame: pd.DataFrame, cfg: DataConfig) -> pd.Series:
    """Each row's target as a float (NaN when missing); text or an infinite value is refused with its rows."""
    column = frame[cfg.label_column]
    blank = column.map(lambda v: v is None or (isinstance(v, str) and v.strip() == "")
                       or (not isinstance(v, str) and parse_list(v) is None and pd.isna(v)))
    numbers = column.map(lambda v: np.nan if v is None else as_number(v)).astype("float64")
    text = numbers.isna() & ~blank & ~column.map(lambda v: str(v).strip().casefold() == "nan")
    where = f"{cfg.path}: data.label_column={cfg.label_column}"
    if text.any():
        raise UserError(where, f"data.task=regression, but {int(text.sum())} targets are not numbers "
                        f"(e.g. {str(column[text].iloc[0])!r}; data rows {_rows(frame, text)})",
                        "correct those rows, empty them (an empty target is dropped and counted), or set "
                        "data.task=single_label if the labels are classes")
    infinite = np.isinf(numbers)
    if infinite.any():
        raise UserError(where, f"{int(infinite.sum())} targets are infinite (data rows {_rows(frame, infinite)})",
                        "correct those rows or empty them: an empty target is dropped and counted")
    return numbers
