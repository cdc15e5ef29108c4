"""Step 2 for label sets and numbers: the task's baselines, its metric (chosen and said), its checks (each
tripped on data built for it and passed on clean data), its error analysis, and the plug-in contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.baselines.judge.run import CHECKS
from clearance.baselines.measure.metric_choice import (
    chosen_metric,
    label_imbalance,
    outlier_share,
    recommend_multi_label,
    recommend_regression,
)
from clearance.baselines.measure.multi_label import PriorLabels
from clearance.checklist.declared import grade_one
from clearance.core.data.prepare import SUMMARY_FILE
from clearance.core.evaluation import expected_task_losses, expected_task_prior_score, pick_best, score_task
from clearance.core.paths import split_file
from clearance.core.task import MULTI_LABEL, Task, encode_label_set
from tests.factory import summary_doc
from tests.test_baselines import Run, baselines_run, prepared, stage, thresholds
from tests.test_task_data import TOPICS, multi_label_rows, regression_rows

ALL = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"]
FAST = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg"]
REGRESSION_NAMES = ["uniform_random", "mean", "median", "keyword_rule", "tfidf_logreg", "embeddings_logreg"]


# data built for the checks

def uneven_label_rows(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Texts nearly all about sport, a few about the other topics: the most frequent label ~9x the least."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        picked = [t for t, p in zip(TOPICS, (0.9, 0.3, 0.2, 0.15, 0.1)) if rng.random() < p] or ["sport"]
        rows.append({"text": f"text {i} about " + " and ".join(picked), "label": "|".join(sorted(picked))})
    return pd.DataFrame(rows)


def heavy_tailed_rows(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Scores with far-out values (a t distribution with 1.5 degrees of freedom)."""
    rng = np.random.default_rng(seed)
    scores = np.round(rng.standard_t(1.5, size=n), 3)
    return pd.DataFrame({"text": [f"sentence {i} scored {'high' if s > 0 else 'low'}" for i, s in enumerate(scores)],
                         "label": scores})


