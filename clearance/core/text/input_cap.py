"""How much of a text the featurisers read: the first characters, a bound far above what a model uses.

A tokenizer splits the whole text before it truncates to ``max_length`` tokens, and scikit-learn lists every
n-gram of a text before counting them: one 50 MB text among 300 short ones took the baselines and the probes
to 10 GB each, for features the model never sees. Reading only a text's first characters, at a bound no
ordinary text reaches, keeps every result of ordinary data the same and the memory modest on a huge text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# Characters read per token a model takes: a token is a word or a word piece (a few characters); 64 leaves
# room for runs of spaces and for long words a tokenizer turns into one unknown token. Texts shorter than
# max_length x 64 characters are tokenised whole, exactly as before.
CHARS_PER_TOKEN = 64


# How step 3's files and report name that bound when they cut a text there.
MODEL_READS = "train.max_length x 64"


def chars_for_tokens(max_length: int) -> int:
    """The characters worth tokenising for ``max_length`` tokens."""
    return max(int(max_length), 1) * CHARS_PER_TOKEN


def first_chars(texts: Sequence[str] | pd.Series, limit: int | None) -> list[str] | pd.Series:
    """Each text's first ``limit`` characters (a Series stays a Series with its index; None: all of them).

    Texts within the limit are the same objects, so ordinary data is neither copied nor changed."""
    if limit is None:
        return texts
    if isinstance(texts, pd.Series):
        long = texts.str.len() > limit
        return texts.where(~long, texts.str.slice(0, limit)) if long.any() else texts
    return [t[:limit] if len(t) > limit else t for t in texts]
