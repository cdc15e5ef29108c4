"""Step 3's judging: probes.json and training.json graded into checks.json, the report and the evidence
manifest; a skipped training says why, and the checks of the real run never pass without it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from clearance.core.analysis import confident_mistakes, confusion, per_class_report
from clearance.core.config.model import ProbeConfig
from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.core.records import jsonable
from clearance.core.records import Bar
from clearance.core.task import Task
from clearance.neural.training.loop import train_model
from clearance.neural.training.settings import TrainSettings
from clearance.neural.training.step import no_autocast
from clearance.small_model.judge import plots as model_plots
from clearance.small_model.judge import run as J
from clearance.small_model.judge.checks import CHECKS, ModelChecks
from clearance.small_model.measure.calibration_record import calibration_record
from clearance.small_model.measure.files import TrainingRecord
from clearance.small_model.measure.probes.fitting import loss_peak, measure_bar, overfitting_streak
from clearance.small_model.measure.probes.suite import run_probes
from tests.steps import step_questions
from tests.training_kit import kit, train_config

CPU = torch.device("cpu")
BAR = Bar(metric="macro_f1", best_baseline="tfidf_logreg", valid=0.755, valid_log_loss=0.6, prior_expected=0.33,
          uniform_log_loss=1.0986, prior_log_loss=1.09)
DIGESTS = {"data_digest": "d" * 64, "settings_digest": "s" * 64}
EVIL = "<script>alert('x')</script> & friends"
TRACKED = 4


@pytest.fixture(autouse=True)
def questions() -> list[dict]:
    """Step 3's required questions, as its judging stage copies them."""
    return step_questions("model")


@pytest.fixture(scope="module")
def t() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model")


def thresholds(**changes: Any) -> ModelChecks:
    return from_conf(ModelChecks, "checks.model", **changes)


def training_record(parts: Any, train: Any, valid: Any) -> dict[str, Any]:
    """training.json as the model stage writes it (stage layout in the step's notes)."""
    result = train_model(train_config(epochs=8, eval_every=6), parts, train, valid,
                         TrainSettings(track=valid.subset(range(TRACKED)), device=CPU, autocast=no_autocast,
                                       progress=False))
    names = np.asarray(parts.classes, dtype=object)
    truth, predicted = names[valid.labels], names[result.valid.predicted]
    scores = {k: v for k, v in result.history[-1].items() if k.startswith("valid_")}
    frame = pd.DataFrame({"row": range(len(valid)), "label": truth, "text": valid.texts})
    return jsonable({
        "trained": True, "reason": "", "history": result.history, "step_losses": result.step_losses,
        "tracked": [{"text": valid.texts[i], "label": str(truth[i])} for i in range(TRACKED)],
        "steps": result.steps, "seconds": result.seconds, "train_seconds": result.train_seconds,
        "samples_per_second": result.samples_per_second, "resumed_from": result.resumed_from,
        "valid": scores, "primary_metric": "macro_f1", "bar": BAR.to_dict(),
        "overfitting": overfitting_streak(result.history), "bar_measure": measure_bar(scores, BAR),
        "divergence": loss_peak(result.history, len(parts.classes)),
        "confusion": {"classes": parts.classes,
                      "matrix": confusion(truth, predicted, parts.classes).to_numpy().tolist()},
        "per_class": per_class_report(truth, predicted, parts.classes),
        "mistakes": confident_mistakes(frame, predicted, result.valid.probabilities(), parts.classes, 30),
        "forced": False, "failing_probes": [], "predictions": {"actual": truth.tolist(), "predicted": predicted.tolist()},
        "calibration": calibration_record(Task("single_label", tuple(parts.classes)), result.valid.logits,
                                          valid.labels, result.temperature),
        **DIGESTS,
    })


@pytest.fixture(scope="module")
def runs() -> tuple[dict, dict]:
    """(probes.json, training.json) measured once on the tiny kit with a clean model."""
    parts, train, valid = kit()
    probes_cfg = from_conf(ProbeConfig, "probes", overfit_max_steps=60, batch_size=8, decoded_samples=5)
    probes = run_probes(parts, train_config(), probes_cfg, list(train.texts), train, valid, CPU, no_autocast, seed=0)
    probes = jsonable({**probes, **DIGESTS, "classes": parts.classes, "parts": {"model": "tests.training_kit.BagOfWords"}})
    # a round trip through JSON, as the stage files make
    return json.loads(json.dumps(probes)), json.loads(json.dumps(training_record(parts, train, valid)))


