"""One step of the journey report: its gate, answers, waivers, checks, key figures, runs and plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.core.paths import EVIDENCE_FILE, stamp_file
from clearance.core.records import RUN_FILE, GateStamp
from clearance.journey.figures import FIGURES
from clearance.journey.files import read_json, step_files
from clearance.journey.sweep_tables import sweep_detail
from clearance.journey.values import mapping

# Failing checks first, then warnings: the ones a reviewer must read.
STATUS_RANK = {"fail": 0, "warn": 1, "pass": 2}
# One plot per step keeps the page small; each is inlined only when present.
PLOTS = {"inspect": ("class_balance.png",), "baselines": ("confusion.png",), "model": ("loss.png",)}
MAX_PLOT_BYTES = 300_000


def gate_state(stamp: Any, evidence: Any) -> dict:
    """Whether the gate cleared, against which reviewed fingerprint, and whether that is still current."""
    stamp, now = mapping(stamp), mapping(evidence).get("fingerprint", "")
    reviewed = str(stamp.get("reviewed", ""))
    if not stamp.get("cleared"):
        return {"state": "not cleared", "reviewed": "", "current": now, "cleared_by": "", "cleared_at": "",
                "text": "not cleared yet"}
    # Stamps written before sign-off was recorded lack these: shown as nothing rather than failing.
    signed = {"cleared_by": str(stamp.get("cleared_by") or ""), "cleared_at": str(stamp.get("cleared_at") or "")}
    by = f" by {signed['cleared_by']}" if signed["cleared_by"] else ""
    at = f" on {signed['cleared_at']}" if signed["cleared_at"] else ""
    if now and reviewed != now:
        return {"state": "stale", "reviewed": reviewed, "current": now, **signed,
                "text": f"cleared{by}{at} against evidence {reviewed}; the evidence has changed since (now {now})"}
    return {"state": "cleared", "reviewed": reviewed, "current": now, **signed,
            "text": f"cleared{by}{at} against reviewed evidence {reviewed}"}


def check_rows(checks: list, waived: set[str]) -> list[dict]:
    """The step's checks as table rows, failing and warned first (stable within a status)."""
    # An empty structure (e.g. "no class missing anywhere") reads better as a dash.
    rows = [{"id": c.id, "status": c.status, "value": None if c.value in ({}, [], "") else c.value,
             "threshold": c.threshold, "direction": c.direction, "message": c.message,
             "waived": c.status == "fail" and c.id in waived} for c in checks]
    return sorted(rows, key=lambda r: STATUS_RANK.get(r["status"], 3))


def waiver_rows(checklist, checks: list) -> list[dict]:
    """Every waiver with its reason, and what its check says now (a waiver may outlive its failure)."""
    status = {c.id: c.status for c in checks}
    return [{"check": w.check, "reason": w.reason.strip(), "now": status.get(w.check, "no such check")}
            for w in checklist.waivers]


def run_ids(folder: Path) -> dict:
    """The MLflow run the step's measuring stage logged (run.json), "" for each id not recorded."""
    from clearance.core.records import RunRecord

    run = mapping(read_json(folder / RUN_FILE, RunRecord))
    return {key: str(run.get(key) or "") for key in ("run_id", "experiment_id", "stage")}


def other_runs(files: dict[str, dict]) -> list[dict]:
    """Runs a step's files name besides its stage's: the best trial's and the final test's."""
    best = mapping(files.get("measurements", {}).get("best"))
    named = [("best trial", best.get("run_id")), ("final test", files.get("final", {}).get("run_id")),
             ("registration", files.get("registered", {}).get("run_id"))]
    return [{"what": what, "run_id": str(run)} for what, run in named if run]


def relative(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the project root when inside it."""
    return (path.relative_to(root) if path.is_relative_to(root) else path).as_posix()


def plots(step: str, folder: Path) -> list[dict]:
    """The step's one key plot inlined as a data: URI, when present and small enough."""
    from clearance.core.report.html import embed_png

    found = [folder / "plots" / name for name in PLOTS.get(step, ())]
    return [{"name": p.name, "uri": embed_png(p)} for p in found
            if p.is_file() and p.stat().st_size <= MAX_PLOT_BYTES]


def build_step(root: Path, checklist, gates: Path, task: str = "single_label") -> dict:
    """Everything the report shows about one step; ``reached`` is False until its stage wrote files.
    ``task``: the project's (clearance.journey.task), which names the guesses and the gains' direction."""
    from clearance.checklist.results import read_checks

    checks_path = root / checklist.checks
    folder = checks_path.parent
    files = step_files(checklist.step, folder)
    checks = read_checks(checks_path) if checks_path.is_file() else []
    stamp = read_json(stamp_file(checklist.step, gates), GateStamp)
    # The gate's own list: a waiver whose reason falls short of its rules waives nothing.
    waived = set(stamp.get("waived") or []) if stamp else set()
    figures = FIGURES.get(checklist.step, lambda *_: [])(files, task)
    return {
        "step": checklist.step, "title": checklist.title, "order": checklist.order,
        "reached": bool(checks or any(files.values())),
        "questions_file": relative(checklist.path, root),
        "folder": relative(folder, root),
        "report": str(checklist.report) if checklist.report and (root / checklist.report).is_file() else "",
        "gate": gate_state(stamp, read_json(folder / EVIDENCE_FILE)),
        "answers": [{"id": q.id, "question": q.question, "answer": q.answer.strip(), "answered": q.answered}
                    for q in checklist.questions],
        "waivers": waiver_rows(checklist, checks),
        "checks": check_rows(checks, waived),
        "counts": {s: sum(c.status == s for c in checks) for s in STATUS_RANK},
        "figures": [f for f in figures if f["value"] is not None],
        "run": run_ids(folder),
        "other_runs": other_runs(files),
        "plots": plots(checklist.step, folder),
        "sweep": sweep_detail(files["measurements"]) if checklist.step == "sweep" else None,
    }
