"""How a simple rule is scored in the shortcut search, per task: macro-F1 of one class per text (as the keyword
rule), micro-F1 of label sets (as the keyword rule), R² of a number (the share of the target's variance a
rule explains). Each scorer also says what a bucket of train rows predicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score, r2_score

from clearance.core.task import MULTI_LABEL, SINGLE_LABEL


@dataclass(frozen=True)
class Scorer:
    """A task's rule score and a bucket's prediction."""

    task: str

    @property
    def metric(self) -> str:
        return {SINGLE_LABEL: "macro_f1", MULTI_LABEL: "micro_f1"}.get(self.task, "r2")

    def fit(self, target: np.ndarray):
        """What a group of train rows predicts: its most frequent class, the labels on half of it, its mean."""
        if self.task == SINGLE_LABEL:  # integer codes of the classes
            return int(np.argmax(np.bincount(target))) if len(target) else 0
        if self.task == MULTI_LABEL:
            return target.mean(axis=0) >= 0.5
        return float(np.mean(target))

    def score(self, truth: np.ndarray, predicted: np.ndarray) -> float:
        if len(truth) == 0:
            return 0.0
        if self.task == SINGLE_LABEL:
            return float(f1_score(truth, predicted, average="macro", zero_division=0))
        if self.task == MULTI_LABEL:
            return float(f1_score(truth, np.asarray(predicted, dtype=bool), average="micro", zero_division=0))
        return float(r2_score(truth, predicted)) if np.var(truth) > 0 else 0.0


def keyword_rule_score(stats: dict, task: str) -> float:
    """The keyword rule's valid score in the scorer's units (R² from the RMSE a number's rule leaves)."""
    rule = stats.get("keyword_rule", {})
    if task == SINGLE_LABEL:
        return float(rule.get("macro_f1", 0.0))
    if task == MULTI_LABEL:
        return float(rule.get("micro_f1", 0.0))
    mean_rmse = rule.get("mean_rmse", 0.0)
    return 1.0 - (rule.get("rmse", 0.0) / mean_rmse) ** 2 if mean_rmse else 0.0


def reference_score(stats: dict, task: str) -> tuple[float, str]:
    """The best simple rule step 1 scored, and which: the keyword rule on valid, or the out-of-fold TF-IDF model
    of the label-issue search (a property's reach is measured against the stronger)."""
    keyword = keyword_rule_score(stats, task)
    tfidf = stats.get("label_issues", {}).get("oof_score")
    if tfidf is not None and tfidf > keyword:
        return float(tfidf), "the out-of-fold TF-IDF model of the label-issue search"
    return keyword, "the keyword rule"
