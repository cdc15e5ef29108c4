"""The journey report: every step's answers, waivers, checks and key figures in one page.

It reads only files the steps and gates wrote (question files, checks, metrics, gate
stamps, run ids) and the git commit: no MLflow, no torch. A step whose files are
missing is shown as not reached, so the report can be written at any point.
"""

from __future__ import annotations

from pathlib import Path

from clearance.core.errors import UserError
from clearance.core.git import git_text
from clearance.core.paths import CHECKLIST_DIR, GATE_DIR, REPORTS_DIR
from clearance.journey.overview import overview
from clearance.journey.steps import build_step
from clearance.journey.task import journey_task

TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2

SUMMARY = REPORTS_DIR / "summary.html"


def git_state(root: Path) -> dict:
    """The commit checked out in ``root`` ("" outside git) and whether the working tree has changes."""
    commit = (git_text(["rev-parse", "HEAD"], root) or "").strip()
    if not commit:
        return {"commit": "", "dirty": False, "changed": 0}
    changed = [line for line in (git_text(["status", "--porcelain"], root) or "").splitlines() if line.strip()]
    return {"commit": commit, "dirty": bool(changed), "changed": len(changed)}


def runs(steps: list[dict]) -> list[dict]:
    """Every MLflow run id the files record: each stage's run, then the runs its files name."""
    found = []
    for s in steps:
        if s["run"]["run_id"]:
            found.append({"step": s["step"], **s["run"]})
        found += [{"step": s["step"], "run_id": o["run_id"], "experiment_id": s["run"]["experiment_id"],
                   "stage": o["what"]} for o in s["other_runs"]]
    return found


def build_journey(root: Path, checklists: Path | None = None, gates: Path | None = None) -> dict:
    """The whole journey as plain data: steps in their `order:`, the overview, runs and commit.

    ``checklists`` and ``gates`` default to the project's checklists/ and gates/ folders.
    """
    from clearance.checklist.questions import find_checklists

    root = Path(root).resolve()
    folder = root / (checklists if checklists is not None else CHECKLIST_DIR)
    found = find_checklists(folder) if folder.is_dir() else []
    if not found:
        raise UserError(str(folder), "no question files (checklists/<step>.yaml)",
                        "run `clearance report` in the project's root, or restore checklists/ from git")
    gates = root / (gates if gates is not None else GATE_DIR)
    task = journey_task(root)
    steps = [build_step(root, c, gates, task) for c in found]
    cleared = [s for s in steps if s["gate"]["state"] == "cleared"]
    return {
        "project": root.name,
        "steps": steps,
        "complete": len(cleared) == len(steps),
        "reached": sum(s["reached"] for s in steps),
        "overview": overview(root, steps, task),
        "runs": runs(steps),
        "git": git_state(root),
    }


def write_journey(root: Path, out: Path | None = None, checklists: Path | None = None,
                  gates: Path | None = None) -> Path:
    """Render the journey to ``out`` (default reports/summary.html under ``root``); returns its path.

    ``checklists`` and ``gates`` are the question files' and gate stamps' folders, relative to ``root``.
    """
    from clearance.core.report.html import write_report

    root = Path(root).resolve()
    journey = build_journey(root, checklists, gates)
    target = out if out is not None else root / SUMMARY
    return write_report(TEMPLATE, {"title": f"{journey['project']}: the journey", **journey}, target)
