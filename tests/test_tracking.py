"""MLflow tracking: one SQLite store at the repository root, one experiment in model-training mode,
runs tagged per stage, and every MLflow call behind clearance/core/tracking.py."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.params import from_conf
from clearance.core.config.tracking import TrackingConfig
from clearance.core.data.digest import splits_digest
from clearance.core.errors import UserError
from clearance.core.paths import split_file
from clearance.core.run_owner import HOST_TAG, PID_TAG, STARTED_TAG, gone_reason, owner_tags
from clearance.core.tracking import (
    KIND,
    KIND_TAG,
    KILLED_TAG,
    artifact_location,
    child_run,
    find_experiment_id,
    flatten,
    log_artifacts,
    log_datasets,
    log_dict,
    log_epoch,
    log_metrics,
    log_prepared_splits,
    project_root,
    set_tags,
    stage_run,
    tagged_runs,
    tracking_uri,
)
from tests.conftest import REPO
from tests.factory import summary_doc

SPLITS = {"train": pd.DataFrame({"text": ["good day", "bad day", "fine"], "label": ["pos", "neg", "pos"]}),
          "valid": pd.DataFrame({"text": ["great"], "label": ["pos"]}),
          "test": pd.DataFrame({"text": ["awful"], "label": ["neg"]})}


@pytest.fixture
def cfg() -> TrackingConfig:
    """The project's tracking settings from conf/ (the SQLite store at the root)."""
    return from_conf(TrackingConfig, "tracking", conf_dir=REPO / "conf")


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    """An empty MLflow SQLite store, its tables made once (that takes seconds)."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("template") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def store(tmp_path: Path, monkeypatch, empty_store: Path) -> Path:
    """A working folder with its own copy of the empty store, where the runs go; the store's path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    shutil.copy(empty_store, tmp_path / "mlflow.db")
    return tmp_path / "mlflow.db"


