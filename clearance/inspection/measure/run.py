"""Step 1's measuring: statistics, label issues, the sample, plots and measurements.json.

Judging the measurements against thresholds is in ``clearance.inspection.judge.run``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clearance.core.config.inspect import InspectStage
from clearance.core.data.digest import splits_digest
from clearance.core.data.prepare import load_splits, load_summary
from clearance.core.records import jsonable, settings_digest
from clearance.core.paths import PREPARED_DIR, SPLITS, report_dir
from clearance.core.progress import Countdown, step
from clearance.core.records import write_record
from clearance.core.report import plot_data, plots
from clearance.core.report.csv_safe import write_csv
from clearance.core.report.long_texts import Cutter
from clearance.core.task import SINGLE_LABEL, task_of
from clearance.core.text.lengths import length_stats, lengths
from clearance.core.text.units import unit_of
from clearance.inspection.measure import stats as S
from clearance.inspection.measure.files import (
    MEASUREMENTS_FILE,
    METRICS_FILE,
    STEP,
    InspectMeasurements,
    InspectMetrics,
    InspectTaskMetrics,
)
from clearance.inspection.measure.label_issues import find_label_issues
from clearance.inspection.measure.task_run import ISSUE_COLUMNS, compute_task, cut_task_texts, draw_task, task_metrics


ISSUE_ROWS_IN_REPORT = 50
SINGLE_ISSUE_COLUMNS = ["rank", "split", "row", "label", "given_label_prob", "suggested_label", "suggested_prob"]
# The phases' shares of compute()'s time on 1M synthetic tweets (benchmarks/bench_inspect.py), for the
# estimate of the time left: balance, vocabulary, duplicates, surface patterns, label issues.
PHASE_WEIGHTS = [1.0, 24.0, 27.0, 8.0, 34.0]


@dataclass
class InspectOutcome:
    """What step 1 measured: the statistics, the splits it read and the files written."""

    stats: dict[str, Any]
    files: dict[str, Path]
    splits: dict[str, pd.DataFrame]
    data_digest: str


def compute(splits: dict[str, pd.DataFrame], summary: dict, cfg: InspectStage,
            rows: pd.DataFrame | None = None, lens: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """All statistics, the ranked label issues and the sample to read (``rows``: the splits combined,
    ``lens``: their lengths in characters and words, when already measured)."""
    rows = S.combine(splits) if rows is None else rows
    classes = summary["classes"]
    unit = unit_of(summary)
    task = task_of(summary)
    stats: dict[str, Any] = {"n_rows": len(rows), "clean": summary["clean"], "split": summary["split"],
                             "dropped_share": summary["clean"]["dropped"] / max(summary["clean"]["rows_read"], 1),
                             "words": summary["words"],
                             "task": {"name": task.name, "reason": (summary.get("task") or {}).get("reason", "")}}
    if task.name != SINGLE_LABEL:  # label sets and targets have their own statistics; single-label's path below
        lens = lengths(rows["text"], unit) if lens is None else lens
        stats, issues, sample = compute_task(splits, stats, task, cfg, rows, lens, unit)
        stats["shortcuts"] = shortcut_search(rows, lens, task, unit, stats, cfg)
        return stats, issues, sample
    phases = Countdown("step 1 phases", 5, PHASE_WEIGHTS, every=0)
    with step(f"Label balance and lengths (words: {unit.name})"):
        stats.update(S.balance(rows, classes))
        lens = lengths(rows["text"], unit) if lens is None else lens
        stats["lengths"] = length_stats(lens, rows["label"])
        phases.tick(1)
    with step("Vocabulary, indicative tokens and a keyword rule"):
        stats.update(S.vocabulary(splits, classes, cfg.inspect, unit))
        phases.tick(2)
    with step("Duplicates and overlap between splits"):
        stats.update(S.duplicates(rows, unit))
        phases.tick(3)
    with step("URLs, hashtags, mentions, HTML entities, encoding"):
        stats.update(S.surface(rows, cfg.inspect, lens["words"]))
        phases.tick(4)
    with step("Suspected label errors (out-of-fold TF-IDF + logistic regression, cleanlab)"):
        issues, stats["label_issues"] = find_label_issues(
            rows, cfg.inspect.label_issue_folds, cfg.inspect.label_issue_max_rows, cfg.seed, unit)
        phases.tick(5)
    stats["shortcuts"] = shortcut_search(rows, lens, task, unit, stats, cfg)
    sample = S.stratified_sample(rows, cfg.inspect.sample_size, cfg.seed)
    stats["sample_size"] = len(sample)
    return stats, issues, sample


def shortcut_search(rows: pd.DataFrame, lens: pd.DataFrame, task, unit, stats: dict[str, Any],
                    cfg: InspectStage) -> dict[str, Any]:
    """Whether the data gives the answer away: label names, properties, single tokens, templates."""
    from clearance.inspection.measure.shortcuts.run import find_shortcuts

    c = cfg.inspect
    with step("Shortcuts: label names in texts, properties, single tokens, templates"):
        return find_shortcuts(rows, lens, task, unit, stats, c.shortcut_max_rows, c.template_words,
                              c.template_min_texts, cfg.seed)


def metrics(stats: dict[str, Any]) -> dict[str, Any]:
    """The key figures, for `dvc metrics show` and MLflow (label sets and targets: their own, task_run.py)."""
    shared = {
        "rows": stats["n_rows"],
        "dropped_share": round(stats["dropped_share"], 4),
        "duplicates": {k: round(v, 4) for k, v in stats["duplicates"].items()},
        "overlap": {k: round(v, 4) for k, v in stats["overlap"].items()},
        "patterns": {k: round(v, 4) for k, v in stats["patterns"].items()},
        "vocab": {k: round(v, 4) for k, v in stats["vocab"].items()},
        "length": {f"{unit}_{k}": round(v, 2) for unit in ("chars", "words")
                   for k, v in stats["lengths"][unit]["all"].items()},
        "label_issue_share": round(stats["label_issues"].get("share", 0.0), 4),
    }
    task = stats.get("task", {}).get("name", SINGLE_LABEL)
    if task != SINGLE_LABEL:
        return {**shared, "task": task, **task_metrics(stats, task)}
    return {
        **shared,
        "classes": len(stats["classes"]),
        "imbalance_ratio": round(stats["imbalance_ratio"], 4),
        "class_share": {c: round(v["share"], 4) for c, v in stats["classes"].items()},
        "keyword_rule": {k: round(stats["keyword_rule"][k], 4) for k in ("accuracy", "macro_f1", "majority_accuracy")},
    }


def draw(stats: dict[str, Any], rows: pd.DataFrame, lens: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Write the report's plots as PNGs, and their numbers as CSVs for `dvc plots` (``lens``: the rows'
    lengths in characters and words)."""
    return {
        "balance": plots.class_balance(stats["classes"], SPLITS, folder / "class_balance.png"),
        "chars": plots.length_histograms(lens, rows["label"], "chars", folder / "length_chars.png"),
        "words": plots.length_histograms(lens, rows["label"], "words", folder / "length_words.png"),
        "tokens": plots.top_token_bars(stats["top_tokens"], folder / "top_tokens.png"),
        "patterns": plots.pattern_rates(stats["patterns_per_class"], folder / "patterns.png"),
        "balance_data": plot_data.class_balance(stats["classes"], SPLITS, folder / "class_balance.csv"),
        "words_data": plot_data.length_histogram(lens["words"], "words", folder / "length_words.csv"),
        "patterns_data": plot_data.pattern_rates(stats["patterns"], folder / "patterns.csv"),
    }


