"""Step 1's judging: its declared checks graded from reports/inspect/measurements.json, and its report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from clearance.checklist.declared import declared_in, limits_schema
from clearance.checklist.required import FILE as QUESTIONS_FILE
from clearance.checklist.judging import Measured, StepJudging, judge_step, thresholds_only
from clearance.checklist.results import CheckResult, Judgement
from clearance.core.paths import SPLITS, report_dir
from clearance.core.records import read_dict
from clearance.inspection.judge import checks as step_checks
from clearance.inspection.measure.files import MEASUREMENTS_FILE, STEP, InspectMeasurements

CHECKS = declared_in(step_checks)
InspectChecks = limits_schema("InspectChecks", CHECKS,
                              "Thresholds of step 1's automated checks (checks.inspect; declared in checks.py).")
InspectJudge = thresholds_only("InspectJudge", InspectChecks, "inspect")  # what judging step 1 reads


def read(folder: Path, thresholds: Any) -> Measured:
    """reports/inspect/measurements.json, as the inspect stage wrote it."""
    measured = read_dict(InspectMeasurements, folder / MEASUREMENTS_FILE)
    return Measured(graded=measured, data_digest=measured["data_digest"], settings=measured["settings_digest"],
                    kept=measured)


def context(measured: Measured, checks: list[CheckResult], thresholds: Any, folder: Path) -> dict[str, Any]:
    """What step 1's report shows."""
    from clearance.core.report.html import embed_png

    kept = measured.kept
    return {
        **kept["stats"], **kept["report"],
        "title": "clearance · step 1 · data inspection", "summary": kept["summary"],
        "checks": [asdict(c) for c in checks], "split_names": SPLITS,
        "plots": {k: embed_png(folder / "plots" / name) for k, name in kept["plots"].items()},
    }


TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2
QUESTIONS = Path(__file__).with_name(QUESTIONS_FILE)  # this step's required questions
JUDGING = StepJudging(step=STEP, checks=CHECKS, template=TEMPLATE, questions=QUESTIONS, read=read, context=context,
                      source=(MEASUREMENTS_FILE, "inspect"))


def judge_inspection(thresholds: Any, folder: Path | None = None) -> Judgement:
    """Grade step 1's measurements against ``checks.inspect``; write checks, report and manifest."""
    return judge_step(JUDGING, thresholds, folder or report_dir(STEP))


def inspect_checks(stats: dict[str, Any], thresholds: Any) -> list[CheckResult]:
    """Every step-1 check graded on the statistics alone, in report order (for notebooks and tests)."""
    from clearance.checklist.declared import grade_all

    return grade_all(CHECKS, {"stats": stats}, thresholds)
