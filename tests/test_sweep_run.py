"""The sweep on tiny data: trials through step 3's training function, nested MLflow runs, resuming,
failed trials, local workers on the journal, and the seed re-runs and the final test."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import optuna
import pytest

from clearance.core.compose import compose, write_params
from clearance.core.config.params import from_conf, load_stage_config
from clearance.core.config.sweep import SweepStage
from clearance.core.errors import UserError
from clearance.core.tracking import stage_run
from clearance.sweep.final.scoring import score_on_test
from clearance.sweep.judge.decision import decide
from clearance.sweep.search import run as sweep_run
from clearance.sweep.search.seeds import no_tracking, rerun_seeds
from clearance.sweep.search.space import flatten_keys
from clearance.sweep.search.storage import open_storage
from clearance.sweep.search.study import INTERRUPTED
from clearance.sweep.search.trial import Setup
from tests.conftest import REPO
from tests.factory import prepared_project, project_copy

# The debug group (conf/debug/tiny.yaml) on a tiny corpus; each test sets the space and budget it needs. At a
# constant rate, so a trial diverges at the rate it drew (a warm-up would reach it later, or never in 8 steps).
SETTINGS = ["debug=tiny", "data=custom", "data.path=data/tiny.csv", "train.max_length=32", "train.batch_size=16",
            "sweep.trials=4", "train.schedule=constant", "train.warmup_ratio=0.0"]
SPACE = {"train": {"lr": "loguniform(1e-3, 3e-2)"}, "model": {"layers": "choice(1, 2)"}}
BUDGET = {"train": {"max_steps": 8, "eval_every": 8, "epochs": 1}}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A project folder with tiny prepared data, step 2's bar and an empty MLflow store, made once."""
    from mlflow.tracking import MlflowClient

    root = prepared_project(tmp_path_factory.mktemp("sweep-template"))
    MlflowClient(f"sqlite:///{root / 'mlflow.db'}").search_experiments()
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("DVC_ROOT", raising=False)
    return project_copy(template, tmp_path / "project", monkeypatch)


def settings(space: dict | None = None, budget: dict | None = None, **sweep: Any) -> dict[str, Any]:
    """The composed params with the tiny model, written to params.yaml (local workers read it)."""
    params = compose(SETTINGS, conf_dir=REPO / "conf")
    params["sweep"].update(space=space or SPACE, trial=budget or BUDGET, **sweep)
    write_params(params, Path("params.yaml"))
    return params


def sweep(params: dict[str, Any]) -> dict[str, Any]:
    """The sweep stage's work: a parent MLflow run and the study's trials under it."""
    stage = load_stage_config(SweepStage, params)
    with stage_run("sweep", stage.tracking, {}) as run:
        return sweep_run.run_sweep(stage, params, run.info.run_id, prepared=Path("data/prepared"),
                                   out=Path("reports/sweep"), report=lambda line: None)


def study_of(params: dict[str, Any]) -> optuna.Study:
    stage = load_stage_config(SweepStage, params)
    return sweep_run.prepare(stage, params, Path("data/prepared")).study


def test_trials_run_through_step_3_and_are_nested_mlflow_runs(project: Path):
    measured = sweep(settings())
    trials = measured["trials"]
    assert [t["state"] for t in trials] == ["COMPLETE"] * 4
    assert all(1e-3 <= t["params"]["train.lr"] <= 3e-2 and t["params"]["model.layers"] in (1, 2) for t in trials)
    assert measured["best"]["value"] == max(t["value"] for t in trials)
    assert measured["budget_curve"][-1] == measured["best"]["value"]
    assert set(measured["positions"]) == {"train.lr", "model.layers"}
    assert json.loads((project / "reports/sweep/measurements.json").read_text())["study"] == measured["study"]
    with sqlite3.connect(project / "mlflow.db") as db:
        parent = db.execute("SELECT run_uuid FROM runs WHERE name = 'sweep'").fetchone()[0]
        children = db.execute("SELECT r.name FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid "
                              "WHERE t.key = 'mlflow.parentRunId' AND t.value = ?", (parent,)).fetchall()
        curves = db.execute("SELECT DISTINCT key FROM metrics WHERE run_uuid = ?", (trials[0]["run_id"],)).fetchall()
    assert sorted(name for (name,) in children) == [f"trial_{i}" for i in range(4)]
    assert {"train_loss", "valid_loss", "valid_macro_f1"} <= {key for (key,) in curves}