def cut_long_texts(stats: dict[str, Any], issues: pd.DataFrame, sample: pd.DataFrame,
                   limit: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Texts longer than ``limit`` cut wherever step 1 shows them: the issues and the sample (texts, labels and
    kept columns) and the statistics' examples (in place); returns the issues, the sample and the report's note."""
    cutter = Cutter(limit)
    stats["pattern_examples"] = {k: cutter.texts(v) for k, v in stats["pattern_examples"].items()}
    stats["conflict_examples"] = cutter.columns(stats["conflict_examples"])
    cut_task_texts(stats, cutter)
    shortcuts = stats.get("shortcuts", {})
    for v in shortcuts.get("label_names", {}).get("labels", {}).values():
        v["examples"] = cutter.texts(v.get("examples", []))
    for t in shortcuts.get("templates", {}).get("templates", []):
        t["example"] = cutter.texts([t["example"]])[0]
    return cutter.columns(issues), cutter.columns(sample), cutter.note()


def run_inspection(cfg: InspectStage, prepared: Path = PREPARED_DIR, out: Path | None = None) -> InspectOutcome:
    """Step 1's measuring: read the prepared splits; write measurements, metrics, issues, sample and plots."""
    out = out or report_dir(STEP)
    out.mkdir(parents=True, exist_ok=True)
    splits, summary = load_splits(prepared), load_summary(prepared)
    rows = S.combine(splits)
    lens = lengths(rows["text"], unit_of(summary))  # measured once: segmenting is the costly part
    stats, issues, sample = compute(splits, summary, cfg, rows, lens)
    extra = summary["clean"]["kept_columns"]
    issues, sample, cut = cut_long_texts(stats, issues, sample, cfg.inspect.max_report_chars)
    files = {
        "metrics": out / METRICS_FILE,
        "label_issues": out / "label_issues.csv",
        "sample": out / "sample.csv",
    }
    task = stats["task"]["name"]
    write_record(InspectMetrics if task == SINGLE_LABEL else InspectTaskMetrics, metrics(stats), files["metrics"])
    issue_columns = [*ISSUE_COLUMNS.get(task, SINGLE_ISSUE_COLUMNS), *extra, "text"]
    write_csv(issues.reindex(columns=issue_columns), files["label_issues"])
    write_csv(sample.reindex(columns=["split", "row", "label", *extra, "text"]), files["sample"])
    with step("Plots"):
        drawn = (draw(stats, rows, lens, out / "plots") if task == SINGLE_LABEL
                 else draw_task(stats, task_of(summary), rows, lens, out / "plots"))
    digest = summary.get("digest") or splits_digest(splits)
    files["measurements"] = write_record(InspectMeasurements, {
        "step": STEP,
        "data_digest": digest,
        "settings_digest": settings_digest({"seed": cfg.seed, "inspect": asdict(cfg.inspect)}),
        "stats": stats,
        "summary": summary,
        "plots": {k: p.name for k, p in drawn.items() if p.suffix == ".png"},
        "report": {
            "extra_columns": extra,
            "cut": cut,
            "issue_rows": issues.head(ISSUE_ROWS_IN_REPORT),
            "sample_rows": sample,
        },
    }, out / MEASUREMENTS_FILE)
    files.update({f"plot_{k}": p for k, p in drawn.items()})
    return InspectOutcome(stats=jsonable(stats), files=files, splits=splits, data_digest=digest)
