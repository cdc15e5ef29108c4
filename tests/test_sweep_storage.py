"""The sweep's study storage: the journal file and PostgreSQL shared by worker processes, and clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest

from clearance.core.errors import UserError
from clearance.sweep.search import storage
from clearance.sweep.search.storage import mask, open_storage
from tests.postgres import PASSWORD, PASSWORD_ROLE

TRIALS = 12
WORKERS = 2
# A worker, as `clearance sweep worker` will be: it opens the storage, joins the study and stops when
# the study has TRIALS trials. Its first trial waits until the other worker has a trial in the
# storage too, so both provably share one study. A trial numbered past the budget (two workers
# can both start one when one trial is left) is pruned, so exactly TRIALS trials complete.
WORKER = """
import sys, time
import optuna
from clearance.sweep.search.storage import open_storage
from pathlib import Path

url, journal, study_name, worker, trials, workers = sys.argv[1:]
worker, trials, workers = int(worker), int(trials), int(workers)
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name=study_name, storage=open_storage(url, Path(journal)),
                          sampler=optuna.samplers.RandomSampler(seed=worker))

def others_started():
    return {t.user_attrs.get("worker") for t in study.get_trials(deepcopy=False)} >= set(range(workers))

def objective(trial):
    if trial.number >= trials:
        study.stop()
        raise optuna.TrialPruned()
    trial.set_user_attr("worker", worker)
    deadline = time.monotonic() + 60
    while not others_started() and time.monotonic() < deadline:
        time.sleep(0.05)
    return trial.suggest_float("x", -1.0, 1.0) ** 2

study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(trials, states=None)])
"""


def start_workers(url: str, journal: Path, name: str) -> list[subprocess.Popen]:
    """WORKERS worker processes on the study ``name``, each with its own sampler seed."""
    return [subprocess.Popen([sys.executable, "-c", WORKER, url, str(journal), name, str(worker),
                              str(TRIALS), str(WORKERS)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for worker in range(WORKERS)]


def finish(workers: list[subprocess.Popen]) -> list[str]:
    """Wait for the workers; their stderr. Fails when one fails."""
    errors = []
    for process in workers:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        errors.append(err)
    return errors


def assert_shared(study: optuna.Study, errors: list[str]) -> None:
    """Exactly TRIALS trials completed, numbered 0..TRIALS-1, by both workers, without lock errors."""
    trials = study.get_trials()
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted(t.number for t in complete) == list(range(TRIALS))
    assert {t.user_attrs["worker"] for t in complete} == set(range(WORKERS))
    extra = [t for t in trials if t not in complete]
    assert len(extra) <= WORKERS - 1
    assert all(t.state == optuna.trial.TrialState.PRUNED for t in extra)
    assert not any("locked" in err.lower() for err in errors), errors


def test_journal_file_shared_by_two_worker_processes(tmp_path: Path):
    journal = tmp_path / "study" / "journal.log"
    study = optuna.create_study(study_name="shared", storage=open_storage("", journal),
                                direction="minimize")
    errors = finish(start_workers("", journal, "shared"))
    assert journal.is_file()
    assert_shared(optuna.load_study(study_name=study.study_name, storage=open_storage("", journal)), errors)


def test_postgres_shared_by_two_worker_processes(postgres_url: str, tmp_path: Path):  # noqa: F811
    study = optuna.create_study(study_name="shared-pg", storage=open_storage(postgres_url))
    errors = finish(start_workers(postgres_url, tmp_path / "unused.log", "shared-pg"))
    assert_shared(optuna.load_study(study_name=study.study_name, storage=open_storage(postgres_url)), errors)


DYING = """
import os, sys
import optuna
from clearance.sweep.search.storage import open_storage

study = optuna.load_study(study_name=sys.argv[2], storage=open_storage(sys.argv[1], heartbeat=1))
def objective(trial):
    trial.suggest_float("x", -1.0, 1.0)
    os._exit(3)   # the worker dies mid-trial, as on a preempted machine
study.optimize(objective, n_trials=1)
"""


def test_postgres_trial_of_a_dead_worker_is_retried(postgres_url: str):
    study = optuna.create_study(study_name="dying", storage=open_storage(postgres_url, heartbeat=1))
    died = subprocess.run([sys.executable, "-c", DYING, postgres_url, "dying"],
                          capture_output=True, text=True, timeout=300)
    assert died.returncode == 3, died.stderr
    [lost] = study.get_trials()
    assert lost.state == optuna.trial.TrialState.RUNNING
    fail_when_stale(study)
    study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0) ** 2, n_trials=1)
    first, retried = study.get_trials()
    assert first.state == optuna.trial.TrialState.FAIL
    assert retried.state == optuna.trial.TrialState.COMPLETE
    assert retried.params == first.params
    assert retried.system_attrs["failed_trial"] == first.number


def fail_when_stale(study: optuna.Study) -> None:
    """Poll until the dead worker's trial misses its heartbeat's grace period and is failed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with warnings.catch_warnings():   # experimental, and said so at every call
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)   # what every worker does before a new trial
        if study.get_trials()[0].state != optuna.trial.TrialState.RUNNING:
            return
        time.sleep(0.2)
    raise AssertionError("the dead worker's trial never became stale")


def test_postgres_opens_and_keeps_studies(postgres_url: str):
    first = optuna.create_study(study_name="kept", storage=open_storage(postgres_url))
    first.optimize(lambda trial: trial.suggest_int("n", 0, 3), n_trials=2)
    again = optuna.load_study(study_name="kept", storage=open_storage(postgres_url))
    assert [t.state for t in again.get_trials()] == [optuna.trial.TrialState.COMPLETE] * 2


