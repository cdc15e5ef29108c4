"""The baselines: random guesses, the majority class, a keyword rule, two linear models.

Each has fit(texts, labels), predict(texts), predict_proba(texts) and
predict_scored(texts) (both from one pass over the texts); predict_proba
returns class probabilities in ``classes`` order, or None when the baseline
has none (log loss is then not reported for it).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import StandardScaler

from clearance.core.data.sampling import stratified_rows
from clearance.core.evaluation import prior
from clearance.core.text.input_cap import first_chars
from clearance.core.text.units import WHITESPACE, WordUnit
from clearance.core.text.vocab import (
    class_counts,
    count_matrix,
    keyword_rule,
    log_odds,
    top_tokens,
)


class CannotBuild(ValueError):
    """The data gives a baseline nothing to fit (the message says why): it is skipped, not failed."""


class Baseline:
    """Common parts: the classes, and a seeded generator for the random ones."""

    name = "baseline"
    description = ""
    params: dict[str, Any] = {}
    # Rough cost per train row against the keyword rule's, for the stage's estimate of the time left.
    cost = 1.0
    # Set by fit when it saw only a sample of the train rows: {"rows", "from", "setting", "why"}.
    sampled: dict[str, Any] | None = None
    # Set by fit when the data changed how it was built (e.g. the features it left out, and why).
    note: str = ""

    def __init__(self, classes: list[str], seed: int) -> None:
        self.classes = classes
        self.seed = seed

    def fit(self, texts: pd.Series, labels: np.ndarray) -> "Baseline":
        return self

    def predict_proba(self, texts: pd.Series) -> np.ndarray | None:
        return None

    def predict(self, texts: pd.Series) -> np.ndarray:
        return self.predict_scored(texts)[0]

    def predict_scored(self, texts: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions and probabilities from one pass over the texts (featurising
        twice would cost a TF-IDF baseline a quarter of its time)."""
        probs = self.predict_proba(texts)
        if probs is None:
            raise NotImplementedError(f"{self.name} must define predict or predict_proba")
        return np.asarray(self.classes, dtype=object)[probs.argmax(axis=1)], probs


class OwnPredictions(Baseline):
    """Baselines whose predictions are not the argmax of their probabilities."""

    def predict_scored(self, texts):
        return self.predict(texts), self.predict_proba(texts)


class UniformRandom(OwnPredictions):
    """Guess every class with the same probability: log loss ln K."""

    name = "uniform_random"
    description = "guesses uniformly at random"
    cost = 0.05

    def predict_proba(self, texts):
        return np.full((len(texts), len(self.classes)), 1.0 / len(self.classes))

    def predict(self, texts):
        rng = np.random.default_rng(self.seed)
        return np.asarray(self.classes, dtype=object)[rng.integers(len(self.classes), size=len(texts))]


class PriorRandom(OwnPredictions):
    """Guess in the training label proportions: log loss = the prior's cross-entropy."""

    name = "prior_random"
    description = "guesses at random in the training class proportions"
    cost = 0.05

    def fit(self, texts, labels):
        self.prior_ = prior(labels, self.classes)
        return self

    def predict_proba(self, texts):
        return np.tile(self.prior_, (len(texts), 1))

    def predict(self, texts):
        rng = np.random.default_rng(self.seed)
        return np.asarray(self.classes, dtype=object)[rng.choice(len(self.classes), size=len(texts), p=self.prior_)]


class Majority(OwnPredictions):
    """Always the most frequent training class (no probabilities: its loss is infinite)."""

    name = "majority"
    description = "always predicts the most frequent training class"
    cost = 0.05

    def fit(self, texts, labels):
        self.majority_ = pd.Series(labels).value_counts().idxmax()
        return self

    def predict(self, texts):
        return np.full(len(texts), self.majority_, dtype=object)


class KeywordSettings:
    """The settings of step 1's keyword rule, which every task's version of it takes (mixed in before the
    baseline class it extends)."""

    def __init__(self, classes, seed, *, keyword_tokens: int, min_token_count: int,
                 unit: WordUnit = WordUnit(WHITESPACE)) -> None:
        super().__init__(classes, seed)
        self.keyword_tokens = keyword_tokens
        self.min_token_count = min_token_count
        self.unit = unit
        self.params = {"keyword_tokens": keyword_tokens, "min_token_count": min_token_count, "words": unit.name}


