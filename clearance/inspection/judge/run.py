"""Step 1's judging: grade the measurements, write checks.json, the report and the evidence manifest.

Cheap by design (no statistics are recomputed), so a threshold change costs seconds.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from clearance.checklist.fingerprint import write_manifest
from clearance.checklist.required import required_questions
from clearance.checklist.results import Judgement, write_checks
from clearance.core.config.inspect import InspectChecks
from clearance.core.records import settings_digest
from clearance.core.paths import SPLITS, report_dir
from clearance.core.records import read_dict
from clearance.core.report.html import embed_png, write_report
from clearance.inspection.judge.checks import inspect_checks
from clearance.inspection.measure.files import MEASUREMENTS_FILE, InspectMeasurements

TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2
QUESTIONS = Path(__file__).with_name("questions.yaml")  # this step's required questions

STEP = "inspect"


def judge_inspection(thresholds: InspectChecks, folder: Path | None = None) -> Judgement:
    """Grade step 1's measurements against ``checks.inspect``; write checks, report and manifest."""
    folder = folder or report_dir(STEP)
    measured = read_dict(InspectMeasurements, folder / MEASUREMENTS_FILE)
    checks = inspect_checks(measured["stats"], thresholds)
    files = {"checks": folder / "checks.json", "report": folder / "report.html"}
    write_checks(checks, files["checks"])
    context = {
        **measured["stats"], **measured["report"],
        "title": "clearance · step 1 · data inspection", "summary": measured["summary"],
        "checks": [asdict(c) for c in checks], "split_names": SPLITS,
        "plots": {k: embed_png(folder / "plots" / name) for k, name in measured["plots"].items()},
    }
    write_report(TEMPLATE, context, files["report"])
    settings = settings_digest({"measured": measured["settings_digest"], "checks": asdict(thresholds)})
    files["manifest"] = write_manifest(STEP, measured["data_digest"], settings, checks,
                                       required_questions(QUESTIONS), folder)
    return Judgement(checks=checks, files=files, measurements=measured)
