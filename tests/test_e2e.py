"""End to end, as a user works: `dvc repro` stops at the gate, answers clear it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli_helpers import add_waivers, fill_answers
from tests.conftest import run
from tests.factory import make_texts


def failing_checks(root: Path, step: str) -> list[str]:
    checks = json.loads((root / f"reports/{step}/checks.json").read_text())
    return [c["id"] for c in checks if c["status"] == "fail"]


def clear(root: Path, step: str) -> None:
    """Answer a step's questions and waive its failing checks, as a user would."""
    checklist = root / f"checklists/{step}.yaml"
    fill_answers(checklist)
    add_waivers(checklist, failing_checks(root, step))


def test_repro_blocks_then_clears_then_does_nothing(project: Path):
    data = make_texts(n_per_class=60)
    data.to_csv(project / "data/tiny.csv", index=False)
    run(["clearance", "params", "data=custom", "data.path=data/tiny.csv"], project)

    blocked = run(["dvc", "repro"], project, check=False)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert "GATE CLOSED" in output and "checklists/inspect.yaml" in output
    assert "label_balance" in output and "dvc repro" in output
    assert "Traceback" not in output
    metrics = json.loads((project / "reports/inspect/metrics.json").read_text())
    assert metrics["rows"] == len(data)
    assert (project / "reports/inspect/report.html").stat().st_size > 10_000

    clear(project, "inspect")
    step2 = run(["dvc", "repro"], project, check=False)
    output = step2.stdout + step2.stderr
    assert step2.returncode != 0
    assert "GATE CLEARED: step 1" in output and "GATE CLOSED: step 2" in output
    assert "checklists/baselines.yaml" in output and "random_predictor" in output
    assert json.loads((project / "gates/inspect.json").read_text())["cleared"] is True
    baselines = json.loads((project / "reports/baselines/metrics.json").read_text())
    assert set(baselines["baselines"]) == {"uniform_random", "prior_random", "majority", "keyword_rule",
                                           "tfidf_logreg", "embeddings_logreg"}

    clear(project, "baselines")
    cleared = run(["dvc", "repro"], project)
    assert "GATE CLEARED: step 2" in cleared.stdout
    status = run(["clearance", "status"], project).stdout
    assert status.count("cleared") == 2, status

    again = run(["dvc", "repro"], project)
    assert "Running stage" not in again.stdout
    assert "Data and pipelines are up to date" in again.stdout

    with sqlite3.connect(project / "mlflow.db") as db:
        names = sorted(r[0] for r in db.execute("select name from runs"))
    # each stage ran once; a blocked gate logs nothing
    assert names == sorted(["inspect", "gate_inspect", "baselines", "gate_baselines", "uniform_random",
                            "prior_random", "majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"])
    logged = {path.relative_to(project / "mlartifacts").parts[-2:] for path in (project / "mlartifacts").rglob("*.*")}
    assert ("artifacts", "report.html") in logged and ("plots", "confusion.png") in logged


def test_exp_run_points_the_pipeline_at_other_data(project: Path):
    frame = make_texts(n_per_class=50, seed=3).rename(columns={"text": "body", "label": "tag"})
    frame.to_json(project / "data/other.jsonl", orient="records", lines=True)
    result = run(["dvc", "exp", "run", "-S", "data.path=data/other.jsonl", "-S", "data.text_column=body",
                  "-S", "data.label_column=tag", "-S", "data.keep_columns=[]"], project, check=False)
    output = result.stdout + result.stderr
    assert "GATE CLOSED" in output, output
    summary = json.loads((project / "data/prepared/summary.json").read_text())
    assert summary["source"] == "data/other.jsonl" and summary["label_column"] == "tag"
    assert json.loads((project / "reports/inspect/metrics.json").read_text())["rows"] == len(frame)


def test_bad_data_path_is_a_clear_message(project: Path):
    run(["clearance", "params", "data=custom", "data.path=data/missing.csv"], project)
    result = run(["dvc", "repro", "prepare"], project, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "data/missing.csv" in output and "Traceback" not in output
