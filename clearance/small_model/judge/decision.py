"""Whether step 3 may train: graded from the probes' measurements (go.json).

Kept apart from the probes themselves so that this cheap stage imports no torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.core.config.model import ProbeGate
from clearance.core.paths import report_dir
from clearance.core.records import read_dict, write_record
from clearance.small_model.judge.checks import probe_checks
from clearance.small_model.measure.files import GO_FILE, PROBES_FILE, STEP, GoDecision, Probes


def decide(measured: dict[str, Any], gate: ProbeGate) -> dict[str, Any]:
    """Train only when no probe fails, unless the user forces it; names the failing probes."""
    failing = [c.id for c in probe_checks(measured, gate.checks) if c.status == "fail"]
    return {"train": not failing or gate.run_despite_probes, "failing": failing,
            "forced": bool(failing) and gate.run_despite_probes}


def write_decision(gate: ProbeGate, folder: Path | None = None) -> dict[str, Any]:
    """Grade probes.json and write go.json (deterministic, so an unchanged decision re-runs nothing)."""
    folder = folder or report_dir(STEP)
    decision = decide(read_dict(Probes, folder / PROBES_FILE), gate)
    write_record(GoDecision, decision, folder / GO_FILE)
    return decision
