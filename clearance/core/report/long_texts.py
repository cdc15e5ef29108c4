"""Texts copied into reports and samples: one longer than ``inspect.max_report_chars`` is cut, visibly.

A report or a CSV holds texts for a person to read; one 50 MB text would make each of them 50 MB. The whole
texts stay in data/prepared/*.parquet. Every stage that copies texts into a report cuts them here, counts
what it cut, and its report says so with the setting (``note``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

SETTING = "inspect.max_report_chars"


def cut_text(text: Any, limit: int | None, setting: str = SETTING) -> Any:
    """``text`` cut after ``limit`` characters with a marker saying how long it was and which ``setting`` cut it;
    anything else as it is."""
    if limit is None or not isinstance(text, str) or len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text):,} characters, {setting}={limit:,}]"


@dataclass
class Cutter:
    """Cuts texts at one limit (None: keeps them whole) and counts the texts it cut."""

    limit: int | None
    setting: str = SETTING  # what the report names as the limit's source
    cut: int = 0

    def text(self, value: Any) -> Any:
        """One text, cut when longer than the limit."""
        out = cut_text(value, self.limit, self.setting)
        self.cut += out is not value
        return out

    def texts(self, values: Iterable[Any]) -> list[Any]:
        """Each text, cut when longer than the limit."""
        return [self.text(v) for v in values]

    def columns(self, frame: pd.DataFrame, *names: str) -> pd.DataFrame:
        """A copy of ``frame`` with the texts of the named columns (those it has; none named: all) cut."""
        out = frame.copy()
        for name in (n for n in (names or out.columns) if n in out.columns):
            if not pd.api.types.is_numeric_dtype(out[name]):
                out[name] = self.texts(out[name].tolist())
        return out

    def rows(self, rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
        """Copies of ``rows`` (dicts) with the texts under ``keys`` cut."""
        return [{k: self.text(v) if k in keys else v for k, v in row.items()} for row in rows]

    def note(self) -> dict[str, Any]:
        """What a report says about the cut: the setting, its value, and how many texts were cut."""
        return {"setting": self.setting, "limit": self.limit, "texts": self.cut}