def errors_doc(training: dict) -> dict[str, Any]:
    """errors.json as read_model writes it for this run: one slice no worse than the whole, no baseline answers
    to pair with (beats_best_baseline then grades the point difference, as the bar tests below set it)."""
    value = float(training["valid"].get("valid_macro_f1", 0.0))
    interval = {"value": value, "low": value - 0.05, "high": value + 0.05}
    return {"split": "valid", "task": "single_label", "metric": "macro_f1", "rows": 40, "overall": interval,
            "level": 0.95, "bootstrap": 200,
            "slices": [{"name": "length Q1 (≤ 5 words)", "kind": "length", "size": 40, **interval, "examples": []}],
            "versus_baseline": {"skipped": "no baseline answered these rows"},
            "doubted": {"count": 0, "share": 0.0, "skipped": "", "top": [],
                        "overlap": {"step1_rows": 0, "both": 0, "rows": []}}}


def write_runs(folder: Path, probes: dict, training: dict, errors: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / J.PROBES_FILE).write_text(json.dumps(probes), encoding="utf-8")
    (folder / J.TRAINING_FILE).write_text(json.dumps(training), encoding="utf-8")
    (folder / J.ERRORS_FILE).write_text(json.dumps(errors or errors_doc(training)), encoding="utf-8")
    return folder


def judged(folder: Path, probes: dict, training: dict, limits: ModelChecks | None = None):
    write_runs(folder, probes, training)
    return J.judge_model(limits or thresholds(), folder)


def written_checks(folder: Path) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads((folder / "checks.json").read_text(encoding="utf-8"))}


