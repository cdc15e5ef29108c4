"""Edit a question file the way a user does."""

from __future__ import annotations

import re
from pathlib import Path


def fill_answers(path: Path, answer: str = "Looked at it, fine for this task.") -> None:
    """Answer every question the way a user would, in the file's text."""
    text = re.sub(r"^(\s+answer:)\s*$", rf"\1 {answer}", path.read_text(encoding="utf-8"), flags=re.M)
    path.write_text(text, encoding="utf-8")


def add_waivers(path: Path, check_ids: list[str]) -> None:
    """Waive the given checks with a written reason."""
    entries = "".join(f"\n  - check: {c}\n    reason: accepted for this data set" for c in check_ids)
    text = path.read_text(encoding="utf-8").replace("waivers: []", "waivers:" + entries)
    path.write_text(text, encoding="utf-8")
