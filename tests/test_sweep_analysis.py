"""Step 4's measurements (importances, correlations, budget curve, edges, paired bootstrap) and
its checks: each check trips on input built to trip it and passes on clean input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from clearance.checklist.declared import grade_one
from clearance.checklist.results import CheckResult, describe
from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.sweep.judge.run import CHECKS, SweepChecks, SweepJudge, sweep_checks
from clearance.sweep.search import analysis as A
from clearance.sweep.search.space import parse_space

SPACE = {"train": {"lr": "loguniform(1e-5, 1e-2)", "batch_size": "choice(16, 32)"},
         "model.dropout": "uniform(0.0, 0.3)", "optimizer.name": "choice(adamw, sgd)"}


@pytest.fixture(scope="module")
def t() -> SweepChecks:
    return from_conf(SweepChecks, "checks.sweep")


@pytest.fixture(scope="module")
def lr_band() -> dict[str, list[float]]:
    return from_conf(SweepJudge).lr_band


@pytest.fixture(scope="module")
def dims():
    return parse_space(SPACE)


def grade(check_id: str, measured: dict, t: SweepChecks, lr_band: dict | None = None) -> CheckResult:
    """One step-4 check graded on ``measured`` (with step 3's band beside it, for lr_plausible)."""
    return grade_one(CHECKS, check_id, measured if lr_band is None else {**measured, "lr_band": lr_band}, t)


def trial(number: int, value: float | None, state: str = "COMPLETE", error: str = "", **params) -> dict:
    return {"number": number, "state": state, "value": value, "error": error, "seconds": 1.0, "run_id": f"r{number}",
            "params": {k.replace("__", "."): v for k, v in params.items()}}


def lr_driven(n: int, seed: int = 1) -> list[dict]:
    """Trials whose score depends on the learning rate alone (best near 3e-4); the rest is noise-free filler."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        lr, dropout = float(10 ** rng.uniform(-5, -2)), float(rng.uniform(0, 0.3))
        batch, opt = int(rng.choice([16, 32])), str(rng.choice(["adamw", "sgd"]))
        out.append(trial(i, 0.9 - 0.1 * (math.log10(lr) + 3.5) ** 2, train__lr=lr, train__batch_size=batch,
                         model__dropout=dropout, optimizer__name=opt))
    return out


# -- importances --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("evaluator", ["fanova", "ped_anova"])
def test_the_parameter_that_drives_the_score_ranks_first_and_the_result_is_seeded(dims, evaluator):
    trials = lr_driven(30)
    first = A.importances(trials, dims, evaluator, seed=7)
    assert first["evaluator"] == evaluator
    assert list(first["values"])[0] == "train.lr" and first["values"]["train.lr"] > 0.5
    assert sum(first["values"].values()) == pytest.approx(1.0, abs=1e-4)
    assert A.importances(trials, dims, evaluator, seed=7) == first
    json.dumps(first)


def test_importances_of_a_minimized_metric_rank_the_same_parameter_first(dims):
    trials = [{**t, "value": -t["value"]} for t in lr_driven(30)]
    result = A.importances(trials, dims, "ped_anova", seed=0, direction="minimize")
    assert list(result["values"])[0] == "train.lr"


@pytest.mark.parametrize("evaluator", ["fanova", "ped_anova"])
def test_few_trials_give_rough_importances_without_an_error(dims, evaluator):
    result = A.importances(lr_driven(3), dims, evaluator, seed=0)
    assert isinstance(result["values"], dict) and isinstance(result["note"], str)


def test_importances_need_two_complete_trials_and_a_varying_dimension(dims):
    one = A.importances(lr_driven(1) + [trial(1, None, "FAIL", error="boom")], dims, "fanova", seed=0)
    assert one["values"] == {} and "at least 2" in one["note"]
    fixed = {"train.lr": 1e-4, "train.batch_size": 16, "model.dropout": 0.1, "optimizer.name": "sgd"}
    same = [trial(i, 0.5 + i / 10, **{k.replace(".", "__"): v for k, v in fixed.items()}) for i in range(4)]
    result = A.importances(same, dims, "fanova", seed=0)
    assert result["values"] == {} and "no dimension" in result["note"]


def test_an_unknown_evaluator_names_the_setting(dims):
    with pytest.raises(UserError, match="sweep.importance"):
        A.importances(lr_driven(5), dims, "shap", seed=0)


# -- per-dimension views ------------------------------------------------------------------------------------------

def test_spearman_follows_the_ranks_and_is_none_when_undefined(dims):
    trials = [trial(i, 0.1 * i, train__lr=10 ** (-5 + i / 2), train__batch_size=16, model__dropout=0.3 - 0.05 * i,
                    optimizer__name="sgd") for i in range(5)]
    rho = A.spearman(trials, dims)
    assert rho["train.lr"] == pytest.approx(1.0) and rho["model.dropout"] == pytest.approx(-1.0)
    assert rho["train.batch_size"] is None  # constant
    assert "optimizer.name" not in rho  # no order to correlate
    assert A.spearman(trials[:2], dims)["train.lr"] is None  # fewer than 3 points


def test_scatter_lists_complete_trials_only(dims):
    trials = lr_driven(3) + [trial(3, None, "FAIL", error="nan loss", train__lr=1e-3)]
    points = A.scatter(trials, dims)
    assert len(points["train.lr"]) == 3 and all(len(p) == 2 for p in points["train.lr"])
    assert {p[0] for p in points["optimizer.name"]} <= {"adamw", "sgd"}


def test_edges_give_each_best_values_position(dims):
    positions = A.edges(dims, {"train.lr": 1e-5, "train.batch_size": 32, "model.dropout": 0.15,
                               "optimizer.name": "sgd"})
    assert positions == {"train.lr": 0.0, "train.batch_size": 1.0, "model.dropout": pytest.approx(0.5),
                         "optimizer.name": None}


# -- budget curve -------------------------------------------------------------------------------------------------

def test_the_budget_curve_is_the_best_so_far_and_monotone():
    trials = [trial(0, None, "FAIL", error="x"), trial(2, 0.5), trial(1, 0.7), trial(3, None, "PRUNED"),
              trial(4, 0.6), trial(5, 0.9), trial(6, float("nan"))]
    assert A.budget_curve(trials) == [None, 0.7, 0.7, 0.7, 0.7, 0.9, 0.9]
    down = A.budget_curve(trials, direction="minimize")
    assert down == [None, 0.7, 0.5, 0.5, 0.5, 0.5, 0.5]
    values = A.budget_curve(lr_driven(20))
    assert all(b >= a for a, b in zip(values, values[1:]))


# -- paired bootstrap ---------------------------------------------------------------------------------------------

def test_a_consistent_gain_has_an_interval_above_zero():
    result = A.paired_bootstrap([0.80, 0.82, 0.81], [0.70, 0.73, 0.71], resamples=2000, seed=0)
    assert result["low"] > 0 and result["mean_gain"] == pytest.approx(0.0967, abs=1e-3)
    assert result["seeds"] == 3 and result["best_std"] > 0
    assert result["reference_mean"] == pytest.approx(0.7133, abs=1e-3)
    assert A.paired_bootstrap([0.80, 0.82, 0.81], [0.70, 0.73, 0.71], resamples=2000, seed=0) == result
    json.dumps(result)


def test_a_gain_within_noise_has_an_interval_around_zero():
    result = A.paired_bootstrap([0.80, 0.70, 0.76, 0.71], [0.72, 0.78, 0.70, 0.77], resamples=2000, seed=0)
    assert result["low"] < 0 < result["high"]


def test_the_gain_of_a_minimized_metric_is_higher_is_better():
    result = A.paired_bootstrap([0.40, 0.42, 0.41], [0.50, 0.53, 0.51], resamples=500, seed=0, direction="minimize")
    assert result["mean_gain"] > 0 and result["low"] > 0


def test_one_seed_gives_the_single_difference_and_says_so():
    result = A.paired_bootstrap([0.8], [0.7], resamples=100, seed=0)
    assert result["low"] == result["high"] == pytest.approx(0.1) and "one seed" in result["note"]
    assert result["best_std"] is None


def test_seeds_without_both_scores_are_dropped():
    result = A.paired_bootstrap([0.8, None, 0.9], [0.7, 0.6, float("nan")], resamples=100, seed=0)
    assert result["seeds"] == 1 and "2 seed(s)" in result["note"]
    empty = A.paired_bootstrap([None], [0.5], resamples=100, seed=0)
    assert empty["low"] is None and empty["seeds"] == 0


# -- checks -------------------------------------------------------------------------------------------------------

BOOT_GAIN = {"mean_gain": 0.09, "low": 0.05, "high": 0.12, "best_mean": 0.81, "best_std": 0.01,
             "reference_mean": 0.72, "reference_std": 0.015, "seeds": 3, "note": ""}


CHOSEN = {"rule": "best_if_better", "chosen": "best", "verdict": "better",
          "reason": "The sweep's best configuration met the test split, not step 3's model: ..."}


def clean() -> dict:
    """A sweep that passes every check."""
    trials = [trial(i, 0.7 + i / 100, train__lr=3e-4, model__dropout=0.15) for i in range(5)]
    return {"trials": trials, "best": {"number": 4, "value": 0.74, "params": {"train.lr": 3e-4, "model.dropout": 0.15}},
            "positions": {"train.lr": 0.5, "model.dropout": 0.5, "optimizer.name": None}, "optimizer": "AdamW",
            "importances": {"values": {"train.lr": 0.7, "model.dropout": 0.3}},
            "spearman": {"train.lr": 0.8, "model.dropout": -0.1}, "direction": "maximize",
            "bootstrap": dict(BOOT_GAIN), "choice": {"recorded": dict(CHOSEN), "expected": dict(CHOSEN)},
            "final": {"metric": "macro_f1", "valid": 0.74, "test": 0.72},
            "ledger": {"seen": 1, "digest": "ab" * 32, "path": "ledger/test_split.jsonl"}}


def test_a_clean_sweep_passes_every_check_in_order(t, lr_band):
    results = sweep_checks(clean(), t, lr_band)
    assert [r.id for r in results] == ["trials_completed", "edge_of_grid", "lr_plausible", "gain_vs_noise",
                                       "final_choice", "test_consistent", "test_split_reuse"]
    assert [r.status for r in results] == ["pass"] * 7, [r.message for r in results]


def test_too_few_complete_trials_fail_and_quote_the_first_error(t):
    trials = [trial(0, 0.7), trial(2, None, "FAIL", error="CUDA out of memory"),
              trial(1, None, "FAIL", error="NaN loss at step 3"), trial(3, None, "PRUNED")]
    check = grade("trials_completed", {"trials": trials}, t)
    assert check.status == "fail" and check.direction == "min" and check.value == 1
    assert "1 of 4 trials completed, 2 failed, 1 pruned" in check.message
    assert "#1" in check.message and "NaN loss at step 3" in check.message and "dvc repro" in check.fix
    assert "below the minimum" in describe(check)
    assert grade("trials_completed", {}, t).status == "fail"
    assert grade("trials_completed", clean(), t).status == "pass"


def test_diverged_trials_are_counted_with_their_settings_and_named_by_trials_completed(t):
    from clearance.neural.training.divergence import Divergence

    blown = {**trial(2, None, "PRUNED", **{"train.lr": 1.18}),
             "diverged": Divergence(7, float("nan"), 1.18, "valid", 96).to_dict()}
    trials = [trial(0, 0.7, **{"train.lr": 1e-3}), trial(1, 0.6, **{"train.lr": 2e-3}), blown,
              trial(3, None, "PRUNED", **{"train.lr": 5e-4})]
    counted = A.diverged(trials)
    assert counted == {"count": 1, "trials": [{"number": 2, "params": {"train.lr": 1.18}, "step": 7, "loss": "nan",
                                               "lr": 1.18, "message": blown["diverged"]["message"]}]}
    assert A.diverged([trial(0, 0.7), trial(1, None, "PRUNED")]) == {"count": 0, "trials": []}
    check = grade("trials_completed", {"trials": trials}, t)
    assert "2 of 4 trials completed, 0 failed, 1 pruned, 1 diverged" in check.message
    assert "diverged: #2 (train.lr=1.18: step 7, loss nan)" in check.message
    assert "lower the high end of the train.lr range" in check.fix
    assert "diverged:" not in grade("trials_completed", clean(), t).message


def test_a_best_value_on_the_edge_that_mattered_warns_and_names_its_evidence(t):
    # train.lr: important; model.dropout: unimportant but the score rises toward its low end (rho -0.9)
    measured = {**clean(), "positions": {"train.lr": 0.97, "model.dropout": 0.0, "train.batch_size": 0.5},
                "importances": {"values": {"train.lr": 0.8, "model.dropout": 0.1, "train.batch_size": 0.1}},
                "spearman": {"train.lr": 0.1, "model.dropout": -0.9, "train.batch_size": 0.0}}
    check = grade("edge_of_grid", measured, t)
    assert check.status == "warn" and check.value == 2 and check.threshold == 0 and check.direction == "max"
    assert "on the edge of the grid: widen it" in check.message
    assert "train.lr=0.0003 (high end; importance 0.80 >= 0.3)" in check.message
    assert "model.dropout=0.15 (low end; the score rises toward that end, rank correlation +0.90" in check.message
    assert "train.batch_size" not in check.message
    inside = {**clean(), "positions": {"train.lr": t.edge_share + 0.01, "model.dropout": 1 - t.edge_share - 0.01}}
    assert grade("edge_of_grid", inside, t).status == "pass"


def test_edge_values_that_did_not_matter_are_information_not_a_warning(t):
    """Three-value choice lists put two values in three on an edge: without evidence, no warning."""
    measured = {**clean(), "best": {"number": 1, "value": 0.7, "params": {
        "model.num_layers": 1, "train.dropout": 0.2, "train.lr": 1e-4, "train.weight_decay": 0.0}},
        "positions": {"model.num_layers": 0.0, "train.dropout": 1.0, "train.lr": 0.0, "train.weight_decay": 0.0},
        "importances": {"values": {"model.num_layers": 0.25, "train.dropout": 0.25, "train.lr": 0.25,
                                   "train.weight_decay": 0.25}},
        "spearman": {"model.num_layers": 0.2, "train.dropout": -0.3, "train.lr": 0.1, "train.weight_decay": None}}
    check = grade("edge_of_grid", measured, t)
    assert check.status == "pass" and check.value == 0
    assert "information, not a warning" in check.message
    for shown in ("model.num_layers=1 (low end)", "train.dropout=0.2 (high end)", "train.lr=0.0001 (low end)",
                  "train.weight_decay=0.0 (low end)"):
        assert shown in check.message
    # the same values, with the score climbing toward train.lr's low end: that one warns, the rest stay information
    trending = {**measured, "spearman": {**measured["spearman"], "train.lr": -0.75}}
    check = grade("edge_of_grid", trending, t)
    assert check.status == "warn" and check.value == 1
    assert check.message.startswith("on the edge of the grid: widen it: train.lr=0.0001 (low end; the score rises")
    assert "Also at an edge without evidence" in check.message and "model.num_layers=1 (low end)" in check.message


def test_the_trend_toward_an_edge_follows_the_metric_direction(t):
    """For a metric to minimize, a falling score toward the edge is the rising one."""
    measured = {**clean(), "positions": {"train.lr": 1.0, "model.dropout": 0.5}, "importances": {"values": {}},
                "spearman": {"train.lr": -0.8}, "direction": "minimize"}
    assert grade("edge_of_grid", measured, t).status == "warn"
    assert grade("edge_of_grid", {**measured, "direction": "maximize"}, t).status == "pass"


def test_an_implausible_best_learning_rate_warns(t, lr_band):
    odd = {**clean(), "best": {"number": 0, "value": 0.5, "params": {"train.lr": 400.0}}}
    check = grade("lr_plausible", odd, t, lr_band)
    assert check.status == "warn" and check.value == 400.0 and check.threshold == lr_band["AdamW"]
    assert "something more fundamental" in check.message and "lr_band.AdamW" in check.message
    assert grade("lr_plausible", clean(), t, lr_band).status == "pass"


def test_the_lr_band_falls_back_to_default_and_passes_without_lr_in_the_space(t, lr_band):
    lion = {**clean(), "optimizer": "Lion", "best": {"number": 0, "value": 0.5, "params": {"train.lr": 5.0}}}
    check = grade("lr_plausible", lion, t, lr_band)
    assert check.status == "warn" and "lr_band.default" in check.message
    no_lr = {**clean(), "best": {"number": 0, "value": 0.5, "params": {"model.dropout": 0.1}}}
    fixed = grade("lr_plausible", no_lr, t, lr_band)
    assert fixed.status == "pass" and "not in the search space" in fixed.message


def test_a_gain_within_seed_noise_warns(t):
    noisy = {**clean(), "bootstrap": {**BOOT_GAIN, "mean_gain": 0.01, "low": -0.03, "high": 0.05}}
    check = grade("gain_vs_noise", noisy, t)
    assert check.status == "warn" and check.value == 0.01
    assert "the sweep's gain is within seed noise" in check.message and "[-0.03, 0.05]" in check.message
    assert grade("gain_vs_noise", clean(), t).status == "pass"


def test_a_worse_best_or_a_single_seed_also_warns(t):
    worse = {**clean(), "bootstrap": {**BOOT_GAIN, "mean_gain": -0.05, "low": -0.08, "high": -0.02}}
    below = grade("gain_vs_noise", worse, t)
    assert below.status == "warn" and "worse" in below.message
    single = {**clean(), "bootstrap": {**BOOT_GAIN, "seeds": 1, "low": 0.09, "high": 0.09, "best_std": None}}
    one = grade("gain_vs_noise", single, t)
    assert one.status == "warn" and "one seed" in one.message


def test_the_bootstrap_output_feeds_the_check(t):
    gain = A.paired_bootstrap([0.80, 0.82, 0.81], [0.70, 0.73, 0.71], resamples=500, seed=0)
    noise = A.paired_bootstrap([0.80, 0.70, 0.76, 0.71], [0.72, 0.78, 0.70, 0.77], resamples=500, seed=0)
    assert grade("gain_vs_noise", {"bootstrap": gain}, t).status == "pass"
    assert grade("gain_vs_noise", {"bootstrap": noise}, t).status == "warn"


def test_a_test_score_far_from_valid_warns(t):
    far = {**clean(), "final": {"metric": "macro_f1", "valid": 0.80, "test": 0.80 - t.test_gap_warn - 0.02}}
    check = grade("test_consistent", far, t)
    assert check.status == "warn" and check.direction == "max" and check.threshold == t.test_gap_warn
    assert "valid 0.8" in check.message and "above the maximum" in describe(check)
    assert grade("test_consistent", clean(), t).status == "pass"


@pytest.mark.parametrize("part", ["best", "positions", "bootstrap", "choice", "final", "ledger"])
def test_a_missing_input_warns_not_measured(t, lr_band, part):
    measured = {**clean(), part: None}
    graded = {r.id: r for r in sweep_checks(measured, t, lr_band)}
    warned = [r for r in graded.values() if r.status != "pass"]
    assert warned and all(r.status == "warn" and r.message.startswith("not measured: ") for r in warned)


def test_a_skipped_part_carries_its_reason(t):
    measured = {**clean(), "final": {"skipped": "the sweep failed, so nothing was tested"}}
    check = grade("test_consistent", measured, t)
    assert check.status == "warn" and check.message == "not measured: the sweep failed, so nothing was tested"
