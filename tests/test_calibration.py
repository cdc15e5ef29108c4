"""Calibration in step 3: the expected calibration error and the reliability table on valid, one temperature fitted
on valid by NLL (before a multi-label threshold is chosen), kept in the package so that the package and the logged
pyfunc serve calibrated probabilities; the `calibration` check warns on an over-confident model, passes on a
calibrated one and is not graded for a number.

The over-confident model is the worked example (plugins/my_models.py's MyNet) trained as usual, whose logits are
multiplied by 10 when it is scored: plugged in from plugins/, trained by the training stage (and, in the slow
test, by `dvc repro` up to step 3's gate).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from clearance.core import calibration as C
from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import prepare
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task
from clearance.neural.parts.parts import build_parts
from clearance.neural.serving import SETTINGS_FILE, TextPredictor, save_predictor
from clearance.neural.task_heads import TargetScale, choose_threshold
from clearance.neural.training.checkpoint import Checkpoints
from clearance.neural.training.evaluation import Evaluation
from clearance.neural.training.scoring import score_evaluation
from clearance.small_model.judge import plots as model_plots
from clearance.small_model.judge.checks import ModelChecks, grade, model_checks
from clearance.small_model.measure.calibration_record import calibration_record
from clearance.small_model.measure.files import GO_FILE, GoDecision
from clearance.small_model.measure.training import train
from clearance.small_model.measure.valid_outputs import VALID_OUTPUTS_FILE, write_no_outputs, write_valid_outputs
from tests.conftest import REPO, new_project, run
from tests.factory import baselines_metrics_doc, make_texts

CONF = REPO / "conf"
CLASSES = ("negative", "neutral", "positive")
TEXTS = ["what a lovely day", "the bus is late again", "ok", "I LOVE this so much!!!"]
# The worked example, made over-confident: trained as usual, scored with its logits multiplied by 10.
LOUD = '''
from my_models import MyNet


class Loud(MyNet):
    """MyNet whose logits are multiplied by 10 when it is scored (eval mode): 10x surer than it has learned to be."""

    def forward(self, input_ids, attention_mask):
        logits = super().forward(input_ids, attention_mask)
        return logits if self.training else 10.0 * logits
'''
PLUGGED = ("~model", "+model._target_=loud.Loud", "+model.width=32", "train.lr=8e-3")


def synthetic(n: int = 4000, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a calibrated model and class ids drawn from its own softmax."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.5, (n, k))
    probs = C.calibrated(logits, SINGLE_LABEL)
    return logits, np.array([rng.choice(k, p=row) for row in probs])


def synthetic_sets(n: int = 4000, k: int = 4, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a calibrated multi-label model and a multi-hot matrix drawn from its sigmoids."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(-1.0, 2.0, (n, k))
    return logits, (rng.random((n, k)) < C.calibrated(logits, MULTI_LABEL)).astype(np.float32)


@pytest.fixture(scope="module")
def t() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model", conf_dir=CONF)


# -- the measures -------------------------------------------------------------------------------------------------

def test_the_temperature_of_logits_made_ten_times_too_sure_is_found_and_halves_the_ece():
    logits, labels = synthetic()
    assert C.fit_temperature(logits, labels, SINGLE_LABEL) == pytest.approx(1.0, abs=0.1)  # already calibrated
    loud = 10 * logits
    found = C.fit_temperature(loud, labels, SINGLE_LABEL)
    assert found == pytest.approx(10.0, rel=0.1)
    before = C.expected_calibration_error(C.calibrated(loud, SINGLE_LABEL), labels)
    after = C.expected_calibration_error(C.calibrated(loud, SINGLE_LABEL, found), labels)
    assert before > 0.2 and after <= before / 2
    # the temperature minimises the NLL: either side of it is worse
    nll = [C.negative_log_likelihood(loud, labels, SINGLE_LABEL, found * f) for f in (0.9, 1.0, 1.1)]
    assert nll[1] < nll[0] and nll[1] < nll[2]
    # no prediction moves
    assert (C.calibrated(loud, SINGLE_LABEL, found).argmax(1) == loud.argmax(1)).all()


def test_label_sets_share_one_temperature_and_have_an_ece_per_label():
    logits, labels = synthetic_sets()
    loud = 10 * logits
    found = C.fit_temperature(loud, labels, MULTI_LABEL)
    assert found == pytest.approx(10.0, rel=0.1)
    before = C.per_label_ece(C.calibrated(loud, MULTI_LABEL), labels)
    after = C.per_label_ece(C.calibrated(loud, MULTI_LABEL, found), labels)
    assert len(before) == len(after) == 4
    assert all(b > 0.1 and a <= b / 2 for b, a in zip(before, after)), (before, after)
    assert C.expected_calibration_error(C.calibrated(loud, MULTI_LABEL), labels) == pytest.approx(np.mean(before))
    # a label's ECE is its own: a label made surer alone is the only one that gets worse
    skewed = loud.copy()
    skewed[:, 0] *= 5
    alone = C.per_label_ece(C.calibrated(skewed, MULTI_LABEL), labels)
    assert alone[0] > before[0] and alone[1:] == before[1:]


def test_the_reliability_table_holds_every_decision_in_equal_width_bins():
    logits, labels = synthetic(500)
    table = C.reliability_table(C.calibrated(logits, SINGLE_LABEL), labels, bins=10)
    assert len(table) == 10 and sum(row["count"] for row in table) == 500
    assert [row["low"] for row in table] == [round(k / 10, 4) for k in range(10)]
    assert all(row["confidence"] is None or row["low"] <= row["confidence"] <= row["high"] for row in table)
    sets, multi_hot = synthetic_sets(200)
    assert sum(row["count"] for row in C.reliability_table(C.calibrated(sets, MULTI_LABEL), multi_hot)) == 800


def test_nothing_to_fit_keeps_the_models_own_probabilities():
    assert C.fit_temperature(np.zeros((0, 3)), np.zeros(0), SINGLE_LABEL) == 1.0
    assert C.fit_temperature(np.ones((5, 1)), np.zeros(5), SINGLE_LABEL) == 1.0  # one class
    assert C.fit_temperature(np.zeros((6, 3)), np.arange(6) % 3, SINGLE_LABEL) == 1.0  # a flat NLL
    assert C.fit_temperature(np.full((2, 2), np.nan), np.zeros(2), SINGLE_LABEL) == 1.0


def test_the_record_of_a_number_says_it_does_not_apply():
    record = calibration_record(Task(REGRESSION), np.zeros((4, 1)), np.zeros(4))
    assert record == {"applies": False, "why": "a numeric target has no probabilities"}


def test_the_record_of_label_sets_holds_each_labels_ece_and_both_reliability_tables():
    logits, labels = synthetic_sets(1000, k=2)
    task = Task(MULTI_LABEL, ("a", "b"))
    record = calibration_record(task, 10 * logits, labels)
    assert record["applies"] and record["temperature"] == C.fit_temperature(10 * logits, labels, MULTI_LABEL)
    assert [row["label"] for row in record["per_label"]] == ["a", "b"]
    assert record["ece_before"] == pytest.approx(np.mean([r["ece_before"] for r in record["per_label"]]), abs=1e-4)
    assert record["ece_after"] <= record["ece_before"] / 2 and record["bins"] == C.BINS
    assert len(record["reliability"]["before"]) == len(record["reliability"]["after"]) == C.BINS
    json.dumps(record)  # plain JSON


# -- the check ----------------------------------------------------------------------------------------------------

def test_an_over_confident_model_warns_on_calibration_and_a_calibrated_one_passes(t):
    logits, labels = synthetic()
    task = Task(SINGLE_LABEL, CLASSES)
    loud = grade("calibration", calibration_record(task, 10 * logits, labels), t)
    assert loud.status == "warn" and loud.value > t.calibration_ece_max and loud.threshold == t.calibration_ece_max
    assert "the served probabilities are softmax(logits / T)" in loud.message and "T = 10" in loud.message
    calm = grade("calibration", calibration_record(task, logits, labels), t)
    assert calm.status == "pass" and calm.value <= t.calibration_ece_max, calm.message


def test_label_sets_name_their_worst_labels(t):
    logits, labels = synthetic_sets(1000, k=2)
    record = calibration_record(Task(MULTI_LABEL, ("a", "b")), 10 * logits, labels)
    result = grade("calibration", record, t)
    assert result.status == "warn" and "the worst labels: " in result.message


def test_a_run_without_probabilities_to_measure_warns_with_why_and_a_number_is_not_graded(t):
    diverged = grade("calibration", {"applies": False, "why": "the run diverged: no valid outputs to measure"}, t)
    assert diverged.status == "warn" and "the run diverged" in diverged.message
    assert grade("calibration", None, t).status == "warn"  # a training.json written before it was measured
    measured = {"calibration": {"applies": False, "why": C.NOT_APPLICABLE}}
    assert "calibration" not in {c.id for c in model_checks(measured, t, REGRESSION)}
    assert "calibration" in {c.id for c in model_checks(measured, t, MULTI_LABEL)}


def test_the_reliability_diagram_is_drawn_before_and_after_or_says_why_not(tmp_path: Path):
    logits, labels = synthetic(300)
    record = calibration_record(Task(SINGLE_LABEL, CLASSES), 10 * logits, labels)
    drawn = model_plots.reliability(record, tmp_path / "reliability.png")
    assert drawn.stat().st_size > 10_000
    empty = model_plots.reliability({"applies": False, "why": C.NOT_APPLICABLE}, tmp_path / "none.png")
    assert empty.stat().st_size < drawn.stat().st_size


# -- the threshold comes after the temperature ---------------------------------------------------------------------

def test_a_multi_label_threshold_is_chosen_on_the_calibrated_probabilities():
    logits, labels = synthetic_sets(600, k=3)
    task = Task(MULTI_LABEL, ("a", "b", "c"))
    parts = SimpleNamespace(task=task, classes=list(task.classes), scale=TargetScale())
    loud = (10 * logits).astype(np.float32)
    evaluation = Evaluation(loss=0.0, logits=loud, predicted=(loud > 0).astype(np.int8), task=MULTI_LABEL)
    _, threshold, temperature = score_evaluation(parts, evaluation, labels, "micro_f1")
    assert temperature == C.fit_temperature(loud, labels, MULTI_LABEL)
    truth = task.from_indicators(labels > 0.5)
    assert threshold == choose_threshold(task, truth, C.calibrated(loud, MULTI_LABEL, temperature), "micro_f1")


# -- the package and the pyfunc -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The micro model, weights off their init, packaged with a temperature of 4."""
    cfg = from_conf(ModelStage, hydra_overrides=("model=micro", "train.max_length=64"), conf_dir=CONF)
    parts = build_parts(cfg, list(CLASSES))
    torch.manual_seed(0)
    model = parts.build_model().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    return save_predictor(tmp_path_factory.mktemp("calibrated") / "model", cfg, parts, model, temperature=4.0)


