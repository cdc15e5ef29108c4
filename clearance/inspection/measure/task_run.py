"""Step 1's measuring for label sets (multi-label) and numeric targets (regression): the task's own statistics
beside the text statistics every task shares (duplicates, overlap, surface patterns), its label-issue search,
its sample, plots and key figures. Single-label data never comes here (run.py keeps its path as it was)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.config.inspect import InspectStage
from clearance.core.paths import SPLITS
from clearance.core.progress import Countdown, step
from clearance.core.report import plot_data, plots
from clearance.core.report.long_texts import Cutter
from clearance.core.task import MULTI_LABEL, Task
from clearance.core.text.lengths import length_stats
from clearance.core.text.normalize import duplicate_key
from clearance.core.text.patterns import pattern_examples, pattern_flags, pattern_rates
from clearance.core.text.units import WordUnit
from clearance.inspection.measure import label_sets as L
from clearance.inspection.measure import stats as S
from clearance.inspection.measure import targets as T
from clearance.inspection.measure import task_plots
from clearance.inspection.measure.task_issues import find_label_set_issues, find_target_issues

PER_LABEL_IN_SAMPLE = 5  # the sample holds at least this many texts of every label (as of every class)
PLOTTED_GROUPS = 8  # length curves and token panels of the most frequent labels only: more do not read


def groups_of(rows: pd.DataFrame, task: Task) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, group names): each text once per label it carries (label sets), or once in its
    quarter of the target (regression). Lengths and patterns are shown per group, as per class."""
    if task.name == MULTI_LABEL:
        position, column = np.nonzero(task.indicators(rows["label"].tolist()))
        return position, np.asarray(task.classes, dtype=object)[column]
    return np.arange(len(rows)), T.quartile_names(rows["label"].to_numpy(dtype=float))


def surface(rows: pd.DataFrame, groups: tuple[np.ndarray, np.ndarray], short_words: int,
            words: pd.Series) -> dict[str, Any]:
    """Pattern rates overall and per group, with examples (``S.surface`` with groups for classes)."""
    flags = pattern_flags(rows["text"], short_words, words)
    position, names = groups
    per_group = {str(g): pattern_rates(f) for g, f in flags.iloc[position].reset_index(drop=True).groupby(names)}
    return {"patterns": pattern_rates(flags), "patterns_per_class": per_group,
            "pattern_examples": pattern_examples(rows["text"], flags)}


def task_sample(rows: pd.DataFrame, groups: tuple[np.ndarray, np.ndarray], size: int, seed: int) -> pd.DataFrame:
    """A random sample of ``size`` rows, topped up so every group (label or quarter) has a few."""
    if len(rows) <= size:
        return rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    picked = set(rows.sample(n=size, random_state=seed).index)
    position, names = groups
    frame = pd.DataFrame({"row": rows.index[position], "group": names})
    for _, members in frame.groupby("group"):
        have = members["row"].isin(picked).sum()
        if have < PER_LABEL_IN_SAMPLE:
            rest = members.loc[~members["row"].isin(picked), "row"]
            picked.update(rest.sample(n=min(len(rest), PER_LABEL_IN_SAMPLE - have), random_state=seed))
    return rows.loc[sorted(picked)].sample(frac=1.0, random_state=seed).reset_index(drop=True)


def compute_task(splits: dict[str, pd.DataFrame], stats: dict[str, Any], task: Task, cfg: InspectStage,
                 rows: pd.DataFrame, lens: pd.DataFrame, unit: WordUnit) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """``stats`` (the shared start) completed with the task's statistics; the ranked issues and the sample."""
    c = cfg.inspect
    phases = Countdown("step 1 phases", 5, [1.0, 24.0, 27.0, 8.0, 34.0], every=0)
    groups = groups_of(rows, task)
    with step("Labels per text, co-occurrence and lengths" if task.name == MULTI_LABEL
              else "The target's distribution, outliers and lengths"):
        if task.name == MULTI_LABEL:
            stats.update(L.label_balance(rows, task))
        else:
            stats["target"] = T.distribution(rows)
            stats["target_length"] = T.length_link(rows["label"].to_numpy(dtype=float), lens["words"])
        position, names = groups
        stats["lengths"] = length_stats(lens.iloc[position].reset_index(drop=True), pd.Series(names))
        phases.tick(1)
    with step("Vocabulary, indicative tokens and a keyword rule"):
        stats.update(L.label_vocabulary(splits, task, c, unit) if task.name == MULTI_LABEL
                     else T.score_vocabulary(splits, c, unit))
        phases.tick(2)
    with step("Duplicates and overlap between splits"):
        stats.update(S.duplicates(rows, unit))
        if task.name != MULTI_LABEL:
            stats["target_conflicts"] = T.target_conflicts(rows, duplicate_key(rows["text"], unit.spaced))
        phases.tick(3)
    with step("URLs, hashtags, mentions, HTML entities, encoding"):
        stats.update(surface(rows, groups, c.short_text_words, lens["words"]))
        phases.tick(4)
    with step("Suspected label errors (out-of-fold TF-IDF, cleanlab)"):
        if task.name == MULTI_LABEL:
            issues, stats["label_issues"] = find_label_set_issues(
                rows, task, c.label_issue_folds, c.label_issue_max_rows, cfg.seed, unit)
        else:
            issues, stats["label_issues"] = find_target_issues(
                rows, c.label_issue_folds, c.label_issue_max_rows, cfg.seed, unit)
        phases.tick(5)
    sample = task_sample(rows, groups, c.sample_size, cfg.seed)
    stats["sample_size"] = len(sample)
    return stats, issues, sample


