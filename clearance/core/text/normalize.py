"""Normalisation used to find near-duplicates (and to keep them in one split)."""

from __future__ import annotations

import pandas as pd

URL_PATTERN = r"(?:https?://|www\.)\S+"
HTML_ENTITY_PATTERN = r"&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});"
RETWEET_PREFIX = r"^\s*rt\s+@\w+:?"
NON_WORD = r"[\W_]+"


def duplicate_key(texts: pd.Series, spaced: bool = True) -> pd.Series:
    """The normalised text, except that texts normalising to nothing (emoji only,
    a bare link, punctuation) get a key of their own: they are not copies.

    ``spaced`` False (a word unit for scripts written without spaces): spaces are dropped
    too, since "好 用" and "好用" are the same text there."""
    norm = normalize(texts)
    if not spaced:
        norm = norm.str.replace(r"\s+", "", regex=True)
    empty = norm == ""
    if empty.any():
        norm = norm.where(~empty, "\x00" + pd.Series(range(len(norm)), index=norm.index).astype("string"))
    return norm


def normalize(texts: pd.Series) -> pd.Series:
    """Lower-case, drop URLs and retweet prefixes, keep only word characters.

    Two tweets that differ only in a shortened link, case or punctuation
    normalise to the same string.
    """
    out = texts.astype("string").fillna("").str.lower()
    out = out.str.replace(URL_PATTERN, " ", regex=True)
    out = out.str.replace(RETWEET_PREFIX, " ", regex=True)
    out = out.str.replace(NON_WORD, " ", regex=True)
    return out.str.strip()
