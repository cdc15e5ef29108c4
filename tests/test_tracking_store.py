"""A damaged or unreachable tracking store (issue 17): the gate still decides and writes its stamp,
saying plainly that logging failed; measuring stages stop before their work with the store and the
fix; the user's file is never touched."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

import pytest

from clearance.checklist.results import CheckResult, write_checks
from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError
from clearance.core.tracking_store import check_store, sqlite_path
from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed, write_evidence
from tests.conftest import REPO, run

CLI = [sys.executable, "-m", "clearance"]
DAMAGED = b"not a database" * 100
FIX = "mv mlflow.db mlflow.db.damaged"


def config(uri: str = "") -> TrackingConfig:
    return TrackingConfig(uri=uri, experiment="t", artifact_location="")


def free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (cwd) with step 1's question file, checks (one failing) and evidence manifest."""
    shutil.copytree(REPO / "checklists", tmp_path / "checklists")
    shutil.copy2(REPO / "params.yaml", tmp_path / "params.yaml")
    write_checks([CheckResult("mojibake", "fail", 0.08, 0.05, "8% mis-decoded", "fix the encoding", "max")],
                 tmp_path / "reports/inspect/checks.json")
    write_evidence(tmp_path, "inspect", "1a2b3c4d5e6f")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    return tmp_path


@pytest.fixture
def damaged(workdir: Path) -> Path:
    """The project's mlflow.db overwritten by bytes that are not a database."""
    path = workdir / "mlflow.db"
    path.write_bytes(DAMAGED)
    return path


def answered(root: Path) -> None:
    checklist = root / "checklists/inspect.yaml"
    fill_answers(checklist)
    add_waivers(checklist, ["mojibake"])
    mark_reviewed(checklist)


def test_a_cleared_gate_stands_when_the_store_is_damaged(workdir, damaged):
    answered(workdir)
    result = run(CLI + ["gate", "inspect"], workdir, check=False)
    assert result.returncode == 0, result.stderr
    assert "GATE CLEARED" in result.stdout
    assert (workdir / "gates/inspect.json").is_file()
    err = result.stderr
    assert "MLflow logging failed" in err and "gates/inspect.json is written" in err
    assert "MLflow store mlflow.db" in err and "is not an SQLite database" in err
    assert FIX in err and "restore a backup" in err and "tracking.uri=" in err
    assert "Traceback" not in err + result.stdout
    assert damaged.read_bytes() == DAMAGED


def test_a_blocked_gate_never_touches_the_store(workdir, damaged):
    result = run(CLI + ["gate", "inspect"], workdir, check=False)
    assert result.returncode == 1 and "GATE CLOSED" in result.stderr
    assert "MLflow" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert damaged.read_bytes() == DAMAGED and not (workdir / "gates/inspect.json").exists()


def test_an_error_inside_mlflow_is_reported_and_the_gate_stays_cleared(workdir, monkeypatch, capsys):
    """A store that passes the check but fails in MLflow (a schema it cannot migrate, a lost server)."""
    from clearance.checklist.run import run_gate
    from clearance.core import tracking

    def broken(cfg):
        raise RuntimeError("(sqlite3.OperationalError) no such table: experiments\n[SQL: select ...]")

    monkeypatch.setattr(tracking, "_experiment_id", broken)
    answered(workdir)
    assert run_gate("inspect", workdir / "checklists", workdir / "gates") == 0
    out = capsys.readouterr()
    assert "GATE CLEARED" in out.out and (workdir / "gates/inspect.json").is_file()
    assert "MLflow logging failed" in out.err and "MLflow store mlflow.db" in out.err
    assert "RuntimeError: (sqlite3.OperationalError) no such table: experiments" in out.err
    assert "[SQL" not in out.err and FIX in out.err


@pytest.mark.parametrize("stage", ["inspect_data", "baselines", "sweep", "final_test"])
def test_a_measuring_stage_stops_before_its_work(workdir, damaged, stage):
    # No prepared data: a stage that started its work would fail on that instead.
    result = run([sys.executable, str(REPO / "stages" / f"{stage}.py")], workdir, check=False)
    err = result.stderr
    assert result.returncode == 2, err
    assert "MLflow store mlflow.db" in err and "is not an SQLite database" in err and FIX in err
    assert "Traceback" not in err + result.stdout
    assert damaged.read_bytes() == DAMAGED
    assert not (workdir / "reports/inspect/measurements.json").exists()


def test_the_check_names_the_store_and_the_fix(damaged):
    with pytest.raises(UserError) as raised:
        check_store(config())
    assert raised.value.where == "MLflow store mlflow.db (tracking.uri is empty: the default store)"
    assert raised.value.problem == "is not an SQLite database (file is not a database)"
    assert FIX in raised.value.fix and "clearance params tracking.uri=sqlite:///other.db" in raised.value.fix
    assert damaged.read_bytes() == DAMAGED


def test_a_damaged_file_behind_a_valid_header_is_caught(workdir):
    path = workdir / "runs.db"
    content = b"SQLite format 3\x00" + b"\xff" * 4000
    path.write_bytes(content)
    with pytest.raises(UserError, match="cannot be opened as an SQLite database") as raised:
        check_store(config("sqlite:///runs.db"))
    assert "tracking.uri=sqlite:///runs.db" in raised.value.where and "mv runs.db runs.db.damaged" in raised.value.fix
    assert path.read_bytes() == content


def test_a_missing_folder_and_a_store_folder(workdir):
    with pytest.raises(UserError, match="does not exist"):
        check_store(config(f"sqlite:///{workdir}/nowhere/mlflow.db"))
    (workdir / "mlflow.db").mkdir()
    with pytest.raises(UserError, match="is a folder"):
        check_store(config())


def test_healthy_missing_and_empty_stores_pass(workdir):
    """A store not made yet passes, MLflow makes it, and then it passes as a healthy store."""
    from clearance.core.tracking import stage_run

    check_store(config())
    assert not (workdir / "mlflow.db").exists()  # the check creates nothing
    with stage_run("inspect", config(), {"seed": 1}):
        pass
    check_store(config())
    (workdir / "empty.db").write_bytes(b"")  # an empty file is an empty database to SQLite
    check_store(config("sqlite:///empty.db"))


def test_an_unreachable_server_is_named_without_its_password():
    port = free_port()
    with pytest.raises(UserError, match="does not answer") as raised:
        check_store(config(f"http://127.0.0.1:{port}"))
    assert f"tracking.uri=http://127.0.0.1:{port}" in raised.value.where and "start the server" in raised.value.fix
    with pytest.raises(UserError, match="does not answer") as raised:
        check_store(config(f"postgresql://me:secret@127.0.0.1:{port}/mlflow"))
    assert "me:***@" in raised.value.where and "secret" not in raised.value.where


def test_sqlite_paths():
    assert sqlite_path("sqlite:///mlflow.db") == Path("mlflow.db")
    assert sqlite_path("sqlite:////abs/m.db?timeout=20") == Path("/abs/m.db")
    assert sqlite_path("sqlite+pysqlite:///m.db") == Path("m.db")
    assert sqlite_path("sqlite://") is None and sqlite_path("http://host:5000") is None
