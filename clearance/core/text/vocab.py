"""Vocabulary statistics, class-indicative tokens, and a keyword rule built from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from clearance.core.text.normalize import HTML_ENTITY_PATTERN, URL_PATTERN
from clearance.core.text.units import WHITESPACE, WordUnit

# Hashtags and mentions stay whole: "#fail" says more than "fail".
TOKEN_PATTERN = r"(?u)[#@]?\b\w+\b"
SPACED = WordUnit(WHITESPACE)


def analysis_text(texts: pd.Series) -> pd.Series:
    """Texts with every URL replaced by one token, so links do not flood the counts,
    and HTML entities removed, so "&amp;" does not become a word."""
    out = texts.astype("string").fillna("").str.replace(URL_PATTERN, " URL ", regex=True)
    return out.str.replace(HTML_ENTITY_PATTERN, " ", regex=True)


def count_matrix(texts: pd.Series, min_count: int = 1,
                 unit: WordUnit = SPACED) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Document-term counts (lower-cased words of ``unit``) and the vocabulary."""
    vectorizer = CountVectorizer(lowercase=True, min_df=1, dtype=np.int32, **unit.vectorizer_args())
    counts = vectorizer.fit_transform(analysis_text(texts))
    vocab = vectorizer.get_feature_names_out()
    if min_count > 1:
        keep = np.asarray(counts.sum(axis=0)).ravel() >= min_count
        counts, vocab = counts[:, keep], vocab[keep]
    return counts.tocsr(), vocab


def vocab_stats(counts: sparse.csr_matrix) -> dict[str, float]:
    """Size and diversity: types, tokens, type/token ratio, share of words seen once."""
    totals = np.asarray(counts.sum(axis=0)).ravel()
    tokens = int(totals.sum())
    used = totals > 0
    types = int(used.sum())
    return {
        "types": types,
        "tokens": tokens,
        "type_token_ratio": types / tokens if tokens else 0.0,
        "hapax_share": float((totals == 1).sum() / types) if types else 0.0,
        "tokens_per_text": tokens / counts.shape[0] if counts.shape[0] else 0.0,
    }


def class_counts(counts: sparse.csr_matrix, labels: np.ndarray, classes: list[str]) -> np.ndarray:
    """Token counts per class: a (classes x vocabulary) array."""
    index = {c: i for i, c in enumerate(classes)}
    rows = np.array([index[label] for label in labels])
    onehot = sparse.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))),
                               shape=(len(classes), len(rows)))
    return np.asarray((onehot @ counts).todense())


def log_odds(per_class: np.ndarray, prior_scale: float = 0.01) -> np.ndarray:
    """z-scores of weighted log-odds, each class against the rest (Monroe et al., 2008).

    An informative Dirichlet prior built from overall frequencies keeps rare
    tokens from topping the list by chance; its floor of one pseudo-count keeps
    a word used by a single class from being buried under a huge variance.
    """
    total = per_class.sum(axis=0)
    alpha = prior_scale * total + 1.0
    alpha0 = alpha.sum()
    n = per_class.sum(axis=1, keepdims=True)
    rest = total - per_class
    n_rest = n.sum() - n
    delta = (np.log((per_class + alpha) / (n + alpha0 - per_class - alpha))
             - np.log((rest + alpha) / (n_rest + alpha0 - rest - alpha)))
    variance = 1.0 / (per_class + alpha) + 1.0 / (rest + alpha)
    return delta / np.sqrt(variance)


def top_tokens(z: np.ndarray, vocab: np.ndarray, classes: list[str], k: int) -> dict[str, list[tuple[str, float]]]:
    """The k most indicative tokens of each class with their z-scores."""
    out = {}
    for i, label in enumerate(classes):
        order = np.argsort(-z[i], kind="stable")[:k]
        out[label] = [(str(vocab[j]), float(z[i, j])) for j in order if z[i, j] > 0]
    return out


@dataclass
class KeywordRule:
    """Predict the class whose keywords appear most often; fall back to the majority."""

    keywords: dict[str, list[str]]
    fallback: str
    unit: WordUnit = SPACED  # the words the keywords were counted in

    def predict(self, texts: pd.Series) -> np.ndarray:
        classes = list(self.keywords)
        vocab = sorted({w for words in self.keywords.values() for w in words})
        if not vocab:
            return np.full(len(texts), self.fallback, dtype=object)
        vectorizer = CountVectorizer(lowercase=True, vocabulary=vocab, **self.unit.vectorizer_args())
        hits = vectorizer.transform(analysis_text(texts))
        member = np.zeros((len(vocab), len(classes)))
        position = {w: i for i, w in enumerate(vocab)}
        for j, label in enumerate(classes):
            for word in self.keywords[label]:
                member[position[word], j] = 1.0
        scores = np.asarray(hits @ member)
        best = np.array(classes, dtype=object)[scores.argmax(axis=1)]
        return np.where(scores.max(axis=1) > 0, best, self.fallback)


def keyword_rule(top: dict[str, list[tuple[str, float]]], k: int, fallback: str,
                 unit: WordUnit = SPACED) -> KeywordRule:
    """A rule from the k top tokens of each class (tokens of several classes are dropped)."""
    chosen = {label: [w for w, _ in pairs[:k]] for label, pairs in top.items()}
    seen: dict[str, int] = {}
    for words in chosen.values():
        for w in words:
            seen[w] = seen.get(w, 0) + 1
    unique = {label: [w for w in words if seen[w] == 1] for label, words in chosen.items()}
    return KeywordRule(keywords=unique, fallback=fallback, unit=unit)
