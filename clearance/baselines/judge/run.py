"""Step 2's judging: grade the measured baselines, write checks.json, the report and the evidence manifest."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from clearance.baselines.judge.checks import baseline_checks
from clearance.baselines.measure.files import MEASUREMENTS_FILE, BaselinesMeasurements
from clearance.baselines.measure.metric_choice import recommend_metric
from clearance.checklist.fingerprint import write_manifest
from clearance.checklist.required import required_questions
from clearance.checklist.results import Judgement, write_checks
from clearance.core.config.baselines import BaselineChecks
from clearance.core.records import settings_digest
from clearance.core.paths import report_dir
from clearance.core.records import read_dict
from clearance.core.report.html import embed_png, write_report

TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2
QUESTIONS = Path(__file__).with_name("questions.yaml")  # this step's required questions

STEP = "baselines"
METRIC_NAMES = ("accuracy", "macro_f1", "weighted_f1", "log_loss")


def judge_baselines(thresholds: BaselineChecks, folder: Path | None = None) -> Judgement:
    """Grade step 2's measurements against ``checks.baselines``; write checks, report and manifest."""
    folder = folder or report_dir(STEP)
    measured = read_dict(BaselinesMeasurements, folder / MEASUREMENTS_FILE)
    facts = dict(measured["facts"])
    facts["recommended_metric"], facts["recommendation"] = recommend_metric(
        facts["imbalance_ratio"], thresholds.accuracy_max_imbalance)
    checks = baseline_checks(facts, thresholds)
    files = {"checks": folder / "checks.json", "report": folder / "report.html"}
    write_checks(checks, files["checks"])
    report = measured["report"]
    context = {
        "title": "clearance · step 2 · baselines", "results": measured["results"], "facts": facts,
        "bar": measured["bar"], "checks": [asdict(c) for c in checks],
        "confusion_png": embed_png(folder / report["confusion_png"]), "per_class": report["per_class"],
        "mistakes": report["mistakes"], "classes": report["classes"], "metric_names": METRIC_NAMES,
        "cut": report.get("cut"),  # absent in measurements written before texts were cut
    }
    write_report(TEMPLATE, context, files["report"])
    settings = settings_digest({"measured": measured["settings_digest"], "checks": asdict(thresholds)})
    files["manifest"] = write_manifest(STEP, measured["data_digest"], settings, checks,
                                       required_questions(QUESTIONS), folder)
    return Judgement(checks=checks, files=files, measurements={**measured, "facts": facts})
