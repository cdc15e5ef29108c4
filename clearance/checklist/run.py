"""Run a step's gate from files: its question file, its checks and evidence manifest, the stamp.

The gate DVC runs (stages/gate.py) and `clearance gate`/`status`/`show` share these functions.
It starts fast and imports neither torch nor any step: a cleared gate alone pays for MLflow.
"""

from __future__ import annotations

import sys
from pathlib import Path

from clearance.core.errors import UserError
from clearance.core.paths import PARAMS_FILE


def load_step_checklist(step: str, folder: Path):
    from clearance.checklist.questions import load_checklist

    path = folder / f"{step}.yaml"
    if not path.exists():
        steps = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise UserError(str(path), f"no question file for step {step!r}", f"use one of: {steps}")
    return load_checklist(path)


def min_answer_words() -> int:
    """The least number of different words an answer needs: params.yaml, else conf/'s default."""
    from clearance.core.config.gate import GateStage
    from clearance.core.config.params import from_conf, load_stage_config

    cfg = load_stage_config(GateStage) if PARAMS_FILE.exists() else from_conf(GateStage)
    return cfg.gate.min_answer_words


def judge_checklist(checklist, min_words: int | None = None):
    """Evaluate a loaded question file against its step's checks and evidence manifest."""
    from clearance.checklist.gate import evaluate
    from clearance.checklist.manifest import read_step_manifest
    from clearance.checklist.results import read_checks

    checks = read_checks(checklist.checks)
    manifest = read_step_manifest(checklist.checks, checklist.step)
    return evaluate(checklist, checks, manifest, min_answer_words() if min_words is None else min_words)


def verdict_of(step: str, folder: Path):
    return judge_checklist(load_step_checklist(step, folder))


def evidence_ready(checklist) -> bool:
    """Whether the step's stage has written both its checks and its evidence manifest."""
    from clearance.checklist.manifest import manifest_path

    return checklist.checks.exists() and manifest_path(checklist.checks).exists()


def run_gate(step: str, checklists: Path, gates: Path, track: bool = True) -> int:
    """Exit code 1 with instructions while ``step`` is not cleared; else write its stamp (and log it) and 0."""
    from clearance.checklist.gate import write_stamp
    from clearance.checklist.messages import blocked_message, cleared_message

    verdict = verdict_of(step, checklists)
    if not verdict.cleared:
        print(blocked_message(verdict), file=sys.stderr)
        return 1
    path = write_stamp(verdict, gates)
    print(cleared_message(verdict, str(path)))
    if track:
        from clearance.checklist.record import log_cleared_gate

        print(f"answers and waivers logged to MLflow (run {log_cleared_gate(verdict)})")
    return 0
