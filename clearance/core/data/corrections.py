"""Labels to fix, tracked: the user's corrections files (``data.corrections``), applied by prepare.

A corrections file is a CSV with the columns ``row`` (the row key every report shows: the data file's rows
counted from 0, the header not counted, as the ``row`` column of reports/inspect/label_issues.csv and
sample.csv holds it), ``label`` (the new label in the task's own form, or ``drop`` to drop the row) and
``reason`` (why, required). An optional ``text`` column (the text as a report shows it) guards the row key: when
the data file's row holds another text (the file was reordered or edited since), prepare stops instead of
correcting the wrong row. Other columns (a note) are kept out. ``data.corrections`` names a
folder whose ``*.csv`` files are read in name order (or one CSV file); the data file itself is never edited.

Corrections change labels after the rows are sampled and split, never which rows are in which split: a split
stratified on the corrected labels would move rows between train, valid and test (10 changed labels moved a
quarter of 6,000 rows), so steps 2 to 4 would compare models on other rows and the test split would change.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clearance.core.config.data import DataConfig
from clearance.core.data.labels import kept_form
from clearance.core.data.task_detect import as_number, parse_list
from clearance.core.errors import UserError
from clearance.core.task import MULTI_LABEL, REGRESSION, encode_label_set

DROP = "drop"  # the label that drops the row instead of relabelling it
COLUMNS = ("row", "label", "reason")
ROWS_LISTED = 100  # corrections listed one by one in summary.json (every one is counted)
ROW_KEY = re.compile(r"^\d+$")
WHERE_ROWS = ("the `row` column of reports/inspect/label_issues.csv or sample.csv (the data file's rows counted "
              "from 0, the header not counted)")


@dataclass(frozen=True)
class Correction:
    """One line of a corrections file, as written."""

    row: int
    label: str
    reason: str
    file: str
    line: int
    text: str | None = None  # the text the user copied beside the key, when the file has a text column

    def where(self, field: str) -> str:
        return f"{self.file}, line {self.line}, field {field}"


@dataclass(frozen=True)
class Fix:
    """A correction checked against the data: the row's new label in its kept form (None drops the row)."""

    correction: Correction
    label: Any


def correction_files(source: Path) -> list[Path]:
    """The corrections files: the folder's ``*.csv`` in name order, or ``source`` itself when it is a file."""
    if source.is_file():
        return [source]
    return sorted(source.glob("*.csv")) if source.is_dir() else []


def read_corrections(source: Path) -> list[Correction]:
    """Every correction in the files under ``source``; a row corrected twice is refused, naming both lines."""
    found = [c for path in correction_files(source) for c in _read_file(path)]
    first: dict[int, Correction] = {}
    for c in found:
        if c.row in first:
            was = first[c.row]
            raise UserError(c.where("row"), f"row {c.row} is corrected twice: here and in {was.file}, line {was.line}",
                            "keep one correction per row: delete or merge one of the two lines")
        first[c.row] = c
    return found


