"""Grading the probes: overfitting on the real run, the bar, probes that could not run, and the
whole list in report order with directions that match the thresholds."""

from __future__ import annotations

import json
import numbers
from dataclasses import replace

import pytest

from clearance.checklist.results import CheckResult, describe
from clearance.core.config.params import from_conf
from clearance.core.records import Bar
from clearance.small_model.judge import checks as C
from clearance.small_model.judge.checks import ModelChecks
from clearance.small_model.measure.probes.fitting import measure_bar, overfitting_streak

BAR = Bar(metric="macro_f1", best_baseline="tfidf_logreg", valid=0.755, valid_log_loss=0.6, prior_expected=0.33,
          uniform_log_loss=1.0986, prior_log_loss=1.09)


@pytest.fixture(scope="module")
def t() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model")


def history(train: list[float], valid: list[float], every: int = 100) -> list[dict]:
    return [{"step": every * (i + 1), "epoch": 0, "train_loss": a, "valid_loss": b}
            for i, (a, b) in enumerate(zip(train, valid))]


# -- overfitting on the real run ----------------------------------------------------------------------------------

def test_a_healthy_run_is_not_overfitting(t):
    measured = overfitting_streak(history([1.0, 0.8, 0.6, 0.5, 0.45], [1.0, 0.85, 0.7, 0.66, 0.65]))
    assert measured["longest_streak"] == 0 and measured["best_step"] == 500
    assert C.grade("overfitting", measured, t).status == "pass"


def test_train_falling_while_valid_rises_warns_and_names_the_best_step(t):
    measured = overfitting_streak(history([1.0, 0.7, 0.5, 0.4, 0.3, 0.2], [0.9, 0.6, 0.65, 0.7, 0.8, 0.9]))
    assert measured["longest_streak"] == 4 and measured["streak_ends_at"] == 600 and measured["best_step"] == 200
    check = C.grade("overfitting", measured, t)
    assert check.status == "warn" and "step 200" in check.message and "step 200" in check.fix
    assert describe(check) == f"value 4 is above the maximum {t.overfitting_streak_max}"


def test_a_short_wobble_is_not_overfitting(t):
    measured = overfitting_streak(history([1.0, 0.8, 0.7, 0.6, 0.5], [1.0, 0.9, 0.95, 0.85, 0.9]))
    assert measured["longest_streak"] == 1
    assert C.grade("overfitting", measured, t).status == "pass"


# -- divergence on the real run -----------------------------------------------------------------------------------

def test_a_nan_loss_fails_training_diverged_and_a_loss_near_ln_k_passes(t):
    from clearance.neural.training.divergence import Divergence
    from clearance.small_model.measure.probes.fitting import loss_peak

    rows = [{**row, "lr": 0.5} for row in history([1.2, 0.9], [1.0, 0.8])]
    diverged = loss_peak(rows, 3, Divergence(230, float("nan"), 0.5, "train").to_dict())
    check = C.grade("training_diverged", diverged, t)
    assert check.status == "fail" and check.value is None and check.direction == "max"
    assert check.message.startswith("training diverged at step 230: the training loss became nan at learning rate 0.5")
    assert check.fix.startswith("lower `train.lr`, e.g. to 0.05 (a tenth of 0.5)")
    healthy = C.grade("training_diverged", loss_peak(rows, 3), t)
    assert healthy.status == "pass" and healthy.value == pytest.approx(1.2 / 1.0986, abs=1e-3)
    assert describe(healthy) == f"value {healthy.value} is within the maximum {t.diverged_loss_ratio_max}"
    exploded = C.grade("training_diverged", loss_peak(history([1.2, 40.0], [1.0, 50.0]), 3), t)
    assert exploded.status == "fail" and "40 at step 200" in exploded.message
    assert describe(exploded) == f"value {exploded.value} is above the maximum {t.diverged_loss_ratio_max}"


