"""Reading a model's errors on one split: slices, the model against the best baseline, the labels it doubts.

``read_errors`` measures (pure numbers and tables, no torch); ``write_errors`` writes errors.json and the CSVs
a user reads. The judging grades the record (weak_slices, beats_best_baseline); the report shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.config.errors import ErrorsConfig
from clearance.core.report.csv_safe import write_csv
from clearance.core.task import REGRESSION, Task
from clearance.core.text.units import WordUnit
from clearance.reading.bootstrap import interval
from clearance.reading.label_review import doubted_labels, overlap
from clearance.reading.metrics import correct, encode, scorer
from clearance.core.row_outputs import RowOutputs
from clearance.reading.slices import SliceSettings, all_slices
from clearance.reading.versus import disagreements, gain_interval, mcnemar
from clearance.reading.weakness import slice_examples, slice_scores, worst_first


@dataclass
class ReadInputs:
    """What reading a split's errors needs: the split's rows (row, text, label, kept columns), the train texts,
    the task, its word unit, the primary metric, the model's and the best baseline's answers (aligned to the
    split's rows; the baseline None when step 2 kept none) and step 1's label-issue list."""

    split: str
    frame: pd.DataFrame
    train_texts: pd.Series
    task: Task
    unit: WordUnit
    metric: str
    model: RowOutputs
    baseline: RowOutputs | None
    step1_issues: pd.DataFrame
    group_column: str | None = None
    keep_columns: tuple[str, ...] = ()


def numbers(task: Task, answers: list) -> np.ndarray | None:
    return np.asarray(answers, dtype=float) if task.name == REGRESSION else None


def read_slices(inputs: ReadInputs, cfg: ErrorsConfig, seed: int, truth: np.ndarray,
                predicted: np.ndarray) -> list[dict[str, Any]]:
    """Each slice's score and interval, worst first, with a few of its mistakes to read."""
    task, frame = inputs.task, inputs.frame
    score = scorer(task, inputs.metric, truth, predicted, inputs.model.probs)
    settings = SliceSettings(cfg.rare_word_count, cfg.rare_share, cfg.max_column_values, cfg.max_groups)
    slices = all_slices(frame, inputs.train_texts, inputs.unit, inputs.group_column, list(inputs.keep_columns),
                        settings)
    scores = slice_scores(score, slices, cfg.bootstrap, seed, cfg.level)
    right = correct(task, truth, predicted)
    error = None if right is not None else predicted - truth
    masks = {s.name: s.mask for s in slices}
    for s in scores:
        s["examples"] = slice_examples(frame, masks[s["name"]], ~right if right is not None else None, error,
                                       inputs.model.answers, cfg.examples)
    return worst_first(scores, inputs.metric)


def read_versus(inputs: ReadInputs, cfg: ErrorsConfig, seed: int, truth: np.ndarray,
                predicted: np.ndarray) -> tuple[dict[str, Any], pd.DataFrame]:
    """The model's gain over the best baseline on the same rows, and the rows where they disagree."""
    task, base = inputs.task, inputs.baseline
    if base is None:
        return {"skipped": "no baseline answered these rows"}, pd.DataFrame()
    theirs = encode(task, base.answers)
    model = scorer(task, inputs.metric, truth, predicted, inputs.model.probs)
    try:
        baseline = scorer(task, inputs.metric, truth, theirs, base.probs)
    except KeyError:
        return {"skipped": f"the baseline gives no probabilities for {inputs.metric}"}, pd.DataFrame()
    record: dict[str, Any] = {"baseline": base.name, "metric": inputs.metric,
                              "gain": gain_interval(model, baseline, len(truth), inputs.metric, cfg.bootstrap, seed,
                                                    cfg.level), "level": cfg.level, "bootstrap": cfg.bootstrap}
    model_right, base_right = correct(task, truth, predicted), correct(task, truth, theirs)
    if model_right is not None:
        record["mcnemar"] = mcnemar(model_right, base_right) if task.name != "multi_label" else None
        record["model_only"] = int(np.sum(model_right & ~base_right))
        record["baseline_only"] = int(np.sum(~model_right & base_right))
    rows = disagreements(inputs.frame, inputs.model.answers, base.answers, model_right, base_right,
                         None if model_right is not None else predicted - truth,
                         None if model_right is not None else theirs - truth)
    return record, rows


def read_errors(inputs: ReadInputs, cfg: ErrorsConfig, seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The errors record and the tables behind it (disagreements, doubted labels)."""
    task = inputs.task
    truth = encode(task, inputs.frame["label"].tolist())
    predicted = encode(task, inputs.model.answers)
    overall = interval(scorer(task, inputs.metric, truth, predicted, inputs.model.probs), np.arange(len(truth)),
                       cfg.bootstrap, seed, cfg.level)
    versus, versus_rows = read_versus(inputs, cfg, seed, truth, predicted)
    doubted, why = doubted_labels(task, inputs.frame, truth, inputs.model.probs, predicted)
    record = {
        "split": inputs.split, "task": task.name, "metric": inputs.metric, "rows": int(len(truth)),
        "overall": overall.to_dict(), "level": cfg.level, "bootstrap": cfg.bootstrap,
        "slices": read_slices(inputs, cfg, seed, truth, predicted),
        "versus_baseline": versus,
        "doubted": {"count": int(len(doubted)), "share": round(len(doubted) / max(len(truth), 1), 6),
                    "skipped": why, "overlap": overlap(doubted, inputs.step1_issues, inputs.split),
                    "top": doubted.head(cfg.rows_listed).to_dict("records")},
    }
    if not versus_rows.empty:
        versus["listed"] = versus_rows.groupby("who").head(cfg.rows_listed).to_dict("records")
    return record, {"versus_baseline": versus_rows, "doubted_labels": doubted}


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, prefix: str = "") -> dict[str, Path]:
    """The CSVs behind the record (every disagreement, every doubted label), in ``folder``."""
    paths = {}
    for name, table in tables.items():
        paths[name] = write_csv(table, folder / f"{prefix}{name}.csv")
    return paths
