"""Step 2's baselines for label sets (data.task=multi_label), under the names `baselines.run` gives them.

A multi-label baseline is fitted on the kept label sets (``["Adult", "Humans"]``, clearance.core.task) and
predicts kept sets, with each label's probability as a (texts, labels) matrix when it has one: a text gets a
label when its probability reaches one half.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from joblib import parallel_backend
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from clearance.baselines.measure.models import (
    Baseline,
    EmbeddingsLogReg,
    KeywordSettings,
    RequireFeatures,
    TfidfLogReg,
)
from clearance.core.task import MULTI_LABEL, Task
from clearance.core.text.input_cap import first_chars
from clearance.core.text.vocab import analysis_text, count_matrix, log_odds

THRESHOLD = 0.5  # a label is predicted when its probability reaches this (step 3 chooses its own on valid)


class LabelSets(Baseline):
    """Common parts: the task (its labels), and label sets from per-label probabilities."""

    def __init__(self, classes: list[str], seed: int) -> None:
        super().__init__(classes, seed)
        self.task = Task(MULTI_LABEL, tuple(classes))

    def sets(self, chosen: np.ndarray) -> np.ndarray:
        """Kept label sets of a (texts, labels) 0/1 matrix."""
        return np.asarray(self.task.from_indicators(chosen), dtype=object)

    def predict_scored(self, texts: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
        probs = self.predict_proba(texts)
        return self.sets(probs >= THRESHOLD), probs


class UniformLabels(LabelSets):
    """Every label at one half: summed binary log loss K ln 2."""

    name = "uniform_random"
    description = "gives every label at random with probability one half"
    cost = 0.05

    def predict_proba(self, texts):
        return np.full((len(texts), len(self.classes)), 0.5)

    def predict_scored(self, texts):
        rng = np.random.default_rng(self.seed)
        return self.sets(rng.random((len(texts), len(self.classes))) < 0.5), self.predict_proba(texts)


class PriorLabels(LabelSets):
    """Each label at its train share: summed binary log loss = the sum of the labels' binary entropies."""

    name = "prior_random"
    description = "gives each label at random at its share of the train texts"
    cost = 0.05

    def fit(self, texts, labels):
        self.share_ = self.task.indicators(labels).mean(axis=0)
        return self

    def predict_proba(self, texts):
        return np.tile(self.share_, (len(texts), 1))

    def predict_scored(self, texts):
        rng = np.random.default_rng(self.seed)
        return self.sets(rng.random((len(texts), len(self.classes))) < self.share_), self.predict_proba(texts)


class MostFrequentSet(LabelSets):
    """Always the most frequent train label set (no probabilities)."""

    name = "majority"
    description = "always predicts the most frequent train label set"
    cost = 0.05

    def fit(self, texts, labels):
        self.majority_ = pd.Series(labels).value_counts().idxmax()
        return self

    def predict_scored(self, texts):
        return np.full(len(texts), self.majority_, dtype=object), None


class LabelKeywords(KeywordSettings, LabelSets):
    """Step 1's rule, one label at a time: a label is given when enough of its indicative tokens appear."""

    name = "keyword_rule"
    description = ("gives each label whose most indicative tokens (train) appear in the text, as many as "
                   "fitted best on train")

    def fit(self, texts, labels):
        counts, vocab = count_matrix(texts, self.min_token_count, self.unit)
        truth = self.task.indicators(labels)
        per_label = np.asarray((truth.T.astype(np.float64) @ counts.astype(np.float64)))  # (labels, vocabulary)
        total = np.asarray(counts.sum(axis=0), dtype=np.float64).ravel()
        self.keywords_: dict[str, list[str]] = {}
        for j, label in enumerate(self.classes):
            z = log_odds(np.vstack([per_label[j], total - per_label[j]]))[0]
            order = np.argsort(-z, kind="stable")[: self.keyword_tokens]
            self.keywords_[label] = [str(vocab[i]) for i in order if z[i] > 0]
        hits = self.hits(texts)
        self.needed_ = {label: best_count(hits[label], truth[:, j]) for j, label in enumerate(self.classes)}
        return self

    def hits(self, texts: pd.Series) -> dict[str, np.ndarray]:
        """How many distinct keywords of each label each text holds."""
        vocab = sorted({w for words in self.keywords_.values() for w in words})
        if not vocab:
            return {label: np.zeros(len(texts)) for label in self.classes}
        vectorizer = CountVectorizer(lowercase=True, vocabulary=vocab, binary=True, **self.unit.vectorizer_args())
        present = vectorizer.transform(analysis_text(texts)).tocsc()
        column = {w: i for i, w in enumerate(vocab)}
        return {label: np.asarray(present[:, [column[w] for w in words]].sum(axis=1)).ravel() if words
                else np.zeros(len(texts)) for label, words in self.keywords_.items()}

    def predict_scored(self, texts):
        hits = self.hits(texts)
        chosen = np.column_stack([hits[label] >= self.needed_[label] for label in self.classes]) if self.classes \
            else np.zeros((len(texts), 0), dtype=bool)
        return self.sets(chosen), None


