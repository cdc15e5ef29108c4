"""The per-label fits of the multi-label TF-IDF baseline and of step 1's label-set search reach the optimum a
tightly converged solver reaches (a loose solver once left the bar far below it), and repeat exactly."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier

from clearance.baselines.measure.multi_label import TfidfOneVsRest
from clearance.core.task import MULTI_LABEL, Task
from clearance.inspection.measure.label_issues import tfidf
from clearance.inspection.measure.task_issues import out_of_fold, quick_label_model

LABELS = [f"l{j}" for j in range(12)]
TFIDF = dict(word_ngram_max=2, char_ngram_min=2, char_ngram_max=4, min_df=2, max_features=100000, C=4.0,
             class_weight=None)


def cue_corpus(n: int, seed: int) -> pd.DataFrame:
    """Texts of 20 random words out of 4,000, plus one of six cue words for each label the text has (labels
    of uneven frequency): learnable, but only by a solver that converges on thousands of features."""
    rng = np.random.default_rng(seed)
    cues = {label: np.random.default_rng(99 + j).choice(4000, 6, replace=False) for j, label in enumerate(LABELS)}
    rows = []
    for _ in range(n):
        has = [label for j, label in enumerate(LABELS) if rng.random() < 0.5 / (1 + 0.3 * j)]
        words = [f"w{k}" for k in rng.choice(4000, 20)] + [f"w{rng.choice(cues[label])}" for label in has]
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": json.dumps(sorted(has))})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def corpora() -> tuple[pd.DataFrame, pd.DataFrame]:
    return cue_corpus(3000, 0), cue_corpus(1000, 1)


def macro_f1(truth: np.ndarray, probs: np.ndarray) -> float:
    return float(f1_score(truth, (probs >= 0.5).astype(int), average="macro", zero_division=0))


def test_tfidf_baseline_reaches_a_converged_solvers_score(corpora) -> None:
    train, valid = corpora
    task = Task(MULTI_LABEL, tuple(LABELS))
    baseline = TfidfOneVsRest(LABELS, 0, **TFIDF).fit(train["text"], train["label"].tolist())
    probs = baseline.predict_proba(valid["text"])
    features, _ = baseline.features()
    x_train = features.fit_transform(train["text"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=5000, tol=1e-6)).fit(
            x_train, task.indicators(train["label"].tolist()))
    truth = task.indicators(valid["label"].tolist())
    expected = macro_f1(truth, reference.predict_proba(features.transform(valid["text"])))
    assert expected > 0.5  # the corpus is learnable: the comparison means something
    assert macro_f1(truth, probs) == pytest.approx(expected, abs=0.01)
    again = TfidfOneVsRest(LABELS, 0, **TFIDF).fit(train["text"], train["label"].tolist())
    assert np.array_equal(again.predict_proba(valid["text"]), probs)  # worker processes: the same fits


def test_label_set_search_probabilities_repeat_and_rank(corpora) -> None:
    train, _ = corpora
    task = Task(MULTI_LABEL, tuple(LABELS))
    features, _ = tfidf(train["text"])
    given = task.indicators(train["label"].tolist())

    def run(model) -> np.ndarray:
        return out_of_fold(features, given, 5, 0, lambda x, y, held: model().fit(x, y).predict_proba(held))

    first = run(lambda: quick_label_model(0))
    assert np.array_equal(first, run(lambda: quick_label_model(0)))
    assert macro_f1(given, first) > 0.3  # out-of-fold probabilities that know the cue words
    primal = run(lambda: OneVsRestClassifier(LogisticRegression(solver="liblinear", C=4.0, tol=1e-6)))
    assert np.abs(first - primal).max() < 0.05  # the dual solver's fast stop leaves the same probabilities