def test_the_package_serves_softmax_of_the_logits_over_its_temperature(package: Path):
    predictor = TextPredictor.load(package, device="cpu")
    assert json.loads((package / SETTINGS_FILE).read_text())["temperature"] == predictor.temperature == 4.0
    expected = C.calibrated(predictor.outputs(TEXTS), SINGLE_LABEL, 4.0)
    np.testing.assert_allclose(predictor.probabilities(TEXTS), expected, rtol=1e-5, atol=1e-6)
    frame = predictor.predict(TEXTS)
    assert frame["label"].tolist() == [CLASSES[k] for k in predictor.outputs(TEXTS).argmax(1)]  # no answer moves
    # a package written before the temperature was kept serves the model's own probabilities
    settings = json.loads((package / SETTINGS_FILE).read_text())
    old = package.parent / "old"
    shutil.copytree(package, old)
    (old / SETTINGS_FILE).write_text(json.dumps({k: v for k, v in settings.items() if k != "temperature"}))
    older = TextPredictor.load(old, device="cpu")
    assert older.temperature == 1.0
    np.testing.assert_allclose(older.probabilities(TEXTS), C.calibrated(older.outputs(TEXTS), SINGLE_LABEL),
                               rtol=1e-5, atol=1e-6)


def test_the_logged_pyfunc_returns_the_calibrated_probabilities(package: Path, tmp_path: Path, monkeypatch):
    import mlflow

    from clearance.core.config.tracking import TrackingConfig
    from clearance.core.tracking import stage_run
    from clearance.neural.logged_model import log_text_model

    predictor = TextPredictor.load(package, device="cpu")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    with stage_run("model", from_conf(TrackingConfig, "tracking", conf_dir=CONF), {}):
        uri, _ = log_text_model(package, *predictor.example(TEXTS[:2]))
    scored = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": TEXTS}))
    columns = [f"probability_{c}" for c in CLASSES]
    np.testing.assert_allclose(scored[columns].to_numpy(), C.calibrated(predictor.outputs(TEXTS), SINGLE_LABEL, 4.0),
                               rtol=1e-5, atol=1e-6)


