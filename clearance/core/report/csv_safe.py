"""CSV files a person opens in a spreadsheet: no text cell runs as a formula (CSV injection, OWASP).

Every CSV under reports/ is written here. A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading ``'``, so a spreadsheet shows it as text instead of running it, and
every text cell is quoted. Numbers stay bare numbers (``dvc plots`` reads them as such), and a text that
is just a number ("-1" as a label) is left as it is: a spreadsheet reads it as a number, never a formula.
The raw texts stay in the JSON files and in data/prepared/*.parquet.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, optionally signed, with an exponent: harmless in any spreadsheet.
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet could read this text cell as a formula."""
    return value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value)


def defuse(value: Any) -> Any:
    """A text cell prefixed with ``'`` when it begins with a formula character; anything else as it is."""
    return "'" + value if isinstance(value, str) and is_formula_like(value) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are defused; numeric columns untouched."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(defuse)
    out.columns = [defuse(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` (no index) as a CSV safe to open in a spreadsheet; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Every text cell quoted (OWASP's advice beside the prefix); numbers bare, so they stay numbers.
    safe_frame(frame).to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return path