@pytest.mark.slow  # make test-all; CI runs the PostgreSQL workers and test_sweep_storage's journal workers
def test_the_same_settings_give_the_same_trials(project: Path):
    first = sweep(settings())
    shutil.rmtree(project / "reports/sweep")
    again = sweep(settings(study="again"))
    assert [(t["params"], t["value"]) for t in again["trials"]] == [(t["params"], t["value"]) for t in first["trials"]]


def test_a_larger_budget_continues_the_study(project: Path):
    first = sweep(settings(trials=2))
    more = sweep(settings(trials=4))
    assert more["study"] == first["study"] and len(more["trials"]) == 4
    assert more["trials"][:2] == first["trials"]
    assert more["trials"][2]["params"] != first["trials"][0]["params"]  # a resumed sampler draws new values


def test_an_interrupted_trial_is_retried_and_not_counted(project: Path):
    params = settings()
    study = study_of(params)
    stuck = study.ask({"train.lr": optuna.distributions.FloatDistribution(1e-3, 3e-2, log=True),
                       "model.layers": optuna.distributions.CategoricalDistribution([1, 2])})
    measured = sweep(params)
    assert len(measured["trials"]) == 4 and all(t["state"] == "COMPLETE" for t in measured["trials"])
    assert stuck.params in [t["params"] for t in measured["trials"]]
    marked = study_of(params).get_trials()[stuck.number]
    assert marked.state.name == "FAIL" and marked.user_attrs[INTERRUPTED]


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(project: Path):
    # width 32 with 3 heads cannot be built: those trials fail with the model's own message
    measured = sweep(settings({"model": {"heads": "choice(2, 3)"}}, trials=6))
    states = {t["state"] for t in measured["trials"]}
    assert states == {"COMPLETE", "FAIL"}, measured["trials"]
    failed = [t for t in measured["trials"] if t["state"] == "FAIL"]
    assert all(t["params"]["model.heads"] == 3 and "heads" in t["error"] for t in failed)


def test_a_sweep_where_every_trial_fails_says_so(project: Path):
    with pytest.raises(UserError, match=r"all 2 trials failed; the first error: .*heads"):
        sweep(settings({"model": {"heads": "choice(3)"}}, trials=2))


def test_a_trial_that_diverges_is_recorded_diverged_in_optuna_and_mlflow_and_counted(project: Path):
    """An absurd learning rate turns the loss NaN: its trials are pruned (not failed), tagged in MLflow, counted."""
    from clearance.checklist.declared import grade_one
    from clearance.sweep.judge.run import CHECKS, SweepChecks

    params = settings({"train": {"lr": "choice(0.003, 1e30)"}}, trials=4)
    measured = sweep(params)
    wild = [t for t in measured["trials"] if t["params"]["train.lr"] == 1e30]
    tame = [t for t in measured["trials"] if t["params"]["train.lr"] == 0.003]
    assert wild and tame, measured["trials"]  # the seeded draws give both
    assert all(t["state"] == "COMPLETE" and t["diverged"] is None for t in tame)
    for trial in wild:
        assert trial["state"] == "PRUNED" and trial["error"] == "" and trial["value"] is None
        assert trial["diverged"]["loss"] == "nan" and trial["diverged"]["lr"] == 1e30
        assert trial["diverged"]["message"].startswith(f"training diverged at step {trial['diverged']['step']}: ")
    counted = measured["diverged"]
    assert counted["count"] == len(wild) and [t["number"] for t in counted["trials"]] == [t["number"] for t in wild]
    assert all(t["params"] == {"train.lr": 1e30} for t in counted["trials"])
    study = study_of(params)
    assert {t.number: t.user_attrs.get("diverged", {}).get("lr") for t in study.get_trials()
            if t.state == optuna.trial.TrialState.PRUNED} == {t["number"]: 1e30 for t in wild}
    with sqlite3.connect(project / "mlflow.db") as db:
        for trial in wild + tame:
            status = db.execute("SELECT status FROM runs WHERE run_uuid = ?", (trial["run_id"],)).fetchone()[0]
            tags = dict(db.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (trial["run_id"],)).fetchall())
            if trial in wild:
                assert status == "FAILED" and tags["clearance.outcome"] == "diverged"
                assert tags["clearance.reason"] == trial["diverged"]["message"]
            else:
                assert status == "FINISHED" and "clearance.outcome" not in tags
    check = grade_one(CHECKS, "trials_completed", measured, from_conf(SweepChecks, "checks.sweep"))
    assert f"0 pruned, {len(wild)} diverged" in check.message
    assert f"#{wild[0]['number']} (train.lr=1e+30: step {wild[0]['diverged']['step']}, loss nan)" in check.message
    assert "lower the high end of the train.lr range" in check.fix