# -- the valid outputs ----------------------------------------------------------------------------------------------

def test_valid_outputs_hold_every_row_in_the_same_bytes_each_time(tmp_path: Path):
    logits, labels = synthetic_sets(20, k=3)
    task = Task(MULTI_LABEL, ("a", "b", "c"))
    rows = np.arange(100, 120)
    first = write_valid_outputs(tmp_path / "a.npz", task, rows, 10 * logits, 0.3, 8.0)
    again = write_valid_outputs(tmp_path / "b.npz", task, rows, 10 * logits, 0.3, 8.0)
    assert first.read_bytes() == again.read_bytes()
    with np.load(first, allow_pickle=False) as data:
        assert data["row"].dtype == np.int64 and data["row"].tolist() == rows.tolist()
        assert data["logits"].dtype == np.float32 and data["logits"].shape == (20, 3)
        assert float(data["temperature"]) == 8.0 and str(data["task"]) == MULTI_LABEL and str(data["why"]) == ""
        assert data["classes"].tolist() == ["a", "b", "c"] and data["predicted"].dtype == np.int8
        expected = C.calibrated(data["logits"], MULTI_LABEL, 8.0) >= 0.3
        assert (data["predicted"] == expected).all()
    numbers = write_valid_outputs(tmp_path / "n.npz", Task(REGRESSION), rows[:3], np.array([[0.0], [1.0], [-1.0]]),
                                  None, None, TargetScale(10.0, 2.0))
    with np.load(numbers, allow_pickle=False) as data:
        assert data["predicted"].tolist() == [10.0, 12.0, 8.0] and float(data["temperature"]) == 1.0
    nothing = write_no_outputs(tmp_path / "none.npz", "probes failed: init_loss")
    with np.load(nothing, allow_pickle=False) as data:
        assert len(data["row"]) == 0 and str(data["why"]) == "probes failed: init_loss"


