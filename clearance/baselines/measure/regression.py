"""Step 2's baselines for a numeric target (data.task=regression), under the names `baselines.run` gives them.

A regression baseline is fitted on the train targets (floats) and predicts a number per text; it has no
probabilities. `prior_random` and `majority` stand for the constant guesses a number has: the train mean
(its squared error is the target's variance) and the train median (its absolute error is the mean absolute
deviation); `mean` and `median` name them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from clearance.baselines.measure.models import (
    Baseline,
    EmbeddingsLogReg,
    KeywordSettings,
    RequireFeatures,
    TfidfLogReg,
)
from clearance.core.text.input_cap import first_chars
from clearance.core.text.vocab import analysis_text, count_matrix

# Strata of a train sample: the target's deciles, as the split stratifies it.
STRATA = 10


def targets(labels: np.ndarray) -> np.ndarray:
    return np.asarray(labels, dtype=np.float64)


def target_strata(labels: np.ndarray) -> np.ndarray:
    """Each target's decile, what a sample of train keeps in proportion."""
    return np.asarray(pd.qcut(targets(labels), STRATA, labels=False, duplicates="drop"))


class Numbers(Baseline):
    """Common parts: predictions are numbers, with no probabilities."""

    def predict_scored(self, texts: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
        return self.predict(texts), None


class UniformRange(Numbers):
    """A number drawn uniformly between the smallest and the largest train target."""

    name = "uniform_random"
    description = "guesses a number uniformly at random between the smallest and the largest train target"
    cost = 0.05

    def fit(self, texts, labels):
        y = targets(labels)
        self.low_, self.high_ = float(y.min()), float(y.max())
        return self

    def predict(self, texts):
        return np.random.default_rng(self.seed).uniform(self.low_, self.high_, size=len(texts))


class TrainMean(Numbers):
    """The train mean for every text: its squared error is the target's variance (R² 0)."""

    name = "mean"
    description = "always predicts the train mean (its squared error: the target's variance)"
    cost = 0.05

    def fit(self, texts, labels):
        self.value_ = float(np.mean(targets(labels)))
        return self

    def predict(self, texts):
        return np.full(len(texts), self.value_)


class TrainMedian(TrainMean):
    """The train median for every text: its absolute error is the mean absolute deviation from the median."""

    name = "median"
    description = "always predicts the train median (its absolute error: the mean absolute deviation)"

    def fit(self, texts, labels):
        self.value_ = float(np.median(targets(labels)))
        return self


class KeywordScore(KeywordSettings, Numbers):
    """Step 1's rule for a number: the train mean, moved by the words that go with higher or lower targets."""

    name = "keyword_rule"
    description = ("predicts the train mean moved by the mean effect of the words (train) that go with the "
                   "highest and lowest targets")

    def fit(self, texts, labels):
        y = targets(labels)
        self.mean_ = float(y.mean())
        counts, vocab = count_matrix(texts, self.min_token_count, self.unit)
        present = (counts > 0).astype(np.float64)
        texts_with = np.asarray(present.sum(axis=0)).ravel()
        # The mean deviation of the texts holding a word, shrunk towards 0 so a rare word is not extreme.
        effect = (present.T @ (y - self.mean_)) / (texts_with + self.min_token_count)
        high = np.argsort(-effect, kind="stable")[: self.keyword_tokens]
        low = np.argsort(effect, kind="stable")[: self.keyword_tokens]
        chosen = [i for i in high if effect[i] > 0] + [i for i in low if effect[i] < 0]
        self.keywords_ = {str(vocab[i]): float(effect[i]) for i in chosen}
        return self

    def predict(self, texts):
        if not self.keywords_:
            return np.full(len(texts), self.mean_)
        vocab = sorted(self.keywords_)
        vectorizer = CountVectorizer(lowercase=True, vocabulary=vocab, binary=True, **self.unit.vectorizer_args())
        present = vectorizer.transform(analysis_text(texts))
        hits = np.asarray(present.sum(axis=1)).ravel()
        moved = present @ np.array([self.keywords_[w] for w in vocab])
        return self.mean_ + np.divide(moved, hits, out=np.zeros(len(hits)), where=hits > 0)


class RidgeHead:
    """What a linear baseline for a number shares: a sample of train kept in the target's deciles, and
    numbers as predictions (ridge's alpha is 1/C of the setting a logistic regression would read)."""

    def strata(self, labels):
        return target_strata(labels)

    def predict_scored(self, texts):
        return self.model_.predict(first_chars(texts, self.max_chars)).astype(np.float64), None


class TfidfRidge(RidgeHead, TfidfLogReg):
    """TF-IDF of word and character n-grams + ridge regression."""

    description = "TF-IDF of word and character n-grams + ridge regression (alpha = 1/C)"

    def make(self):
        features, nothing = self.features()
        return make_pipeline(features, RequireFeatures(nothing), Ridge(alpha=1.0 / self.params["C"]))

    def fit(self, texts, labels):
        return super().fit(texts, targets(labels))


class EmbeddingsRidge(RidgeHead, EmbeddingsLogReg):
    """Frozen, mean-pooled input embeddings + ridge regression."""

    description = "mean-pooled frozen input embeddings of the default pretrained model + ridge regression (alpha = 1/C)"

    def make(self):
        from clearance.baselines.measure.embeddings import MeanEmbeddings

        return make_pipeline(MeanEmbeddings(self.model_dir, self.max_length), StandardScaler(),
                             Ridge(alpha=1.0 / self.C))

    def fit(self, texts, labels):
        return super().fit(texts, targets(labels))


REGISTRY: dict[str, type[Baseline]] = {cls.name: cls for cls in
                                       (UniformRange, TrainMean, TrainMedian, KeywordScore, TfidfRidge,
                                        EmbeddingsRidge)}
# The names `baselines.run` shares with the other tasks, and the guess each stands for here.
ALIASES = {"prior_random": "mean", "majority": "median"}
