"""Log a cleared gate's answers and waivers to MLflow."""

from __future__ import annotations

from dataclasses import dataclass, field

from clearance.checklist.gate import Verdict
from clearance.config import TrackingConfig, load_stage_config


@dataclass
class GateStage:
    """What the gate reads from params.yaml: only where to track."""

    tracking: TrackingConfig = field(default_factory=TrackingConfig)


def log_cleared_gate(verdict: Verdict) -> str:
    """One MLflow run per cleared gate: answers, waivers and check statuses; returns its id."""
    from clearance.tracking import log_metrics, stage_run

    import mlflow

    cfg = load_stage_config(GateStage)
    checklist = verdict.checklist
    params = {"step": checklist.step, "checklist": str(checklist.path)}
    with stage_run(f"gate_{checklist.step}", cfg.tracking, params) as run:
        mlflow.log_dict({
            "answers": {q.id: {"question": q.question, "answer": q.answer} for q in checklist.questions},
            "waivers": [{"check": c.id, "value": c.value, "threshold": c.threshold, "reason": w.reason}
                        for c, w in verdict.waived],
            "warnings": [c.id for c in verdict.warnings],
        }, "gate.json")
        mlflow.log_artifact(str(checklist.path))
        log_metrics({"questions_answered": len(checklist.questions), "checks_waived": len(verdict.waived),
                     "checks_warned": len(verdict.warnings)})
        return run.info.run_id
