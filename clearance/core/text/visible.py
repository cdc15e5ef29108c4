"""Labels and texts as a reader can tell them apart: invisible characters written out (no pandas: reports use it)."""

from __future__ import annotations

import unicodedata

# Unicode categories a reader cannot see or tell apart from their neighbours: shown as \uXXXX in reports.
INVISIBLE = frozenset({"Cc", "Cf", "Mn", "Me", "Zl", "Zp"})


def visible(label: str) -> str:
    """``label`` quoted, with what a reader cannot see written out: control and format characters, combining
    marks ("cafe\\u0301") and spaces other than a plain one, so that "pos " and "pos" look different."""
    shown = "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in INVISIBLE or (ch.isspace() and ch != " ")
                    else ch for ch in str(label))
    return f'"{shown}"'
