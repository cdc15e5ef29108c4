"""MLflow tracking: one SQLite store at the repository root, runs tagged per stage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from clearance.config import TrackingConfig
from clearance.tracking import (artifact_location, child_run, flatten, log_metrics, project_root, stage_run,
                                tracking_uri)


def test_root_of_a_queued_experiment_copy_is_the_original_repo(tmp_path, monkeypatch):
    copy = tmp_path / "repo/.dvc/tmp/exps/tmpab12cd"
    copy.mkdir(parents=True)
    monkeypatch.setenv("DVC_ROOT", str(copy))
    assert project_root() == (tmp_path / "repo").resolve()
    monkeypatch.delenv("DVC_ROOT")
    assert project_root(tmp_path / "repo") == (tmp_path / "repo").resolve()


def test_default_uri_and_artifacts_are_absolute(tmp_path):
    cfg = TrackingConfig()
    assert tracking_uri(cfg, tmp_path) == f"sqlite:///{tmp_path}/mlflow.db"
    assert artifact_location(cfg, tmp_path) == (tmp_path / "mlartifacts").as_uri()
    assert tracking_uri(TrackingConfig(uri="http://127.0.0.1:5000"), tmp_path) == "http://127.0.0.1:5000"


def test_flatten_uses_override_keys():
    assert flatten({"data": {"path": "x", "split": {"a": 1}}, "seed": 3}) == {
        "data.path": "x", "data.split.a": 1, "seed": 3}


def test_stage_run_lands_in_the_sqlite_store_with_tags(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    with stage_run("inspect", TrackingConfig(experiment="t"), {"seed": 1, "data": {"path": "a.csv"}}):
        log_metrics({"rows": 10, "share": 0.5, "flag": True, "name": "skipped"})
    with sqlite3.connect(Path(tmp_path) / "mlflow.db") as db:
        (name,) = db.execute("select name from runs").fetchone()
        tags = dict(db.execute("select key, value from tags"))
        params = dict(db.execute("select key, value from params"))
        metrics = dict(db.execute("select key, value from metrics"))
    assert name == "inspect" and tags["clearance.stage"] == "inspect"
    assert "mlflow.source.git.commit" in tags
    assert params == {"seed": "1", "data.path": "a.csv"}
    assert metrics == {"rows": 10.0, "share": 0.5}


def test_child_runs_land_in_the_same_experiment_under_the_stage_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    with stage_run("baselines", TrackingConfig(), {"seed": 1}) as parent:
        with child_run("majority", {"C": 1}, {"clearance.kind": "baseline"}):
            log_metrics({"valid_accuracy": 0.5})
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        runs = dict(db.execute("select name, experiment_id from runs"))
        (parent_tag,) = db.execute("select value from tags where key = 'mlflow.parentRunId'").fetchone()
    assert runs["majority"] == runs["baselines"]
    assert parent_tag == parent.info.run_id