def query(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def run_ids(db: Path) -> dict[str, str]:
    return dict(query(db, "select name, run_uuid from runs"))


def test_root_of_a_queued_experiment_copy_is_the_original_repo(tmp_path, monkeypatch):
    copy = tmp_path / "repo/.dvc/tmp/exps/tmpab12cd"
    copy.mkdir(parents=True)
    monkeypatch.setenv("DVC_ROOT", str(copy))
    assert project_root() == (tmp_path / "repo").resolve()
    monkeypatch.delenv("DVC_ROOT")
    assert project_root(tmp_path / "repo") == (tmp_path / "repo").resolve()


def test_default_uri_and_artifacts_are_absolute(tmp_path, cfg):
    assert tracking_uri(cfg, tmp_path) == f"sqlite:///{tmp_path}/mlflow.db"
    assert artifact_location(cfg, tmp_path) == (tmp_path / "mlartifacts").as_uri()
    cfg.uri = "http://127.0.0.1:5000"
    assert tracking_uri(cfg, tmp_path) == "http://127.0.0.1:5000"


def test_flatten_uses_override_keys():
    assert flatten({"data": {"path": "x", "split": {"a": 1}}, "seed": 3}) == {
        "data.path": "x", "data.split.a": 1, "seed": 3}


def test_stage_run_lands_in_the_sqlite_store_with_tags(store, cfg):
    cfg.experiment = "t"
    with stage_run("inspect", cfg, {"seed": 1, "data": {"path": "a.csv"}}):
        log_metrics({"rows": 10, "share": 0.5, "flag": True, "name": "skipped", "count": np.int64(3),
                     "loss": np.float32(0.25)})
    [(name,)] = query(store, "select name from runs")
    tags = dict(query(store, "select key, value from tags"))
    params = dict(query(store, "select key, value from params"))
    metrics = dict(query(store, "select key, value from metrics"))
    assert name == "inspect" and tags["clearance.stage"] == "inspect"
    assert "mlflow.source.git.commit" in tags
    assert params == {"seed": "1", "data.path": "a.csv"}
    assert metrics == {"rows": 10.0, "share": 0.5, "count": 3.0, "loss": 0.25}


def experiment_kind(db: Path, name: str) -> str | None:
    rows = query(db, "select t.value from experiment_tags t join experiments e using (experiment_id) "
                     "where e.name = ? and t.key = ?", name, KIND_TAG)
    return rows[0][0] if rows else None


def test_a_new_experiment_opens_in_model_training_mode(store, cfg):
    with stage_run("inspect", cfg, {}):
        pass
    assert experiment_kind(store, "clearance") == KIND == "custom_model_development"


@pytest.mark.parametrize("before", [None, "genai_development"])
def test_an_existing_experiment_is_switched_to_model_training_mode(store, cfg, before):
    with stage_run("inspect", cfg, {}):
        pass
    # As a store written before the tag existed (or one the UI tagged as GenAI) would be.
    with sqlite3.connect(store) as db:
        db.execute("delete from experiment_tags where key = ?", (KIND_TAG,))
        if before:
            db.execute("insert into experiment_tags (key, value, experiment_id) "
                       "select ?, ?, experiment_id from experiments where name = 'clearance'", (KIND_TAG, before))
    assert experiment_kind(store, "clearance") == before
    with stage_run("baselines", cfg, {}):
        pass
    assert experiment_kind(store, "clearance") == KIND
    assert len(query(store, "select experiment_id from experiments where name = 'clearance'")) == 1


def test_child_run_logs_params_metrics_and_tags_in_one_batch(store, cfg, monkeypatch):
    from mlflow.tracking import MlflowClient

    batches: list[str] = []
    original = MlflowClient.log_batch
    monkeypatch.setattr(MlflowClient, "log_batch",
                        lambda self, run_id, *a, **kw: batches.append(run_id) or original(self, run_id, *a, **kw))
    with stage_run("baselines", cfg, {"seed": 1}) as parent:
        with child_run("majority", {"model": {"C": 1}}, metrics={"valid_accuracy": 0.5, "skipped": "text"},
                       tags={"clearance.kind": "baseline"}) as child:
            pass
    runs = dict(query(store, "select name, experiment_id from runs"))
    assert runs["majority"] == runs["baselines"]
    child_id = child.info.run_id
    assert batches.count(child_id) == 1
    assert dict(query(store, "select key, value from params where run_uuid = ?", child_id)) == {"model.C": "1"}
    assert dict(query(store, "select key, value from metrics where run_uuid = ?", child_id)) == {
        "valid_accuracy": 0.5}
    tags = dict(query(store, "select key, value from tags where run_uuid = ?", child_id))
    assert tags["clearance.kind"] == "baseline" and tags["mlflow.parentRunId"] == parent.info.run_id


def test_set_tags_tags_the_active_run_only(store, cfg):
    with stage_run("baselines", cfg, {}):
        with child_run("broken", {}):
            set_tags({"error": "ValueError: no rows"})
        with child_run("fine", {}):
            pass
    ids = run_ids(store)
    errors = dict(query(store, "select run_uuid, value from tags where key = 'error'"))
    assert errors == {ids["broken"]: "ValueError: no rows"}


def test_log_epoch_keeps_one_point_per_step(store, cfg):
    with stage_run("train", cfg, {}):
        for epoch, loss in enumerate([0.9, 0.6, 0.4]):
            log_epoch({"train_loss": loss, "valid_accuracy": 0.5 + epoch / 10}, step=epoch)
    points = query(store, "select step, value from metrics where key = 'train_loss' order by step")
    assert points == [(0, 0.9), (1, 0.6), (2, 0.4)]
    assert [s for (s,) in query(store, "select step from metrics where key = 'valid_accuracy' order by step")] == [
        0, 1, 2]


def dataset_inputs(db: Path, run_id: str) -> dict[str, tuple[str, str, str]]:
    """context -> (name, digest, source) of the datasets a run used."""
    rows = query(db, "select t.value, d.name, d.digest, d.dataset_source from inputs i "
                     "join datasets d on d.dataset_uuid = i.source_id "
                     "join input_tags t on t.input_uuid = i.input_uuid and t.name = 'mlflow.data.context' "
                     "where i.destination_id = ? and i.source_type = 'DATASET'", run_id)
    return {context: (name, digest, json.loads(source)["uri"]) for context, name, digest, source in rows}


def test_log_datasets_names_each_split_with_its_context_and_digest(store, cfg):
    digest = splits_digest(SPLITS)
    with stage_run("inspect", cfg, {}) as run:
        log_datasets(SPLITS, digest, "data/raw/tiny.csv")
    inputs = dataset_inputs(store, run.info.run_id)
    assert inputs == {name: (f"clearance-{digest[:8]}-{name}", digest[:36], "data/raw/tiny.csv")
                      for name in ("train", "valid", "test")}
    [(profile,)] = query(store, "select dataset_profile from datasets where name like '%-train'")
    assert json.loads(profile)["num_rows"] == 3


def test_splits_digest_follows_texts_and_labels():
    digest = splits_digest(SPLITS)
    assert len(digest) == 64 and digest == splits_digest({k: v.copy() for k, v in reversed(SPLITS.items())})
    relabelled = {**SPLITS, "valid": SPLITS["valid"].assign(label=["neg"])}
    moved = {**SPLITS, "train": SPLITS["train"].iloc[:2], "valid": pd.concat([SPLITS["train"].iloc[2:],
                                                                              SPLITS["valid"]])}
    assert len({digest, splits_digest(relabelled), splits_digest(moved)}) == 3


def write_prepared(folder: Path, summary: dict) -> None:
    folder.mkdir(parents=True)
    for name, frame in SPLITS.items():
        frame.to_parquet(split_file(name, folder), index=False)
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")


def test_prepared_splits_are_logged_with_the_summary_digest(store, cfg):
    folder = store.parent / "prepared"
    summary = summary_doc(["neg", "pos"], {k: len(v) for k, v in SPLITS.items()}, digest=splits_digest(SPLITS),
                          source="data/tiny.csv")
    write_prepared(folder, {k: v for k, v in summary.items() if k != "digest"})
    with pytest.raises(UserError, match=r"summary.json#digest: missing"):
        log_prepared_splits(folder)
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with stage_run("baselines", cfg, {}) as run:
        digest = log_prepared_splits(folder)
    assert digest == splits_digest(SPLITS)
    inputs = dataset_inputs(store, run.info.run_id)
    assert inputs["test"] == (f"clearance-{digest[:8]}-test", digest[:36], "data/tiny.csv")
    assert set(inputs) == {"train", "valid", "test"}


def test_artifacts_and_dicts_land_in_the_run(store, cfg):
    (store.parent / "hist.png").write_bytes(b"png")
    (store.parent / "report.html").write_text("<html></html>")
    with stage_run("inspect", cfg, {}) as run:
        log_artifacts([store.parent / "hist.png", store.parent / "report.html"])
        log_dict({"answers": {"q": "a"}}, "gate.json")
    assert run.info.artifact_uri == (store.parent / "mlartifacts" / run.info.run_id / "artifacts").as_uri()
    files = store.parent / "mlartifacts" / run.info.run_id / "artifacts"
    assert (files / "plots/hist.png").read_bytes() == b"png"
    assert (files / "report.html").exists()
    assert json.loads((files / "gate.json").read_text()) == {"answers": {"q": "a"}}


def test_find_experiment_id_reads_the_store_without_creating_it(store, cfg):
    missing = store.parent / "elsewhere.db"
    assert find_experiment_id(replace(cfg, uri=f"sqlite:///{missing}")) is None and not missing.exists()
    assert find_experiment_id(cfg) is None  # a store without the experiment
    with stage_run("inspect", cfg, {}) as run:
        pass
    assert find_experiment_id(cfg) == run.info.experiment_id
    cfg.experiment = "other"
    assert find_experiment_id(cfg) is None


def test_metrics_outside_a_run_say_where_to_log():
    with pytest.raises(RuntimeError, match="stage_run"):
        log_epoch({"loss": 1.0}, step=0)


def mlflow_importers(files: list[Path]) -> list[str]:
    """Files that import mlflow (at any depth), other than clearance/core/tracking.py."""
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "mlflow" or n.startswith("mlflow.") for n in names):
                found.append(str(path))
                break
    return found


