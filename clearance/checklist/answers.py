"""When an answer counts: placeholders, distinct words, and the forms answers, questions and names are
compared in."""

from __future__ import annotations

import re
from datetime import date, datetime

# Answers that only hold a place: they do not count as answered.
PLACEHOLDERS = {"", "todo", "tbd", "tba", "?", "??", "???", "...", "…", "-", "--", "xxx", "fixme",
                "answer", "your answer", "<answer>", "<your answer>", "none yet", "later"}
PLACEHOLDER_PREFIX = re.compile(r"^\s*(todo|tbd|fixme|xxx)\b", re.IGNORECASE)
# A word is a run of letters or digits in any script ("n/a" is two words).
WORD = re.compile(r"[^\W_]+")


def is_real_answer(text: str | None) -> bool:
    """True unless empty or a placeholder such as TODO, '?' or 'tbd'."""
    if text is None:
        return False
    cleaned = str(text).strip()
    if PLACEHOLDER_PREFIX.match(cleaned):
        return False
    return cleaned.lower().rstrip(".!:") not in PLACEHOLDERS and cleaned.lower() not in PLACEHOLDERS


def distinct_words(text: str) -> int:
    """How many different words an answer holds (case-insensitive), so "asdf asdf" is one."""
    return len({w.lower() for w in WORD.findall(text or "")})


def normalised_answer(text: str) -> str:
    """An answer reduced for comparison: case, inner whitespace and trailing punctuation ignored."""
    return " ".join((text or "").lower().split()).rstrip(" .!?;:,…")


def normalised_name(text: str) -> str:
    """A signer's name reduced for comparison: "ada  LOVELACE" is "Ada Lovelace"."""
    return " ".join((text or "").casefold().split())


def parses_as_date(text: str) -> bool:
    """True for YYYY-MM-DD or a full ISO 8601 date-time starting with it (e.g. 2024-05-01T09:30:00Z)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]):
        return False
    try:
        (date if len(text) == 10 else datetime).fromisoformat(text)
    except ValueError:
        return False
    return True


def normalised_question(text: str) -> str:
    """A question's wording with whitespace collapsed (line wrapping does not matter)."""
    return " ".join((text or "").split())