def test_journal_folder_is_created(tmp_path: Path):
    journal = tmp_path / "a" / "b" / "journal.log"
    study = optuna.create_study(storage=open_storage("", journal))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    assert journal.stat().st_size > 0


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]   # bound but not listening: connections are refused


def raised(url: str, **kwargs) -> UserError:
    """The UserError that open_storage raises for ``url``."""
    with pytest.raises(UserError) as caught:
        open_storage(url, **kwargs)
    return caught.value


def assert_masked(error: UserError, url: str, password: str) -> None:
    """The error names the URL with its password masked, and never shows the password."""
    assert error.where == f"sweep.storage={mask(url)}"
    assert "***" in error.where
    assert password not in error.render() and password not in str(error)


def test_unreachable_server_names_the_masked_url(closed_port: int):
    url = f"postgresql://sweeper:hunter2-secret@127.0.0.1:{closed_port}/study"
    error = raised(url)
    assert_masked(error, url, "hunter2-secret")
    assert "cannot connect" in error.problem
    assert "server running" in error.fix and "port" in error.fix


def test_silent_server_times_out(monkeypatch):
    monkeypatch.setattr(storage, "CONNECT_TIMEOUT", 2)   # libpq's smallest timeout
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()   # the kernel completes the handshake, but nobody ever answers
        # Should the timeout not apply, closing the socket ends the wait with another error.
        backstop = threading.Timer(30, silent.close)
        backstop.start()
        url = f"postgresql://sweeper:hunter2-secret@127.0.0.1:{silent.getsockname()[1]}/study"
        try:
            error = raised(url)
        finally:
            backstop.cancel()
    assert_masked(error, url, "hunter2-secret")
    assert "did not answer within 2 s" in error.problem


def test_wrong_password_is_named(postgres_url: str):
    port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql://{PASSWORD_ROLE}:not-{PASSWORD}@127.0.0.1:{port}/clearance_test"
    error = raised(url)
    assert_masked(error, url, f"not-{PASSWORD}")
    assert "user name or password" in error.problem


def test_right_password_opens(postgres_url: str):
    port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql://{PASSWORD_ROLE}:{PASSWORD}@127.0.0.1:{port}/clearance_test"
    assert isinstance(open_storage(url), optuna.storages.RDBStorage)


def test_user_without_create_rights_is_told(postgres_url: str):
    import psycopg2

    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True   # CREATE DATABASE refuses to run in a transaction
    try:
        with admin.cursor() as cursor:   # a role that may log in, in a database it does not own
            cursor.execute("CREATE ROLE clearance_reader LOGIN")
            cursor.execute("CREATE DATABASE clearance_readonly")
    finally:
        admin.close()
    url = postgres_url.replace("postgres@", "clearance_reader@").rsplit("/", 1)[0] + "/clearance_readonly"
    error = raised(url)
    assert "refused Optuna's tables" in error.problem and "permission denied" in error.problem
    assert "create tables" in error.fix


def test_missing_database_is_named(postgres_url: str):
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_db"
    error = raised(url)
    assert error.where == f"sweep.storage={url}"
    assert "does not exist" in error.problem and "no_such_db" in error.problem
    assert "createdb" in error.fix


def test_missing_driver_names_the_package(monkeypatch, closed_port: int):
    monkeypatch.setitem(sys.modules, "psycopg2", None)   # import psycopg2 now raises ImportError
    url = f"postgresql://sweeper:hunter2-secret@127.0.0.1:{closed_port}/study"
    error = raised(url)
    assert_masked(error, url, "hunter2-secret")
    assert "pip install psycopg2-binary" in error.fix


@pytest.mark.parametrize("url", ["sqlite:///study.db", "sqlite+pysqlite:////tmp/x.db", "SQLite://"])
def test_sqlite_is_rejected(url: str):
    error = raised(url)
    assert "parallel" in error.problem
    assert 'sweep.storage: ""' in error.fix and "FAQ" in error.fix


@pytest.mark.parametrize("url", ["redis://localhost:6379", "oracle://u:p@h/db", "just-a-name"])
def test_unsupported_storage_is_rejected(url: str):
    error = raised(url)
    assert "not a supported study storage" in error.problem
    assert "postgresql://" in error.fix


def test_postgres_scheme_alias_gets_its_spelling():
    error = raised("postgres://u:secret-pw@db.example/x")
    assert_masked(error, "postgres://u:secret-pw@db.example/x", "secret-pw")
    assert "postgresql://" in error.fix


def test_bad_heartbeat_is_rejected(closed_port: int):
    error = raised(f"postgresql://u@127.0.0.1:{closed_port}/x", heartbeat=0)
    assert "heartbeat" in error.problem


@pytest.mark.parametrize("url, shown", [
    ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql+psycopg2://u:p@ss@h/db", "postgresql+psycopg2://u:***@h/db"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("postgresql://h/db?user=u&password=pw&sslmode=require",
     "postgresql://h/db?user=u&password=***&sslmode=require"),
    ("", ""),
])
def test_mask_hides_only_the_password(url: str, shown: str):
    assert mask(url) == shown


def test_journal_is_local_and_urls_are_not():
    assert storage.is_local("") and storage.is_local("  ")
    assert not storage.is_local("postgresql://h/db")


def test_plain_postgresql_url_names_the_installed_driver():
    # SQLAlchemy 2.1 would pick psycopg 3 for a plain postgresql:// URL; the project installs psycopg2.
    assert storage.with_driver("postgresql://u:pw@h/db") == "postgresql+psycopg2://u:pw@h/db"
    assert storage.with_driver("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
