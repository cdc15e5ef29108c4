"""Log a cleared gate's answers and waivers to the project's tracking store."""

from __future__ import annotations

from pathlib import Path

from clearance.checklist.gate import Verdict
from clearance.checklist.manifest import manifest_path
from clearance.core.config.gate import GateStage
from clearance.core.config.params import load_stage_config


def log_cleared_gate(verdict: Verdict) -> str:
    """One tracked run per cleared gate: answers, waivers and check statuses; returns its id.

    Raises a UserError naming the store when it cannot be used (checked before MLflow opens it)."""
    # Imported here: the gate starts fast and only a cleared gate pays for tracking.
    from clearance.core.tracking import (
        log_artifacts,
        log_dict,
        link_step_runs,
        log_metrics,
        set_tags,
        stage_run,
    )
    from clearance.core.tracking_store import opening_store

    cfg = load_stage_config(GateStage)
    checklist = verdict.checklist
    params = {"step": checklist.step, "checklist": str(checklist.path), "reviewed": checklist.reviewed or ""}
    # Every call below is a store call: any failure is the store's, reported as a UserError naming it.
    with opening_store(cfg.tracking), stage_run(f"gate_{checklist.step}", cfg.tracking, params) as run:
        log_dict({
            "answers": {q.id: {"question": q.question, "answer": q.answer} for q in checklist.questions},
            "waivers": [{"check": c.id, "value": c.value, "threshold": c.threshold, "reason": w.reason}
                        for c, w in verdict.waived],
            "warnings": [c.id for c in verdict.warnings],
        }, "gate.json")
        # The evidence the answers were given against: the judged checks, the
        # fingerprint manifest and the report, so the run shows what was reviewed.
        evidence = [checklist.checks, manifest_path(checklist.checks), Path(checklist.report)]
        log_artifacts([checklist.path] + [p for p in evidence if str(p) and p.is_file()])
        log_metrics({"questions_answered": len(checklist.questions), "checks_waived": len(verdict.waived),
                     "checks_warned": len(verdict.warnings)})
        # Who cleared the gate and when, as the stamp records them (write_stamp set them on the verdict).
        signed = {"clearance.cleared_by": verdict.cleared_by, "clearance.cleared_at": verdict.cleared_at}
        set_tags({key: value for key, value in signed.items() if value})
        link_step_runs(checklist.step)
        return run.info.run_id
