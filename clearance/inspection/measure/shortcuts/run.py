"""Step 1's shortcut search on (a sample of) all rows: label names in texts, each property's rule, the best
single tokens and templates; measurements.json keeps it under ``shortcuts`` for the judge's checks."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.task import REGRESSION, Task
from clearance.core.text.units import WordUnit
from clearance.inspection.measure.shortcuts.names import label_names
from clearance.inspection.measure.shortcuts.properties import property_rules, text_properties
from clearance.inspection.measure.shortcuts.scores import Scorer, keyword_rule_score, reference_score
from clearance.inspection.measure.shortcuts.targets import label_columns, sampled
from clearance.inspection.measure.shortcuts.templates import templates

OWN_COLUMNS = ("row", "text", "label", "split", "_chars", "_words")
TOKENS_TRIED = 3  # a label's most indicative tokens, each tried alone as a rule


def word_pattern(token: str, unit: WordUnit) -> str:
    """A token as a whole word (inside text for unspaced scripts), any case."""
    return rf"(?i)(?<!\w){re.escape(token)}(?!\w)" if unit.spaced else rf"(?i){re.escape(token)}"


def single_tokens(valid: pd.DataFrame, columns: np.ndarray, names: list[str], top: dict, unit: WordUnit) -> dict:
    """For each label, its best indicative token alone as a rule on valid ("the label when the token is there"):
    its F1 for that label, precision and recall."""
    texts = valid["text"].astype("string").fillna("")
    best = {}
    for j, name in enumerate(names):
        truth = columns[:, j]
        for token, _ in (top.get(name) or [])[:TOKENS_TRIED]:
            has = texts.str.contains(word_pattern(str(token), unit), regex=True).to_numpy(dtype=bool)
            hits = int((has & truth).sum())
            precision, recall = hits / max(int(has.sum()), 1), hits / max(int(truth.sum()), 1)
            f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
            if f1 > best.get(name, {}).get("f1", -1.0):
                best[name] = {"token": str(token), "f1": f1, "precision": precision, "recall": recall,
                              "texts": int(has.sum())}
    return dict(sorted(best.items(), key=lambda kv: -kv[1]["f1"]))


def properties_of(sample: pd.DataFrame) -> pd.DataFrame:
    """The texts' properties and every kept column's values (``column:<name>``)."""
    props = text_properties(sample["text"], sample[["_chars", "_words"]].set_axis(["chars", "words"], axis=1))
    for name in sample.columns:
        if name not in OWN_COLUMNS:
            props[f"column:{name}"] = sample[name].to_numpy()
    return props


def find_shortcuts(rows: pd.DataFrame, lens: pd.DataFrame, task: Task, unit: WordUnit, stats: dict[str, Any],
                   max_rows: int, template_words: int, template_min_texts: int, seed: int) -> dict[str, Any]:
    """Everything the shortcut checks grade (``lens``: the rows' characters and words, same order)."""
    frame = rows.assign(_chars=lens["chars"].to_numpy(), _words=lens["words"].to_numpy())
    sample, note = sampled(frame, max_rows, seed)
    scorer = Scorer(task.name)
    names = [str(c) for c in task.classes]
    numeric = task.name == REGRESSION
    columns = None if numeric else label_columns(sample["label"], task)
    number = sample["label"].to_numpy(dtype=float) if numeric else None
    # one class per text as integer codes: a bucket's most frequent class is then a bincount
    target = number if numeric else (columns if task.name != "single_label" else pd.factorize(sample["label"])[0])
    split = sample["split"].to_numpy()
    found: dict[str, Any] = {"sampled": note, "rows": len(sample), "metric": scorer.metric,
                             "keyword_rule": keyword_rule_score(stats, task.name),
                             "reference": dict(zip(("score", "rule"), reference_score(stats, task.name))),
                             "properties": property_rules(properties_of(sample), target, scorer, seed),
                             "templates": templates(sample["text"], columns, number, names, unit, template_words,
                                                    template_min_texts)}
    if numeric:
        found["label_names"] = {"skipped": "a number has no label names", "labels": {}}
        found["tokens"] = {}
    else:
        found["label_names"] = label_names(sample["text"], columns, names, unit)
        valid = split == "valid"
        found["tokens"] = single_tokens(sample[valid], columns[valid], names, stats.get("top_tokens", {}), unit)
    return found
