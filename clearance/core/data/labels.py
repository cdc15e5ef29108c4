"""Labels as the class names they are: one spelling per class, and every label changed on the way counted.

A label is text: a number is the label its digits spell (JSON's 1 and "1" are one label). Its kept form
drops what no one means as part of a class name, and the change is recorded with its rows
(``label_changes`` in data/prepared/summary.json), never made silently:

- surrounding whitespace, a stray CR or tab included ("pos " is "pos");
- control characters such as NUL (numpy's strings drop a trailing NUL, so "pos\\x00" would be "pos" in
  some places and not in others);
- Unicode normalisation to NFC ("é" typed as one character or as "e" and an accent is one letter);
- a whole number read as a decimal from a typed file (JSON's 1.0 is 1).

Labels that differ only by case or by the spaces, hyphens and underscores between words ("Pos" and "pos",
"very_good" and "very good") are NOT merged: they may be two classes, or a labelling mistake only a person
can tell. They are recorded as ``label_variants`` for step 1's label_variants check to flag.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import numpy as np
import pandas as pd

WHITESPACE = "surrounding whitespace"
CONTROL = "control characters (e.g. NUL)"
UNICODE = "Unicode normalisation (NFC)"
DECIMAL = "a whole number written as a decimal"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Between words, what makes "very_good", "very-good" and "very good" look like one label.
WORD_JOINS = re.compile(r"[\s_\-]+")


def whole_decimals(values: pd.Series) -> pd.Series:
    """True where a label is a whole float (1.0) in a column of mixed types, as JSONL gives them beside text
    labels (a column of numbers only is read as integers already, and its labels are not respelled)."""
    if values.dtype != object:
        return pd.Series(False, index=values.index)
    return values.map(lambda v: isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer())


def kept_form(label: str, whole_decimal: bool = False) -> tuple[str, list[str]]:
    """A label's kept form, and why it differs from ``label`` (nothing when it does not)."""
    why, out = [], label
    if whole_decimal:
        out = str(int(float(out)))
        why.append(DECIMAL)
    if CONTROL_CHARS.search(out):
        out = CONTROL_CHARS.sub("", out)
        why.append(CONTROL)
    if out.strip() != out:
        out = out.strip()
        why.append(WHITESPACE)
    normal = unicodedata.normalize("NFC", out)
    if normal != out:
        out = normal
        why.append(UNICODE)
    return out, why


Respelled = dict[tuple[str, bool], tuple[str, str]]  # (written form, whole decimal) -> (kept form, why)


def normalise(written: pd.Series, whole: pd.Series) -> tuple[pd.Series, Respelled]:
    """Each label's kept form (NA stays NA), and the labels respelled: (written, whole decimal) -> (kept, why).

    Worked out once per distinct label, so a million rows cost a handful of string operations."""
    whole = whole.astype(bool)
    present = written.notna()
    pairs = pd.DataFrame({"label": written[present], "whole": whole[present]}).drop_duplicates()
    respelled: Respelled = {}
    for label, is_whole in zip(pairs["label"], pairs["whole"]):
        kept, why = kept_form(str(label), bool(is_whole))
        if why:
            respelled[(str(label), bool(is_whole))] = (kept, " and ".join(why))
    out = written.copy()
    for is_whole in (False, True):
        forms = {label: kept for (label, w), (kept, _) in respelled.items() if w == is_whole}
        rows = present & (whole == is_whole) & written.isin(list(forms))
        if rows.any():
            out[rows] = written[rows].map(forms)
    return out, respelled


def label_changes(written: pd.Series, whole: pd.Series, respelled: Respelled) -> list[dict]:
    """Every respelled label among these rows: {"from", "to", "rows", "why"}, the most rows first."""
    if not respelled:
        return []
    counts = pd.DataFrame({"label": written, "whole": whole.astype(bool)}).value_counts()
    found = [{"from": str(label), "to": respelled[(label, w)][0], "rows": int(rows), "why": respelled[(label, w)][1]}
             for (label, w), rows in counts.items() if (label, w) in respelled]
    return sorted(found, key=lambda c: (-c["rows"], c["from"]))


def variant_key(label: str) -> str:
    """What two labels share when they differ only by case or by the joins between words."""
    return WORD_JOINS.sub(" ", label.casefold()).strip()


def label_variants(labels: pd.Series) -> list[dict]:
    """Groups of kept labels that differ only by case or by spaces, hyphens and underscores between words:
    [{"labels": {label: rows}, "rows": total}], the most rows first."""
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for label, rows in labels.value_counts().items():
        groups[variant_key(str(label))][str(label)] = int(rows)
    found = [{"labels": dict(sorted(g.items())), "rows": sum(g.values())} for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda v: -v["rows"])

