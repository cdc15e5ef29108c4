"""Baselines of your own for step 2, written the way a user writes them (see docs/plugins.md).

Name one in `baselines.run` beside the built-in ones, by file and name, and it is fitted on train,
scored on valid and test, checked and reported as they are:

    dvc exp run -S 'baselines.run=[majority,tfidf_logreg,my_baselines.LengthRule]'

Each follows scikit-learn's classifier contract: fit(texts, labels), then predict_proba(texts) with one
column per class in the order of ``classes_`` (or predict(texts), returning class names).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline


class LengthRule:
    """Guesses the class from the text's length alone (one bell curve of log-length per class)."""

    def __init__(self, min_spread: float = 0.1) -> None:
        self.min_spread = min_spread

    def fit(self, texts: pd.Series, labels: np.ndarray) -> "LengthRule":
        lengths = np.log1p(texts.str.len().to_numpy(dtype=float))
        self.classes_ = np.unique(labels)
        rows = [lengths[labels == c] for c in self.classes_]
        self.mean_ = np.array([r.mean() for r in rows])
        self.spread_ = np.array([max(r.std(), self.min_spread) for r in rows])
        self.prior_ = np.array([len(r) / len(lengths) for r in rows])
        return self

    def predict_proba(self, texts: pd.Series) -> np.ndarray:
        lengths = np.log1p(texts.str.len().to_numpy(dtype=float))[:, None]
        z = (lengths - self.mean_) / self.spread_
        log_p = np.log(self.prior_) - np.log(self.spread_) - z**2 / 2
        p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)  # [texts, classes], columns in the order of classes_


def word_counts_nb(alpha: float = 1.0, min_df: int = 2):
    """Word counts + multinomial naive Bayes (a scikit-learn pipeline is a baseline as it is)."""
    return make_pipeline(CountVectorizer(min_df=min_df), MultinomialNB(alpha=alpha))