def test_a_sweep_where_every_trial_diverges_says_to_lower_the_lr(project: Path):
    with pytest.raises(UserError, match=r"all 2 trials diverged .*; the first: training diverged at step \d+: the "
                                        r"training loss became nan at learning rate 1e\+30"):
        sweep(settings({"train": {"lr": "choice(1e30)"}}, trials=2))


def test_seed_reruns_survive_a_seed_that_diverges(project: Path):
    """The best's seeds diverge: they score None, are listed, and leave no pair to compare; nothing crashes."""
    params = settings()
    stage = load_stage_config(SweepStage, params)
    setup = Setup(params, flatten_keys(stage.sweep.trial, section="sweep.trial"), "macro_f1", Path("data/prepared"))
    best = {"number": 0, "params": {"train.lr": 1e30}, "value": 0.5}
    seeds = rerun_seeds(stage, setup, best, no_tracking, best_dir=Path("models/sweep/best"))
    assert seeds["best"]["values"] == [None, None] and seeds["best"]["mean"] is None
    assert [d["seed"] for d in seeds["best"]["diverged"]] == [42, 43] and seeds["reference"]["diverged"] == []
    assert all(v is not None for v in seeds["reference"]["values"]) and seeds["optimizer"] == "AdamW"
    assert seeds["bootstrap"]["mean_gain"] is None and "2 seed(s) without both scores" in seeds["bootstrap"]["note"]
    package = json.loads((project / "models/sweep/best/settings.json").read_text())
    assert package["trained"] is False and "seed 42: training diverged" in package["reason"]


@pytest.mark.slow  # make test-all; CI runs the PostgreSQL workers and test_sweep_storage's journal workers
def test_a_study_whose_every_trial_failed_starts_afresh(project: Path):
    params = settings()
    study = study_of(params)
    for _ in range(4):
        study.tell(study.ask(), state=optuna.trial.TrialState.FAIL)
    measured = sweep(params)
    assert [t["state"] for t in measured["trials"]] == ["COMPLETE"] * 4


def test_bad_keys_stop_before_any_trial(project: Path):
    with pytest.raises(UserError, match=r"sweep.space.train.learning_rate"):
        sweep(settings({"train": {"learning_rate": "loguniform(1e-4, 1e-2)"}}))
    with pytest.raises(UserError, match=r"sweep.trial.train.max_steps.*also in sweep.space"):
        sweep(settings({"train": {"max_steps": "choice(4, 8)"}}))
    assert not (project / "reports/sweep/study/journal.log").exists()


def test_an_unknown_final_rule_stops_before_any_trial(project: Path):
    with pytest.raises(UserError, match=r"sweep.final=newest: unknown choice \(the choices are best_if_better, best\)"):
        sweep(settings(final="newest"))
    assert not (project / "reports/sweep/study/journal.log").exists()


def test_a_named_study_refuses_a_changed_space(project: Path):
    sweep(settings(trials=1, study="mine"))
    with pytest.raises(UserError, match=r"sweep.study=mine.*another search space"):
        sweep(settings({"train": {"lr": "loguniform(1e-4, 1e-2)"}}, trials=1, study="mine"))


@pytest.mark.slow  # make test-all; CI runs the PostgreSQL workers and test_sweep_storage's journal workers
def test_two_local_workers_share_the_journal(project: Path):
    measured = sweep(settings(trials=4, workers=2))
    trials = measured["trials"]
    assert 4 <= len(trials) <= 5 and all(t["state"] == "COMPLETE" for t in trials)
    assert len({json.dumps(t["params"], sort_keys=True) for t in trials}) == len(trials)  # no repeated draws


