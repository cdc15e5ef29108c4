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
from clearance.core.errors import UserError
from clearance.core.records import read_dict
from clearance.core.task import SINGLE_LABEL, TASKS
from clearance.inspection.judge import checks as step_checks
from clearance.inspection.judge import checks_rules, checks_shortcuts
from clearance.inspection.measure.files import MEASUREMENTS_FILE, STEP, InspectMeasurements

CHECKS = declared_in(step_checks) + declared_in(checks_rules) + declared_in(checks_shortcuts)
InspectChecks = limits_schema("InspectChecks", CHECKS,
                              "Thresholds of step 1's automated checks (checks.inspect; declared in checks.py, checks_rules.py "
                              "and checks_shortcuts.py).")
InspectJudge = thresholds_only("InspectJudge", InspectChecks, "inspect")  # what judging step 1 reads


def read(folder: Path, thresholds: Any) -> Measured:
    """reports/inspect/measurements.json, as the inspect stage wrote it."""
    measured = read_dict(InspectMeasurements, folder / MEASUREMENTS_FILE)
    return Measured(graded=measured, data_digest=measured["data_digest"], settings=measured["settings_digest"],
                    kept=measured, task=task_of_stats(measured["stats"]))


def task_of_stats(stats: dict[str, Any]) -> str:
    """The task the measuring recorded (single-label for a record written before tasks were). A task it does not
    know is refused: no check applies to it, so the step would be judged on none."""
    name = (stats.get("task") or {}).get("name", SINGLE_LABEL)
    if name not in TASKS:
        raise UserError(f"{report_dir(STEP) / MEASUREMENTS_FILE}, field stats.task.name",
                        f"unknown task {name!r} (one of {', '.join(TASKS)})",
                        "run the inspect stage again (`dvc repro inspect`) rather than editing its record")
    return name


def context(measured: Measured, checks: list[CheckResult], thresholds: Any, folder: Path) -> dict[str, Any]:
    """What step 1's report shows."""
    from clearance.core.report.html import embed_png

    kept = measured.kept
    return {
        **kept["stats"], **kept["report"],
        "title": "clearance · step 1 · data inspection", "summary": kept["summary"], "task": measured.task,
        "task_reason": ((kept["summary"].get("task") or {}).get("reason", "")),
        "corrections": kept["summary"].get("corrections"),  # absent when no label was corrected
        "checks": [asdict(c) for c in checks], "split_names": SPLITS,
        "plots": {k: embed_png(folder / "plots" / name) for k, name in kept["plots"].items()},
    }


TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2
QUESTIONS = Path(__file__).with_name(QUESTIONS_FILE)  # this step's required questions
JUDGING = StepJudging(step=STEP, checks=CHECKS, template=TEMPLATE, questions=QUESTIONS, read=read, context=context,
                      source=(MEASUREMENTS_FILE, "inspect"))


def judge_inspection(thresholds: Any, folder: Path | None = None) -> Judgement:
    """Grade step 1's measurements against ``checks.inspect``; write checks, report, manifest and the shortcuts
    step 3 probes (suspects.py)."""
    from clearance.inspection.judge.suspects import write_suspects

    folder = folder or report_dir(STEP)
    judged = judge_step(JUDGING, thresholds, folder)
    judged.files["shortcuts"] = write_suspects(folder, judged.measurements.get("stats", {}), thresholds, judged.checks)
    return judged


def inspect_checks(stats: dict[str, Any], thresholds: Any) -> list[CheckResult]:
    """Every step-1 check that applies to the statistics' task, graded on them alone, in report order (for
    notebooks and tests)."""
    from clearance.checklist.declared import grade_all

    return grade_all(CHECKS, {"stats": stats}, thresholds, task_of_stats(stats))
