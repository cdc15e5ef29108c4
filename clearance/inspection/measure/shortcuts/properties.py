"""One measured property alone against the label: each property is cut into buckets (deciles of a number, the
values of a column) and each bucket predicts what its rows most often have; the rule is scored out of fold on
every row with the task's simple-rule score (scores.py), beside the guess and the keyword rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clearance.core.text.patterns import PATTERNS
from clearance.inspection.measure.shortcuts.scores import Scorer

BUCKETS = 10
MOST_VALUES = 20  # a kept column's rarer values share one bucket
# What each property is, in the report's words.
NAMES = {"words": "length in words", "chars": "length in characters", "url": "holding a URL",
         "hashtag": "holding a hashtag", "mention": "holding a mention", "html_entity": "holding an HTML entity",
         "non_ascii": "share of non-ASCII characters", "upper": "share of capital letters",
         "punct": "share of punctuation"}


def text_properties(texts: pd.Series, lens: pd.DataFrame) -> pd.DataFrame:
    """Each text's measured properties (``lens``: its length in characters and words, same order)."""
    texts = texts.astype("string").fillna("")
    chars = lens["chars"].to_numpy(dtype=float)
    per_char = np.maximum(chars, 1.0)
    out = {"words": lens["words"].to_numpy(dtype=float), "chars": chars}
    for name in ("url", "hashtag", "mention", "html_entity"):
        out[name] = texts.str.contains(PATTERNS[name], regex=True).to_numpy(dtype=float)
    out["non_ascii"] = texts.str.count(PATTERNS["non_ascii"]).to_numpy(dtype=float) / per_char
    out["upper"] = texts.str.count(r"[A-Z]").to_numpy(dtype=float) / per_char
    out["punct"] = texts.str.count(r"[^\w\s]").to_numpy(dtype=float) / per_char
    return pd.DataFrame(out)


def buckets(values: pd.Series, train: np.ndarray) -> np.ndarray | None:
    """Bucket codes of every row, cut on the train rows (None: a property with one value in train)."""
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > MOST_VALUES:
        edges = np.unique(np.nanquantile(values[train].to_numpy(dtype=float), np.linspace(0, 1, BUCKETS + 1)[1:-1]))
        return np.searchsorted(edges, values.to_numpy(dtype=float), side="right") if len(edges) else None
    text = values.astype("string").fillna("(missing)")
    kept = text[train].value_counts().index[:MOST_VALUES]
    codes = pd.Categorical(text.where(text.isin(kept), "(other)")).codes
    return codes if len(np.unique(codes[train])) > 1 else None


def bucket_rule(codes: np.ndarray, train: np.ndarray, target: np.ndarray, scorer: Scorer) -> np.ndarray:
    """Each row's prediction from its bucket's train rows (a bucket unseen in train: the guess)."""
    guess = scorer.fit(target[train])
    table = [guess] * (int(codes.max()) + 1)
    for code in np.unique(codes[train]):
        table[code] = scorer.fit(target[train & (codes == code)])
    return np.asarray(table)[codes]


FOLDS = 5


def out_of_fold(codes: np.ndarray, target: np.ndarray, scorer: Scorer, seed: int) -> np.ndarray:
    """Every row's prediction from the bucket rule fitted on the other folds (all rows scored, not only valid:
    a small valid split would make a weak property look strong by chance)."""
    fold = np.random.default_rng(seed).permutation(len(codes)) % FOLDS
    parts = [bucket_rule(codes, fold != k, target, scorer)[fold == k] for k in range(FOLDS)]
    predicted = np.empty((len(codes),) + parts[0].shape[1:], dtype=parts[0].dtype)
    for k, part in enumerate(parts):
        predicted[fold == k] = part
    return predicted


def property_rules(props: pd.DataFrame, target: np.ndarray, scorer: Scorer, seed: int) -> dict[str, Any]:
    """Every property's bucket rule scored out of fold, best first (``target``: labels as the scorer reads
    them), and the guess's score on the same rows."""
    if len(props) < 2 * FOLDS:
        return {"rules": {}, "skipped": f"fewer than {2 * FOLDS} rows", "guess": 0.0}
    everything = np.ones(len(props), dtype=bool)
    rules = {}
    for name in props.columns:
        codes = buckets(props[name], everything)
        if codes is None:
            continue
        rules[name] = {"name": NAMES.get(name, f"the column {name.removeprefix('column:')}"),
                       "score": scorer.score(target, out_of_fold(codes, target, scorer, seed))}
    ordered = dict(sorted(rules.items(), key=lambda kv: -kv[1]["score"]))
    guess = bucket_rule(np.zeros(len(props), dtype=int), everything, target, scorer)  # the majority, everywhere
    return {"rules": ordered, "guess": scorer.score(target, guess), "folds": FOLDS}
