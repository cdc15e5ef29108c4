"""Where each step stands, from files only: for `clearance status` (and `--json`) and `clearance check`.

Nothing here runs a stage or imports torch, MLflow or Hydra: CI and pre-commit hooks call it on every
push, so it reads the question files, checks.json, evidence.json and the gate stamps, and stops there.

States:
- ``not_run``: the step's judging stage has not written its checks and evidence yet;
- ``stale``: the answers name evidence (``reviewed:``) that has since changed;
- ``blocked``: anything else keeps the gate closed (answers, failing checks, a review or sign-off missing);
- ``cleared``: the gate's rules hold against the current evidence.

A cleared step whose gate has not yet written its stamp for this decision is ``ready`` in the text
(``stamped`` is False: `dvc repro` runs the gate); the JSON document keeps its four states.

A cleared step whose outputs are gone (a deleted ``models/model``) stays ``cleared`` (the decision
holds: the evidence it was made on is committed), and lists them in ``outputs_missing``: `dvc repro`
rebuilds them. `clearance check` does not fail on them: a CI clone never holds DVC's outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from clearance.core.paths import REPORT_FILE, question_file, report_dir

SCHEMA = 1
NOT_RUN, STALE, BLOCKED, CLEARED = "not_run", "stale", "blocked", "cleared"


@dataclass
class StepStatus:
    """One step's state and the facts behind it (the JSON document's entry, and what `check` prints)."""

    step: str
    order: int
    title: str
    file: str
    state: str
    questions: dict[str, Any]
    checks: dict[str, list[str]]
    review: dict[str, Any]
    cleared_by: str | None = None
    cleared_at: str | None = None
    sign_offs: dict[str, Any] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)
    outputs_missing: list[str] = field(default_factory=list)  # a cleared step's outputs not on disk (dvc.yaml's)
    # -- for the text only (not in the JSON) --
    message: str = ""  # the gate's own instructions when blocked or stale
    stamped: bool = False  # the gate's stamp holds this decision (cleared and stamped; else `dvc repro` clears it)
    notes: list[str] = field(default_factory=list)  # non-blocking remarks: reworded questions, stale waivers
    fix: str = ""  # how to get a missing question file back

    TEXT_ONLY: ClassVar[tuple[str, ...]] = ("message", "stamped", "notes", "fix")

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key not in self.TEXT_ONLY}


def read_stamp(path: Path) -> dict[str, Any]:
    """A gate stamp's content, or {} when there is none or it does not parse (a stamp is the gate's, not the
    user's: a broken one only means the gate has to run again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stamp_matches(found: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether a stamp holds the gate's current decision (who cleared it and when are not part of it)."""
    from clearance.checklist.gate import SIGN_OFF_KEYS

    return bool(found) and all(found.get(key) == value for key, value in expected.items()
                               if key not in SIGN_OFF_KEYS)


def step_status(checklist: Any, gates: Path, min_words: int | Callable[[], int],
                stages: dict[str, dict[str, Any]] | None = None, root: Path | None = None) -> StepStatus:
    """The status of one step, judged by the same rules as its gate; ``stages`` (dvc.yaml's, read by
    clearance.checklist.outputs) name the outputs a cleared step must still have under ``root``.
    ``min_words`` may be a function, called only when the step has run (the settings are read then)."""
    from clearance.checklist.outputs import missing_outputs

    from clearance.checklist.gate import CHANGED, REVIEWED, stamp, stamp_path
    from clearance.checklist.messages import blocked_message
    from clearance.checklist.run import evidence_ready, judge_checklist

    base = {"step": checklist.step, "order": checklist.order, "title": checklist.title, "file": str(checklist.path)}
    answered = sum(q.answered for q in checklist.questions)
    if not evidence_ready(checklist):
        return StepStatus(**base, state=NOT_RUN,
                          questions={"answered": answered, "total": len(checklist.questions), "required": None,
                                     "missing": [], "incomplete": []},
                          checks={"failing": [], "warned": [], "waived": []},
                          review={"reviewed": checklist.reviewed or None, "evidence": None, "matches": False},
                          sign_offs={"names": [], "missing": 0},
                          blockers=["not run yet: `dvc repro` runs it"])
    verdict = judge_checklist(checklist, min_words() if callable(min_words) else min_words)
    found = read_stamp(stamp_path(checklist.step, gates))
    state = CLEARED if verdict.cleared else STALE if verdict.review == CHANGED else BLOCKED
    cleared = state == CLEARED and found.get("cleared") is True
    sign_offs = getattr(verdict, "sign_offs", None)
    return StepStatus(
        **base, state=state,
        questions={"answered": len(checklist.questions) - len(verdict.incomplete),
                   "total": len(checklist.questions),
                   "required": len(verdict.manifest.questions),
                   "missing": [q.id for q in verdict.missing],
                   "incomplete": [q.id for q in verdict.incomplete]},
        checks={"failing": [c.id for c in verdict.failing], "warned": [c.id for c in verdict.warnings],
                "waived": [c.id for c, _ in verdict.waived]},
        review={"reviewed": checklist.reviewed or None, "evidence": verdict.manifest.fingerprint,
                "matches": verdict.review == REVIEWED},
        cleared_by=found.get("cleared_by") if cleared else None,
        cleared_at=found.get("cleared_at") if cleared else None,
        sign_offs={"names": [getattr(s, "name", str(s)) for s in sign_offs or []],
                   "missing": int(getattr(verdict, "missing_sign_offs", 0) or 0)},
        blockers=blockers(verdict),
        outputs_missing=missing_outputs(stages or {}, stamp_path(checklist.step, gates), root or Path.cwd())
        if state == CLEARED else [],
        message="" if verdict.cleared else blocked_message(verdict),
        stamped=state == CLEARED and stamp_matches(found, stamp(verdict)),
        notes=notes(verdict),
    )


def notes(verdict: Any) -> list[str]:
    """Non-blocking remarks: reworded required questions and stale waivers."""
    parts = []
    if verdict.edited:
        parts.append(f"edited: {', '.join(q.id for q in verdict.edited)}")
    if verdict.stale_waivers:
        parts.append(f"{len(verdict.stale_waivers)} stale waiver(s)")
    return parts


def blockers(verdict: Any) -> list[str]:
    """What keeps a step closed, in a few words each."""
    from clearance.checklist.gate import CHANGED, UNREVIEWED

    parts = {CHANGED: ["stale (evidence changed)"], UNREVIEWED: ["not reviewed"]}.get(verdict.review, [])
    if verdict.missing:
        parts.append(f"{len(verdict.missing)} required missing")
    if verdict.incomplete:
        parts.append(f"{len(verdict.incomplete)} to answer")
    if verdict.failing:
        parts.append(f"{len(verdict.failing)} checks to fix or waive")
    missing_sign_offs = int(getattr(verdict, "missing_sign_offs", 0) or 0)
    if missing_sign_offs:
        parts.append(f"{missing_sign_offs} sign-off(s) missing")
    return parts


def project_status(checklists: Path, gates: Path) -> list[StepStatus]:
    """Every step's status, in step order."""
    from clearance.checklist.outputs import read_pipeline
    from clearance.checklist.questions import find_checklists
    from clearance.checklist.run import min_answer_words

    found = find_checklists(checklists)
    words: list[int] = []  # min_answer_words, read once and only when a step has run

    def min_words() -> int:
        if not words:
            words.append(min_answer_words())
        return words[0]

    stages = read_pipeline()
    steps = [step_status(checklist, gates, min_words, stages) for checklist in found]
    steps += [missing_file_status(order, step, error)
              for order, step, error in missing_question_files(checklists, gates, stages)]
    return sorted(steps, key=lambda s: s.order)