# -- the over-confident model, trained -----------------------------------------------------------------------------

def noisy_texts(n_per_class: int = 150, share: float = 0.3) -> pd.DataFrame:
    """make_texts with ``share`` of its labels rotated: no model can be sure of every text."""
    frame = make_texts(n_per_class=n_per_class)
    flip = np.random.default_rng(1).random(len(frame)) < share
    rotate = {"negative": "neutral", "neutral": "positive", "positive": "negative"}
    frame.loc[flip, "label"] = frame.loc[flip, "label"].map(rotate)
    return frame


@pytest.fixture(scope="module")
def loud_run(tmp_path_factory):
    """The training stage's outcome on the over-confident plug-in, from a project whose plugins/ holds it."""
    root = tmp_path_factory.mktemp("loud")
    (root / "plugins").mkdir()
    shutil.copy(REPO / "plugins" / "my_models.py", root / "plugins" / "my_models.py")
    (root / "plugins" / "loud.py").write_text(LOUD, encoding="utf-8")
    noisy_texts().to_csv(root / "raw.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), conf_dir=CONF, path=str(root / "raw.csv"))
    prepare(from_conf(PrepareStage, None, ("data=custom",), conf_dir=CONF, data=data), root / "data/prepared")
    (root / "reports/baselines").mkdir(parents=True)
    (root / "reports/baselines/metrics.json").write_text(json.dumps(baselines_metrics_doc()), encoding="utf-8")
    out = root / "reports/model"
    GoDecision(failing=[], forced=False, train=True).write(out / GO_FILE)
    cfg = from_conf(ModelStage, hydra_overrides=("debug=tiny", *PLUGGED, "train.device=cpu", "train.precision=fp32",
                                                 "train.checkpoint_every=0", "train.max_length=32",
                                                 "train.batch_size=16"), conf_dir=CONF)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(REPO / "plugins"))])
        for name in ("my_models", "loud"):
            sys.modules.pop(name, None)
        try:
            outcome = train(cfg, prepared=root / "data/prepared", out=out, checkpoints=Checkpoints(out / "ck.pt"),
                            model_dir=out / "model")
            predictor = TextPredictor.load(outcome.files["model"], device="cpu")
            texts = pd.read_parquet(root / "data/prepared/valid.parquet")["text"].tolist()
            served = (predictor.outputs(texts), predictor.probabilities(texts))
        finally:
            torch.set_num_threads(threads)
            for name in ("my_models", "loud"):
                sys.modules.pop(name, None)
    return outcome, served


