"""Every check says which side of its threshold is bad, and low-is-bad checks say "below the minimum"."""

from __future__ import annotations

import numbers
from pathlib import Path

import pandas as pd
import pytest

from clearance.baselines.judge.run import CHECKS as BASELINE_CHECKS
from clearance.baselines.judge.run import BaselineChecks, baseline_checks
from clearance.checklist.results import CheckResult, describe, read_checks, write_checks
from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.inspect import InspectConfig
from clearance.inspection.judge.run import InspectChecks
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import load_splits, prepare
from clearance.checklist.declared import grade_one
from clearance.inspection.judge.run import CHECKS as INSPECT_CHECKS
from clearance.inspection.judge.run import inspect_checks
from clearance.inspection.measure import stats as S
from clearance.sweep.judge.run import CHECKS as SWEEP_CHECKS
from clearance.sweep.judge.run import SweepChecks, SweepJudge, sweep_checks
from tests.factory import inspection_stats, make_texts, write_table

# The direction each check declares (clearance/<step>/judge/checks.py), graded on clean data below.
# The checks of one class per text (the data these tests grade); tests/test_*_tasks.py grade the others.
INSPECT_DIRECTIONS = {d.id: d.direction for d in INSPECT_CHECKS if "single_label" in d.tasks}
BASELINE_DIRECTIONS = {d.id: d.direction for d in BASELINE_CHECKS if "single_label" in d.tasks}
SWEEP_DIRECTIONS = {d.id: d.direction for d in SWEEP_CHECKS if "single_label" in d.tasks}


@pytest.fixture(scope="module")
def inspect_t() -> InspectChecks:
    return from_conf(InspectChecks, "checks.inspect")


@pytest.fixture(scope="module")
def baseline_t() -> BaselineChecks:
    return from_conf(BaselineChecks, "checks.baselines")


def assert_direction_fits_threshold(check: CheckResult) -> None:
    """A numeric threshold has a direction; a descriptive one has none."""
    numeric = isinstance(check.threshold, numbers.Number) and not isinstance(check.threshold, bool)
    assert (check.direction in ("max", "min")) == numeric, check


def assert_below_minimum(check: CheckResult, status: str = "fail") -> None:
    """A tripped low-is-bad check, described as below its minimum."""
    assert check.direction == "min", check
    assert check.status == status, check
    assert describe(check) == f"value {check.value} is below the minimum {check.threshold}"
    assert "above" not in describe(check) and "over" not in describe(check)


def assert_at_or_above_minimum(check: CheckResult) -> None:
    assert check.direction == "min", check
    assert check.status == "pass", check
    assert describe(check) == f"value {check.value} is at or above the minimum {check.threshold}"


# every check declares its direction

@pytest.fixture(scope="module")
def clean_inspection(tmp_path_factory: pytest.TempPathFactory, inspect_t: InspectChecks) -> list[CheckResult]:
    """Step 1's checks on 300 clean rows, prepared by clearance's own split."""
    folder = tmp_path_factory.mktemp("directions")
    source = folder / "data.csv"
    write_table(make_texts(n_per_class=100, seed=41), source, "csv")
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(source))
    summary = prepare(from_conf(PrepareStage, None, ("data=custom",), data=data), folder / "prepared")
    stats = inspection_stats(load_splits(folder / "prepared"), summary, from_conf(InspectConfig, "inspect"))
    return inspect_checks(stats, inspect_t)


def test_every_inspect_check_declares_its_direction(clean_inspection: list[CheckResult]) -> None:
    """Each step-1 check carries the expected direction, and only numeric thresholds have one."""
    assert {c.id: c.direction for c in clean_inspection} == INSPECT_DIRECTIONS
    for check in clean_inspection:
        assert_direction_fits_threshold(check)


def baseline_facts(**changes: object) -> dict:
    """Facts of a healthy step 2, with ``changes`` applied."""
    facts = {"errors": {}, "gain_over_prior": 0.3, "best": "tfidf_logreg", "primary_metric": "accuracy",
             "imbalance_ratio": 1.2, "rows_outside_train": {"tfidf_logreg": 0},
             "missing_classes": {"valid": [], "test": []}, "empty_share": 0.0}
    return {**facts, **changes}


