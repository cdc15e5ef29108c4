"""Step 3 on label sets and numbers: a tiny model trains on a prepared multi-label and a prepared regression
corpus and beats the prior guess, keeps its decision threshold or target scale, serves label lists or numbers
in the target's units; each task's checks fail on parts built to trip them and pass on clean ones; the
tasks' classic bugs (a softmax over the labels; an unstandardised target with a rate that diverges) are caught.

Each run is made as the stages make it: conf/ composed with a user's overrides, then the probe stage's
``probe`` or the training stage's ``train`` on a folder ``prepare`` wrote, from a project whose plugins/
holds the worked example's parts and the bugs below. Seconds per run on one CPU thread.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import load_splits, prepare
from clearance.core.evaluation import expected_task_losses, expected_task_prior_score
from clearance.core.task import Task, task_of
from clearance.neural.parts.parts import build_parts
from clearance.neural.serving import SETTINGS_FILE, TextPredictor, save_predictor
from clearance.neural.task_heads import THRESHOLDS, choose_threshold, probabilities
from clearance.neural.training.checkpoint import Checkpoints
from clearance.small_model.judge.checks import ModelChecks, grade, probe_checks
from clearance.small_model.measure import probing
from clearance.small_model.measure.files import GO_FILE, GoDecision
from clearance.small_model.measure.probes.fitting import loss_peak
from clearance.small_model.measure.training import TrainingOutcome, train
from tests.factory import baselines_metrics_doc
from tests.test_task_data import TOPICS, multi_label_rows, regression_rows

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
PLUGINS = ("my_models", "task_bugs")
# The user's own parts, in plugins/task_bugs.py: each carries one bug a probe must catch.
TASK_BUGS = '''
from torch import nn

from my_models import MyNet


class LoudBias(MyNet):
    """Bug (init_loss): the head's bias starts at 8, so every label starts on, with certainty."""

    def __init__(self, vocab_size, num_labels, pad_token_id=0, width=64, dropout=0.1):
        super().__init__(vocab_size, num_labels, pad_token_id, width, dropout)
        nn.init.constant_(self.head.bias, 8.0)


def misaligned_loss():
    """Bug (loss_reaches_zero): each output is compared with another row's target."""
    return lambda outputs, targets: nn.functional.mse_loss(outputs, targets.flip(0))