# The file MLflow itself executes when it loads a logged text model ("models from code").
PYFUNC_FILE = REPO / "clearance/neural/text_pyfunc.py"


def test_only_tracking_imports_mlflow():
    files = [p for folder in ("clearance", "stages") for p in (REPO / folder).rglob("*.py")
             if p not in (REPO / "clearance/core/tracking.py", REPO / "clearance/neural/logged_model.py", PYFUNC_FILE)]
    assert files and mlflow_importers(files) == []


def test_nothing_imports_the_file_mlflow_runs_for_a_logged_model():
    assert mlflow_importers([PYFUNC_FILE]) == [str(PYFUNC_FILE)]
    importers = []
    for path in [p for folder in ("clearance", "stages") for p in (REPO / folder).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else [])
            if any("text_pyfunc" in n for n in names):
                importers.append(str(path))
    assert importers == []


def test_the_mlflow_import_scan_finds_a_hidden_import(tmp_path):
    sneaky = tmp_path / "record.py"
    sneaky.write_text("def log():\n    from mlflow.tracking import MlflowClient\n")
    clean = tmp_path / "clean.py"
    clean.write_text("import mlflowish\nfrom clearance.core.tracking import stage_run\n")
    assert mlflow_importers([sneaky, clean]) == [str(sneaky)]