def test_every_baseline_check_declares_its_direction(baseline_t: BaselineChecks) -> None:
    """Each step-2 check carries the expected direction, passing or failing."""
    healthy = baseline_checks(baseline_facts(), baseline_t)
    broken = baseline_checks(baseline_facts(errors={"tfidf_logreg": "boom"}, gain_over_prior=0.0,
                                            imbalance_ratio=9.0, rows_outside_train={"tfidf_logreg": 1},
                                            missing_classes={"valid": ["a"], "test": []}, empty_share=0.9),
                             baseline_t)
    assert [c.status for c in healthy] == ["pass"] * 6
    assert [c.status for c in broken] == ["fail"] * 6
    for results in (healthy, broken):
        assert {c.id: c.direction for c in results} == BASELINE_DIRECTIONS
        for check in results:
            assert_direction_fits_threshold(check)


def test_every_sweep_check_declares_its_direction() -> None:
    """Each step-4 check carries its declared direction, even with nothing measured yet."""
    results = sweep_checks({}, from_conf(SweepChecks, "checks.sweep"), from_conf(SweepJudge).lr_band)
    assert [c.status for c in results] == ["fail", "warn", "warn", "warn", "warn", "warn", "warn"]
    assert {c.id: c.direction for c in results} == SWEEP_DIRECTIONS
    for check in results:
        assert_direction_fits_threshold(check)


def test_direction_survives_checks_json(tmp_path: Path, inspect_t: InspectChecks) -> None:
    """checks.json keeps each check's direction, so the gate reads the same words."""
    results = balance_checks({"imbalance_ratio": 1.0, "min_train_class_count": 2,
                              "missing_classes": {"train": [], "valid": [], "test": []}}, inspect_t)
    write_checks(results, tmp_path / "checks.json")
    again = {c.id: c for c in read_checks(tmp_path / "checks.json")}
    assert again["min_class_count"].direction == "min"
    assert describe(again["min_class_count"]).startswith("value 2 is below the minimum")


# the low-is-bad checks, one by one

def test_min_class_count(inspect_t: InspectChecks) -> None:
    """Fewer training examples of the rarest class than the minimum fails; the minimum passes."""
    def check(smallest: int) -> CheckResult:
        stats = {"imbalance_ratio": 1.0, "min_train_class_count": smallest,
                 "missing_classes": {"train": [], "valid": [], "test": []}}
        return next(c for c in balance_checks(stats, inspect_t) if c.id == "min_class_count")

    minimum = inspect_t.min_class_count
    assert_below_minimum(check(minimum - 1))
    assert check(minimum - 1).threshold == minimum
    assert_at_or_above_minimum(check(minimum))
    assert_at_or_above_minimum(check(minimum + 40))


def rule_stats(correct: int, majority_correct: int, rows: int = 60) -> dict:
    """The keyword-rule statistics of ``rows`` valid rows."""
    return {"valid_rows": rows, "correct": correct, "majority_correct": majority_correct,
            "accuracy": correct / max(rows, 1), "majority_accuracy": majority_correct / max(rows, 1)}


def test_keyword_signal() -> None:
    """A keyword rule no better than the majority class (a tie included) warns; one row better passes."""
    worse, tie, better = keyword_check(rule_stats(18, 20)), keyword_check(rule_stats(20, 20)), \
        keyword_check(rule_stats(21, 20))
    assert_below_minimum(worse, "warn")
    assert worse.value == -2 and worse.threshold == 1
    assert "18 of 60 valid rows right" in worse.message and "-2 rows" in worse.message
    assert_below_minimum(tie, "warn")
    assert_at_or_above_minimum(better)


def test_keyword_signal_without_valid_rows() -> None:
    """No valid rows: a warning that says so, with no numeric minimum to be below."""
    check = keyword_check(rule_stats(0, 0, rows=0))
    assert check.status == "warn" and check.direction == ""
    assert "no valid rows" in check.message


def test_sample_written(inspect_t: InspectChecks) -> None:
    """A sample smaller than the minimum fails; the minimum passes; small data needs only its rows."""
    minimum = inspect_t.min_sample_size
    assert_below_minimum(sample_check({"n_rows": 5000, "sample_size": minimum - 1}, inspect_t))
    assert_at_or_above_minimum(sample_check({"n_rows": 5000, "sample_size": minimum}, inspect_t))
    small = sample_check({"n_rows": 50, "sample_size": 50}, inspect_t)
    assert_at_or_above_minimum(small)
    assert small.threshold == 50


def test_beats_prior(baseline_t: BaselineChecks) -> None:
    """A gain over the prior guess below the minimum fails; above it passes."""
    minimum = baseline_t.min_gain_over_prior
    low = gain_check(minimum - 0.01, "tfidf_logreg", "macro_f1", baseline_t)
    assert_below_minimum(low)
    assert low.threshold == minimum
    assert_at_or_above_minimum(gain_check(minimum + 0.01, "tfidf_logreg", "macro_f1", baseline_t))


