"""Suspected label errors of label sets and of numeric targets, from out-of-fold predictions of a quick
TF-IDF model ranked by cleanlab: one-vs-rest logistic regression and cleanlab's multi-label support, or
ridge regression and cleanlab's regression support (as label_issues.py does for single-label data)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.multiclass import OneVsRestClassifier

from clearance.core.progress import Countdown
from clearance.core.task import Task, encode_label_set
from clearance.core.text.units import WHITESPACE, WordUnit
from clearance.inspection.measure.label_issues import NO_FEATURES_FIX, NoFeatures, tfidf

SAMPLE_WHY = ("the search fits one model per fold (one per label for label sets), several times the cost of a "
              "baseline; a random sample shows the same kinds of error and estimates their share in a fraction "
              "of the time")
# cleanlab's Datalab flags a regression label whose quality score is under this share of the median score.
REGRESSION_ISSUE_SHARE = 0.05
DOUBTED_SHOWN = 3  # labels named per suspect: those the model disagrees with most


def quick_label_model(seed: int) -> OneVsRestClassifier:
    """One binary logistic regression per label: liblinear's dual solver, fast for a binary problem on sparse
    TF-IDF with more features than rows (a third faster than its primal, the same probabilities to 0.01),
    the labels fitted in worker processes (liblinear's solver shares one random generator per process)."""
    return OneVsRestClassifier(LogisticRegression(solver="liblinear", dual=True, C=4.0, max_iter=100, tol=1e-2,
                                                  random_state=seed), n_jobs=-1)


def out_of_fold(features, targets: np.ndarray, folds: int, seed: int,
                fit_predict: Callable[[object, np.ndarray, object], np.ndarray]) -> np.ndarray:
    """Each row's prediction from a model fitted on the other folds (one TF-IDF fit serves every fold: it
    uses no labels)."""
    out = np.zeros(targets.shape, dtype=float)
    countdown = Countdown("fold", folds, every=0)
    features = features.tocsr()
    for i, (fit, held) in enumerate(KFold(n_splits=folds, shuffle=True, random_state=seed).split(features), 1):
        part = features[fit]
        part.sort_indices()  # worker processes read it read-only: sorting there would fail
        with warnings.catch_warnings():
            # a loose tolerance is enough to rank examples; a label absent from a fold is predicted constant
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            out[held] = fit_predict(part, targets[fit], features[held])
        countdown.tick(i)
    return out


def _searched(rows: pd.DataFrame, folds: int, max_rows: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """The rows to search (a random sample of ``max_rows`` when there are more) and the summary's start."""
    searched = rows
    if len(rows) > max_rows:
        searched, _ = train_test_split(rows, train_size=max_rows, random_state=seed)
    summary = {"searched_rows": len(searched), "folds": folds, "skipped": "", "sampled": None}
    if len(searched) < len(rows):
        summary["sampled"] = {"rows": len(searched), "from": len(rows), "setting": "inspect.label_issue_max_rows",
                              "why": SAMPLE_WHY}
    return searched.reset_index(drop=True), summary


def _features(searched: pd.DataFrame, summary: dict, unit: WordUnit):
    """TF-IDF features, or None with the summary saying why the search was skipped."""
    try:
        features, summary["features"] = tfidf(searched["text"], unit)
        return features
    except NoFeatures as exc:
        summary.update(skipped=f"{exc}: a TF-IDF model has nothing to learn from", fix=NO_FEATURES_FIX)
        return None


def _doubted(given: np.ndarray, probs: np.ndarray, classes: list[str]) -> str:
    """The labels the model disagrees with most: given with a low probability, or missing with a high one."""
    doubt = np.abs(given - probs)
    picked = [j for j in np.argsort(-doubt, kind="stable")[:DOUBTED_SHOWN] if doubt[j] > 0.5]
    return "; ".join(f"{classes[j]} ({'given' if given[j] else 'not given'}, p={probs[j]:.2f})" for j in picked)


def find_label_set_issues(rows: pd.DataFrame, task: Task, folds: int, max_rows: int, seed: int,
                          unit: WordUnit = WordUnit(WHITESPACE)) -> tuple[pd.DataFrame, dict]:
    """Suspected errors in label sets (a label given wrongly or missing), ranked by cleanlab's multi-label
    label quality; returns (issues, summary)."""
    from cleanlab.multilabel_classification.filter import find_label_issues
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    classes = list(task.classes)
    searched, summary = _searched(rows, folds, max_rows, seed)
    if len(searched) < 2 * max(folds, 2) or len(classes) < 2:
        return pd.DataFrame(), {**summary, "skipped": "fewer than two labels, or too few rows for "
                                f"{folds} folds; no out-of-fold probabilities"}
    features = _features(searched, summary, unit)
    if features is None:
        return pd.DataFrame(), summary
    given = task.indicators(searched["label"].tolist())
    probs = out_of_fold(features, given, folds, seed,
                        lambda x, y, held: quick_label_model(seed).fit(x, y).predict_proba(held))
    label_lists = [np.flatnonzero(row).tolist() for row in given]
    try:
        ranked = find_label_issues(label_lists, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
        quality = get_label_quality_scores(label_lists, probs)
    except ValueError as exc:  # cleanlab needs every label given somewhere in the rows it searches
        return pd.DataFrame(), {**summary, "skipped": f"cleanlab could not rank the label sets: {exc}"}
    issues = searched.iloc[ranked].copy()
    issues.insert(0, "rank", np.arange(1, len(ranked) + 1))
    issues["label_quality"] = quality[ranked].round(4)
    issues["suggested_label"] = [encode_label_set(np.array(classes)[p >= 0.5]) for p in probs[ranked]]
    issues["doubted"] = [_doubted(given[i], probs[i], classes) for i in ranked]
    summary.update(issues=len(issues), share=len(issues) / len(searched),
                   oof_score=float(f1_score(given, probs >= 0.5, average="micro", zero_division=0)))
    return issues.reset_index(drop=True), summary


def find_target_issues(rows: pd.DataFrame, folds: int, max_rows: int, seed: int,
                       unit: WordUnit = WordUnit(WHITESPACE)) -> tuple[pd.DataFrame, dict]:
    """Suspected errors in numeric targets: cleanlab's regression label quality of out-of-fold TF-IDF + ridge
    predictions, a row flagged when its score is under 5% of the median score (cleanlab Datalab's rule)."""
    from cleanlab.regression.rank import get_label_quality_scores

    searched, summary = _searched(rows, folds, max_rows, seed)
    if len(searched) < 2 * max(folds, 2):
        return pd.DataFrame(), {**summary, "skipped": f"too few rows for {folds} folds; no out-of-fold predictions"}
    features = _features(searched, summary, unit)
    if features is None:
        return pd.DataFrame(), summary
    y = searched["label"].to_numpy(dtype=float)
    predicted = out_of_fold(features, y, folds, seed, lambda x, t, held: Ridge(alpha=1.0).fit(x, t).predict(held))
    quality = get_label_quality_scores(y, predicted)
    flagged = np.flatnonzero(quality < REGRESSION_ISSUE_SHARE * np.median(quality))
    ranked = flagged[np.argsort(quality[flagged], kind="stable")]
    issues = searched.iloc[ranked].copy()
    issues.insert(0, "rank", np.arange(1, len(ranked) + 1))
    issues["predicted"] = predicted[ranked].round(4)
    issues["label_quality"] = quality[ranked].round(4)
    residual = y - predicted
    summary.update(issues=len(issues), share=len(issues) / len(searched),
                   rmse=float(np.sqrt(np.mean(residual ** 2))), threshold=REGRESSION_ISSUE_SHARE,
                   oof_score=float(r2_score(y, predicted)) if np.var(y) > 0 else 0.0)
    return issues.reset_index(drop=True), summary