def test_seed_reruns_and_the_final_test(project: Path):
    params = settings()
    measured = sweep(params)
    stage = load_stage_config(SweepStage, params)
    setup = Setup(params, flatten_keys(stage.sweep.trial, section="sweep.trial"), "macro_f1", Path("data/prepared"))
    seeds = rerun_seeds(stage, setup, measured["best"], no_tracking, best_dir=Path("models/sweep/best"))
    assert seeds["seeds"] == [42, 43] and len(seeds["best"]["values"]) == len(seeds["reference"]["values"]) == 2
    # the first seed re-runs the best trial itself: the same settings give the same score
    assert seeds["best"]["values"][0] == pytest.approx(measured["best"]["value"], abs=1e-9)
    assert seeds["optimizer"] == "AdamW" and {"mean_gain", "low", "high"} <= set(seeds["bootstrap"])
    assert (project / "models/sweep/best/weights.pt").exists() and not (project / "models/sweep/reference").exists()
    lr_band = {"default": [1e-6, 1.0]}
    if seeds["bootstrap"]["high"] < 0:  # a worse best is never scored under `best`: keep the test meaningful
        seeds["bootstrap"].update(low=0.0, high=0.01)
    choice = decide("best", measured, seeds, lr_band)
    final = score_on_test(choice, Path("data/prepared"), {"best": Path("models/sweep/best")})
    assert final["chosen"] == "best" and "test_macro_f1" in final["test"] and "valid_macro_f1" in final["valid"]
    assert final["valid"]["valid_macro_f1"] == pytest.approx(seeds["best"]["values"][0], abs=1e-6)
    assert final["ledger"]["seen"] == 1 and len((project / "ledger/test_split.jsonl").read_text().splitlines()) == 1


# -- beyond one machine: a PostgreSQL study shared by the stage and `clearance sweep worker` -------------------



def test_the_stage_and_a_worker_share_a_postgresql_study(project: Path, postgres_url: str):
    import subprocess
    import sys
    import threading
    import time

    # trials long enough (60 steps) that the worker, starting in seconds, joins before the stage is done
    params = settings(budget={"train": {"max_steps": 60, "eval_every": 60, "epochs": 1}}, trials=8,
                      storage=postgres_url, study="shared")
    outcome: dict[str, Any] = {}
    stage = threading.Thread(target=lambda: outcome.update(measured=sweep(params)))
    stage.start()
    study = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and stage.is_alive():
        try:
            study = optuna.load_study(study_name="shared", storage=open_storage(postgres_url))
            if study.user_attrs.get("mlflow_parent_run"):
                break
        except KeyError:
            pass
        time.sleep(0.5)
    worker = subprocess.run([sys.executable, "-m", "clearance", "sweep", "worker", "--seed", "7"], cwd=project,
                            capture_output=True, text=True, timeout=600)
    stage.join(timeout=600)
    assert worker.returncode == 0, worker.stderr[-3000:]
    trials = outcome["measured"]["trials"]
    assert 8 <= len(trials) <= 9 and all(t["state"] == "COMPLETE" for t in trials)
    assert len({t["worker"] for t in trials}) == 2, [t["worker"] for t in trials]  # both ran trials
    status = subprocess.run([sys.executable, "-m", "clearance", "sweep", "status"], cwd=project, capture_output=True,
                            text=True, timeout=300)
    assert "study shared" in status.stdout and "complete" in status.stdout and "***" not in status.stdout


def test_an_unreachable_database_stops_before_any_trial(project: Path):
    with pytest.raises(UserError, match=r"sweep.storage=postgresql://clearance:\*\*\*@127.0.0.1:9/"):
        sweep(settings(storage="postgresql://clearance:secret@127.0.0.1:9/none"))


def test_a_worker_before_the_stage_says_to_start_it_and_creates_nothing(project: Path):
    import subprocess
    import sys

    settings()
    done = subprocess.run([sys.executable, "-m", "clearance", "sweep", "status"], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2 and "does not exist yet" in done.stderr and "dvc repro" in done.stderr, done.stderr
    storage = open_storage("", project / "reports/sweep/study/journal.log")
    assert optuna.get_all_study_names(storage) == []
