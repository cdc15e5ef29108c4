"""Normalisation used to find near-duplicates (and to keep them in one split)."""

from __future__ import annotations

import pandas as pd

URL_PATTERN = r"(?:https?://|www\.)\S+"
RETWEET_PREFIX = r"^\s*rt\s+@\w+:?"
NON_WORD = r"[\W_]+"


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
