"""No traceback from a data file: each hostile case (tests/hostile.py) either goes through `prepare`,
`inspect`, `baselines` and the probes (each with its judging stage), or stops with one message naming the
file, the field and the fix (exit 2).

Each case runs the stage scripts in order, as `dvc repro` runs them (the gates between them only stamp;
the stages read files, not the stamps), in a child forked from one process that imported their libraries
once (tests/stage_runner.py): a case costs its own work, not four start-ups of torch, scikit-learn and
MLflow. The 50 MB text is the longest case (about 50 s and 1.8 GB on 2 cores).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clearance.core.compose import compose, render
from tests.hostile import CASES, STAGES, Case

REPO = Path(__file__).resolve().parents[1]
# Settings that keep each case to seconds: the tiny journey, with fewer probe steps.
TINY = ("debug=tiny", "data=custom", "probes.overfit_max_steps=10", "probes.decoded_samples=2")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MLflow store for every case: its tables are made once."""
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture(scope="module")
def runner():
    """tests/stage_runner.py, started once: each case's stages then run without paying the imports again."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("CLEARANCE_TRACEBACK", None)
    env.pop("DVC_ROOT", None)
    process = subprocess.Popen([sys.executable, str(REPO / "tests" / "stage_runner.py"), str(REPO / "stages")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    yield process
    process.stdin.close()
    process.wait(timeout=60)


def case_project(root: Path, case: Case, store: Path) -> str:
    """A project folder holding the case's file, params.yaml composed for it, and the plugins; returns
    the file's path (data.path)."""
    root.mkdir(parents=True)
    path = case.write(root)
    overrides = [*TINY, f"data.path={path}", f"tracking.uri=sqlite:///{store / 'mlflow.db'}",
                 f"tracking.artifact_location={(store / 'artifacts').as_uri()}", *case.overrides]
    (root / "params.yaml").write_text(render(compose(overrides, conf_dir=REPO / "conf")), encoding="utf-8")
    (root / "plugins").symlink_to(REPO / "plugins")
    return path


def run_stages(runner: subprocess.Popen, root: Path) -> dict:
    """The stages (hostile.STAGES) in ``root``, stopping at the first that fails: the exit code and the stage
    that stopped (their output is in stages.out and stages.err there)."""
    runner.stdin.write(json.dumps([str(root), *STAGES]) + "\n")
    runner.stdin.flush()
    answer = runner.stdout.readline()
    assert answer, "the stage runner ended"
    return json.loads(answer)


def messages(stderr: str) -> list[str]:
    """The user-facing messages in a stage's error output (each starts "clearance: ")."""
    return [line for line in stderr.splitlines() if line.startswith("clearance: ")]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_a_hostile_file_works_or_stops_with_one_message(case: Case, tmp_path: Path, store: Path,
                                                        runner: subprocess.Popen) -> None:
    root = tmp_path / "project"
    path = case_project(root, case, store)
    ran = run_stages(runner, root)
    out, err = ((root / f"stages.{kind}").read_text(encoding="utf-8", errors="replace") for kind in ("out", "err"))
    kept = sorted((root / ".clearance" / "errors").glob("*.txt"))
    detail = f"{ran}\n{out[-2000:]}\n{err[-4000:]}\n" + "".join(p.read_text(encoding="utf-8")[-3000:] for p in kept)
    assert "Traceback" not in out + err and "unexpected error" not in err and not kept, detail
    assert ran["stopped_at"] == case.stops_at, detail
    if case.stops_at is None:
        assert ran["code"] == 0 and (root / "reports" / "model" / "probes.json").is_file(), detail
        if case.recorded:
            summary = json.loads((root / "data" / "prepared" / "summary.json").read_text(encoding="utf-8"))
            assert summary["clean"][case.recorded], summary["clean"]
        return
    assert ran["code"] == 2, detail
    said = messages(err)
    assert len(said) == 1 and path in said[0], detail  # one message, naming the file
    assert re.search(r"\b(data|split)\.\w+", said[0]), detail  # and the setting (the field) it is about
    assert "\n  fix: " in err, detail
    assert case.says.lower() in err.lower(), detail
