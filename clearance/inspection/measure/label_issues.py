"""Suspected label errors from out-of-fold probabilities of a quick TF-IDF model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from clearance.core.progress import Countdown
from clearance.core.text.input_cap import first_chars
from clearance.core.text.units import WHITESPACE, WordUnit

SAMPLE_WHY = ("the search fits one model per fold, several times the cost of a baseline; a sample in class "
              "proportions shows the same kinds of error and estimates their share in a fraction of the time")


READ_CHARS = 100_000  # characters of a text the search reads (baselines.tfidf.max_chars's default: the same bound)

# What the search's features are, as its summary says: words, or characters when no word repeats.
WORD_FEATURES = "word n-grams"
CHAR_FEATURES = "character n-grams (no word occurs in two texts: numbers, ids or unique words)"
NO_FEATURES_FIX = "read reports/inspect/sample.csv: are the texts what data.text_column should name?"


class NoFeatures(ValueError):
    """Not even a character n-gram occurs in two texts: the search has nothing to learn from."""


def tfidf(texts: pd.Series, unit: WordUnit = WordUnit(WHITESPACE)):
    """TF-IDF features of the texts, and which they are: words (in the corpus's unit) and bigrams, or character
    n-grams when no word occurs in two texts (numbers, ids). It uses no labels, so fitting it once on all rows
    leaks nothing into the out-of-fold probabilities, and saves a refit per fold."""
    args = {} if unit.spaced else unit.vectorizer_args()  # spaced: scikit-learn's own words, as always
    # A text's first READ_CHARS characters judge its label as well as all of it, and a huge text costs no more.
    texts = first_chars(texts.astype(str), READ_CHARS)
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000, **args)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True,
                            max_features=200_000)
    for vectorizer, features in ((words, WORD_FEATURES), (chars, CHAR_FEATURES)):
        try:
            return vectorizer.fit_transform(texts), features
        except ValueError:  # scikit-learn's "no terms remain" / "empty vocabulary": no term in two texts
            continue
    raise NoFeatures("no word and no character n-gram occurs in two texts or more")


def quick_model(seed: int) -> LogisticRegression:
    """Logistic regression with saga: as accurate as lbfgs here, and ~6x faster on 38k tweets."""
    return LogisticRegression(solver="saga", C=4.0, max_iter=100, tol=1e-3, random_state=seed)


def out_of_fold_probs(texts: pd.Series, labels: np.ndarray, classes: list[str],
                      folds: int, seed: int, unit: WordUnit = WordUnit(WHITESPACE)) -> tuple[np.ndarray, str]:
    """Each row's class probabilities from a model that never saw that row's label (and which features)."""
    features, kind = tfidf(texts, unit)
    probs = np.zeros((len(texts), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    countdown = Countdown("fold", folds, every=0)
    for i, (fit, held) in enumerate(splitter.split(features, labels), start=1):
        with warnings.catch_warnings():
            # A loose tolerance is enough to rank examples; saga says so at every fold.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = quick_model(seed).fit(features[fit], labels[fit])
        fold = model.predict_proba(features[held])
        order = [list(model.classes_).index(c) for c in classes]
        probs[held] = fold[:, order]
        countdown.tick(i)
    return probs, kind


def find_label_issues(rows: pd.DataFrame, folds: int, max_rows: int, seed: int,
                      unit: WordUnit = WordUnit(WHITESPACE)) -> tuple[pd.DataFrame, dict]:
    """Rank suspected label errors with cleanlab; returns (issues, summary).

    ``rows`` needs text, label, split and row columns. Larger data is searched
    on a stratified sample of ``max_rows`` to keep step 1 quick; the summary then
    says how many rows of how many, which setting and why.
    """
    from cleanlab.filter import find_label_issues as cleanlab_issues

    classes = sorted(rows["label"].unique().tolist())
    folds = min(folds, int(rows["label"].value_counts().min()))
    if folds < 2:
        summary = {"searched_rows": len(rows), "folds": folds, "sampled": None,
                   "skipped": "a class has fewer than 2 examples; no out-of-fold probabilities"}
        return pd.DataFrame(), summary
    searched = rows
    if len(rows) > max_rows:
        searched, _ = train_test_split(rows, train_size=max_rows, random_state=seed, stratify=rows["label"])
        folds = min(folds, int(searched["label"].value_counts().min()))
    summary = {"searched_rows": len(searched), "folds": folds, "skipped": "", "sampled": None}
    if len(searched) < len(rows):
        summary["sampled"] = {"rows": len(searched), "from": len(rows), "setting": "inspect.label_issue_max_rows",
                              "why": SAMPLE_WHY}
    searched = searched.reset_index(drop=True)
    labels = searched["label"].to_numpy()
    try:
        probs, summary["features"] = out_of_fold_probs(searched["text"], labels, classes, folds, seed, unit)
    except NoFeatures as exc:
        return pd.DataFrame(), {**summary, "skipped": f"{exc}: a TF-IDF model has nothing to learn from",
                                "fix": NO_FEATURES_FIX}
    given = np.array([classes.index(label) for label in labels])
    ranked = cleanlab_issues(given, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    issues = searched.iloc[ranked].copy()
    issues.insert(0, "rank", np.arange(1, len(ranked) + 1))
    issues["given_label_prob"] = probs[ranked, given[ranked]].round(4)
    issues["suggested_label"] = np.array(classes, dtype=object)[probs[ranked].argmax(axis=1)]
    issues["suggested_prob"] = probs[ranked].max(axis=1).round(4)
    summary["issues"] = len(issues)
    summary["share"] = len(issues) / len(searched)
    # the out-of-fold model's own score: the strongest simple rule step 1 has (shortcut checks compare to it)
    summary["oof_score"] = float(f1_score(given, probs.argmax(axis=1), average="macro", zero_division=0))
    return issues.reset_index(drop=True), summary