def cut_task_texts(stats: dict[str, Any], cutter: Cutter) -> None:
    """The regression statistics' example texts cut as the report's others are (in place)."""
    for key in ("target", "target_conflicts"):
        block = stats.get(key, {})
        block = block.get("outliers", block) if key == "target" else block
        if "examples" in block:
            block["examples"] = cutter.rows(block["examples"], "text")


ISSUE_COLUMNS = {MULTI_LABEL: ["rank", "split", "row", "label", "label_quality", "suggested_label", "doubted"],
                 "regression": ["rank", "split", "row", "label", "predicted", "label_quality"]}


def task_metrics(stats: dict[str, Any], task: str) -> dict[str, Any]:
    """The key figures of metrics.json that depend on the task, and the task's own (``figures``)."""
    rule = stats["keyword_rule"]
    if task == MULTI_LABEL:
        sets = stats["label_sets"]
        return {"classes": len(stats["classes"]), "imbalance_ratio": round(stats["imbalance_ratio"], 4),
                "class_share": {c: round(v["share"], 4) for c, v in stats["classes"].items()},
                "keyword_rule": {k: round(rule[k], 4) for k in ("micro_f1", "macro_f1", "prior_micro_f1")},
                "figures": {"labels_per_text": round(sets["per_text_mean"], 4),
                            "empty_share": round(sets["empty_share"], 4), "distinct_sets": sets["distinct_sets"]}}
    target = stats["target"]
    return {"classes": 0, "imbalance_ratio": None, "class_share": {},
            "keyword_rule": {k: round(rule[k], 4) for k in ("rmse", "mean_rmse", "gain")},
            "figures": {**{k: round(target[k], 4) for k in ("mean", "std", "min", "median", "max", "skew")},
                        "outlier_share": round(target["outliers"]["share"], 4),
                        "conflicting_share": round(stats["target_conflicts"]["disagreeing_share"], 4),
                        "length_spearman": round(stats["target_length"]["spearman"], 4)}}


def draw_task(stats: dict[str, Any], task: Task, rows: pd.DataFrame, lens: pd.DataFrame,
              folder: Path) -> dict[str, Path]:
    """The task's plots (PNG) and their numbers (CSV), beside the ones every task shares."""
    position, names = groups_of(rows, task)
    frequent = pd.Series(names).value_counts().index[:PLOTTED_GROUPS]
    keep = np.isin(names, frequent)
    lens_g, names_g = lens.iloc[position[keep]].reset_index(drop=True), pd.Series(names[keep])
    out = {
        "chars": plots.length_histograms(lens_g, names_g, "chars", folder / "length_chars.png"),
        "words": plots.length_histograms(lens_g, names_g, "words", folder / "length_words.png"),
        "patterns": plots.pattern_rates({g: stats["patterns_per_class"][g] for g in frequent if g in
                                         stats["patterns_per_class"]}, folder / "patterns.png"),
        "words_data": plot_data.length_histogram(lens["words"], "words", folder / "length_words.csv"),
        "patterns_data": plot_data.pattern_rates(stats["patterns"], folder / "patterns.csv"),
    }
    if task.name == MULTI_LABEL:
        top = {label: stats["top_tokens"][label] for label in frequent}
        out.update({
            "balance": plots.class_balance(stats["classes"], SPLITS, folder / "class_balance.png"),
            "balance_data": plot_data.class_balance(stats["classes"], SPLITS, folder / "class_balance.csv"),
            "tokens": plots.top_token_bars(top, folder / "top_tokens.png"),
            "co_occurrence": task_plots.co_occurrence_matrix(stats["co_occurrence"], folder / "label_pairs.png"),
            "co_occurrence_data": task_plots.co_occurrence_csv(stats["co_occurrence"], folder / "label_pairs.csv"),
        })
    else:
        y = rows["label"].to_numpy(dtype=float)
        out.update({
            "target": task_plots.target_histogram(rows, SPLITS, folder / "target.png"),
            "target_data": task_plots.target_histogram_csv(rows, folder / "target.csv"),
            "target_length": task_plots.target_by_length(y, lens["words"], folder / "target_length.png"),
        })
    return out
