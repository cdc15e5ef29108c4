"""Step 3's training stage on tiny data: a run that diverges still writes its files, says where and packages no
model; Ctrl-C saves a checkpoint and says so in one line (exit 130), never a traceback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from clearance.core.compose import compose, write_params
from clearance.core.config.model import ModelStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import UserError
from clearance.neural.serving import TextPredictor
from clearance.small_model.measure.files import GoDecision
from clearance.small_model.measure.training import train
from tests.conftest import REPO
from tests.factory import prepared_project, project_copy

SETTINGS = ["debug=tiny", "data=custom", "data.path=data/tiny.csv", "train.max_length=32", "train.batch_size=16"]
CHECKPOINT = Path(".clearance/checkpoints/model.pt")
# The training stage's work under the entry points' wrapper, as `python stages/train_model.py` runs it.
TRAINING = """
from pathlib import Path
from clearance.core.config.model import ModelStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.small_model.measure.training import train

run_main(lambda: train(load_stage_config(ModelStage), prepared=Path("data/prepared")))
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """Tiny prepared data, step 2's bar and probes that let the training run, made once."""
    root = prepared_project(tmp_path_factory.mktemp("model-template"))
    GoDecision(failing=[], forced=False, train=True).write(root / "reports/model/go.json")
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path, monkeypatch) -> Path:
    return project_copy(template, tmp_path / "project", monkeypatch)


def stage_config(*overrides: str) -> ModelStage:
    """Step 3's settings on the tiny model, also written to params.yaml (a stage in a subprocess reads them)."""
    params = compose([*SETTINGS, *overrides], conf_dir=REPO / "conf")
    write_params(params, Path("params.yaml"))
    return load_stage_config(ModelStage, params)


def test_a_run_that_diverges_writes_its_files_says_where_and_packages_no_model(project: Path):
    outcome = train(stage_config("train.lr=1e30"), prepared=Path("data/prepared"))
    diverged = outcome.record["divergence"]["diverged"]
    assert diverged["message"] == (f"training diverged at step {diverged['step']}: the training loss became "
                                   f"{diverged['loss']} at learning rate 1e+30")
    assert diverged["loss"] in ("nan", "inf") and outcome.record["steps"] == diverged["step"]
    training = json.loads((project / "reports/model/training.json").read_text())
    metrics = json.loads((project / "reports/model/metrics.json").read_text())
    assert training["divergence"]["diverged"] == metrics["diverged"] == diverged
    assert training["trained"] and training["valid"] == {} and metrics["valid"] == {}
    package = json.loads((project / "models/model/settings.json").read_text())
    assert package["trained"] is False and diverged["message"] in package["reason"]
    with pytest.raises(UserError, match="holds no trained model .training diverged at step"):
        TextPredictor.load(project / "models/model")
    assert not (project / CHECKPOINT).exists()  # resuming a diverged run would diverge again


def test_ctrl_c_during_training_saves_a_checkpoint_and_says_so_in_one_line(project: Path):
    stage_config("train.epochs=100000", "train.checkpoint_every=2", "train.eval_every=100000")
    # Ctrl-C as a terminal delivers it: a runner started in the background (`cmd &`) ignores SIGINT, and its
    # children would inherit that and never see the interrupt
    running = subprocess.Popen([sys.executable, "-c", TRAINING], cwd=project, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240  # a guard against a hang, not a measurement
    while not (project / CHECKPOINT).exists() and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (project / CHECKPOINT).exists(), running.communicate(timeout=60)
    running.send_signal(signal.SIGINT)
    try:
        out, err = running.communicate(timeout=300)
    finally:
        running.kill()
    said = [line for line in err.splitlines() if line.startswith("clearance: interrupted")]
    assert running.returncode == 130 and "Traceback" not in out + err, err
    step = torch.load(project / CHECKPOINT, map_location="cpu", weights_only=False)["state"]["step"]
    assert said == [f"clearance: interrupted; the checkpoint at step {step} ({CHECKPOINT}) is saved, and the next "
                    "`dvc repro` resumes from it."], err