class KeywordRule(KeywordSettings, OwnPredictions):
    """Step 1's rule: the class whose most indicative training tokens appear most."""

    name = "keyword_rule"
    description = "predicts the class whose most indicative tokens (train) appear most often"

    def fit(self, texts, labels):
        counts, vocab = count_matrix(texts, self.min_token_count, self.unit)
        z = log_odds(class_counts(counts, labels, self.classes))
        top = top_tokens(z, vocab, self.classes, self.keyword_tokens)
        self.rule_ = keyword_rule(top, self.keyword_tokens, fallback=pd.Series(labels).value_counts().idxmax(),
                                  unit=self.unit)
        return self

    def predict(self, texts):
        return self.rule_.predict(texts)


class SklearnBaseline(Baseline):
    """A scikit-learn pipeline ending in a probabilistic classifier; fitted on a stratified sample of
    ``max_rows`` train rows when there are more (``setting`` names it, ``why`` says why)."""

    max_rows: int | None = None
    setting = ""
    why = ""
    # Characters of a text the features read (None: all); longer texts are read up to here (input_cap).
    max_chars: int | None = None

    def make(self) -> Any:
        raise NotImplementedError

    def strata(self, labels: np.ndarray) -> np.ndarray:
        """What a sample of train keeps in proportion: the classes (a task of other labels says its own)."""
        return np.asarray(labels)

    def fit(self, texts, labels):
        texts = first_chars(texts, self.max_chars)
        picked = stratified_rows(self.strata(labels), self.max_rows, self.seed) if self.max_rows else None
        self.sampled = None
        if picked is not None:
            self.sampled = {"rows": len(picked), "from": len(labels), "setting": self.setting, "why": self.why}
            texts, labels = texts.iloc[picked], np.asarray(labels)[picked]
        self.model_ = self.make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(texts, labels)
        return self

    def predict_proba(self, texts):
        raw = self.model_.predict_proba(first_chars(texts, self.max_chars))
        probs = np.zeros((len(texts), len(self.classes)))
        for j, label in enumerate(self.model_.classes_):
            probs[:, self.classes.index(label)] = raw[:, j]
        return probs