def test_evaluations_without_valid_loss_are_ignored():
    rows = history([1.0, 0.5], [0.9, 0.8]) + [{"step": 300, "train_loss": 0.4, "valid_loss": None}]
    assert overfitting_streak(rows)["evaluations"] == 2
    assert overfitting_streak([])["best_step"] is None


# -- the bar ------------------------------------------------------------------------------------------------------

def test_beating_the_best_baseline_passes(t):
    measured = measure_bar({"valid_macro_f1": 0.78, "valid_accuracy": 0.8}, BAR)
    assert measured == {"metric": "macro_f1", "model": 0.78, "best_baseline": "tfidf_logreg", "baseline": 0.755,
                        "prior": 0.33}
    assert C.grade("beats_best_baseline", measured, t).status == "pass"
    assert C.grade("beats_prior_guess", measured, t).status == "pass"


def test_falling_short_of_the_baseline_is_a_warning_not_a_failure(t):
    measured = measure_bar({"valid_macro_f1": 0.74}, BAR)
    check = C.grade("beats_best_baseline", measured, t)
    assert check.status == "warn" and check.value == pytest.approx(-0.015) and check.direction == "min"
    assert "tfidf_logreg" in check.message and "gate" in check.fix
    assert C.grade("beats_prior_guess", measured, t).status == "pass"


def test_no_better_than_guessing_fails(t):
    check = C.grade("beats_prior_guess", measure_bar({"valid_macro_f1": 0.30}, BAR), t)
    assert check.status == "fail" and "guessing" in check.message


def test_a_loss_metric_counts_lower_as_better(t):
    bar = replace(BAR, metric="log_loss", valid=0.6, prior_expected=1.09)
    better = measure_bar({"valid_log_loss": 0.5}, bar)
    check = C.grade("beats_best_baseline", better, t)
    assert check.status == "pass" and check.value == pytest.approx(0.1)
    assert C.grade("beats_best_baseline", measure_bar({"valid_log_loss": 0.7}, bar), t).status == "warn"


def test_a_missing_score_warns(t):
    check = C.grade("beats_best_baseline", measure_bar({}, BAR), t)
    assert check.status == "warn" and check.value is None


# -- probes that did not produce numbers ---------------------------------------------------------------------------

def test_an_error_fails_a_skip_warns_and_nothing_measured_warns(t):
    error = C.grade("zero_grad", {"error": "RuntimeError: boom"}, t)
    assert error.status == "fail" and "could not run" in error.message and "boom" in error.message
    skipped = C.grade("zero_grad", {"skipped": "the output has the wrong shape"}, t)
    assert skipped.status == "warn" and "wrong shape" in skipped.message
    assert C.grade("zero_grad", None, t).status == "warn"


def test_non_finite_measurements_fail_rather_than_pass(t):
    nan_batch = {"batch_size": 8, "probed_rows": 3, "alone": None, "others_changed": 0.0, "permuted": None,
                 "output_scale": 1.0}
    assert C.grade("batch_independence", nan_batch, t).status == "fail"
    assert C.grade("permutation_equivariance", nan_batch, t).status == "fail"
    assert C.grade("init_loss", {"loss": None, "ln_k": 1.1, "ratio": None, "batch_size": 8}, t).status == "fail"
    assert C.grade("dropout_in_eval", {"difference": None, "still_training": []}, t).status == "fail"


def test_all_zero_logits_cannot_show_mixing_and_say_so(t):
    blind = {"batch_size": 8, "probed_rows": 3, "alone": 0.0, "others_changed": 0.0, "permuted": 0.0,
             "output_scale": 0.0}
    check = C.grade("batch_independence", blind, t)
    assert check.status == "warn" and "cannot tell" in check.message


def test_a_missing_default_lr_band_is_a_user_error(t):
    from clearance.core.errors import UserError

    odd = from_conf(ModelChecks, "checks.model", lr_band={"AdamW": [1e-6, 1e-2]})
    with pytest.raises(UserError, match="lr_band"):
        C.grade("lr_band", {"optimizer": "SGD", "lr": [0.1], "trainable": 1, "unchanged": [], "update_ratio": 0.1}, odd)