def missing_question_files(checklists: Path, gates: Path,
                           stages: dict[str, dict[str, Any]]) -> list[tuple[int, str, Any]]:
    """(order, step, the UserError saying how to get its file back) for each step dvc.yaml gates whose question
    file is gone: a deleted file must show as a blocked step, not vanish from the status."""
    from clearance.checklist.outputs import gated_steps
    from clearance.checklist.run import load_step_checklist
    from clearance.core.errors import UserError

    missing = []
    for order, step in enumerate(gated_steps(stages, gates), start=1):
        if question_file(step, checklists).exists():
            continue
        try:
            load_step_checklist(step, checklists)
        except UserError as error:
            missing.append((order, step, error))
    return missing


def missing_file_status(order: int, step: str, error: Any) -> StepStatus:
    """A step whose question file is missing: blocked, with the way to get it back as its message."""
    return StepStatus(step=step, order=order, title="", file=error.where, state=BLOCKED,
                      questions={"answered": 0, "total": 0, "required": None, "missing": [], "incomplete": []},
                      checks={"failing": [], "warned": [], "waived": []},
                      review={"reviewed": None, "evidence": None, "matches": False},
                      sign_offs={"names": [], "missing": 0}, blockers=["question file missing"],
                      message=error.render(), fix=error.fix)