def _decode(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(str(path), f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
                        "save the corrections file as UTF-8 (CSV UTF-8 in a spreadsheet)") from None


def _read_file(path: Path) -> list[Correction]:
    """One file's corrections, each with the line it starts on (a quoted reason may span lines)."""
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise UserError(f"{path}, line 1", f"cannot be read as CSV: {exc}",
                        "write a header row: row,label,reason") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError(f"{path}, line 1",
                        f"no column {', '.join(missing)} in the header ({','.join(header) or 'empty'})",
                        "start the file with the header row,label,reason (data/corrections/README.md)")
    out, start = [], reader.line_num + 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                cells = dict(zip(header, record))
                out.append(_correction(path, start, {c: cells.get(c, "") for c in COLUMNS},
                                       cells.get("text") if "text" in header else None))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UserError(f"{path}, line {start}", f"cannot be read as CSV: {exc}",
                        "close the quotes of a cell that holds a comma or a line break") from None
    return out


def _correction(path: Path, line: int, cells: dict[str, str], text: str | None = None) -> Correction:
    """A line's correction, its row key and reason checked."""
    where = f"{path}, line {line}, field"
    key = cells["row"].strip()
    if not ROW_KEY.match(key):
        raise UserError(f"{where} row", f"{key!r} is not a row key (a whole number, 0 or more)",
                        f"copy it from {WHERE_ROWS}")
    if not cells["reason"].strip():
        raise UserError(f"{where} reason", f"row {key}: no reason given",
                        "say why the label is wrong (e.g. 'sarcasm: the text is negative'): the reason is the record")
    return Correction(row=int(key), label=cells["label"].strip(), reason=cells["reason"].strip(), file=str(path),
                      line=line, text=text.strip() if text and text.strip() else None)


def resolve(found: list[Correction], rows: pd.DataFrame, rows_read: int, task: str, vocabulary: list[str],
            cfg: DataConfig) -> dict[int, Fix]:
    """Each correction checked against the cleaned rows (``row`` keys, labels in the task's kept form) and the
    labels the data holds (``vocabulary``): by row key, the new kept label or None to drop the row."""
    kept = set(rows["row"].tolist()) if found else set()
    texts = dict(zip(rows["row"].tolist(), rows["text"].tolist())) if any(c.text for c in found) else {}
    fixes = {}
    for c in found:
        if c.row >= rows_read:
            raise UserError(c.where("row"), f"row {c.row} is not in {cfg.path}: its rows are 0 to {rows_read - 1}",
                            f"use the row key from {WHERE_ROWS}")
        if c.row not in kept:
            raise UserError(c.where("row"), f"row {c.row} of {cfg.path} has no text or no label, and cleaning "
                            "dropped it (data/prepared/summary.json, clean)",
                            "a correction changes the label of a row that is kept: delete this line")
        if c.text and not same_text(c.text, texts.get(c.row)):
            raise UserError(c.where("text"), f"row {c.row} of {cfg.path} holds another text "
                            f"({_short(texts.get(c.row))!r}): the file was reordered or edited since the key was copied",
                            f"copy the row's current key from {WHERE_ROWS}, or leave the text cell empty")
        fixes[c.row] = Fix(c, None if c.label == DROP else new_label(c, task, vocabulary, cfg))
    return fixes


def _short(text: Any, chars: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= chars else text[:chars] + "…"


def same_text(copied: str, held: Any) -> bool:
    """Whether the text copied beside a row key is the row's (spaces aside; a report's cut text, ending in an
    ellipsis or not, counts when the row's text starts with it)."""
    copied, held = " ".join(copied.split()), " ".join(str(held or "").split())
    stem = copied.rstrip("…").rstrip(".").rstrip()
    return copied == held or bool(stem) and held.startswith(stem)


def new_label(c: Correction, task: str, vocabulary: list[str], cfg: DataConfig) -> Any:
    """The correction's label in the task's kept form: a known class; a label set of known labels; a finite
    number."""
    if task == REGRESSION:
        number = as_number(c.label)
        if number is None or not math.isfinite(number):
            raise UserError(c.where("label"), f"{c.label!r} is not a finite number (the task is regression)",
                            f"write the new target as a number (e.g. 3.5), or {DROP} to drop the row")
        return number
    if task == MULTI_LABEL:
        listed = parse_list(c.label)
        parts = [str(v) for v in listed] if listed is not None else (
            c.label.split(cfg.label_separator) if cfg.label_separator else [c.label])
        labels = [kept_form(part)[0] for part in parts if part.strip()]
        if not labels and cfg.empty_label_set != "keep":
            raise UserError(c.where("label"), "no label, and an empty label set is not kept "
                            f"(data.empty_label_set={cfg.empty_label_set})",
                            f"write the labels joined by {cfg.label_separator!r} or as a JSON list, or {DROP}")
        _require_known(c, [x for x in labels if x not in vocabulary], vocabulary, cfg)
        return encode_label_set(labels)
    label = kept_form(c.label)[0]
    if not label:
        raise UserError(c.where("label"), f"row {c.row}: no label", f"write the new class, or {DROP} to drop the row")
    _require_known(c, [] if label in vocabulary else [label], vocabulary, cfg)
    return label


def _require_known(c: Correction, unknown: list[str], vocabulary: list[str], cfg: DataConfig) -> None:
    if unknown:
        shown = ", ".join(vocabulary[:20]) + (f" and {len(vocabulary) - 20} more" if len(vocabulary) > 20 else "")
        raise UserError(c.where("label"), f"{', '.join(map(repr, unknown))} is not a label of this data ({shown})",
                        f"write one of those (as spelled there), or {DROP} to drop the row; a new label needs rows "
                        f"of it in {cfg.path}")


def apply_corrections(rows: pd.DataFrame, split: pd.Series, fixes: dict[int, Fix]
                      ) -> tuple[pd.DataFrame, pd.Series, dict[str, Any] | None]:
    """The rows with their labels corrected and the rows to drop gone (``split`` alike), and what was done
    (None when there are no corrections: the outputs are then exactly those of a project without them)."""
    if not fixes:
        return rows, split, None
    rows = rows.copy()  # the caller's frame stays as it was
    done: dict[str, list[dict]] = {"changed": [], "dropped": [], "unchanged": []}
    dropped = []
    for i in rows.index[rows["row"].isin(list(fixes))]:
        fix, old = fixes[int(rows.at[i, "row"])], rows.at[i, "label"]
        kind = "dropped" if fix.label is None else ("unchanged" if fix.label == old else "changed")
        done[kind].append({"row": fix.correction.row, "split": split.at[i], "from": old,
                           "to": DROP if fix.label is None else fix.label, "reason": fix.correction.reason,
                           "file": fix.correction.file, "line": fix.correction.line})
        if fix.label is None:
            dropped.append(i)
        elif kind == "changed":
            rows.at[i, "label"] = fix.label
    keep = ~rows.index.isin(dropped)
    rows, split = rows.loc[keep].reset_index(drop=True), split.loc[keep].reset_index(drop=True)
    applied = sorted(done["changed"] + done["dropped"], key=lambda r: r["row"])
    return rows, split, {
        "files": sorted({f.correction.file for f in fixes.values()}),
        "corrections": len(fixes),
        "changed": len(done["changed"]), "dropped": len(done["dropped"]), "unchanged": len(done["unchanged"]),
        # Rows data.sample did not draw: counted, and applied once the sample holds them.
        "outside_sample": len(fixes) - sum(len(v) for v in done.values()),
        "rows": applied[:ROWS_LISTED],
    }


def describe(record: dict[str, Any]) -> str:
    """One line for prepare's output: what the corrections did, and from which files."""
    extra = [f"{record[k]} {what}" for k, what in (("unchanged", "already so"),
                                                   ("outside_sample", "outside data.sample")) if record[k]]
    return (f"corrections: {record['changed']} labels changed, {record['dropped']} rows dropped"
            + (f" ({', '.join(extra)})" if extra else "") + f" by {', '.join(record['files'])}")