# -- the whole list -----------------------------------------------------------------------------------------------

def test_model_checks_grade_every_probe_once_in_report_order(t):
    results = C.model_checks({}, t)
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids)) == len([d for d in C.CHECKS if "single_label" in d.tasks])
    assert ids[:2] == ["truncated_texts", "truncated_tokens"]
    # the bar, then what reading the trained model found (calibration, weak slices)
    assert ids[-4:] == ["beats_best_baseline", "beats_prior_guess", "calibration", "weak_slices"]
    assert all(r.status == "warn" and "not measured" in r.message for r in results)
    probes = [r.id for r in C.probe_checks({}, t)]
    assert "overfitting" not in probes and "beats_best_baseline" not in probes and "zero_grad" in probes


def test_results_are_json_and_directions_match_thresholds(t):
    measured = {
        "truncation": {"texts": 10, "max_length": 8, "truncated_texts": 9, "truncated_share": 0.9,
                       "tokens_lost_share": 0.7, "tokens_lost_overall": 0.6,
                       "length_percentiles": {"50": 30.0, "90": 40.0, "95": 45.0, "99": 50.0, "100": 60.0}},
        "tokenizer": {"texts": 10, "tokens": 100, "unk_token": 100, "unk_rate": 0.5, "words_checked": 10,
                      "words_kept": 0.2, "texts_mostly_lost": 9, "empty": 2, "empty_share": 0.2,
                      "tokens_per_word": 4.0},
        "outputs": {"shape": [8, 3], "expected": [8, 3], "dtype": "float32", "shape_ok": True, "logits_ok": True,
                    "nonfinite": 2,
                    "probability_rows": 1.0, "range": [0.1, 0.5]},
        "init_loss": {"loss": 3.0, "ln_k": 1.0986, "ratio": 2.73, "batch_size": 8},
        "symmetry": {"checked": 3, "constant": ["hidden.weight"], "identical_rows": []},
        "batch": {"batch_size": 8, "probed_rows": 3, "alone": 0.5, "others_changed": 0.4, "permuted": 0.3,
                  "output_scale": 2.0},
        "eval_repeat": {"difference": 0.2, "still_training": ["drop"]},
        "loop_eval": {"steps": 2, "calls": 4, "evaluation_calls": 2, "evaluations_in_train_mode": 2,
                      "steps_in_eval_mode": 0, "evaluations_with_gradients": 0},
        "zero_grad": {"zero_grad_calls": 1, "left_with_gradient": ["head.weight"], "update_difference": 1.2},
        "dead_parameters": {"trainable": 5, "dead": ["extra.weight"], "loss_finite": True},
        "param_change": {"optimizer": "AdamW", "lr": [0.0], "trainable": 5, "unchanged": ["a", "b", "c", "d", "e"],
                         "update_ratio": 0.0},
        "overfit": {"samples": 16, "classes": 3, "max_steps": 100, "steps": 100, "losses": [1.1] * 100,
                    "final_loss": 1.1, "min_loss": 1.1, "stop_below": None, "seconds": 1.0},
        "overfitting": overfitting_streak(history([1.0, 0.7, 0.5, 0.4], [0.9, 1.0, 1.1, 1.2])),
        "bar": measure_bar({"valid_macro_f1": 0.2}, BAR),
    }
    results = C.model_checks(measured, t)
    json.dumps([r.__dict__ for r in results])
    for r in results:
        numeric = isinstance(r.threshold, numbers.Number) and not isinstance(r.threshold, bool)
        assert (r.direction in ("max", "min")) == numeric, r
    # every probe fires on these measurements, each built to trip it
    passing = [r.id for r in results if r.status == "pass"]
    assert passing == [], passing
    statuses = {r.id: r.status for r in results}
    assert statuses["overfitting"] == statuses["beats_best_baseline"] == statuses["tokens_per_word"] == "warn"
    assert all(isinstance(r, CheckResult) and r.fix for r in results)
