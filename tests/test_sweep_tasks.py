"""Step 4 for every task: each decision honours the metric's direction (lower RMSE is better), the checks and
questions apply by task, the final test scores a multi-label or regression model in its task's metrics, and the
registered model answers with label lists or numbers in the target's units."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearance.core.config.params import from_conf
from clearance.core.evaluation import HIGHER_IS_BETTER
from clearance.journey.figures import model_figures
from clearance.journey.sweep_tables import budget_curve as journey_curve
from clearance.journey.task import LOWER_IS_BETTER, gain, journey_task
from clearance.sweep.judge import run as J
from clearance.sweep.judge.checks import edge_evidence
from clearance.sweep.judge.decision import decide
from clearance.sweep.judge.run import SweepJudge
from clearance.sweep.search import analysis
from clearance.sweep.search.run import best_trial
from clearance.sweep.search.space import parse_space

LR_BAND = {"AdamW": [1e-6, 1e-2], "default": [1e-6, 1.0]}
SPACE = {"train.lr": "loguniform(1e-05, 0.01)", "model.layers": "choice(1, 2)"}
# (lr, layers, valid RMSE): lower is better, and the best (#2, RMSE 0.61) sits inside the lr range
TRIALS = [(1e-4, 1, 0.92), (3e-3, 2, 0.74), (4e-4, 2, 0.61), (2e-5, 1, 0.98), (1e-3, 1, 0.70)]
BAR = {"metric": "rmse", "best_baseline": "tfidf_ridge", "valid": 0.80, "valid_log_loss": 0.64,
       "prior_expected": 1.02, "uniform_log_loss": 1.0, "prior_log_loss": 1.04}


def trial(number: int, lr: float, layers: int, value: float) -> dict[str, Any]:
    return {"number": number, "state": "COMPLETE", "value": value, "params": {"train.lr": lr, "model.layers": layers},
            "error": "", "seconds": 10.0, "train_seconds": 9.0, "run_id": f"run{number}", "worker": "host:1"}


def regression_measurements(rows: list[tuple] | None = None, importance: float = 0.2) -> dict[str, Any]:
    """measurements.json of a regression sweep on RMSE, built with the functions the sweep stage uses."""
    trials = [trial(i, *row) for i, row in enumerate(rows or TRIALS)]
    dims = parse_space(SPACE)
    best = best_trial(trials, "rmse")
    return {"metric": "rmse", "direction": "minimize", "task": "regression", "data_digest": "d" * 64,
            "study": "clearance-reg", "storage": "journal", "sampler": "random", "trials_budget": len(trials),
            "fixed": {}, "space": SPACE, "trials": trials, "best": best,
            "importances": {"values": {"train.lr": importance, "model.layers": 0.05},
                            "evaluator": "fanova", "note": ""},
            "spearman": analysis.spearman(trials, dims), "scatter": analysis.scatter(trials, dims),
            "budget_curve": analysis.budget_curve(trials, "minimize"),
            "positions": analysis.edges(dims, best["params"]), "overhead": {"share": 0.1, "seconds": 1.0},
            "bar": BAR}


def regression_seeds(best: list[float], reference: list[float]) -> dict[str, Any]:
    """seeds.json of paired re-runs scored in RMSE."""
    boot = analysis.paired_bootstrap(best, reference, 500, seed=42, direction="minimize")
    return {"metric": "rmse", "direction": "minimize", "seeds": [42, 43, 44], "optimizer": "AdamW", "best_trial": 2,
            "fixed": {}, "best": {"params": {"train.lr": 4e-4, "model.layers": 2}, "values": best,
                                  "mean": boot["best_mean"], "std": boot["best_std"], "run_ids": ["b1", "b2", "b3"]},
            "reference": {"params": {}, "values": reference, "mean": boot["reference_mean"],
                          "std": boot["reference_std"], "run_ids": ["r1", "r2", "r3"]},
            "bootstrap": boot}


BETTER_SEEDS = ([0.60, 0.62, 0.61], [0.70, 0.73, 0.71])  # the best's RMSE is lower on every seed: it is better
WORSE_SEEDS = ([0.70, 0.73, 0.71], [0.60, 0.62, 0.61])  # ... higher on every seed: it is worse


def regression_final(measured: dict, seeds: dict, valid: float, test: float) -> dict[str, Any]:
    choice = decide("best_if_better", measured, seeds, LR_BAND)
    return {"choice": choice.as_dict(), "chosen": choice.chosen, "why": choice.reason, "params": choice.params,
            "metric": "rmse", "direction": "minimize", "seed": 42,
            "valid": {"valid_rmse": valid, "valid_mae": 0.5, "valid_r2": 0.6, "valid_spearman": 0.7},
            "test": {"test_rmse": test, "test_mae": 0.52, "test_r2": 0.58, "test_spearman": 0.69},
            "model_dir": "models/model", "model_digest": "e" * 64, "test_rows": 60,
            "ledger": {"path": "ledger/test_split.jsonl", "digest": "f" * 64, "seen": 1}, "run_id": "final01"}


def judge_files(root: Path, measured: dict, seeds: dict | None = None, final: dict | None = None):
    folder = root / "reports" / "sweep"
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in (("measurements.json", measured), ("seeds.json", seeds), ("final.json", final)):
        if doc is not None:
            (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return J.judge_sweep(from_conf(SweepJudge), folder, model_folder=root / "reports" / "model")


def by_id(judgement) -> dict[str, Any]:
    return {c.id: c for c in judgement.checks}


# -- every decision honours the metric's direction ----------------------------------------------------------------

def test_the_best_trial_is_the_lowest_rmse_and_the_highest_f1():
    trials = [trial(i, *row) for i, row in enumerate(TRIALS)]
    assert best_trial(trials, "rmse")["number"] == 2  # 0.61, the lowest error
    assert best_trial(trials, "macro_f1")["number"] == 3  # the same numbers read as scores: 0.98 is the best
    assert best_trial([], "rmse") is None
    curve = analysis.budget_curve(trials, "minimize")
    assert curve == [0.92, 0.74, 0.61, 0.61, 0.61]  # best so far never rises when lower is better
    assert [v for _, v in journey_curve({"trials": trials, "direction": "minimize"})] == curve


def test_gain_vs_noise_passes_a_lower_rmse_and_warns_a_higher_one(tmp_path: Path):
    measured = regression_measurements()
    better = by_id(judge_files(tmp_path, measured, regression_seeds(*BETTER_SEEDS)))["gain_vs_noise"]
    assert better.status == "pass" and better.value == pytest.approx(0.103333, abs=1e-5)
    worse = by_id(judge_files(tmp_path, measured, regression_seeds(*WORSE_SEEDS)))["gain_vs_noise"]
    assert worse.status == "warn" and "worse than step 3's" in worse.message and worse.value < 0


def test_choose_final_takes_the_best_only_when_its_rmse_is_lower_beyond_noise():
    measured = regression_measurements()
    better = decide("best_if_better", measured, regression_seeds(*BETTER_SEEDS), LR_BAND)
    assert (better.chosen, better.verdict, better.direction) == ("best", "better", "minimize")
    worse = decide("best_if_better", measured, regression_seeds(*WORSE_SEEDS), LR_BAND)
    assert (worse.chosen, worse.verdict) == ("reference", "worse")
    rejected = decide("best", measured, regression_seeds(*WORSE_SEEDS), LR_BAND)
    assert rejected.chosen is None and "worse than step 3's configuration" in rejected.reason


def test_edge_of_grid_reads_a_falling_rmse_toward_an_edge_as_a_trend(tmp_path: Path):
    # The best lr sits at the high end, and the RMSE keeps falling as the lr rises: better toward the edge.
    rising = [(1e-5, 1, 0.99), (1e-4, 2, 0.90), (8e-4, 1, 0.80), (3e-3, 2, 0.71), (9e-3, 1, 0.60)]
    measured = regression_measurements(rising, importance=0.1)
    assert measured["best"]["params"]["train.lr"] == 9e-3 and measured["spearman"]["train.lr"] == -1.0
    edge = by_id(judge_files(tmp_path, measured))["edge_of_grid"]
    assert edge.status == "warn" and "the score rises toward that end, rank correlation +1.00" in edge.message
    # Read as a score (higher is better), the same correlation falls toward that edge: no trend, nothing to widen.
    thresholds = from_conf(SweepJudge).checks
    assert edge_evidence({**measured, "direction": "maximize"}, thresholds)["train.lr"] == []
    assert edge_evidence(measured, thresholds)["train.lr"] == [
        "the score rises toward that end, rank correlation +1.00 >= 0.5"]
    # Inside the range, with the same trend, there is no edge to speak of.
    inside = regression_measurements([*rising[:4], (2e-3, 1, 0.50)], importance=0.1)
    assert by_id(judge_files(tmp_path, inside))["edge_of_grid"].status == "pass"


def test_the_report_and_the_journey_say_lower_is_better_and_gains_point_the_right_way(tmp_path: Path):
    measured = regression_measurements()
    judge_files(tmp_path, measured, regression_seeds(*BETTER_SEEDS))
    html = (tmp_path / "reports/sweep/report.html").read_text(encoding="utf-8")
    assert "(lower is better)" in html and "which is worse: lower is better" in html
    view = J.comparison(measured, None, None, {}, BAR)
    rows = {r["name"].split(" (")[0]: r for r in view["rows"]}
    assert rows["best baseline"]["gain"] == pytest.approx(0.19)  # 0.80 - 0.61: the best trial errs less
    assert rows["predicting the training target's mean"]["value"] == 1.02
    model = {"metrics": {"bar": {"metric": "rmse", "model": 0.7, "baseline": 0.8, "best_baseline": "tfidf_ridge"},
                         "valid": {}}}
    figures = {f["label"]: f["value"] for f in model_figures(model, "regression")}
    assert figures["gain over the best baseline (tfidf_ridge)"] == pytest.approx(0.1)
    assert gain(0.7, 0.8, "macro_f1") == pytest.approx(-0.1) and gain(0.7, 0.8, "rmse") == pytest.approx(0.1)


def test_the_journey_s_table_of_directions_is_the_core_one():
    """clearance report must not import sklearn, so the journey spells the lower-is-better metrics itself."""
    assert LOWER_IS_BETTER == {m for m, higher in HIGHER_IS_BETTER.items() if not higher}


def test_the_journey_reads_the_task_the_sweep_recorded(tmp_path: Path):
    assert journey_task(tmp_path) == "single_label" and journey_task(tmp_path, "rmse") == "regression"
    (tmp_path / "reports/sweep").mkdir(parents=True)
    (tmp_path / "reports/sweep/measurements.json").write_text(json.dumps({"task": "multi_label"}))
    assert journey_task(tmp_path, "macro_f1") == "multi_label"


# -- checks and questions by task ---------------------------------------------------------------------------------

def test_a_regression_test_error_far_from_valid_warns_as_a_share_of_the_valid_error(tmp_path: Path):
    measured, seeds = regression_measurements(), regression_seeds(*BETTER_SEEDS)
    far = by_id(judge_files(tmp_path, measured, seeds, regression_final(measured, seeds, valid=0.60, test=0.75)))
    assert "test_consistent" not in far  # an absolute gap of 0.05 means nothing in the target's units
    check = far["test_consistent_relative"]
    assert check.status == "warn" and check.value == pytest.approx(0.25) and "25.0% of the valid score" in check.message
    near = by_id(judge_files(tmp_path, measured, seeds, regression_final(measured, seeds, valid=0.60, test=0.63)))
    assert near["test_consistent_relative"].status == "pass" and near["test_consistent_relative"].value == \
        pytest.approx(0.05)
    written = json.loads((tmp_path / "reports/sweep/checks.json").read_text(encoding="utf-8"))
    assert "test_consistent" not in json.dumps(written).replace("test_consistent_relative", "")


def test_single_label_keeps_its_checks_and_questions(tmp_path: Path):
    single = {**regression_measurements(), "metric": "macro_f1", "direction": "maximize"}
    single.pop("task")  # a file written before tasks were recorded is single-label
    checks = by_id(judge_files(tmp_path, single))
    assert "test_consistent" in checks and "test_consistent_relative" not in checks
    evidence = json.loads((tmp_path / "reports/sweep/evidence.json").read_text(encoding="utf-8"))
    assert [q["id"] for q in evidence["questions"]] == ["importance", "plausible", "noise", "budget", "test"]


@pytest.mark.parametrize("task, asked, not_asked", [("regression", "acceptable_error", "threshold"),
                                                    ("multi_label", "threshold", "acceptable_error")])
def test_the_gate_asks_the_task_s_own_questions(tmp_path: Path, task: str, asked: str, not_asked: str):
    judge_files(tmp_path, {**regression_measurements(), "task": task})
    evidence = json.loads((tmp_path / "reports/sweep/evidence.json").read_text(encoding="utf-8"))
    ids = [q["id"] for q in evidence["questions"]]
    assert asked in ids and not_asked not in ids and ids[:5] == ["importance", "plausible", "noise", "budget", "test"]
