"""The built-in text preprocessing functions, chosen in conf/preprocess by `_target_`.

A preprocessing function takes a pandas Series of texts and returns one of the
same length. Users plug in their own the same way (a function in plugins/); every
stage builds it through clearance.core.parts.preprocess.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from clearance.core.text.normalize import URL_PATTERN

Preprocess = Callable[[pd.Series], pd.Series]


def clean_text(texts: pd.Series, fix_encoding: bool = True, unescape_html: bool = True,
               mask_urls: bool = True, mask_mentions: bool = False, lowercase: bool = False) -> pd.Series:
    """Repair mis-decoded text (ftfy), unescape HTML entities, mask URLs and mentions.

    Masking keeps a placeholder token rather than deleting, because "a link was
    here" can itself carry signal (news tweets are often neutral).
    """
    out = texts.astype("string").fillna("")
    if fix_encoding:
        from ftfy import fix_text

        needs = out.str.contains(r"[^\x00-\x7f]", regex=True)
        out = out.copy()
        out[needs] = out[needs].map(fix_text)
    if unescape_html:
        out = out.map(html.unescape) if out.str.contains("&", regex=False).any() else out
    if mask_urls:
        out = out.str.replace(URL_PATTERN, " URL ", regex=True)
    if mask_mentions:
        out = out.str.replace(r"(?<!\w)@\w+", " @USER ", regex=True)
    if lowercase:
        out = out.str.lower()
    return out.str.replace(r"\s+", " ", regex=True).str.strip().astype(object)


def identity(texts: pd.Series) -> pd.Series:
    """No preprocessing at all."""
    return texts.astype("string").fillna("").astype(object)