class TermsIfAny(BaseEstimator, TransformerMixin):
    """A vectorizer that gives no columns, rather than an error, when no term occurs in ``min_df`` texts
    (texts of numbers or ids have no word in common); ``empty_`` says so after fitting."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.vectorizer = vectorizer

    def fit(self, texts, y=None) -> "TermsIfAny":
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts, y=None):
        from sklearn.utils._param_validation import InvalidParameterError

        try:
            features = self.vectorizer.fit_transform(texts)
        except InvalidParameterError:  # a setting out of range is the user's to fix: said as it is
            raise
        except ValueError:  # scikit-learn's "no terms remain" / "empty vocabulary"
            self.empty_ = True
            return self.transform(texts)
        self.empty_ = False
        return features

    def transform(self, texts):
        if self.empty_:
            return sparse.csr_matrix((len(texts), 0), dtype=np.float32)
        return self.vectorizer.transform(texts)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if self.empty_:
            return np.array([], dtype=object)
        return self.vectorizer.get_feature_names_out(input_features)


class RequireFeatures(BaseEstimator, TransformerMixin):
    """Stops a pipeline whose feature parts all came out empty, saying why, before the classifier fails."""

    def __init__(self, why: str = "") -> None:
        self.why = why

    def fit(self, features, y=None) -> "RequireFeatures":
        if features.shape[1] == 0:
            raise CannotBuild(self.why)
        return self

    def transform(self, features):
        return features


class TfidfLogReg(SklearnBaseline):
    """TF-IDF of word and character n-grams + logistic regression."""

    name = "tfidf_logreg"
    description = "TF-IDF of word and character n-grams + logistic regression"
    cost = 20.0
    setting = "baselines.tfidf.max_rows"
    why = ("the character n-grams and the solver take time in proportion to the rows; past a few hundred "
           "thousand rows the bar rises little, and step 2 would take many minutes")

    # Settings come from conf/baselines (one source of defaults): no values here.
    def __init__(self, classes, seed, *, word_ngram_max: int, char_ngram_min: int, char_ngram_max: int,
                 min_df: int, max_features: int, C: float, class_weight: str | None,
                 unit: WordUnit = WordUnit(WHITESPACE), max_rows: int | None = None,
                 max_chars: int | None = None) -> None:
        super().__init__(classes, seed)
        self.unit, self.max_rows, self.max_chars = unit, max_rows, max_chars
        self.params = dict(word_ngram_max=word_ngram_max, char_ngram_min=char_ngram_min,
                           char_ngram_max=char_ngram_max, min_df=min_df, max_features=max_features,
                           C=C, class_weight=class_weight, words=unit.name, max_rows=max_rows,
                           max_chars=max_chars)

    def make(self):
        features, nothing = self.features()
        # saga with a loose tolerance matches lbfgs's macro-F1 here in well under half the time
        classifier = LogisticRegression(solver="saga", C=self.params["C"], max_iter=200, tol=3e-3,
                                        class_weight=self.params["class_weight"], random_state=self.seed)
        return make_pipeline(features, RequireFeatures(nothing), classifier)

    def features(self) -> tuple[FeatureUnion, str]:
        """The word and character TF-IDF features, and what to say when neither finds a term."""
        p = self.params
        # float32 halves the memory traffic of the solver at no cost in accuracy
        common = dict(min_df=p["min_df"], sublinear_tf=True, max_features=p["max_features"], dtype=np.float32)
        # Either part may find no term in min_df train texts (numbers, ids): the other one then carries on.
        features = FeatureUnion([
            # Words of step 1's unit (scikit-learn's own word pattern for spaced text, as always).
            ("words", TermsIfAny(TfidfVectorizer(ngram_range=(1, p["word_ngram_max"]), **common,
                                                 **({} if self.unit.spaced else self.unit.vectorizer_args())))),
            ("chars", TermsIfAny(TfidfVectorizer(analyzer="char_wb",
                                                 ngram_range=(p["char_ngram_min"], p["char_ngram_max"]),
                                                 **common))),
        ])
        nothing = (f"no word and no character n-gram occurs in {p['min_df']} train texts or more "
                   "(baselines.tfidf.min_df): TF-IDF has no feature to fit")
        return features, nothing

    def fit(self, texts, labels):
        super().fit(texts, labels)
        union = self.model_.steps[0][1]
        left_out = [name for name, part in union.transformer_list if part.empty_]
        self.note = (f"{' and '.join(left_out)} left out: none occurs in {self.params['min_df']} train texts or "
                     "more (baselines.tfidf.min_df)") if left_out else ""
        return self


class EmbeddingsLogReg(SklearnBaseline):
    """Frozen, mean-pooled input embeddings of the pretrained model + logistic regression."""

    name = "embeddings_logreg"
    description = "mean-pooled frozen input embeddings of the default pretrained model + logistic regression"
    cost = 25.0
    setting = "baselines.embeddings.max_rows"
    why = ("each row's embedding holds 384 floats in memory and the solver's time grows with the rows; a "
           "sample keeps step 2 within memory and minutes, and a linear model on frozen embeddings learns "
           "little more from more rows")

    def __init__(self, classes, seed, *, model_dir: str, max_length: int, C: float,
                 class_weight: str | None, max_rows: int | None = None) -> None:
        super().__init__(classes, seed)
        self.model_dir, self.max_length, self.C, self.class_weight = model_dir, max_length, C, class_weight
        self.max_rows = max_rows
        self.params = {"model_dir": model_dir or "all-MiniLM-L6-v2 (packaged)", "max_length": max_length,
                       "C": C, "class_weight": class_weight, "max_rows": max_rows}

    def make(self):
        from clearance.baselines.measure.embeddings import MeanEmbeddings

        # tol=1e-3: same accuracy as the default 1e-4 in a quarter of the iterations
        return make_pipeline(MeanEmbeddings(self.model_dir, self.max_length), StandardScaler(),
                             LogisticRegression(C=self.C, max_iter=500, tol=1e-3, class_weight=self.class_weight))


REGISTRY: dict[str, type[Baseline]] = {cls.name: cls for cls in
                                       (UniformRandom, PriorRandom, Majority, KeywordRule, TfidfLogReg,
                                        EmbeddingsLogReg)}
