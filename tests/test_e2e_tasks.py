"""Several labels per text, and a number per text, through the four gates with `dvc repro` (`data.task=auto`),
as a user takes them: each gate asks the task's own questions, the checks that do not apply are left out,
and the registered model answers in the task's own form (label lists; numbers in the target's units)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_helpers import add_missing_questions
from tests.conftest import run
from tests.journey import clear, repro
from tests.test_task_data import multi_label_rows, regression_rows

SETTINGS = ["debug=tiny", "data=custom", "data.path=data/tiny.csv", "~model", "+model._target_=my_models.MyNet",
            "+model.width=32", "train.lr=8e-3", "sweep.space.model.layers=null"]
STEPS = ("inspect", "baselines", "model", "sweep")
# Checks only one class per text has: none may appear for label sets or numbers.
SINGLE_LABEL_ONLY = {"inspect": {"class_imbalance", "min_class_count", "classes_in_every_split", "label_issues",
                                 "keyword_signal"},
                     "model": {"overfit_predictions"}}
OWN = {"multi_label": {"inspect": {"label_imbalance", "texts_without_labels"}, "model": {"overfit_label_sets"}},
       "regression": {"inspect": {"target_outliers", "target_skew"}, "model": {"overfit_targets", "target_scale"}}}
TEXTS = ["text 1 about film and music", "sentence 2 scored high"]


def checks(root: Path, step: str) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads((root / f"reports/{step}/checks.json").read_text())}


def walk(root: Path) -> dict[str, list[str]]:
    """`dvc repro` to each gate, answering it (the task's own questions pasted in first); the questions added."""
    added = {}
    for number, step in enumerate(STEPS, start=1):
        code, output = repro(root)
        assert code != 0 and f"GATE CLOSED: step {number}" in output, output[-3000:]
        added[step] = add_missing_questions(root / f"checklists/{step}.yaml")
        clear(root, step)
    code, output = repro(root)
    assert code == 0 and "GATE CLEARED: step 4" in output, output[-3000:]
    return added


def registered_predictions(root: Path) -> pd.DataFrame:
    """The registered model's answers to TEXTS, scored as a user would in a fresh process (it imports the user's
    model from the logged code: in this process it would shadow other tests' plugins)."""
    name = json.loads((root / "reports/sweep/registered.json").read_text())["name"]
    score = ("import json, sys, mlflow, pandas as pd; mlflow.set_tracking_uri(sys.argv[1]); "
             "frame = mlflow.pyfunc.load_model(sys.argv[2]).predict(pd.DataFrame({'text': json.loads(sys.argv[3])})); "
             "print(frame.to_json(orient='split'))")
    done = subprocess.run([sys.executable, "-c", score, f"sqlite:///{root / 'mlflow.db'}", f"models:/{name}/1",
                           json.dumps(TEXTS)], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]), orient="split")


# A journey costs ~2.5 minutes of CPU: these run in `make test-all`, and CI keeps to the single-label journey
# (tests/journey.py) while each step's task path has its own tests (tests/test_*_tasks.py, reports and pyfunc
# included).
@pytest.mark.slow
@pytest.mark.parametrize("task, rows", [("multi_label", multi_label_rows(240)), ("regression", regression_rows(240))])
def test_a_task_goes_through_the_four_gates_on_its_own_terms(task, rows, project: Path):
    rows.to_csv(project / "data/tiny.csv", index=False)
    run(["clearance", "params", *SETTINGS], project)

    added = walk(project)

    summary = json.loads((project / "data/prepared/summary.json").read_text())
    assert summary["task"]["name"] == task and summary["task"]["reason"]
    assert added["inspect"], "step 1 asks a question of the task's own"
    for step in ("inspect", "model"):
        found = set(checks(project, step))
        assert not found & SINGLE_LABEL_ONLY[step], found & SINGLE_LABEL_ONLY[step]
        assert OWN[task][step] <= found, OWN[task][step] - found
    metric = json.loads((project / "reports/baselines/metrics.json").read_text())["primary_metric"]
    assert metric in (("micro_f1", "macro_f1") if task == "multi_label" else ("rmse", "mae"))
    frame = registered_predictions(project)
    if task == "multi_label":
        assert all(isinstance(labels, list) for labels in frame["labels"])
        assert {f"probability_{label}" for label in summary["classes"]} <= set(frame.columns)
    else:
        assert frame["prediction"].between(-3.5, 3.5).all(), frame  # the target's units, not standardised
