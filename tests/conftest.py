"""Shared fixtures: synthetic data, composed configs, a throw-away project copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make_texts

REPO = Path(__file__).resolve().parents[1]
# The throw-away PostgreSQL server fixture (`postgres_url`) for the sweep's shared-storage tests.
pytest_plugins = ("tests.postgres",)

BIN = Path(sys.executable).parent
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Test workers share the cores: one thread each, in the stages they start too (before torch is imported).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")


@pytest.fixture
def texts():
    """180 clean, distinct, keyword-labelled texts in three classes."""
    return make_texts()


@pytest.fixture
def composed():
    """params composed from conf/ with Hydra, as `clearance params` would."""
    from clearance.core.compose import compose

    return compose(conf_dir=REPO / "conf")


def tracked_files() -> list[str]:
    """Files a fresh clone would have: tracked plus not-ignored new files."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, capture_output=True, text=True, check=True)
    # dvc.lock records this checkout's runs; a fresh clone has none.
    return [line for line in out.stdout.splitlines()
            if (REPO / line).is_file() and line != "dvc.lock"]


def run(cmd: list[str] | str, cwd: Path, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run a command with the project's venv first on PATH; output captured as text."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("DVC_ROOT", None)
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env,
                            shell=isinstance(cmd, str), **kw)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def new_project(root: Path) -> Path:
    """A fresh copy of the repository (as a clone would be) in its own git repo at ``root``."""
    for name in tracked_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    (root / "data").mkdir(exist_ok=True)
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-q", "-m", "copy"], root)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the repository (as a clone would be) in its own git repo."""
    return new_project(tmp_path / "project")



@pytest.fixture
def user_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run from a project folder whose plugins/ holds the user's own parts; ``write(name, source)`` adds
    plugins/<name>.py and returns its path (the stages resolve a part from there, and only there)."""
    import importlib

    root = tmp_path / "plugged"
    (root / "plugins").mkdir(parents=True)
    (root / "conf").symlink_to(REPO / "conf")
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "path", list(sys.path))
    written: list[str] = []

    def write(name: str, source: str) -> Path:
        path = root / "plugins" / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        sys.modules.pop(name, None)
        importlib.invalidate_caches()
        written.append(name)
        return path

    yield write
    for name in written:
        sys.modules.pop(name, None)


@pytest.fixture(scope="session")
def journey(tmp_path_factory, worker_id):
    """The tiny pipeline taken through all four gates once per session (tests/journey.py): read it, or
    change a copy of it (``tests.journey.copy_project``). Under pytest-xdist the first worker to ask
    builds it and the others wait for it, so it is built once per run."""
    from filelock import FileLock

    from tests.journey import build_journey, load, save

    if worker_id == "master":  # one process: no one to share with
        return build_journey(tmp_path_factory.mktemp("journey") / "project")
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker of this run
    record = shared / "journey.json"
    with FileLock(str(record) + ".lock"):
        if record.is_file():
            return load(record)
        built = build_journey(shared / "journey" / "project")
        save(built, record)
        return built


# The test that reads the journey as it was built runs first: with pytest-xdist's work stealing, one
# worker builds the journey while the others take the unit tests, and every other test that needs the
# journey runs last, once it is there.
FIRST = "test_repro_blocks_at_each_gate_then_clears_then_does_nothing"


def pytest_collection_modifyitems(config, items) -> None:
    def rank(item) -> int:
        if item.name == FIRST:
            return 0
        return 2 if "journey" in getattr(item, "fixturenames", ()) else 1

    items.sort(key=rank)  # stable: within a rank, the collection order