def best_count(hits: np.ndarray, truth: np.ndarray) -> float:
    """The number of keyword hits (1 to 3) from which giving the label scores the best train F1 (inf: never)."""
    best, needed = 0.0, np.inf
    positives = truth.sum()
    for count in (1, 2, 3):
        given = hits >= count
        true_positive = float((given & (truth == 1)).sum())
        f1 = 2 * true_positive / max(given.sum() + positives, 1)
        if f1 > best:
            best, needed = f1, float(count)
    return needed


class OneVsRest(BaseEstimator, ClassifierMixin):
    """A binary classifier per label, fitted on kept label sets (labels seen in train only: another's
    probability is the constant its train column gives). ``backend``: joblib's backend for the labels' fits
    (threads for solvers that release the GIL and share no state; processes for liblinear, whose coordinate
    descent draws from one generator per process, so threads would race on it and the fits stop repeating)."""

    def __init__(self, estimator: BaseEstimator, classes: tuple[str, ...] = (), backend: str = "threading") -> None:
        self.estimator = estimator
        self.classes = classes
        self.backend = backend

    def fit(self, features, labels) -> "OneVsRest":
        truth = Task(MULTI_LABEL, tuple(self.classes)).indicators(labels)
        if hasattr(features, "sort_indices"):  # the workers share it: nothing may rewrite it in place
            features = features.tocsr()
            features.sort_indices()
        with warnings.catch_warnings(), parallel_backend(self.backend):
            # a label every or no train text has is a constant: said by its score
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            # the labels' fits are independent: every core takes some
            self.model_ = OneVsRestClassifier(self.estimator, n_jobs=-1).fit(features, truth)
        return self

    def predict_proba(self, features) -> np.ndarray:
        return self.model_.predict_proba(features)


class TfidfOneVsRest(LabelSets, TfidfLogReg):
    """TF-IDF of word and character n-grams + a logistic regression per label."""

    description = "TF-IDF of word and character n-grams + one-vs-rest logistic regression (one per label)"

    def __init__(self, classes, seed, **settings) -> None:
        TfidfLogReg.__init__(self, classes, seed, **settings)
        self.task = Task(MULTI_LABEL, tuple(classes))

    def make(self):
        features, nothing = self.features()
        p = self.params
        # liblinear's dual coordinate descent, not the single-label baseline's saga: on one binary problem per
        # label over more features than rows it converges in a fraction of the time (34 labels of 12k texts:
        # 11 s; lbfgs needs 22 s to reach the same macro-F1 and stops at half of it with a loose tolerance)
        classifier = LogisticRegression(solver="liblinear", dual=True, C=p["C"], max_iter=200, tol=1e-2,
                                        class_weight=p["class_weight"], random_state=self.seed)
        return make_pipeline(features, RequireFeatures(nothing), OneVsRest(classifier, tuple(self.classes), "loky"))

    def predict_proba(self, texts):
        return self.model_.predict_proba(first_chars(texts, self.max_chars))


class EmbeddingsOneVsRest(LabelSets, EmbeddingsLogReg):
    """Frozen, mean-pooled input embeddings + a logistic regression per label."""

    description = ("mean-pooled frozen input embeddings of the default pretrained model + one-vs-rest logistic "
                   "regression (one per label)")

    def __init__(self, classes, seed, **settings) -> None:
        EmbeddingsLogReg.__init__(self, classes, seed, **settings)
        self.task = Task(MULTI_LABEL, tuple(classes))

    def make(self):
        from clearance.baselines.measure.embeddings import MeanEmbeddings

        classifier = LogisticRegression(C=self.C, max_iter=500, tol=1e-3, class_weight=self.class_weight)
        return make_pipeline(MeanEmbeddings(self.model_dir, self.max_length), StandardScaler(),
                             OneVsRest(classifier, tuple(self.classes)))

    def predict_proba(self, texts):
        return self.model_.predict_proba(first_chars(texts, self.max_chars))


REGISTRY: dict[str, type[Baseline]] = {cls.name: cls for cls in
                                       (UniformLabels, PriorLabels, MostFrequentSet, LabelKeywords, TfidfOneVsRest,
                                        EmbeddingsOneVsRest)}