def shuffled(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The labels permuted against the texts: nothing in a text says its label."""
    out = frame.copy()
    out["label"] = out["label"].to_numpy()[np.random.default_rng(seed).permutation(len(out))]
    return out


def hand_prepared(parts: dict[str, pd.DataFrame], folder: Path, task: str, classes: list[str]) -> Path:
    """Given train/valid/test frames (text, label in the prepared form), written as prepare writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    start = 0
    for name in ("train", "valid", "test"):
        part = parts[name].reset_index(drop=True)
        label = part["label"].astype("float64") if task == "regression" else part["label"].astype("string")
        pd.DataFrame({"row": range(start, start + len(part)), "text": part["text"].astype("string"),
                      "label": label}).to_parquet(split_file(name, folder), index=False)
        start += len(part)
    summary = summary_doc(classes, {name: len(parts[name]) for name in ("train", "valid", "test")}, source="hand")
    summary["task"] = {"name": task, "setting": task, "reason": "set by the test", "read_as": "test"}
    (folder / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return folder


# shared runs

@pytest.fixture(scope="module")
def multi_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every baseline on 300 texts with one to three topics each."""
    folder = tmp_path_factory.mktemp("multi")
    return baselines_run(stage(run=ALL), prepared(multi_label_rows(300), folder), folder / "reports")


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every baseline on 300 texts with a score in [-3, 3]; the configured macro_f1 is no regression metric."""
    folder = tmp_path_factory.mktemp("regression")
    return baselines_run(stage(run=ALL), prepared(regression_rows(300), folder), folder / "reports")


# the stage, per task

def test_multi_label_stage_runs_every_baseline(multi_run: Run) -> None:
    record = json.loads(multi_run.files["measurements"].read_text())
    assert record["task"] == "multi_label" and multi_run.facts["task"] == "multi_label"
    assert [r.name for r in multi_run.outcome.results] == ALL
    assert all(not r.error and not r.skipped for r in multi_run.outcome.results)
    metrics = multi_run.results["tfidf_logreg"].metrics
    assert {"valid_micro_f1", "valid_macro_f1", "valid_exact_match", "valid_log_loss", "valid_f1_sport"} <= set(metrics)
    assert "valid_accuracy" not in metrics
    assert multi_run.facts["primary_metric"] == "macro_f1" and not multi_run.facts["metric_replaced"]
    assert multi_run.facts["best"] in {"keyword_rule", "tfidf_logreg", "embeddings_logreg"}


def test_multi_label_guesses_cost_what_they_should(multi_run: Run) -> None:
    """Every label at one half costs K ln 2; each at its share, the sum of its binary entropies (in expectation)."""
    facts, k = multi_run.facts, len(TOPICS)
    assert facts["uniform_log_loss"] == pytest.approx(k * np.log(2))
    assert multi_run.results["uniform_random"].metrics["valid_log_loss"] == pytest.approx(k * np.log(2))
    assert facts["prior_log_loss"] < facts["uniform_log_loss"]
    assert multi_run.results["prior_random"].metrics["valid_log_loss"] == pytest.approx(facts["prior_log_loss"],
                                                                                        rel=0.15)
    bar = json.loads(multi_run.files["metrics"].read_text())["bar"]
    assert bar["metric"] == "macro_f1" and bar["prior_log_loss"] == pytest.approx(facts["prior_log_loss"], abs=1e-6)


def test_multi_label_error_analysis(multi_run: Run) -> None:
    """mistakes.csv: the most wrong labels first; per-label F1 as plot data; no confusion matrix."""
    folder = multi_run.files["metrics"].parent
    mistakes = pd.read_csv(folder / "mistakes.csv")
    assert list(mistakes.columns) == ["row", "label", "predicted", "wrong", "missed", "extra", "text"]
    assert mistakes["wrong"].is_monotonic_decreasing
    label_f1 = pd.read_csv(folder / "plots" / "label_f1.csv")
    assert sorted(label_f1["label"]) == sorted(TOPICS)
    assert not (folder / "plots" / "predictions.csv").exists() and not (folder / "plots" / "confusion.png").exists()
    html = multi_run.files["report"].read_text()
    assert "multi-label" in html and "sum of binary entropies" in html


def test_regression_stage_runs_the_mean_and_the_median(regression_run: Run) -> None:
    assert [r.name for r in regression_run.outcome.results] == REGRESSION_NAMES
    assert all(not r.error and not r.skipped for r in regression_run.outcome.results)
    mean, median = regression_run.results["mean"].metrics, regression_run.results["median"].metrics
    assert mean["valid_r2"] <= 0.01 and mean["valid_spearman"] == 0.0
    assert set(regression_run.results["median"].valid_predicted) == {regression_run.facts["target"]["median"]}
    facts = regression_run.facts
    assert facts["prior_log_loss"] == pytest.approx(facts["target"]["std"] ** 2)
    assert "valid_log_loss" not in regression_run.results["tfidf_logreg"].metrics


def test_regression_metric_replaces_a_classification_metric(regression_run: Run) -> None:
    """The configured macro_f1 is no regression metric: RMSE (no outliers here), said, and in metrics.json."""
    facts = regression_run.facts
    assert facts["primary_metric"] == "rmse"
    assert "baselines.primary_metric=macro_f1 is not a regression metric" in facts["metric_replaced"]
    assert json.loads(regression_run.files["metrics"].read_text())["primary_metric"] == "rmse"
    assert facts["recommended_metric"] == "rmse"


def test_regression_best_is_the_lowest_rmse(regression_run: Run) -> None:
    """Lower RMSE is better: the best baseline and the bar are the lowest valid RMSE of the learned ones."""
    learned = {r.name: r.metrics["valid_rmse"] for r in regression_run.outcome.results
               if r.name not in ("uniform_random", "mean", "median")}
    lowest = min(learned, key=learned.get)
    assert regression_run.facts["best"] == lowest
    bar = json.loads(regression_run.files["metrics"].read_text())["bar"]
    assert bar["best_baseline"] == lowest and bar["valid"] == pytest.approx(learned[lowest], abs=1e-4)
    assert pick_best({"a": {"valid_rmse": 2.0}, "b": {"valid_rmse": 1.0}, "c": {"valid_rmse": 3.0}}, "rmse") == "b"


def test_regression_error_analysis(regression_run: Run) -> None:
    folder = regression_run.files["metrics"].parent
    mistakes = pd.read_csv(folder / "mistakes.csv")
    assert list(mistakes.columns) == ["row", "label", "predicted", "error", "text"]
    assert mistakes["error"].abs().is_monotonic_decreasing
    plot = pd.read_csv(folder / "plots" / "predicted_vs_actual.csv")
    assert list(plot.columns) == ["actual", "predicted"] and len(plot) == len(regression_run.outcome.splits["valid"])
    assert regression_run.judged.measurements["report"]["by_target"]
    assert "Its largest errors" in regression_run.files["report"].read_text()


def test_checks_apply_by_task(multi_run: Run, regression_run: Run) -> None:
    assert "classes_in_eval" in multi_run.checks and "targets_in_eval" not in multi_run.checks
    assert "targets_in_eval" in regression_run.checks and "classes_in_eval" not in regression_run.checks
    for run in (multi_run, regression_run):
        assert all(c.status == "pass" for c in run.judged.checks), [c for c in run.judged.checks]


# metric choice

def test_metric_choice_for_label_sets() -> None:
    assert recommend_multi_label(5.0, 3.0)[0] == "macro_f1" and recommend_multi_label(1.2, 3.0)[0] == "micro_f1"
    assert label_imbalance(np.array([[1, 0], [1, 0], [1, 1]])) == 3.0
    assert chosen_metric("multi_label", "macro_f1", {"imbalance_ratio": 1.0}) == ("macro_f1", "")
    metric, why = chosen_metric("multi_label", "accuracy", {"imbalance_ratio": 9.0})
    assert metric == "macro_f1" and "not a multi-label metric" in why


def test_metric_choice_for_a_number() -> None:
    assert outlier_share(np.linspace(0, 1, 100)) == 0.0
    assert outlier_share(np.r_[np.linspace(0, 1, 98), [50.0, -50.0]]) == pytest.approx(0.02)
    assert recommend_regression(0.05, 0.01)[0] == "mae" and recommend_regression(0.0, 0.01)[0] == "rmse"
    assert chosen_metric("regression", "mae", {"outlier_share": 0.0}) == ("mae", "")


def test_heavy_tails_choose_mae(tmp_path: Path) -> None:
    folder = prepared(heavy_tailed_rows(), tmp_path)
    run = baselines_run(stage(run=FAST), folder, tmp_path / "reports")
    assert run.facts["outlier_share"] > 0.01 and run.facts["primary_metric"] == "mae"
    assert run.status("metric_fits_balance") == "pass"


# each check, tripped and passed

def test_metric_fits_balance_fails_micro_f1_on_uneven_labels(tmp_path: Path) -> None:
    folder = prepared(uneven_label_rows(), tmp_path)
    run = baselines_run(stage(run=["prior_random", "keyword_rule"], metric="micro_f1"), folder, tmp_path / "r")
    check = run.checks["metric_fits_balance"]
    assert run.facts["imbalance_ratio"] > 3.0 and check.status == "fail", check
    assert "macro_f1" in check.fix


@pytest.mark.parametrize(("facts", "status"), [
    ({"task": "multi_label", "primary_metric": "micro_f1", "imbalance_ratio": 1.2}, "pass"),
    ({"task": "multi_label", "primary_metric": "micro_f1", "imbalance_ratio": 9.0}, "fail"),
    ({"task": "multi_label", "primary_metric": "macro_f1", "imbalance_ratio": 9.0}, "pass"),
    ({"task": "regression", "primary_metric": "rmse", "outlier_share": 0.0}, "pass"),
    ({"task": "regression", "primary_metric": "rmse", "outlier_share": 0.05}, "warn"),
    ({"task": "regression", "primary_metric": "mae", "outlier_share": 0.05}, "pass"),
])
def test_metric_fits_balance_by_task(facts: dict, status: str) -> None:
    assert grade_one(CHECKS, "metric_fits_balance", {"facts": facts}, thresholds()).status == status


def test_rmse_on_heavy_tails_warns(tmp_path: Path) -> None:
    run = baselines_run(stage(run=["mean", "keyword_rule"], metric="rmse"), prepared(heavy_tailed_rows(), tmp_path),
                        tmp_path / "r")
    assert run.status("metric_fits_balance") == "warn"


def test_beats_prior_fails_on_shuffled_label_sets(tmp_path: Path) -> None:
    folder = prepared(shuffled(multi_label_rows(600)), tmp_path, split={"valid_size": 0.4, "test_size": 0.1})
    run = baselines_run(stage(run=FAST), folder, tmp_path / "r")
    assert run.status("beats_prior") == "fail", run.checks["beats_prior"]
    assert "guessing blind" in run.checks["beats_prior"].message


def test_beats_prior_passes_on_label_sets(multi_run: Run) -> None:
    assert multi_run.status("beats_prior") == "pass"


def test_beats_prior_fails_on_shuffled_targets(tmp_path: Path) -> None:
    folder = prepared(shuffled(regression_rows(600)), tmp_path, split={"valid_size": 0.4, "test_size": 0.1})
    run = baselines_run(stage(run=FAST), folder, tmp_path / "r")
    check = run.checks["beats_prior"]
    assert check.status == "fail" and check.value < 0.05, check
    assert "predicting the train mean" in check.message and "% of the error" in check.message


def test_beats_prior_passes_on_targets(regression_run: Run) -> None:
    check = regression_run.checks["beats_prior"]
    assert check.status == "pass" and 0 < check.value <= 1


def test_classes_in_eval_names_a_label_missing_from_valid(tmp_path: Path) -> None:
    """A label no valid text carries fails classes_in_eval (multi-label), naming it."""
    rows = multi_label_rows(300)
    sets = rows["label"].str.split("|").map(encode_label_set)
    frame = pd.DataFrame({"text": rows["text"], "label": sets})
    has_film = frame["label"].str.contains('"film"')
    valid = frame[~has_film].iloc[:40]
    train = frame.drop(valid.index).iloc[:220]
    test = frame.drop(valid.index).drop(train.index)
    folder = hand_prepared({"train": train, "valid": valid, "test": test}, tmp_path / "p", MULTI_LABEL, sorted(TOPICS))
    run = baselines_run(stage(run=["prior_random", "keyword_rule"]), folder, tmp_path / "r")
    check = run.checks["classes_in_eval"]
    assert check.status == "fail" and check.value == {"valid": ["film"]}, check


def test_classes_in_eval_passes_on_label_sets(multi_run: Run) -> None:
    assert multi_run.status("classes_in_eval") == "pass"


def test_targets_in_eval_fails_on_targets_train_never_shows(tmp_path: Path) -> None:
    rows = regression_rows(300).sort_values("label").reset_index(drop=True)
    train, valid, test = rows.iloc[:200], rows.iloc[250:], rows.iloc[200:250]
    folder = hand_prepared({"train": train, "valid": valid, "test": test}, tmp_path / "p", "regression", [])
    run = baselines_run(stage(run=["mean", "keyword_rule"]), folder, tmp_path / "r")
    check = run.checks["targets_in_eval"]
    assert check.status == "fail" and check.value == 1.0, check


def test_targets_in_eval_passes(regression_run: Run) -> None:
    assert regression_run.status("targets_in_eval") == "pass"


def test_fit_on_train_only_and_empty_texts_grade_every_task(multi_run: Run, regression_run: Run) -> None:
    """Task-blind checks: they run for every task, pass on clean data and trip on a leak or empty texts."""
    for run in (multi_run, regression_run):
        assert run.status("fit_on_train_only") == "pass" and run.status("empty_after_preprocessing") == "pass"
    leak = {"facts": {"rows_outside_train": {"tfidf_logreg": 3}}}
    assert grade_one(CHECKS, "fit_on_train_only", leak, thresholds()).status == "fail"
    assert grade_one(CHECKS, "empty_after_preprocessing", {"facts": {"empty_share": 0.6}}, thresholds()).status == "fail"


# plug-in baselines are told the task

PLUGINS = '''
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline


def per_label(task: str = ""):
    """One-vs-rest on TF-IDF: fitted on a (texts, labels) 0/1 matrix."""
    assert task == "multi_label", task
    return make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LogisticRegression()))


def ridge(task: str = ""):
    """Ridge on TF-IDF: fitted on the targets."""
    assert task == "regression", task
    return make_pipeline(TfidfVectorizer(), Ridge())


class Lists:
    """Predicts each text's list of labels: always the first label."""

    def __init__(self, classes):
        self.classes = classes

    def fit(self, texts, labels):
        assert labels.shape == (len(texts), len(self.classes))
        return self

    def predict(self, texts):
        return [[self.classes[0]] for _ in texts]


class Logits:
    """Breaks the contract: scores, not probabilities."""

    def fit(self, texts, labels):
        self.k = labels.shape[1]
        return self

    def predict_proba(self, texts):
        return np.full((len(texts), self.k), 3.0)
'''


def test_plugins_are_told_the_task(tmp_path: Path, user_plugins) -> None:
    user_plugins("task_baselines", PLUGINS)
    folder = prepared(multi_label_rows(200), tmp_path / "m")
    run = baselines_run(stage(run=["prior_random", "task_baselines.per_label", "task_baselines.Lists",
                                   "task_baselines.Logits"]), folder, tmp_path / "m" / "r")
    assert not run.results["task_baselines.per_label"].error
    assert run.results["task_baselines.per_label"].metrics["valid_micro_f1"] > 0.5
    assert "valid_log_loss" in run.results["task_baselines.per_label"].metrics
    assert not run.results["task_baselines.Lists"].error
    assert "not scores or logits" in run.results["task_baselines.Logits"].error
    assert run.status("baselines_ran") == "fail"
    folder = prepared(regression_rows(200), tmp_path / "r")
    run = baselines_run(stage(run=["mean", "task_baselines.ridge"]), folder, tmp_path / "r" / "r")
    assert not run.results["task_baselines.ridge"].error and "valid_rmse" in run.results["task_baselines.ridge"].metrics
    assert run.status("baselines_ran") == "pass"


# the expected score of a guess

def test_expected_label_prior_matches_a_long_random_draw() -> None:
    """Each label drawn at its train share scores, over many draws, what expected_task_prior_score says."""
    rng = np.random.default_rng(0)
    task = Task(MULTI_LABEL, tuple(TOPICS))
    share = np.array([0.6, 0.3, 0.2, 0.1, 0.05])
    labels = np.asarray(task.from_indicators(rng.random((4000, 5)) < share), dtype=object)
    guess = PriorLabels(list(TOPICS), seed=1).fit(None, labels)
    predicted, probs = guess.predict_scored(pd.Series(["x"] * len(labels)))
    scored = score_task(task, labels, predicted, probs, "valid")
    for metric in ("exact_match", "log_loss"):
        expected = expected_task_prior_score(task, metric, labels, labels)
        assert scored[f"valid_{metric}"] == pytest.approx(expected, abs=0.02), metric
    # F1: the better of the shares and every label given (q = 1: F1 = 2p/(1+p) per label)
    p = task.indicators(labels).mean(axis=0)
    assert scored["valid_macro_f1"] == pytest.approx(p.mean(), abs=0.02)
    assert expected_task_prior_score(task, "macro_f1", labels, labels) == pytest.approx((2 * p / (1 + p)).mean())
    assert expected_task_losses(task, labels)["prior_log_loss"] == pytest.approx(scored["valid_log_loss"], abs=0.02)