def test_beats_prior_without_a_gain(baseline_t: BaselineChecks) -> None:
    """No learned baseline: a failure without a value, so no claim about a minimum."""
    check = gain_check(None, "", "macro_f1", baseline_t)
    assert check.status == "fail" and check.value is None and check.direction == ""


def test_metric_fits_balance_limits_accuracy_only(baseline_t: BaselineChecks) -> None:
    """Accuracy above the class ratio limit is above the maximum; macro-F1 has no limit to be within."""
    limit = baseline_t.accuracy_max_imbalance
    accuracy = metric_check("accuracy", limit + 1, baseline_t)
    assert accuracy.status == "fail" and accuracy.direction == "max"
    assert describe(accuracy) == f"value {limit + 1} is above the maximum {limit}"
    macro = metric_check("macro_f1", limit + 1, baseline_t)
    assert macro.status == "pass" and macro.direction == ""
    assert "any ratio for macro_f1" in describe(macro)


# duplicates: warn from 1% of rows, naming the count

def with_duplicates(copies: int, total: int = 1000) -> pd.DataFrame:
    """``total`` rows of which ``copies`` repeat an earlier text, spread over three splits."""
    distinct = make_texts(classes={"negative": 340, "neutral": 340, "positive": 340}, seed=42).head(total - copies)
    rows = pd.concat([distinct, distinct.sample(n=copies, random_state=0)], ignore_index=True)
    return rows.assign(split=[("train", "train", "train", "valid", "test")[i % 5] for i in range(len(rows))])


def duplicates_check(rows: pd.DataFrame, t: InspectChecks) -> CheckResult:
    return next(c for c in duplicate_checks(S.duplicates(rows), t) if c.id == "duplicates")


def test_duplicate_threshold_is_one_percent(inspect_t: InspectChecks) -> None:
    assert inspect_t.duplicate_warn == 0.01


def test_duplicates_at_4_4_percent_warn_with_the_count(inspect_t: InspectChecks) -> None:
    """44 repeated rows in 1000 (a held-out news corpus's share) warn, naming the count."""
    check = duplicates_check(with_duplicates(44), inspect_t)
    assert check.status == "warn"
    assert check.value == pytest.approx(0.044)
    assert check.message.startswith("44 rows (4.40%) repeat an earlier text")
    assert describe(check) == "value 0.044 is above the maximum 0.01"


def test_duplicates_counted_in_the_stats() -> None:
    """The duplicate statistics carry the number of repeated rows, not only the share."""
    stats = S.duplicates(with_duplicates(44))["duplicates"]
    assert stats["normalized_duplicate_rows"] == 44
    assert stats["exact_duplicate_rows"] == 44


@pytest.mark.parametrize("copies", [0, 5])
def test_few_or_no_duplicates_pass(inspect_t: InspectChecks, copies: int) -> None:
    """No duplicates, or 0.5% of rows, pass."""
    check = duplicates_check(with_duplicates(copies), inspect_t)
    assert check.status == "pass"
    assert check.message.startswith(f"{copies} rows (")


def balance_checks(stats: dict, t: InspectChecks) -> list[CheckResult]:
    return [grade_one(INSPECT_CHECKS, i, {"stats": stats}, t) for i in ("class_imbalance", "min_class_count",
                                                                        "classes_in_every_split")]


def keyword_check(rule: dict) -> CheckResult:
    return grade_one(INSPECT_CHECKS, "keyword_signal", {"stats": {"keyword_rule": rule}}, None)


def sample_check(stats: dict, t: InspectChecks) -> CheckResult:
    return grade_one(INSPECT_CHECKS, "sample_written", {"stats": stats}, t)


def duplicate_checks(stats: dict, t: InspectChecks) -> list[CheckResult]:
    return [grade_one(INSPECT_CHECKS, "duplicates", {"stats": stats}, t)]


def gain_check(gain: float | None, best: str, metric: str, t: BaselineChecks) -> CheckResult:
    facts = {"gain_over_prior": gain, "best": best, "primary_metric": metric}
    return grade_one(BASELINE_CHECKS, "beats_prior", {"facts": facts}, t)


def metric_check(primary: str, ratio: float, t: BaselineChecks) -> CheckResult:
    facts = {"primary_metric": primary, "imbalance_ratio": ratio}
    return grade_one(BASELINE_CHECKS, "metric_fits_balance", {"facts": facts}, t)
