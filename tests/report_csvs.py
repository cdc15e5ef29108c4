"""Every CSV a project writes under reports/, read back cell by cell as a spreadsheet would get it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

# What a spreadsheet may run as a formula when a cell begins with it (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# Texts a person could put in a data file to have a spreadsheet run something.
FORMULA_TEXTS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "\t=1", "\r=1"]


def report_csvs(root: Path) -> list[Path]:
    """The CSV files under ``root``/reports (or under ``root`` when it is a reports folder itself)."""
    folder = root / "reports" if (root / "reports").is_dir() else root
    return sorted(folder.rglob("*.csv"))


def cells(path: Path) -> list[list[str]]:
    """The rows of a CSV file, header included, as the csv module reads them."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def formula_cells(root: Path) -> list[str]:
    """``file:row:column: value`` of each cell under reports/ a spreadsheet could run (plain numbers are fine)."""
    found = []
    for path in report_csvs(root):
        for r, row in enumerate(cells(path)):
            found += [f"{path.name}:{r}:{c}: {value[:40]!r}" for c, value in enumerate(row)
                      if value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value)]
    return found
