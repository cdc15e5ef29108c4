"""Run a step's gate from files: its question file, its checks and evidence manifest, the stamp.

The gate DVC runs (stages/gate.py) and `clearance gate`/`status`/`show` share these functions.
It starts fast and imports neither torch nor any step: a cleared gate alone pays for MLflow.
"""

from __future__ import annotations

import sys
from pathlib import Path

from clearance.core.errors import UserError
from clearance.core.paths import PARAMS_FILE, question_file


def load_step_checklist(step: str, folder: Path):
    """A step's question file; a missing one says how to get it back when the step exists (git holds the file,
    or the package requires questions for it), else names the steps there are."""
    from clearance.checklist.questions import load_checklist, require_folder
    from clearance.checklist.recover import git_restore_command, missing_fix, packaged_questions

    path = question_file(step, folder)
    if path.exists():
        return load_checklist(path)
    require_folder(folder)  # outside a project, say so rather than "no such step"
    if git_restore_command(path) or packaged_questions(step):
        raise UserError(str(path), f"the question file of step {step!r} is missing", missing_fix(path, step))
    steps = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
    raise UserError(str(path), f"no question file for step {step!r}", f"use one of: {steps}")


def gate_settings():
    """The gate's settings (a GateConfig): params.yaml, else conf/'s defaults."""
    from clearance.core.config.gate import GateStage
    from clearance.core.config.params import from_conf, load_stage_config

    cfg = load_stage_config(GateStage) if PARAMS_FILE.exists() else from_conf(GateStage)
    return cfg.gate


def min_answer_words() -> int:
    """The least number of different words an answer needs: params.yaml, else conf/'s default."""
    return gate_settings().min_answer_words


def judge_checklist(checklist, min_words: int | None = None, settings=None):
    """Evaluate a loaded question file against its step's checks and evidence manifest.

    ``min_words`` overrides the settings' min_answer_words; ``settings`` (a GateConfig) defaults to
    gate_settings()."""
    from clearance.checklist.gate import evaluate
    from clearance.checklist.manifest import read_step_manifest
    from clearance.checklist.results import read_checks

    settings = gate_settings() if settings is None else settings
    checks = read_checks(checklist.checks)
    manifest = read_step_manifest(checklist.checks, checklist.step)
    return evaluate(checklist, checks, manifest, settings.min_answer_words if min_words is None else min_words,
                    min_reason_words=settings.min_reason_words, min_sign_offs=settings.min_sign_offs,
                    reviewer=settings.reviewer, cite_evidence=settings.cite_evidence)


def verdict_of(step: str, folder: Path):
    return judge_checklist(load_step_checklist(step, folder))


def evidence_ready(checklist) -> bool:
    """Whether the step's stage has written both its checks and its evidence manifest."""
    from clearance.checklist.manifest import manifest_path

    return checklist.checks.exists() and manifest_path(checklist.checks).exists()


def run_gate(step: str, checklists: Path, gates: Path, track: bool = True) -> int:
    """Exit code 1 with instructions while ``step`` is not cleared (its stamp removed: the decision it
    recorded no longer holds); else write its stamp, or keep it when the decision is the same, and 0."""
    from clearance.checklist.gate import stamp_path, write_stamp
    from clearance.checklist.messages import blocked_message, cleared_message

    verdict = verdict_of(step, checklists)
    if not verdict.cleared:
        # DVC keeps the stamp across runs (persist), so a closed gate must take it away itself.
        stamp_path(step, gates).unlink(missing_ok=True)
        print(blocked_message(verdict), file=sys.stderr)
        return 1
    path = write_stamp(verdict, gates)
    print(cleared_message(verdict, str(path)))
    if track:
        log_gate(verdict, path)
    return 0


def log_gate(verdict, stamp: Path) -> None:
    """Log a cleared gate to MLflow. The decision and its stamp never hang on the tracking store: a
    failure is said plainly on stderr, with the store and the fix, and the gate stays cleared."""
    from clearance.checklist.record import log_cleared_gate

    try:
        run_id = log_cleared_gate(verdict)
    except UserError as error:
        reason = error.render()
    except Exception as exc:  # noqa: BLE001 - not the store's (record.py converts those): still not the decision's
        first = (str(exc).strip().splitlines() or [""])[0]
        reason = f"clearance: {type(exc).__name__}: {first}"
    else:
        print(f"answers and waivers logged to MLflow (run {run_id})")
        return
    print(f"MLflow logging failed: the gate is cleared and {stamp} is written, but its answers and waivers "
          f"were not logged.\n{reason}\nonce the store is fixed, `clearance gate {verdict.checklist.step}` logs them.",
          file=sys.stderr)
