"""Whether step 3 may train: graded from the probes' measurements (go.json).

Kept apart from the probes themselves so that this cheap stage imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from clearance.core.paths import report_dir
from clearance.core.records import write_record
from clearance.small_model.judge.checks import ModelChecks, probe_checks, read_probes
from clearance.small_model.measure.files import GO_FILE, PROBES_FILE, STEP, GoDecision


@dataclass
class ProbeGate:
    """What deciding whether to train reads: the probes' thresholds and the override."""

    checks: ModelChecks = field(default=MISSING, metadata={"params": "checks.model"})  # type: ignore[valid-type]
    run_despite_probes: bool = field(default=MISSING, metadata={"params": "train.run_despite_probes"})


def decide(measured: dict[str, Any], gate: ProbeGate) -> dict[str, Any]:
    """Train only when no probe fails, unless the user forces it; names the failing probes."""
    failing = [c.id for c in probe_checks(measured, gate.checks) if c.status == "fail"]
    return {"train": not failing or gate.run_despite_probes, "failing": failing,
            "forced": bool(failing) and gate.run_despite_probes}


def write_decision(gate: ProbeGate, folder: Path | None = None) -> dict[str, Any]:
    """Grade probes.json and write go.json (deterministic, so an unchanged decision re-runs nothing)."""
    folder = folder or report_dir(STEP)
    decision = decide(read_probes(folder / PROBES_FILE), gate)
    write_record(GoDecision, decision, folder / GO_FILE)
    return decision
