"""Rates of surface patterns that call for preprocessing decisions."""

from __future__ import annotations

import pandas as pd
from ftfy.badness import is_bad

from clearance.core.text.normalize import HTML_ENTITY_PATTERN, URL_PATTERN

PATTERNS: dict[str, str] = {
    "url": URL_PATTERN,
    "hashtag": r"(?<![\w&])#\w+",  # not the "#39" of "&#39;"
    "mention": r"(?<!\w)@\w+",
    "html_entity": HTML_ENTITY_PATTERN,
    "non_ascii": r"[^\x00-\x7f]",
    "replacement_char": "\ufffd",
}


def pattern_flags(texts: pd.Series, short_words: int, words: pd.Series | None = None) -> pd.DataFrame:
    """One boolean column per pattern, plus mojibake, empty and very short texts.

    ``words``: each text's length in words of the corpus's unit (whitespace-separated runs if None)."""
    texts = texts.astype("string").fillna("")
    flags = {name: texts.str.contains(pattern, regex=True) for name, pattern in PATTERNS.items()}
    # ftfy's heuristic spots text that was decoded with the wrong codec
    # ("donâ€™t"); only texts with non-ASCII characters can be mojibake.
    non_ascii = flags["non_ascii"]
    mojibake = pd.Series(False, index=texts.index)
    mojibake[non_ascii] = texts[non_ascii].map(is_bad).astype(bool)
    flags["mojibake"] = mojibake
    stripped = texts.str.strip()
    flags["empty"] = stripped == ""
    counted = stripped.str.count(r"\S+") if words is None else words.set_axis(texts.index)
    flags["very_short"] = (counted < short_words) & ~flags["empty"]
    return pd.DataFrame(flags).astype(bool)


def pattern_rates(flags: pd.DataFrame) -> dict[str, float]:
    """Share of texts showing each pattern."""
    if flags.empty:
        return {name: 0.0 for name in flags.columns}
    return {name: float(flags[name].mean()) for name in flags.columns}


def pattern_examples(texts: pd.Series, flags: pd.DataFrame, per_pattern: int = 3) -> dict[str, list[str]]:
    """A few texts showing each pattern, for the report."""
    return {name: texts[flags[name]].head(per_pattern).tolist() for name in flags.columns}