def test_the_over_confident_plug_in_warns_and_its_temperature_halves_its_ece(loud_run, t):
    outcome, (logits, probs) = loud_run
    record = json.loads(outcome.files["training"].read_text(encoding="utf-8"))["calibration"]
    assert record["applies"] and record["temperature"] > 5, record
    assert record["ece_after"] <= record["ece_before"] / 2, record
    assert grade("calibration", record, t).status == "warn"
    assert outcome.record["history"][-1]["temperature"] == record["temperature"]
    # the package serves softmax(logits / T), with the T the record names
    package = json.loads((outcome.files["model"] / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert package["temperature"] == record["temperature"]
    np.testing.assert_allclose(probs, C.calibrated(logits, SINGLE_LABEL, record["temperature"]), rtol=1e-4, atol=1e-6)


def test_the_valid_outputs_are_the_models_on_every_valid_row(loud_run):
    outcome, _ = loud_run
    assert outcome.files["valid_outputs"].name == VALID_OUTPUTS_FILE
    frame = outcome.inputs.valid_frame
    with np.load(outcome.files["valid_outputs"], allow_pickle=False) as data:
        assert data["row"].tolist() == frame["row"].tolist()
        np.testing.assert_array_equal(data["logits"], outcome.result.valid.logits)
        assert float(data["temperature"]) == outcome.record["calibration"]["temperature"]
        assert data["predicted"].tolist() == outcome.result.valid.logits.argmax(1).tolist()
        assert data["classes"].tolist() == list(CLASSES) and str(data["task"]) == SINGLE_LABEL


# -- through dvc repro ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_dvc_repro_with_the_over_confident_plug_in_warns_on_calibration(tmp_path: Path):
    from tests.journey import clear

    root = new_project(tmp_path / "project")
    (root / "plugins" / "loud.py").write_text(LOUD, encoding="utf-8")
    noisy_texts().to_csv(root / "data/noisy.csv", index=False)
    run(["clearance", "params", "debug=tiny", "data=custom", "data.path=data/noisy.csv", *PLUGGED], root)
    for step in ("inspect", "baselines"):
        assert run(["dvc", "repro"], root, check=False).returncode != 0  # stops at the step's gate
        clear(root, step)
    result = run(["dvc", "repro"], root, check=False)
    assert "GATE CLOSED: step 3" in result.stdout + result.stderr, result.stdout[-3000:] + result.stderr[-3000:]
    checks = {c["id"]: c for c in json.loads((root / "reports/model/checks.json").read_text(encoding="utf-8"))}
    record = json.loads((root / "reports/model/training.json").read_text(encoding="utf-8"))["calibration"]
    assert checks["calibration"]["status"] == "warn" and record["ece_after"] <= record["ece_before"] / 2, record
    assert (root / "reports/model/plots/reliability.png").stat().st_size > 10_000
    script = ("import json, sys, numpy as np\nsys.path.insert(0, 'plugins')\n"
              "from clearance.neural.serving import TextPredictor\n"
              "p = TextPredictor.load(__import__('pathlib').Path('models/model'), device='cpu')\n"
              "texts = ['a good day', 'the bus is late', 'ok then']\n"
              "z = p.outputs(texts) / p.temperature\n"
              "e = np.exp(z - z.max(1, keepdims=True)); e /= e.sum(1, keepdims=True)\n"
              "print(json.dumps({'t': p.temperature, 'gap': float(abs(p.probabilities(texts) - e).max())}))\n")
    served = json.loads(run([sys.executable, "-c", script], root).stdout.strip().splitlines()[-1])
    assert served["t"] == record["temperature"] and served["gap"] < 1e-5