def report(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def untrained(reason: str = "probes failed: dropout_in_eval") -> dict:
    record = TrainingRecord.not_trained(reason, {"failing": ["dropout_in_eval"], "forced": False},
                                        DIGESTS["settings_digest"], "macro_f1", BAR.to_dict())
    return {**record.to_dict(), **DIGESTS}


def fingerprint_of(folder: Path) -> str:
    return json.loads((folder / "evidence.json").read_text(encoding="utf-8"))["fingerprint"]


# -- a clean run --------------------------------------------------------------------------------------------------

def test_a_clean_model_passes_every_check_and_the_report_shows_every_section(runs, tmp_path: Path):
    probes, training = runs
    # the kit's bag of words trains for a few steps and is not calibrated: calibration's own tests
    # (tests/test_calibration.py) make it warn and pass; here every other check must pass
    judgement = judged(tmp_path, probes, training, thresholds(calibration_ece_max=1.0))
    statuses = {c.id: c.status for c in judgement.checks}
    single = [d for d in CHECKS if "single_label" in d.tasks]  # the checks that apply to one class per text
    assert [c.id for c in judgement.checks] == [d.id for d in single]
    assert {k: s for k, s in statuses.items() if s != "pass"} == {}
    # each check graded on real measurements says the direction it declares
    assert {c.id: c.direction for c in judgement.checks} == {d.id: d.direction for d in single}
    assert set(written_checks(tmp_path)) == set(statuses)
    html = report(tmp_path)
    for section in ("checks", "bar", "overfit", "curves", "predictions", "errors", "mistakes", "samples", "timing",
                    "calibration", "reading", "slices", "doubted"):
        assert f'id="{section}"' in html, section
    assert 'id="skipped"' not in html
    # the figures, embedded, and written where dvc.yaml can declare them
    assert html.count("data:image/png;base64,") == len(model_plots.FILES)
    assert all((tmp_path / J.PLOTS_DIR / name).read_bytes()[:4] == b"\x89PNG" for name in model_plots.FILES.values())


def test_the_report_shows_the_run_s_numbers(runs, tmp_path: Path):
    probes, training = runs
    judged(tmp_path, probes, training)
    html = report(tmp_path)
    steps = [h["step"] for h in training["history"]]
    assert re.findall(r"<th>step (\d+)</th>", html) == [str(s) for s in steps]
    first = training["tracked"][0]["text"]
    assert first in html
    sample = probes["decoded_samples"][0]
    assert sample["raw"] in html and sample["decoded"] in html
    assert "best baseline (tfidf_logreg)" in html and "0.755" in html
    assert f"{training['samples_per_second']:,.3g} samples/s" in html
    # the threshold column reads with the check's direction, as in step 2
    assert re.search(r"<code>words_kept</code>.*?at least 0\.5", html, re.S)
    assert re.search(r"<code>init_loss</code>.*?at most 1\.75", html, re.S)
    assert all(f"<td>{row['class']}</td>" in html for row in training["per_class"])


def test_the_report_says_when_the_evaluations_during_training_scored_a_sample(runs, tmp_path: Path):
    probes, training = copy.deepcopy(runs)
    judged(tmp_path / "all", probes, {**training, "valid_rows": {"during": 60, "last": 60}})
    assert "stratified sample" not in report(tmp_path / "all")
    judged(tmp_path / "sampled", probes, {**training, "valid_rows": {"during": 5000, "last": 100016}})
    html = report(tmp_path / "sampled")
    assert re.search(r"stratified sample of 5,000 of the 100,016 valid rows.*?train\.eval_max_rows", html, re.S)


def test_a_prediction_cell_shows_the_class_and_confidence_and_whether_it_is_right(runs):
    _, training = runs
    view = J.predictions_view(training)
    assert len(view["rows"]) == TRACKED and view["steps"] == [h["step"] for h in training["history"]]
    last = training["history"][-1]["predictions"][0]
    cell = view["rows"][0]["cells"][-1]
    assert cell["predicted"] == last["predicted"] and cell["confidence"] == last["confidence"]
    assert cell["correct"] == (last["predicted"] == training["tracked"][0]["label"])


# -- escaping -----------------------------------------------------------------------------------------------------

def test_every_text_from_the_data_or_the_model_is_escaped(runs, tmp_path: Path):
    probes, training = copy.deepcopy(runs)
    training["tracked"][0]["text"] = EVIL
    training["mistakes"] = [{"row": 1, "label": EVIL, "predicted": "b", "confidence": 0.9, "text": EVIL}]
    probes["decoded_samples"][0].update(raw=EVIL, decoded=EVIL)
    probes["symmetry"] = {"error": EVIL}  # a model's exception text lands in a check message
    judged(tmp_path, probes, training)
    html = report(tmp_path)
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 5
    assert "&amp; friends" in html


# -- failing probes -----------------------------------------------------------------------------------------------

def test_a_failing_probe_is_a_fail_in_checks_json_and_the_report(runs, tmp_path: Path):
    probes, training = copy.deepcopy(runs)
    judged(tmp_path / "clean", probes, training)
    assert written_checks(tmp_path / "clean")["dropout_in_eval"]["status"] == "pass"
    probes["eval_repeat"] = {"difference": 0.3, "still_training": ["drop"]}
    judged(tmp_path / "bug", probes, training)
    check = written_checks(tmp_path / "bug")["dropout_in_eval"]
    assert check["status"] == "fail" and check["direction"] == "max" and "drop" in check["message"]
    assert re.search(r"<code>dropout_in_eval</code></td><td class=\"fail\">fail", report(tmp_path / "bug"))


def test_a_probe_that_could_not_run_fails(runs, tmp_path: Path):
    probes, training = copy.deepcopy(runs)
    probes["zero_grad"] = {"error": "RuntimeError: the optimizer exploded"}
    judged(tmp_path, probes, training)
    check = written_checks(tmp_path)["zero_grad"]
    assert check["status"] == "fail" and "the optimizer exploded" in check["message"]


# -- training skipped ---------------------------------------------------------------------------------------------

def test_a_skipped_training_says_which_probes_failed_and_how_to_force_it(runs, tmp_path: Path):
    probes = copy.deepcopy(runs[0])
    probes["eval_repeat"] = {"difference": 0.3, "still_training": ["drop"]}
    judgement = judged(tmp_path, probes, untrained())
    html = report(tmp_path)
    box = html[html.index('id="skipped"'):html.index('id="checks"')]
    assert "<code>dropout_in_eval</code>" in box and "train.run_despite_probes=true" in box
    assert "probes failed: dropout_in_eval" in box
    assert "no curves" in html and "no predictions" in html
    assert html.count("data:image/png;base64,") == 1  # the overfit curve: the probes ran
    assert all((tmp_path / J.PLOTS_DIR / name).exists() for name in model_plots.FILES.values())
    statuses = {c.id: c.status for c in judgement.checks}
    assert statuses["dropout_in_eval"] == "fail"


def test_a_run_forced_past_failing_probes_says_so(runs, tmp_path: Path):
    probes = copy.deepcopy(runs[0])
    judged(tmp_path / "clean", probes, runs[1])
    assert 'id="despite"' not in report(tmp_path / "clean")
    probes["symmetry"] = {"checked": 3, "constant": ["hidden.weight"], "identical_rows": []}
    judged(tmp_path / "forced", probes, runs[1])
    html = report(tmp_path / "forced")
    note = html[html.index('id="despite"'):html.index('id="checks"')]
    assert "<code>symmetric_init</code>" in note and "train.run_despite_probes=true" in note
    assert 'id="skipped"' not in html


def test_untrained_the_checks_of_the_real_run_warn_with_the_reason(runs, tmp_path: Path):
    judgement = judged(tmp_path, runs[0], untrained("probes failed: zero_grad"))
    after = {c.id: c for c in judgement.checks if c.id in ("overfitting", "beats_best_baseline", "beats_prior_guess")}
    assert len(after) == 3
    for check in after.values():
        assert check.status == "warn", check
        assert "the real training did not run: probes failed: zero_grad" in check.message
    html = report(tmp_path)
    assert re.search(r"<code>overfitting</code></td><td class=\"warn\">warn</td>\s*<td class=\"n\">–</td>", html)
    # trained, the same checks are graded from the run's numbers
    trained = {c.id: c for c in judged(tmp_path, *runs).checks}
    assert trained["overfitting"].status == "pass" and "evaluations" in trained["overfitting"].message


def test_a_run_trained_without_the_bar_does_not_pass_it_silently(runs, tmp_path: Path):
    """A file that lacks the bar fails naming it; a bar its stage could not measure (null) warns."""
    training = {k: v for k, v in runs[1].items() if k not in ("bar_measure", "overfitting")}
    with pytest.raises(UserError, match=r"training.json#bar_measure: missing"):
        judged(tmp_path, runs[0], training)
    training = {**runs[1], "bar_measure": None, "overfitting": None}
    checks = {c.id: c for c in judged(tmp_path, runs[0], training).checks}
    assert checks["beats_best_baseline"].status == "warn" and "not measured" in checks["beats_best_baseline"].message
    assert checks["overfitting"].status == "warn"


def test_a_model_below_the_bar_warns_and_the_report_shows_the_gap(runs, tmp_path: Path):
    training = copy.deepcopy(runs[1])
    training["bar_measure"] = measure_bar({"valid_macro_f1": 0.70}, BAR)
    checks = {c.id: c for c in judged(tmp_path, runs[0], training).checks}
    assert checks["beats_best_baseline"].status == "warn" and checks["beats_prior_guess"].status == "pass"
    assert "-0.0550" in report(tmp_path)


# -- a run that diverges ------------------------------------------------------------------------------------------

def stage_record(lr: float) -> dict[str, Any]:
    """training.json as the training stage's own training_record writes it, for a run at ``lr``."""
    from clearance.neural.training.inputs import ModelInputs
    from clearance.small_model.measure.training import training_record as stage_training_record

    parts, train, valid = kit()
    result = train_model(train_config(lr=lr, epochs=3, eval_every=5), parts, train, valid,
                         TrainSettings(progress=False))
    names = np.asarray(parts.classes, dtype=object)
    frame = pd.DataFrame({"row": range(len(valid)), "label": names[valid.labels], "text": valid.texts})
    inputs = ModelInputs(classes=parts.classes, raw_train=list(train.texts), train=train, valid=valid,
                         valid_frame=frame, tracked=valid.subset(range(TRACKED)), data_digest=DIGESTS["data_digest"])
    record = stage_training_record(result, inputs, BAR, {"failing": [], "forced": False}, DIGESTS)
    return json.loads(json.dumps(jsonable(record)))


def test_a_run_whose_loss_turned_nan_fails_training_diverged_with_a_lower_lr_to_try(runs, tmp_path: Path):
    training = stage_record(lr=1e37)  # float32 overflows at step 2, whatever the threads
    judgement = judged(tmp_path, runs[0], training)
    checks = {c.id: c for c in judgement.checks}
    diverged = checks["training_diverged"]
    step = training["divergence"]["diverged"]["step"]
    assert diverged.status == "fail" and diverged.value is None and diverged.direction == "max"
    assert diverged.message.startswith(f"training diverged at step {step}: the training loss became inf at "
                                       "learning rate 1e+37; the run stopped there and no model was packaged")
    assert diverged.fix.startswith("lower `train.lr`, e.g. to 1e+36 (a tenth of 1e+37)")
    # no valid score to set against the bar: it is not run, and says why
    for bar in ("beats_best_baseline", "beats_prior_guess"):
        assert checks[bar].status == "warn"
        assert f"no valid score: training diverged at step {step}" in checks[bar].message
    html = report(tmp_path)
    box = html[html.index('id="diverged"'):html.index('id="checks"')]
    assert f"training diverged at step {step}" in box and "<code>train.lr</code>" in box
    # the curves up to that step still draw; a diverged run has no probabilities to calibrate (no reliability diagram)
    assert html.count("data:image/png;base64,") == len(model_plots.FILES) - 1


def test_a_loss_that_runs_far_above_ln_k_fails_training_diverged_without_a_nan(runs, tmp_path: Path):
    training = stage_record(lr=1e4)  # finite losses in the tens of thousands: diverged all the same
    assert training["divergence"]["diverged"] is None
    check = {c.id: c for c in judged(tmp_path, runs[0], training).checks}["training_diverged"]
    assert check.status == "fail" and check.value > thresholds().diverged_loss_ratio_max
    assert "x ln K" in check.message and check.fix.startswith("lower `train.lr`, e.g. to 1000 (a tenth of 10000)")
    clean = {c.id: c for c in judged(tmp_path, *runs).checks}["training_diverged"]
    assert clean.status == "pass" and clean.value < 1.5


# -- evidence and errors ------------------------------------------------------------------------------------------

def test_the_fingerprint_is_deterministic_and_follows_the_thresholds(runs, tmp_path: Path, questions):
    judged(tmp_path, *runs)
    first = fingerprint_of(tmp_path)
    manifest = json.loads((tmp_path / "evidence.json").read_text(encoding="utf-8"))
    assert manifest["step"] == "model" and manifest["questions"] == questions
    judged(tmp_path, *runs)
    assert fingerprint_of(tmp_path) == first
    judged(tmp_path, *runs, thresholds(overfit_loss_max=0.04))
    assert fingerprint_of(tmp_path) != first
    other = dict(runs[0], data_digest="e" * 64)
    judged(tmp_path, other, dict(runs[1], data_digest="e" * 64))
    assert fingerprint_of(tmp_path) != first


def test_runs_on_different_data_are_refused(runs, tmp_path: Path):
    with pytest.raises(UserError) as error:
        judged(tmp_path, runs[0], dict(runs[1], data_digest="e" * 64))
    assert error.value.where.endswith(J.TRAINING_FILE) and "dvc repro" in error.value.fix


def test_a_missing_training_file_names_it(runs, tmp_path: Path):
    (tmp_path / J.PROBES_FILE).write_text(json.dumps(runs[0]), encoding="utf-8")
    with pytest.raises(UserError) as error:
        J.judge_model(thresholds(), tmp_path)
    assert error.value.where.endswith(J.TRAINING_FILE)


def test_missing_decoded_samples_and_overfit_say_why(runs, tmp_path: Path):
    probes = copy.deepcopy(runs[0])
    probes["decoded_samples"] = {"error": "ValueError: no decoding table"}
    probes["overfit"] = {"skipped": "the model's output is not logits"}
    judged(tmp_path, probes, untrained())
    html = report(tmp_path)
    assert "No samples: ValueError: no decoding table" in html
    assert "No curve: the model&#39;s output is not logits" in html
