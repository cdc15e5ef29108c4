"""The slices of the rows a model is read on: the properties step 1 measures, each as a yes/no per row.

Length quartiles (in the corpus's word unit), the surface patterns (URL, hashtag, mention, HTML entity,
non-ASCII, mis-decoded text), texts with many words rare in train, texts also in train (duplicates), each value
of the group column and of every kept column with few values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clearance.core.text.normalize import duplicate_key
from clearance.core.text.patterns import pattern_flags
from clearance.core.text.units import WordUnit

PATTERN_SLICES = {"url": "texts with a URL", "hashtag": "texts with a hashtag", "mention": "texts with a mention",
                  "html_entity": "texts with an HTML entity", "non_ascii": "texts with non-ASCII characters",
                  "mojibake": "mis-decoded texts (mojibake)"}


@dataclass(frozen=True)
class SliceSettings:
    """What makes a word rare, a text rare-worded, and a column's values few enough to slice by."""

    rare_word_count: int = 2  # a word seen in train fewer times than this is rare
    rare_share: float = 0.25  # a text whose words are at least this share rare is in the rare-words slice
    max_column_values: int = 10  # a kept column with more distinct values is not sliced
    max_groups: int = 20  # the largest groups of the group column, each a slice


@dataclass(frozen=True)
class Slice:
    """A named subset of the rows: ``kind`` says which property made it."""

    name: str
    kind: str
    mask: np.ndarray


def length_slices(words: pd.Series, unit: WordUnit) -> list[Slice]:
    """Four slices by length quartile (ties keep the slices distinct: a quartile may be empty)."""
    values = words.to_numpy()
    if not len(values):
        return []
    edges = np.quantile(values, [0.25, 0.5, 0.75])
    word = "words" if unit.spaced else f"{unit.name} units"
    bounds = [(-np.inf, edges[0]), (edges[0], edges[1]), (edges[1], edges[2]), (edges[2], np.inf)]
    out = []
    for i, (low, high) in enumerate(bounds, start=1):
        mask = (values > low) & (values <= high)
        span = (f"≤ {high:g}" if i == 1 else f"> {low:g}" if i == 4 else f"{low:g}–{high:g}")
        out.append(Slice(f"length Q{i} ({span} {word})", "length", mask))
    return out


def pattern_slices(texts: pd.Series, words: pd.Series) -> list[Slice]:
    """One slice per surface pattern step 1 counts."""
    flags = pattern_flags(texts.reset_index(drop=True), short_words=0, words=words.reset_index(drop=True))
    return [Slice(name, "pattern", flags[key].to_numpy()) for key, name in PATTERN_SLICES.items() if key in flags]


def rare_word_slice(texts: pd.Series, train_texts: pd.Series, unit: WordUnit, s: SliceSettings) -> Slice:
    """Texts whose words are at least ``s.rare_share`` rare in train."""
    seen = Counter(w for t in train_texts.astype(str) for w in unit.words(t))

    def share(text: str) -> float:
        words = unit.words(text)
        return sum(seen[w] < s.rare_word_count for w in words) / len(words) if words else 0.0

    mask = np.array([share(t) >= s.rare_share for t in texts.astype(str)], dtype=bool)
    return Slice(f"rare words (≥ {s.rare_share:.0%} of words seen < {s.rare_word_count}× in train)", "rare_words",
                 mask)


def duplicate_slice(texts: pd.Series, train_texts: pd.Series, unit: WordUnit) -> Slice:
    """Texts that are also in train, as step 1's duplicate key compares them."""
    seen = set(duplicate_key(train_texts, unit.spaced))
    keys = duplicate_key(texts.reset_index(drop=True), unit.spaced)
    return Slice("texts also in train (duplicates)", "duplicate", keys.isin(seen).to_numpy())


def column_slices(frame: pd.DataFrame, column: str, kind: str, most: int) -> list[Slice]:
    """A slice per value of ``column`` (its ``most`` most frequent values)."""
    values = frame[column].astype("string").fillna("(missing)")
    return [Slice(f"{column} = {value}", kind, (values == value).to_numpy())
            for value in values.value_counts().index[:most]]


def all_slices(frame: pd.DataFrame, train_texts: pd.Series, unit: WordUnit, group_column: str | None,
               kept_columns: list[str], s: SliceSettings = SliceSettings()) -> list[Slice]:
    """Every slice of ``frame``'s rows (row, text and any kept columns), in the report's order."""
    texts = frame["text"].astype(str).reset_index(drop=True)
    words = unit.count(texts)
    out = length_slices(words, unit) + pattern_slices(texts, words)
    out += [rare_word_slice(texts, train_texts, unit, s), duplicate_slice(texts, train_texts, unit)]
    if group_column and group_column in frame:
        out += column_slices(frame, group_column, "group", s.max_groups)
    for column in kept_columns:
        if column in frame and column != group_column and frame[column].nunique(dropna=False) <= s.max_column_values:
            out += column_slices(frame, column, "column", s.max_column_values)
    return out