HEADER = f"{'step':<12}{'questions':<12}{'checks':<28}state"  # `clearance status`'s columns


def status_line(s: StepStatus) -> str:
    """A step's row under HEADER: questions answered, checks, and its state in words."""
    if s.fix:
        return f"{s.step:<12}{'-':<12}{'-':<28}BLOCKED: question file missing ({s.file}); fix: {s.fix}"
    questions = f"{s.questions['answered']}/{s.questions['total']}"
    if s.state == NOT_RUN:
        return f"{s.step:<12}{questions:<12}{'not run yet':<28}waiting for `dvc repro`"
    checks = (f"{len(s.checks['failing'])} failing, {len(s.checks['waived'])} waived, "
              f"{len(s.checks['warned'])} warn")
    remarks = f" ({'; '.join(s.notes)})" if s.notes else ""
    return f"{s.step:<12}{questions:<12}{checks:<28}{state_words(s)}{remarks}"


def state_words(s: StepStatus) -> str:
    """The state column: BLOCKED and why, ready (cleared, the gate not yet run on it), or cleared and by whom."""
    if s.state in (BLOCKED, STALE):
        return "BLOCKED: " + ", ".join(s.blockers)
    if not s.stamped:
        return "ready: run `dvc repro` to clear"
    by = (f" by {s.cleared_by}" if s.cleared_by else "") + (f" on {s.cleared_at}" if s.cleared_at else "")
    return cleared_state(s.outputs_missing, by)


def cleared_state(missing: list[str], by: str, shown: int = 3) -> str:
    """"cleared" and by whom; a cleared step whose outputs are gone says so, and names a few of them."""
    if not missing:
        return "cleared" + by
    names = ", ".join(missing[:shown]) + (f" and {len(missing) - shown} more" if len(missing) > shown else "")
    return f"cleared, outputs missing: run `dvc repro` ({names})" + (f"; cleared{by}" if by else "")


def document(steps: list[StepStatus]) -> dict[str, Any]:
    """The `clearance status --json` document (schema 1)."""
    return {"schema": SCHEMA, "steps": [s.to_json() for s in steps]}


def check_exit(steps: list[StepStatus], strict: bool) -> tuple[int, list[str]]:
    """`clearance check`'s exit code and what it prints: 0 when every step that has run is cleared
    (``strict``: and warns about nothing), else 1 with the gate's instructions."""
    ran = [s for s in steps if s.state != NOT_RUN]
    if not ran:
        return 1, ["nothing has run yet: no step has written its checks. Start with `dvc repro` (or `make run`), "
                   "answer the question file it names, and run `dvc repro` again"]
    lines, code = [], 0
    for s in ran:
        if s.state in (BLOCKED, STALE):
            code = 1
            lines.append(f"step {s.order} {s.step}: {s.state.upper()} ({', '.join(s.blockers)})")
            lines.append(s.message)
        elif strict and s.checks["warned"]:
            code = 1
            lines.append(f"step {s.order} {s.step}: cleared, but warns (--strict): {', '.join(s.checks['warned'])}; "
                         f"fix them or run without --strict (see {(report_dir(s.step) / REPORT_FILE).as_posix()})")
        else:
            by = f" by {s.cleared_by}" if s.cleared_by else ""
            lines.append(f"step {s.order} {s.step}: cleared{by}")
    return code, lines