OWNER = """
import sys, time
from pathlib import Path
from clearance.core.config.params import from_conf
from clearance.core.config.tracking import TrackingConfig
from clearance.core.tracking import child_run, stage_run
cfg = from_conf(TrackingConfig, "tracking", conf_dir=Path(sys.argv[1]))
with stage_run(sys.argv[2], cfg, {}) as run, child_run(sys.argv[2] + "_child", {}):
    print(run.info.run_id, flush=True)
    time.sleep(600)
"""


def start_owner(store: Path, name: str) -> tuple[subprocess.Popen, str]:
    """A process that opens a stage run (and a child run under it) and keeps them RUNNING; its run id."""
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(REPO / "conf"), name], cwd=store.parent,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    return owner, owner.stdout.readline().strip()


def test_runs_left_running_by_a_killed_process_are_marked_killed_when_a_stage_starts(store, cfg):
    killed, killed_id = start_owner(store, "train_model")
    live, live_id = start_owner(store, "sweep_worker")
    try:
        assert killed_id and live_id
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        states = dict(query(store, "select name, status from runs"))
        assert states["train_model"] == states["train_model_child"] == "RUNNING"  # kill -9 ends nothing
        with stage_run("final_test", cfg, {}):
            pass
        states = dict(query(store, "select name, status from runs"))
        assert states["train_model"] == states["train_model_child"] == "KILLED", states
        assert states["sweep_worker"] == states["sweep_worker_child"] == "RUNNING", states  # alive: untouched
        assert states["final_test"] == "FINISHED"
        why = dict(query(store, "select run_uuid, value from tags where key = ?", KILLED_TAG))
        assert set(why) == {killed_id, run_ids(store)["train_model_child"]}
        assert f"process {killed.pid}" in why[killed_id] and "final_test" in why[killed_id]
    finally:
        live.kill()
        live.wait()


def test_only_a_run_whose_own_process_is_gone_counts_as_dead():
    mine = owner_tags()
    assert gone_reason(mine) is None  # this process is alive
    assert gone_reason({**mine, HOST_TAG: "another-host"}) is None  # never judged from here
    assert gone_reason({}) is None  # no owner recorded: left alone
    started = float(mine[STARTED_TAG])
    assert "another process" in gone_reason({**mine, STARTED_TAG: f"{started - 60:.3f}"})  # the pid was reused
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert "no longer exists" in gone_reason({**mine, PID_TAG: str(gone.pid)})


def test_tagged_runs_finds_every_run_with_the_tag_deleted_ones_too(store, cfg):
    from mlflow.tracking import MlflowClient

    for number in (1, 2):
        with stage_run("final_test", cfg, {"chosen": "reference"}) as run:
            set_tags({"clearance.test_split_digest": "abc", "clearance.test_split_scoring": number})
            log_metrics({"test_macro_f1": 0.5})
    with stage_run("final_test", cfg, {}):
        set_tags({"clearance.test_split_digest": "other"})
    MlflowClient().delete_run(run.info.run_id)  # deleting a run in the UI must not lower a count
    found = tagged_runs(cfg, "clearance.test_split_digest", "abc")
    assert sorted(r["tags"]["clearance.test_split_scoring"] for r in found) == ["1", "2"]
    assert found[0]["params"] == {"chosen": "reference"} and found[0]["metrics"]["test_macro_f1"] == 0.5


def test_tagged_runs_creates_no_store_and_names_a_broken_one(tmp_path, monkeypatch, cfg):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    assert tagged_runs(cfg, "clearance.test_split_digest", "abc") == [] and not (tmp_path / "mlflow.db").exists()
    (tmp_path / "mlflow.db").write_bytes(b"not a database at all, just bytes")
    with pytest.raises(UserError, match="mlflow.db"):
        tagged_runs(cfg, "clearance.test_split_digest", "abc")
