"""The tiny pipeline, built once per test session: a real git + DVC project taken through all four gates
as a user takes it (`dvc repro` stops, the answers are written, `dvc repro` again), on `debug=tiny`.

The end-to-end tests read what each `dvc repro` printed on the way; the UI tests serve its MLflow
store; any test that changes something works on a copy (``copy_project``), never on the journey itself.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed
from tests.conftest import new_project, run
from tests.factory import make_texts

# The debug group, on a small keyword corpus of its own, with the user's own model from plugins/ (the
# worked example, plugins/my_models.py) and absurd learning rates in the sweep (a new user's mistake):
# every trial predicts one class, so the sweep's best is worse than step 3's configuration beyond seed
# noise, and the pipeline must keep step 3's model. At a constant rate: a warm-up and decay would soften the
# absurd rates over the trials' few steps.
SETTINGS = ["debug=tiny", "data=custom", "data.path=data/tiny.csv", "~model", "+model._target_=my_models.MyNet",
            "+model.width=32", "train.lr=8e-3", "train.schedule=constant", "train.warmup_ratio=0.0",
            "sweep.space.model.layers=null", "sweep.space.train.lr='loguniform(0.5, 5.0)'"]
ROWS_PER_CLASS = 60


@dataclass
class Journey:
    """The finished project and what each `dvc repro` on the way printed (exit code, output)."""

    root: Path
    data: object  # the tiny corpus (a DataFrame) the project was built on
    printed: dict[str, tuple[int, str]] = field(default_factory=dict)
    reviewed: dict[str, str] = field(default_factory=dict)  # step -> the fingerprint its answers name
    true_checks: str = ""  # reports/inspect/checks.json as judge_inspect wrote it, before a hand edit


def failing_checks(root: Path, step: str) -> list[str]:
    checks = json.loads((root / f"reports/{step}/checks.json").read_text())
    return [c["id"] for c in checks if c["status"] == "fail"]


def clear(root: Path, step: str) -> str:
    """Answer a step's questions, waive its failing checks and mark the evidence reviewed, as a user would."""
    checklist = root / f"checklists/{step}.yaml"
    fill_answers(checklist)
    add_waivers(checklist, failing_checks(root, step))
    return mark_reviewed(checklist)


def repro(root: Path, *args: str) -> tuple[int, str]:
    result = run(["dvc", "repro", *args], root, check=False)
    return result.returncode, result.stdout + result.stderr


def build_journey(root: Path) -> Journey:
    """Take a new project through the four gates, recording every `dvc repro` on the way."""
    new_project(root)
    data = make_texts(n_per_class=ROWS_PER_CLASS)
    data.to_csv(root / "data/tiny.csv", index=False)
    run(["clearance", "params", *SETTINGS], root)
    journey = Journey(root=root, data=data)
    journey.printed["gate 1 closed"] = repro(root)
    # A hand edit of checks.json is undone: the judging stage's output is restored before the gate judges.
    checks_file = root / "reports/inspect/checks.json"
    journey.true_checks = checks_file.read_text()
    forged = [{**c, "status": "pass", "message": c["message"] + " (hand edit)"}
              for c in json.loads(journey.true_checks)]
    checks_file.write_text(json.dumps(forged))
    for number, step in enumerate(("inspect", "baselines", "model", "sweep"), start=1):
        journey.reviewed[step] = clear(root, step)
        journey.printed[f"gate {number} answered"] = repro(root)
    journey.printed["again"] = repro(root)
    return journey


def save(journey: Journey, path: Path) -> None:
    """Write what another test worker needs to use the journey this one built."""
    path.write_text(json.dumps({"root": str(journey.root), "printed": journey.printed, "reviewed": journey.reviewed,
                                "true_checks": journey.true_checks}), encoding="utf-8")


def load(path: Path) -> Journey:
    """The journey another test worker built (its corpus read back from the project)."""
    import pandas as pd

    doc = json.loads(path.read_text(encoding="utf-8"))
    root = Path(doc["root"])
    return Journey(root=root, data=pd.read_csv(root / "data/tiny.csv"),
                   printed={k: (v[0], v[1]) for k, v in doc["printed"].items()}, reviewed=doc["reviewed"],
                   true_checks=doc["true_checks"])


def copy_project(journey: Journey, dest: Path) -> Path:
    """A copy of the finished project to change: its git repo, DVC cache and MLflow store, with the store's
    artifact locations moved to the copy (they are absolute, as queued `dvc exp run` copies need)."""
    shutil.copytree(journey.root, dest, symlinks=True)
    old, new = str(journey.root), str(dest)
    with sqlite3.connect(dest / "mlflow.db") as db:
        for table, column in (("experiments", "artifact_location"), ("runs", "artifact_uri"),
                              ("logged_models", "artifact_location"), ("model_versions", "storage_location")):
            try:
                db.execute(f"update {table} set {column} = replace({column}, ?, ?)", (old, new))
            except sqlite3.OperationalError:  # a table or column this MLflow version does not have
                continue
    subprocess.run(["git", "update-index", "--refresh"], cwd=dest, capture_output=True)
    return dest


def relabel_half(journey: Journey, project: Path) -> None:
    """Write the journey's data into ``project`` with half its labels rotated (a new data set for step 1)."""
    relabelled = journey.data.copy()
    half = relabelled.index[: len(relabelled) // 2]
    relabelled.loc[half, "label"] = relabelled.loc[half, "label"].map(
        {"negative": "neutral", "neutral": "positive", "positive": "negative"})
    relabelled.to_csv(project / "data/tiny.csv", index=False)
