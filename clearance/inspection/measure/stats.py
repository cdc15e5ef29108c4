"""Compute step 1's statistics from the prepared splits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from clearance.core.config.inspect import InspectConfig
from clearance.core.paths import SPLITS
from clearance.core.text.duplicates import (
    conflicting_examples,
    duplicate_counts,
    duplicate_stats,
    split_overlap,
    split_overlap_counts,
)
from clearance.core.text.normalize import duplicate_key
from clearance.core.text.patterns import pattern_examples, pattern_flags, pattern_rates
from clearance.core.text.units import WHITESPACE, WordUnit
from clearance.core.text.vocab import (
    class_counts,
    count_matrix,
    keyword_rule,
    log_odds,
    top_tokens,
    vocab_stats,
)


def combine(splits: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All rows with a split column, in split order."""
    return pd.concat([df.assign(split=name) for name, df in splits.items()], ignore_index=True)


def balance(rows: pd.DataFrame, classes: list[str]) -> dict[str, Any]:
    """Counts and shares per class and split, the imbalance ratio, missing classes."""
    table = pd.crosstab(rows["label"], rows["split"]).reindex(index=classes, columns=list(SPLITS), fill_value=0)
    total = table.sum(axis=1)
    per_class = {c: {"count": int(total[c]), "share": float(total[c] / total.sum()),
                     **{s: int(table.loc[c, s]) for s in SPLITS}} for c in classes}
    return {
        "classes": per_class,
        "imbalance_ratio": float(total.max() / max(total.min(), 1)),
        "min_train_class_count": int(table["train"].min()),
        "missing_classes": {s: [c for c in classes if table.loc[c, s] == 0] for s in SPLITS},
    }


def vocabulary(splits: dict[str, pd.DataFrame], classes: list[str], cfg: InspectConfig,
               unit: WordUnit) -> dict[str, Any]:
    """Vocabulary size and diversity, top tokens per class, and the keyword rule's score on valid."""
    train, valid = splits["train"], splits["valid"]
    counts, vocab = count_matrix(train["text"], unit=unit)
    labels = train["label"].to_numpy()
    per_class_vocab = {c: vocab_stats(counts[labels == c]) for c in classes}
    kept = np.asarray(counts.sum(axis=0)).ravel() >= cfg.min_token_count
    z = log_odds(class_counts(counts[:, kept], labels, classes))
    top = top_tokens(z, vocab[kept], classes, cfg.top_tokens)
    majority = train["label"].value_counts().idxmax()
    rule = keyword_rule(top, cfg.keyword_tokens, fallback=majority, unit=unit)
    predicted = np.asarray(rule.predict(valid["text"]))
    truth = valid["label"].to_numpy()
    has_valid = len(truth) > 0
    return {
        "vocab": vocab_stats(counts),
        "vocab_per_class": per_class_vocab,
        "top_tokens": top,
        "keyword_rule": {
            "keywords": rule.keywords,
            "fallback": majority,
            "accuracy": float(accuracy_score(truth, predicted)) if has_valid else 0.0,
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)) if has_valid else 0.0,
            "majority_accuracy": float((truth == majority).mean()) if has_valid else 0.0,
            # Counts as well as shares, so the check compares whole rows (no float ties).
            "valid_rows": int(len(truth)),
            "correct": int((predicted == truth).sum()),
            "majority_correct": int((truth == majority).sum()),
        },
    }


def surface(rows: pd.DataFrame, cfg: InspectConfig, words: pd.Series | None = None) -> dict[str, Any]:
    """Pattern rates (URLs, hashtags, mojibake …) overall and per class, with examples
    (``words``: each row's length in the corpus's word unit)."""
    flags = pattern_flags(rows["text"], cfg.short_text_words, words)
    per_class = {c: pattern_rates(f) for c, f in flags.groupby(rows["label"].to_numpy())}
    return {"patterns": pattern_rates(flags), "patterns_per_class": per_class,
            "pattern_examples": pattern_examples(rows["text"], flags)}


def duplicates(rows: pd.DataFrame, unit: WordUnit = WordUnit(WHITESPACE)) -> dict[str, Any]:
    """Duplicates and train/held-out overlap (shares and row counts), and label conflicts."""
    keys = duplicate_key(rows["text"], unit.spaced)
    by_split = {name: keys[(rows["split"] == name).to_numpy()] for name in SPLITS}
    return {
        "duplicates": {**duplicate_stats(rows["text"], rows["label"], keys),
                       **duplicate_counts(rows["text"], keys)},
        "conflict_examples": conflicting_examples(rows["text"], rows["label"], keys),
        "overlap": {**split_overlap(by_split), **split_overlap_counts(by_split)},
    }


def stratified_sample(rows: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """A random sample in class proportions, with at least a few of every class."""
    if len(rows) <= size:
        return rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    shares = rows["label"].value_counts(normalize=True)
    parts = []
    for label, share in shares.items():
        group = rows[rows["label"] == label]
        n = min(len(group), max(int(round(share * size)), 5))
        parts.append(group.sample(n=n, random_state=seed))
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)
