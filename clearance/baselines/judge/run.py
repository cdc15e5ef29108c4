"""Step 2's judging: its declared checks graded from reports/baselines/measurements.json, and its report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from clearance.baselines.judge import checks as step_checks
from clearance.baselines.measure.files import MEASUREMENTS_FILE, STEP, BaselinesMeasurements
from clearance.baselines.measure.metric_choice import recommend_metric, recommend_multi_label, recommend_regression
from clearance.checklist.declared import declared_in, grade_all, limits_schema
from clearance.checklist.required import FILE as QUESTIONS_FILE
from clearance.checklist.judging import Measured, StepJudging, judge_step, thresholds_only
from clearance.checklist.results import CheckResult, Judgement
from clearance.core.paths import report_dir
from clearance.core.records import read_dict

METRIC_NAMES = ("accuracy", "macro_f1", "weighted_f1", "log_loss")
# The metrics the report's table shows, by task (clearance.core.evaluation.score_task).
TASK_METRIC_NAMES = {"single_label": METRIC_NAMES, "multi_label": ("micro_f1", "macro_f1", "exact_match", "log_loss"),
                     "regression": ("rmse", "mae", "r2", "spearman")}

CHECKS = declared_in(step_checks)
BaselineChecks = limits_schema("BaselineChecks", CHECKS,
                               "Thresholds of step 2's automated checks (checks.baselines; declared in checks.py).")
BaselinesJudge = thresholds_only("BaselinesJudge", BaselineChecks, "baselines")  # what judging step 2 reads


def with_recommendation(facts: dict[str, Any], thresholds: Any) -> dict[str, Any]:
    """The measured facts with the metric this data calls for (it follows ``accuracy_max_imbalance``; for
    label sets ``micro_f1_max_label_imbalance``, for a number ``rmse_max_outlier_share``)."""
    facts = dict(facts)
    task = facts.get("task", "single_label")
    if task == "multi_label":
        recommended = recommend_multi_label(facts["imbalance_ratio"], thresholds.micro_f1_max_label_imbalance)
    elif task == "regression":
        recommended = recommend_regression(facts["outlier_share"], thresholds.rmse_max_outlier_share)
    else:
        recommended = recommend_metric(facts["imbalance_ratio"], thresholds.accuracy_max_imbalance)
    facts["recommended_metric"], facts["recommendation"] = recommended
    return facts


def read(folder: Path, thresholds: Any) -> Measured:
    """reports/baselines/measurements.json, as the baselines stage wrote it, with the recommended metric."""
    measured = read_dict(BaselinesMeasurements, folder / MEASUREMENTS_FILE)
    kept = {**measured, "facts": with_recommendation(measured["facts"], thresholds)}
    return Measured(graded=kept, data_digest=measured["data_digest"], settings=measured["settings_digest"],
                    kept=kept, task=measured.get("task") or "single_label")


def context(measured: Measured, checks: list[CheckResult], thresholds: Any, folder: Path) -> dict[str, Any]:
    """What step 2's report shows."""
    from clearance.core.report.html import embed_png

    kept = measured.kept
    report = kept["report"]
    return {
        "title": "clearance · step 2 · baselines", "results": kept["results"], "facts": kept["facts"],
        "bar": kept["bar"], "checks": [asdict(c) for c in checks],
        "confusion_png": embed_png(folder / report["confusion_png"]) if report.get("confusion_png") else None,
        "per_class": report["per_class"], "mistakes": report["mistakes"], "classes": report["classes"],
        "metric_names": TASK_METRIC_NAMES[measured.task], "task": measured.task,
        "by_target": report.get("by_target") or [],
        "cut": report.get("cut"),  # absent in measurements written before texts were cut
    }


JUDGING = StepJudging(step=STEP, checks=CHECKS, template=Path(__file__).with_name("report.html.j2"),
                      questions=Path(__file__).with_name(QUESTIONS_FILE), read=read, context=context,
                      source=(MEASUREMENTS_FILE, STEP))


def judge_baselines(thresholds: Any, folder: Path | None = None) -> Judgement:
    """Grade step 2's measurements against ``checks.baselines``; write checks, report and manifest."""
    return judge_step(JUDGING, thresholds, folder or report_dir(STEP))


def baseline_checks(facts: dict[str, Any], thresholds: Any) -> list[CheckResult]:
    """Every step-2 check graded on the facts alone, in report order (for notebooks and tests)."""
    return grade_all(CHECKS, {"facts": facts}, thresholds)