'''
# The probes on the worked example's bag of embeddings (MiniLM's tokenizer), as tests/test_plugins.py runs them.
PROBE = ("train.lr=8e-3", "train.device=cpu", "train.precision=fp32", "probes.overfit_max_steps=100",
         "probes.decoded_samples=5")
# The real run on the tiny transformer; regression with plain SGD, whose rate suits a standardised target only.
TRAIN = ("model=micro", "train.device=cpu", "train.precision=fp32", "train.max_length=32", "train.batch_size=16",
         "train.epochs=6", "train.eval_every=20", "train.checkpoint_every=0")
TRAIN_BY_TASK = {"multi": ("train.lr=3e-3",), "numbers": ("optimizer._target_=torch.optim.SGD", "train.lr=1e-2")}
RAW = ("train.standardize_target=false",)
TEXTS = ["text 1 about film and sport", "text 2 about music", "sentence 3 scored high", "sentence 4 scored low"]


def numbers_rows(n: int = 240) -> pd.DataFrame:
    """regression_rows' texts (high or low) with targets around 1000 (std ~170): a scale not to learn raw."""
    frame = regression_rows(n)
    return frame.assign(label=1000 + 100 * frame["label"])


def make_project(root: Path, frame: pd.DataFrame, metric: str) -> Path:
    """A project as steps 3 reads it: the prepared corpus, step 2's bar, and plugins/ with the user's parts."""
    (root / "plugins").mkdir(parents=True)
    shutil.copy(ROOT / "plugins" / "my_models.py", root / "plugins" / "my_models.py")
    (root / "plugins" / "task_bugs.py").write_text(TASK_BUGS, encoding="utf-8")
    frame.to_csv(root / "raw.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), conf_dir=CONF, path=str(root / "raw.csv"))
    prepare(from_conf(PrepareStage, None, ("data=custom",), conf_dir=CONF, data=data), root / "data/prepared")
    bar = {"metric": metric, "best_baseline": "tfidf", "valid": None, "valid_log_loss": None, "prior_expected": None,
           "uniform_log_loss": 1.0, "prior_log_loss": 1.0}
    (root / "reports/baselines").mkdir(parents=True)
    (root / "reports/baselines/metrics.json").write_text(json.dumps(baselines_metrics_doc(bar)), encoding="utf-8")
    return root


def model(target: str) -> tuple[str, ...]:
    """The overrides plugging in a model from plugins/ (as `dvc exp run -S` takes them)."""
    return ("~model", f"+model._target_={target}", "+model.width=32")


@contextmanager
def inside(project: Path) -> Iterator[None]:
    """Run as a stage runs: from the project folder, its plugins/ importable only through build_parts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        patch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(ROOT / "plugins"))])
        forget = (lambda: [sys.modules.pop(name, None) for name in PLUGINS])  # no module of another plugins/
        forget()
        try:
            yield
        finally:
            forget()


@pytest.fixture(scope="module", autouse=True)
def one_thread():  # models this small gain nothing from a second thread, and the cores are shared
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tasks")
    return {"multi": make_project(root / "multi", multi_label_rows(240), "micro_f1"),
            "numbers": make_project(root / "numbers", numbers_rows(), "rmse")}


@pytest.fixture(scope="module")
def thresholds() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model", conf_dir=CONF)


@pytest.fixture(scope="module")
def probed(projects, thresholds):
    """(probes.json as the probe stage writes it, its checks by id) per task and overrides, measured once."""
    seen: dict = {}

    def run(kind: str, *changes: str) -> tuple[dict, dict]:
        if (kind, changes) not in seen:
            project, out = projects[kind], projects[kind] / "probes" / (str(len(seen)) if changes else "clean")
            plugged = any(change.startswith("+model._target_") for change in changes)
            cfg = from_conf(ModelStage, hydra_overrides=(*PROBE, *(() if plugged else model("my_models.MyNet")),
                                                         *changes), conf_dir=CONF)
            with inside(project):
                measured = probing.probe(cfg, project / "data/prepared", out)
            seen[kind, changes] = measured, {c.id: c for c in probe_checks(measured, thresholds)}
        return seen[kind, changes]

    return run


@pytest.fixture(scope="module")
def trained(projects):
    """The training stage's outcome per task and overrides (its files under the project's runs/), run once."""
    seen: dict = {}

    def run(kind: str, *changes: str) -> TrainingOutcome:
        if (kind, changes) not in seen:
            project, out = projects[kind], projects[kind] / "runs" / (str(len(seen)) if changes else "clean")
            GoDecision(failing=[], forced=False, train=True).write(out / GO_FILE)
            cfg = from_conf(ModelStage, hydra_overrides=(*TRAIN, *TRAIN_BY_TASK[kind], *changes), conf_dir=CONF)
            with inside(project):
                seen[kind, changes] = train(cfg, prepared=project / "data/prepared", out=out,
                                            checkpoints=Checkpoints(out / "checkpoint.pt"), model_dir=out / "model")
        return seen[kind, changes]

    return run


def splits(project: Path) -> tuple[Task, dict[str, pd.DataFrame]]:
    parts = load_splits(project / "data/prepared")
    return task_of(json.loads((project / "data/prepared/summary.json").read_text())), parts


def written(outcome: TrainingOutcome) -> tuple[dict, dict, dict]:
    """training.json, metrics.json and the package's settings.json, as the stage wrote them."""
    read = (lambda path: json.loads(path.read_text(encoding="utf-8")))
    return read(outcome.files["training"]), read(outcome.files["metrics"]), read(outcome.files["model"] / SETTINGS_FILE)


def not_passing(checks: dict) -> dict[str, str]:
    return {k: f"{c.status}: {c.message}" for k, c in checks.items() if c.status != "pass"}


# -- training -----------------------------------------------------------------------------------------------------

def test_label_sets_train_past_each_label_at_its_prior_with_a_threshold_chosen_on_valid(trained, projects):
    outcome = trained("multi")
    training, metrics, package = written(outcome)
    task, parts = splits(projects["multi"])
    prior = expected_task_prior_score(task, "micro_f1", parts["train"]["label"], parts["valid"]["label"])
    assert training["task"] == "multi_label" and training["target_scale"] is None
    assert metrics["valid"]["valid_micro_f1"] == round(training["valid"]["valid_micro_f1"], 4)
    assert training["valid"]["valid_micro_f1"] > prior + 0.2, (training["valid"], prior)
    # one threshold, chosen on all of valid at the last evaluation (on the probabilities calibrated by the
    # temperature fitted there), recorded with the run and the package
    probs = probabilities("multi_label", outcome.result.valid.logits, outcome.result.temperature)
    chosen = choose_threshold(task, outcome.inputs.valid_frame["label"].tolist(), probs, "micro_f1")
    assert training["threshold"] == chosen == training["history"][-1]["threshold"] and chosen in THRESHOLDS
    assert package["task"] == "multi_label" and package["threshold"] == chosen
    assert TextPredictor.load(outcome.files["model"], device="cpu").threshold == chosen
    assert training["predictions"]["predicted"][0].startswith("[")  # kept label sets, as the data holds them


def test_numbers_train_past_the_train_mean_on_a_standardised_target_whose_scale_is_kept(trained, projects):
    outcome = trained("numbers")
    training, metrics, package = written(outcome)
    _, parts = splits(projects["numbers"])
    train_y, valid_y = parts["train"]["label"].to_numpy(), parts["valid"]["label"].to_numpy()
    mean_rmse = float(np.sqrt(np.mean((valid_y - train_y.mean()) ** 2)))
    assert training["task"] == "regression" and training["threshold"] is None
    assert training["valid"]["valid_rmse"] < 0.75 * mean_rmse, (training["valid"], mean_rmse)
    assert metrics["valid"]["valid_rmse"] == round(training["valid"]["valid_rmse"], 4)
    scale = {"mean": pytest.approx(train_y.mean()), "std": pytest.approx(train_y.std())}
    assert training["target_scale"] == scale and package["target_scale"] == scale and package["task"] == "regression"
    # predictions and mistakes in the target's units, not the model's
    assert abs(np.mean(training["predictions"]["predicted"]) - 1000) < 100
    assert abs(training["mistakes"][0]["error"]) > 1


# -- serving ------------------------------------------------------------------------------------------------------

def test_a_multi_label_package_answers_label_lists_and_each_labels_probability(trained, projects):
    predictor = TextPredictor.load(trained("multi").files["model"], device="cpu")
    valid = splits(projects["multi"])[1]["valid"]
    frame = predictor.predict(valid["text"].tolist())
    labels = sorted(TOPICS)
    assert list(frame.columns) == ["labels"] + [f"probability_{label}" for label in labels]
    probs = frame[[f"probability_{label}" for label in labels]].to_numpy()
    assert ((probs >= 0) & (probs <= 1)).all() and not np.allclose(probs.sum(axis=1), 1)  # a sigmoid each
    assert frame["labels"].tolist() == [[n for n, p in zip(labels, row) if p >= predictor.threshold] for row in probs]
    exact = np.mean([kept == json.loads(truth) for kept, truth in zip(frame["labels"], valid["label"])])
    assert exact >= 0.8, exact
    kept, _ = predictor.predict_labels(TEXTS[:2])
    assert kept == [json.dumps(row) for row in predictor.predict(TEXTS[:2])["labels"]]


def test_a_regression_package_answers_in_the_targets_units(trained, projects):
    predictor = TextPredictor.load(trained("numbers").files["model"], device="cpu")
    _, parts = splits(projects["numbers"])
    frame = predictor.predict(parts["valid"]["text"].tolist())
    assert list(frame.columns) == ["prediction"] and frame["prediction"].dtype == np.float64
    predicted = frame["prediction"].to_numpy()
    assert abs(predicted.mean() - 1000) < 100 and predicted.min() > 500  # restored, not standardised (~0)
    truth = parts["valid"]["label"].to_numpy()
    assert np.sqrt(np.mean((predicted - truth) ** 2)) < truth.std()
    np.testing.assert_allclose(predicted, predictor.scale.restore(predictor.outputs(parts["valid"]["text"])[:, 0]))
    high, low = predictor.predict(TEXTS[2:])["prediction"]
    assert high > 1000 > low


def test_a_single_label_package_is_as_it_was(tmp_path: Path):  # no threshold or scale; softmax rows
    cfg = from_conf(ModelStage, hydra_overrides=("model=micro", "train.max_length=64"), conf_dir=CONF)  # by hand
    parts = build_parts(cfg, ["negative", "positive"])
    folder = save_predictor(tmp_path / "model", cfg, parts, parts.build_model().eval())
    settings = json.loads((folder / SETTINGS_FILE).read_text())
    assert settings["task"] == "single_label" and "threshold" not in settings and "target_scale" not in settings
    frame = TextPredictor.load(folder, device="cpu").predict(TEXTS)
    assert list(frame.columns) == ["label", "probability_negative", "probability_positive"]
    np.testing.assert_allclose(frame[["probability_negative", "probability_positive"]].sum(axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize("kind, columns", [("multi", ["labels"] + [f"probability_{t}" for t in sorted(TOPICS)]),
                                           ("numbers", ["prediction"])])
def test_the_logged_pyfunc_answers_as_the_package_does(kind, columns, trained, tmp_path, monkeypatch):
    import mlflow

    from clearance.core.config.tracking import TrackingConfig
    from clearance.core.tracking import stage_run
    from clearance.neural.logged_model import log_text_model

    folder = trained(kind).files["model"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    predictor = TextPredictor.load(folder, device="cpu")
    with stage_run("model", from_conf(TrackingConfig, "tracking", conf_dir=CONF), {}):
        uri, _ = log_text_model(folder, *predictor.example(TEXTS[:2]))
    model = mlflow.pyfunc.load_model(uri)
    scored = model.predict(pd.DataFrame({"text": TEXTS}))
    pd.testing.assert_frame_equal(scored, predictor.predict(TEXTS), atol=1e-6)
    assert [spec.name for spec in model.metadata.get_output_schema().inputs] == columns


SHOWN = {"multi": "Each label is kept where its probability reaches <b>{threshold}</b>",
         "numbers": "standardised with the train split's mean and standard deviation"}


@pytest.mark.parametrize("kind", ["multi", "numbers"])
def test_the_judged_report_shows_the_tasks_checks_and_its_threshold_or_scale(kind, probed, trained, tmp_path,
                                                                             thresholds):
    from clearance.small_model.judge import run as J

    probed(kind)
    outcome = trained(kind)
    shutil.copy(outcome.files["training"].parents[2] / "probes/clean" / J.PROBES_FILE, tmp_path / J.PROBES_FILE)
    shutil.copy(outcome.files["training"], tmp_path / J.TRAINING_FILE)
    judgement = J.judge_model(thresholds, tmp_path)
    ids = {c.id for c in judgement.checks}
    assert TASK_CHECKS[kind] | {"training_diverged", "beats_prior_guess"} <= ids and not OTHER_TASKS[kind] & ids
    assert {c["id"] for c in json.loads((tmp_path / "checks.json").read_text())} == ids
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert SHOWN[kind].format(threshold=outcome.record["threshold"]) in html


# -- each task's checks: clean parts pass, parts built to trip one fail it ----------------------------------------

TASK_CHECKS = {"multi": {"probability_outputs", "init_loss", "loss_reaches_zero", "overfit_small_sample",
                         "overfit_label_sets"},
               "numbers": {"init_loss", "loss_reaches_zero", "target_scale", "overfit_small_sample",
                           "overfit_targets"}}
OTHER_TASKS = {"multi": {"overfit_predictions", "target_scale", "overfit_targets"},
               "numbers": {"probability_outputs", "overfit_predictions", "overfit_label_sets"}}


@pytest.mark.parametrize("kind", ["multi", "numbers"])
def test_clean_parts_pass_every_check_of_the_task(kind, probed):
    measured, checks = probed(kind)
    assert measured["task"] == {"multi": "multi_label", "numbers": "regression"}[kind]
    assert TASK_CHECKS[kind] <= set(checks) and not OTHER_TASKS[kind] & set(checks)
    assert not_passing(checks) == {}
    if kind == "numbers":  # the overfit run stops once no sample's squared error can exceed the stop loss
        overfit = measured["overfit"]
        assert overfit["stop_below"] == pytest.approx(0.01 / overfit["samples"]) and overfit["steps"] < 100
        assert max(overfit["errors"]) < math.sqrt(0.01)


SOFTMAX = model("my_models.SoftmaxOutput")
TRIPS = [
    # (task, overrides, the check that must fail, words its message holds, words its fix holds)
    pytest.param("multi", SOFTMAX, "probability_outputs", ["also sum to 1: a softmax over the labels"],
                 ["softmax over the labels makes them compete"], id="softmax-over-labels-outputs"),
    pytest.param("multi", SOFTMAX, "overfit_label_sets", ["get exactly their own label set", "given ["],
                 ["a softmax over the labels"], id="softmax-over-labels-sets"),
    pytest.param("multi", SOFTMAX, "overfit_small_sample", ["the loss per label", "never below"], ["logits not"],
                 id="softmax-over-labels-overfit"),
    pytest.param("multi", ("loss=cross_entropy",), "loss_reaches_zero", ["on a text with two labels on"],
                 ["not a softmax over the labels", "2 ln 2"], id="cross-entropy-on-label-sets"),
    pytest.param("multi", model("task_bugs.LoudBias"), "init_loss", ["the loss of every label at one half"],
                 ["confident wrong guesses"], id="loud-head-label-sets"),
    pytest.param("numbers", RAW, "target_scale", ["train.standardize_target is off", "off the standardised scale"],
                 ["set train.standardize_target=true"], id="raw-target-scale"),
    pytest.param("numbers", RAW, "init_loss", ["predicting the mean of the target the loss sees"],
                 ["standardise it"], id="raw-target-init"),
    pytest.param("numbers", RAW, "overfit_targets", ["within", "of their targets"], ["see target_scale"],
                 id="raw-target-overfit"),
    pytest.param("numbers", ("~loss", "+loss._target_=task_bugs.misaligned_loss"), "loss_reaches_zero",
                 ["at outputs equal to the targets"], ["compare each output with its own target"],
                 id="misaligned-targets"),
]


@pytest.mark.parametrize("kind, changes, failing, says, fix", TRIPS)
def test_parts_built_to_trip_a_task_check_fail_it(kind, changes, failing, says, fix, probed):
    check = probed(kind, *changes)[1][failing]
    assert check.status == "fail", check
    assert all(words in check.message for words in says), check.message
    assert all(words in check.fix for words in fix), check.fix


def test_the_overfit_loss_of_label_sets_is_held_to_the_limit_per_label(thresholds):
    run = {"losses": [3.4, 0.2], "final_loss": 0.2, "samples": 16, "steps": 2, "max_steps": 100, "diverged": None,
           "stop_below": None}
    per_label = grade("overfit_small_sample", {**run, "loss_terms": 5.0}, thresholds)  # 0.2 / 5 labels = 0.04
    assert per_label.status == "pass" and "per label" in per_label.message and per_label.value == pytest.approx(0.04)
    assert grade("overfit_small_sample", {**run, "loss_terms": 1.0}, thresholds).status == "fail"


# -- divergence: held to what a uniform guess costs, in the loss's own units --------------------------------------

@pytest.mark.parametrize("kind, guess", [("multi", "every label at one half"), ("numbers", "predicting the mean")])
def test_divergence_is_graded_against_the_loss_of_a_uniform_guess(kind, guess, trained, projects, thresholds):
    training, _, _ = written(trained(kind))
    task, parts = splits(projects[kind])
    divergence = training["divergence"]
    # the summed binary cross-entropy of zero logits (K ln 2); the variance of the standardised target (1)
    expected = expected_task_losses(task, parts["train"]["label"])["uniform_log_loss"]
    assert divergence["reference"] == pytest.approx(expected, rel=1e-4) and guess in divergence["guess"]
    assert divergence["ratio"] == pytest.approx(divergence["peak_loss"] / divergence["reference"])
    check = grade("training_diverged", divergence, thresholds)
    assert check.status == "pass" and f"the loss of {divergence['guess']}" in check.message
    # a peak 4x the guess passes (though 8.6x ln 5 for label sets); 6x fails
    for times, status in ((4, "pass"), (6, "fail")):
        history = [{"step": 10, "train_loss": times * expected, "lr": 0.01}]
        peak = loss_peak(history, len(task.classes), None, expected, divergence["guess"])
        assert grade("training_diverged", peak, thresholds).status == status, (times, peak)


def test_an_unstandardised_target_at_a_rate_that_suits_a_standardised_one_diverges_and_is_caught(trained,
                                                                                                   thresholds):
    standardised, raw = trained("numbers"), trained("numbers", *RAW)
    assert grade("training_diverged", standardised.record["divergence"], thresholds).status == "pass"
    training, metrics, package = written(raw)
    diverged = training["divergence"]["diverged"]
    assert diverged is not None and diverged["loss"] in ("nan", "inf") and metrics["diverged"] == diverged
    check = grade("training_diverged", training["divergence"], thresholds)
    assert check.status == "fail" and "training diverged at step" in check.message and "train.lr" in check.fix
    assert package["trained"] is False and training["target_scale"] is None and training["valid"] == {}
