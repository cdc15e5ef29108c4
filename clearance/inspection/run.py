"""Run step 1 end to end: statistics, checks, files, report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clearance.checklist.results import CheckResult, write_checks
from clearance.config import InspectStage
from clearance.data.prepare import load_splits, load_summary
from clearance.inspection import stats as S
from clearance.inspection.checks import inspect_checks
from clearance.inspection.label_issues import find_label_issues
from clearance.paths import PREPARED_DIR, SPLITS, report_dir
from clearance.progress import step
from clearance.report import plots
from clearance.report.html import embed_png, write_report
from clearance.text.lengths import length_stats, lengths

STEP = "inspect"


@dataclass
class InspectOutcome:
    """What step 1 produced: the statistics, the checks and the files written."""

    stats: dict[str, Any]
    checks: list[CheckResult]
    files: dict[str, Path]


def compute(splits: dict[str, pd.DataFrame], summary: dict, cfg: InspectStage,
            rows: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """All statistics, the ranked label issues and the sample to read (``rows``: the splits combined)."""
    rows = S.combine(splits) if rows is None else rows
    classes = summary["classes"]
    stats: dict[str, Any] = {"n_rows": len(rows), "clean": summary["clean"],
                             "dropped_share": summary["clean"]["dropped"] / max(summary["clean"]["rows_read"], 1)}
    with step("Label balance and lengths"):
        stats.update(S.balance(rows, classes))
        stats["lengths"] = length_stats(lengths(rows["text"]), rows["label"])
    with step("Vocabulary, indicative tokens and a keyword rule"):
        stats.update(S.vocabulary(splits, classes, cfg.inspect))
    with step("Duplicates and overlap between splits"):
        stats.update(S.duplicates(rows))
    with step("URLs, hashtags, mentions, HTML entities, encoding"):
        stats.update(S.surface(rows, cfg.inspect))
    with step("Suspected label errors (out-of-fold TF-IDF + logistic regression, cleanlab)"):
        issues, stats["label_issues"] = find_label_issues(
            rows, cfg.inspect.label_issue_folds, cfg.inspect.label_issue_max_rows, cfg.seed)
    sample = S.stratified_sample(rows, cfg.inspect.sample_size, cfg.seed)
    stats["sample_size"] = len(sample)
    return stats, issues, sample


def metrics(stats: dict[str, Any]) -> dict[str, Any]:
    """The key figures, for `dvc metrics show` and MLflow."""
    return {
        "rows": stats["n_rows"],
        "classes": len(stats["classes"]),
        "imbalance_ratio": round(stats["imbalance_ratio"], 4),
        "class_share": {c: round(v["share"], 4) for c, v in stats["classes"].items()},
        "dropped_share": round(stats["dropped_share"], 4),
        "duplicates": {k: round(v, 4) for k, v in stats["duplicates"].items()},
        "overlap": {k: round(v, 4) for k, v in stats["overlap"].items()},
        "patterns": {k: round(v, 4) for k, v in stats["patterns"].items()},
        "vocab": {k: round(v, 4) for k, v in stats["vocab"].items()},
        "length": {f"{unit}_{k}": round(v, 2) for unit in ("chars", "words")
                   for k, v in stats["lengths"][unit]["all"].items()},
        "keyword_rule": {k: round(stats["keyword_rule"][k], 4) for k in ("accuracy", "macro_f1", "majority_accuracy")},
        "label_issue_share": round(stats["label_issues"].get("share", 0.0), 4),
    }


def draw(stats: dict[str, Any], rows: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Write the report's plots."""
    lens = lengths(rows["text"])
    return {
        "balance": plots.class_balance(stats["classes"], SPLITS, folder / "class_balance.png"),
        "chars": plots.length_histograms(lens, rows["label"], "chars", folder / "length_chars.png"),
        "words": plots.length_histograms(lens, rows["label"], "words", folder / "length_words.png"),
        "tokens": plots.top_token_bars(stats["top_tokens"], folder / "top_tokens.png"),
        "patterns": plots.pattern_rates(stats["patterns_per_class"], folder / "patterns.png"),
    }


def run_inspection(cfg: InspectStage, prepared: Path = PREPARED_DIR, out: Path | None = None) -> InspectOutcome:
    """Step 1: read the prepared splits, write report, checks, metrics, issues and sample."""
    out = out or report_dir(STEP)
    out.mkdir(parents=True, exist_ok=True)
    splits, summary = load_splits(prepared), load_summary(prepared)
    rows = S.combine(splits)
    stats, issues, sample = compute(splits, summary, cfg, rows)
    checks = inspect_checks(stats, cfg.checks.inspect)
    extra = summary["clean"]["kept_columns"]
    files = {
        "checks": out / "checks.json",
        "metrics": out / "metrics.json",
        "label_issues": out / "label_issues.csv",
        "sample": out / "sample.csv",
        "report": out / "report.html",
    }
    write_checks(checks, files["checks"])
    files["metrics"].write_text(json.dumps(metrics(stats), indent=2) + "\n", encoding="utf-8")
    issue_columns = ["rank", "split", "row", "label", "given_label_prob", "suggested_label", "suggested_prob", *extra, "text"]
    issues.reindex(columns=issue_columns).to_csv(files["label_issues"], index=False)
    sample.reindex(columns=["split", "row", "label", *extra, "text"]).to_csv(files["sample"], index=False)
    with step("Plots and the HTML report"):
        pngs = draw(stats, rows, out / "plots")
        context = {
            **stats, "title": "clearance · step 1 · data inspection", "summary": summary,
            "checks": [asdict(c) for c in checks], "split_names": SPLITS,
            "plots": {k: embed_png(p) for k, p in pngs.items()}, "extra_columns": extra,
            "conflict_examples": stats["conflict_examples"].to_dict("records"),
            "issue_rows": issues.head(50).to_dict("records"),
            "sample_rows": sample.to_dict("records"),
        }
        write_report("inspect.html.j2", context, files["report"])
    files.update({f"plot_{k}": p for k, p in pngs.items()})
    return InspectOutcome(stats=stats, checks=checks, files=files)
