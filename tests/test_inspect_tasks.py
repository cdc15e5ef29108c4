"""Step 1 on label sets (multi-label) and numeric targets (regression): each task's checks trip on small data
built to trip them and pass on clean data, measured from prepared corpora; the measuring and judging stages write
the task's files (metrics, plots, checks, report)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from clearance.checklist.declared import grade_one
from clearance.checklist.results import CheckResult, read_checks
from clearance.core.data.prepare import load_splits
from clearance.core.errors import UserError
from clearance.core.task import Task, encode_label_set
from clearance.inspection.judge.run import CHECKS, inspect_checks, task_of_stats
from clearance.inspection.measure.run import compute
from clearance.inspection.measure.stats import combine
from clearance.inspection.measure.task_issues import find_label_set_issues, find_target_issues
from tests.factory import FILLER
from tests.test_inspect_checks import Measured, measure_and_judge, prepared, stage, thresholds

LABEL_WORDS = {"film": ["movie", "actor", "cinema"], "music": ["song", "guitar", "album"],
               "politics": ["vote", "senate", "election"], "science": ["atom", "physics", "laboratory"],
               "sport": ["goal", "match", "stadium"]}
LABELS = sorted(LABEL_WORDS)
SCORE_WORDS = {"love": 2.0, "great": 1.5, "fine": 0.5, "meh": -0.5, "awful": -1.5, "hate": -2.0}

MULTI_CHECKS = ["label_imbalance", "rare_labels", "labels_in_every_split", "texts_without_labels", "dropped_rows",
                "label_variants", "empty_texts", "very_short_texts", "duplicates", "conflicting_duplicates",
                "split_overlap", "mojibake", "replacement_chars", "html_entities", "label_set_issues",
                "sample_written", "label_keyword_signal", "label_in_text", "property_shortcut", "too_good_rule",
                "templates"]
REGRESSION_CHECKS = ["target_outliers", "target_skew", "dropped_rows", "empty_texts", "very_short_texts",
                     "duplicates", "conflicting_targets", "split_overlap", "mojibake", "replacement_chars",
                     "html_entities", "target_issues", "sample_written", "score_keyword_signal",
                     "target_length_shortcut", "property_shortcut", "too_good_rule", "templates"]
MULTI_ONLY = {"label_imbalance", "rare_labels", "labels_in_every_split", "texts_without_labels",
              "label_set_issues", "label_keyword_signal"}
REGRESSION_ONLY = {"target_outliers", "target_skew", "conflicting_targets", "target_issues", "score_keyword_signal",
                   "target_length_shortcut"}
SINGLE_ONLY = {"class_imbalance", "min_class_count", "classes_in_every_split", "label_issues", "keyword_signal"}


# -- small corpora ------------------------------------------------------------------------------------------------

def _body(rng: np.random.Generator, words: list[str], i: int, filler: int = 6) -> str:
    """``filler`` everyday words, the given words and a token of the row's own, shuffled: distinct texts."""
    body = [str(w) for w in rng.choice(FILLER, size=filler)] + words + [f"u{i}"]
    rng.shuffle(body)
    return " ".join(body)


def label_set_texts(n: int = 300, seed: int = 0, rare: dict[str, int] | None = None,
                    empty: float = 0.0) -> pd.DataFrame:
    """Texts with one or two labels each, written "a|b", each label given away by one of its words; a label of
    ``rare`` is on that many texts only (the first ones); a share ``empty`` of texts carries no label ("[]")."""
    rng = np.random.default_rng(seed)
    rare = rare or {}
    common = [label for label in LABELS if label not in rare]
    rows = []
    for i in range(n):
        picked = [] if i >= max(rare.values(), default=0) and rng.random() < empty else \
            [str(x) for x in rng.choice(common, size=int(rng.integers(1, 3)), replace=False)]
        picked = sorted(picked + [label for label, k in rare.items() if i < k])
        words = [str(rng.choice(LABEL_WORDS[label])) for label in picked]
        rows.append({"text": _body(rng, words, i), "label": "|".join(picked) if picked else "[]"})
    return pd.DataFrame(rows)


def scored_texts(n: int = 300, seed: int = 0, noise: float = 0.2) -> pd.DataFrame:
    """Texts whose score (-2 to 2) one sentiment word gives away, give or take ``noise``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        word = str(rng.choice(list(SCORE_WORDS)))
        rows.append({"text": _body(rng, [word], i), "label": round(SCORE_WORDS[word] + rng.normal(0, noise), 3)})
    return pd.DataFrame(rows)


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The labels dealt out to other texts: no word says anything about them."""
    return frame.assign(label=frame["label"].sample(frac=1.0, random_state=seed).to_numpy())


@dataclass
class Inspected:
    """Step 1's statistics and its checks (by id) of one prepared corpus."""

    stats: dict[str, Any]
    issues: pd.DataFrame
    checks: dict[str, CheckResult]

    def status(self, check_id: str) -> str:
        return self.checks[check_id].status


def inspect(frame: pd.DataFrame, folder: Path, task: str, **data: Any) -> Inspected:
    """``frame`` prepared as ``task``; step 1's statistics measured and its checks graded."""
    out, summary = prepared(frame, folder, data={"task": task, **data})
    assert summary["task"]["name"] == task
    stats, issues, _ = compute(load_splits(out), summary, stage())
    return Inspected(stats, issues, {c.id: c for c in inspect_checks(stats, thresholds())})


# -- the clean runs, end to end -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def multi_run(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    folder = tmp_path_factory.mktemp("multi")
    out, _ = prepared(label_set_texts(), folder, data={"task": "multi_label"})
    return measure_and_judge(stage(), out, folder / "reports")


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    folder = tmp_path_factory.mktemp("regression")
    out, _ = prepared(scored_texts(), folder, data={"task": "regression"})
    return measure_and_judge(stage(), out, folder / "reports")


@pytest.fixture(params=["multi_label", "regression"])
def task_run(request: pytest.FixtureRequest) -> tuple[str, Measured]:
    return request.param, request.getfixturevalue("multi_run" if request.param == "multi_label" else "regression_run")


def test_checks_json_holds_only_the_tasks_checks_and_clean_data_passes_them(task_run: tuple[str, Measured]) -> None:
    task, run = task_run
    expected = MULTI_CHECKS if task == "multi_label" else REGRESSION_CHECKS
    checks = read_checks(run.files["checks"])
    assert [c.id for c in checks] == expected
    # the generated texts carry their labels' keywords on purpose: a keyword rule that is too good to be true is
    # what too_good_rule reports, and it does
    too_good = [] if task == "regression" else [("too_good_rule", "warn")]
    assert [(c.id, c.status) for c in checks if c.status != "pass"] == too_good
    assert not SINGLE_ONLY & {c.id for c in checks}


def test_the_declared_tasks_keep_each_check_to_its_own() -> None:
    for task, expected in [("multi_label", MULTI_CHECKS), ("regression", REGRESSION_CHECKS)]:
        assert [d.id for d in CHECKS if task in d.tasks] == expected
    single = {d.id for d in CHECKS if "single_label" in d.tasks}
    assert SINGLE_ONLY <= single and not single & (MULTI_ONLY | REGRESSION_ONLY)
    assert not MULTI_ONLY & set(REGRESSION_CHECKS) and not REGRESSION_ONLY & set(MULTI_CHECKS)


def test_metrics_json_says_the_task_and_its_figures(multi_run: Measured, regression_run: Measured) -> None:
    multi = json.loads(multi_run.files["metrics"].read_text(encoding="utf-8"))
    assert multi["task"] == "multi_label" and multi["rows"] == 300 and multi["classes"] == len(LABELS)
    assert set(multi["class_share"]) == set(LABELS)
    assert 1.0 < multi["figures"]["labels_per_text"] < 2.0 and multi["figures"]["empty_share"] == 0.0
    assert multi["keyword_rule"]["micro_f1"] > multi["keyword_rule"]["prior_micro_f1"] + 0.2
    numbers = json.loads(regression_run.files["metrics"].read_text(encoding="utf-8"))
    assert numbers["task"] == "regression" and numbers["classes"] == 0 and numbers["imbalance_ratio"] is None
    assert numbers["figures"]["min"] < -1.5 and numbers["figures"]["max"] > 1.5
    assert numbers["keyword_rule"]["rmse"] < 0.5 * numbers["keyword_rule"]["mean_rmse"]
    recorded = json.loads(regression_run.files["measurements"].read_text(encoding="utf-8"))
    assert recorded["stats"]["task"]["name"] == "regression"


def test_multi_label_plots_show_labels_on_the_same_text(multi_run: Measured) -> None:
    plots = multi_run.files["plot_co_occurrence"].parent
    assert (plots / "label_pairs.png").stat().st_size > 0
    pairs = pd.read_csv(plots / "label_pairs.csv")
    assert list(pairs.columns) == ["label", "with", "texts"] and len(pairs) == len(LABELS) ** 2
    own = dict(pairs.loc[pairs["label"] == pairs["with"], ["label", "texts"]].to_numpy())
    assert own == {label: v["count"] for label, v in multi_run.stats["classes"].items()}
    assert not (plots / "target.png").exists()


def test_regression_plots_show_the_target(regression_run: Measured) -> None:
    plots = regression_run.files["plot_target"].parent
    assert (plots / "target.png").stat().st_size > 0 and (plots / "target_length.png").is_file()
    histogram = pd.read_csv(plots / "target.csv")
    assert list(histogram.columns) == ["target", "share"] and histogram["share"].sum() == pytest.approx(1.0, abs=1e-4)
    assert not (plots / "label_pairs.png").exists() and not (plots / "class_balance.png").exists()


def test_report_html_says_the_task(multi_run: Measured, regression_run: Measured) -> None:
    multi = multi_run.files["report"].read_text(encoding="utf-8")
    assert 'id="task"' in multi and "multi-label" in multi and 'id="co-occurrence"' in multi
    numbers = regression_run.files["report"].read_text(encoding="utf-8")
    assert 'id="task"' in numbers and "<b>regression</b>" in numbers and 'id="target"' in numbers
    for page, shown, left_out in [(multi, MULTI_CHECKS, REGRESSION_ONLY), (numbers, REGRESSION_CHECKS, MULTI_ONLY)]:
        assert all(f"<code>{check_id}</code>" in page for check_id in shown)
        assert not [check_id for check_id in SINGLE_ONLY | left_out if f"<code>{check_id}</code>" in page]


# -- multi-label: one corpus per problem ------------------------------------------------------------------------

def test_label_imbalance_and_rare_labels_trip_on_a_label_on_four_texts(tmp_path: Path) -> None:
    result = inspect(label_set_texts(seed=1, rare={"film": 4}), tmp_path, "multi_label")
    imbalance = result.checks["label_imbalance"]
    counts = [v["count"] for v in result.stats["classes"].values()]
    assert imbalance.status == "warn" and imbalance.value == pytest.approx(max(counts) / 4)
    rare = result.checks["rare_labels"]
    assert rare.status == "fail" and rare.value <= 4 and "film" in rare.message


def test_rare_labels_warns_between_its_limits(tmp_path: Path) -> None:
    result = inspect(label_set_texts(seed=2, rare={"film": 25}), tmp_path, "multi_label")
    rare = result.checks["rare_labels"]
    assert rare.status == "warn" and 10 <= rare.value < 30 and "film" in rare.message
    assert result.status("label_imbalance") == "pass"


def test_labels_in_every_split_fails_on_a_label_on_two_texts(tmp_path: Path) -> None:
    result = inspect(label_set_texts(seed=3, rare={"film": 2}), tmp_path, "multi_label")
    check = result.checks["labels_in_every_split"]
    assert check.status == "fail" and "film" in check.message
    assert any("film" in labels for labels in check.value.values())


def test_texts_without_labels_warns_on_a_fifth_of_empty_sets(tmp_path: Path) -> None:
    result = inspect(label_set_texts(seed=4, empty=0.2), tmp_path, "multi_label")
    check = result.checks["texts_without_labels"]
    assert check.status == "warn" and 0.1 < check.value < 0.3
    assert result.stats["label_sets"]["empty_rows"] == round(check.value * 300)


def test_conflicting_duplicates_fails_on_copies_with_other_label_sets(tmp_path: Path) -> None:
    data = label_set_texts(seed=5)
    copies = data.head(15).assign(label=label_set_texts(15, seed=50)["label"].to_numpy())
    copies = copies[copies["label"] != data.head(15)["label"].to_numpy()]
    result = inspect(pd.concat([data, copies], ignore_index=True), tmp_path, "multi_label")
    check = result.checks["conflicting_duplicates"]
    assert check.status == "fail" and check.value == pytest.approx(2 * len(copies) / (300 + len(copies)))
    assert "label sets" in check.message and "label set per text" in check.fix
    assert result.status("split_overlap") == "pass"  # copies stay in one split


def test_label_set_issues_fails_when_two_fifths_of_the_sets_are_swapped(tmp_path: Path) -> None:
    data = label_set_texts(seed=6)
    swapped = data.sample(frac=0.4, random_state=6).index
    data.loc[swapped, "label"] = label_set_texts(len(swapped), seed=60)["label"].to_numpy()
    result = inspect(data, tmp_path, "multi_label")
    check = result.checks["label_set_issues"]
    assert check.status == "fail" and check.value > thresholds().label_set_issue_fail
    assert set(result.issues["row"]) & set(swapped)
    assert result.issues["doubted"].str.contains("given|not given").all()


def test_label_keyword_signal_warns_when_sets_are_dealt_at_random(tmp_path: Path) -> None:
    result = inspect(shuffled(label_set_texts(seed=7), seed=7), tmp_path, "multi_label")
    check = result.checks["label_keyword_signal"]
    assert check.status == "warn" and check.value < thresholds().label_keyword_gain_warn
    # no word stands out (log-odds z >= 3), so the rule falls back to the best constant set: no gain by chance
    assert not any(result.stats["keyword_rule"]["keywords"].values()) and check.value == 0.0


# -- regression: one corpus per problem -------------------------------------------------------------------------

def test_target_outliers_fails_on_a_tenth_of_far_targets(tmp_path: Path) -> None:
    data = scored_texts(seed=11)
    far = data.sample(frac=0.1, random_state=11).index
    data.loc[far, "label"] = 50.0 + np.arange(len(far))
    result = inspect(data, tmp_path, "regression")
    check = result.checks["target_outliers"]
    assert check.status == "fail" and check.value == pytest.approx(len(far) / 300)
    assert {e["target"] for e in result.stats["target"]["outliers"]["examples"]} <= set(data.loc[far, "label"])


def test_target_skew_warns_on_a_long_tail(tmp_path: Path) -> None:
    data = scored_texts(seed=12)
    data["label"] = np.round(np.exp(np.random.default_rng(12).normal(0, 1, len(data))), 4)
    result = inspect(data, tmp_path, "regression")
    check = result.checks["target_skew"]
    assert check.status == "warn" and check.value > 2 and "right" in check.message


def test_conflicting_targets_fails_on_copies_with_other_scores(tmp_path: Path) -> None:
    data = scored_texts(seed=13)
    copies = data.head(15).assign(label=lambda f: f["label"] + 1.0)
    result = inspect(pd.concat([data, copies], ignore_index=True), tmp_path, "regression")
    check = result.checks["conflicting_targets"]
    assert check.status == "fail" and check.value == pytest.approx(30 / 315)
    assert result.stats["target_conflicts"]["max_spread"] == pytest.approx(1.0)


def test_target_issues_fails_on_targets_far_off_what_the_words_say(tmp_path: Path) -> None:
    data = scored_texts(seed=14)
    wrong = data.sample(frac=0.12, random_state=14).index
    data.loc[wrong, "label"] += np.where(data.loc[wrong, "label"] > 0, -6.0, 6.0)
    result = inspect(data, tmp_path, "regression")
    check = result.checks["target_issues"]
    assert check.status == "fail" and check.value > thresholds().target_issue_fail
    assert result.status("target_outliers") == "pass"  # wrong for its words, not far from the bulk
    assert len(set(result.issues["row"]) & set(wrong)) >= 0.8 * len(wrong)


def test_score_keyword_signal_warns_when_scores_are_dealt_at_random(tmp_path: Path) -> None:
    result = inspect(shuffled(scored_texts(seed=15), seed=15), tmp_path, "regression")
    check = result.checks["score_keyword_signal"]
    assert check.status == "warn" and check.value < thresholds().score_keyword_gain_warn
    assert result.stats["keyword_rule"]["keywords"] == {} and check.value == 0.0  # the train mean, no luck


def test_target_length_shortcut_warns_when_longer_texts_score_higher(tmp_path: Path) -> None:
    rng = np.random.default_rng(16)
    sizes = rng.integers(3, 30, size=300)
    data = pd.DataFrame({"text": [_body(rng, [], i, filler=int(k)) for i, k in enumerate(sizes)],
                         "label": np.round(0.1 * sizes + rng.normal(0, 0.3, len(sizes)), 3)})
    result = inspect(data, tmp_path, "regression")
    check = result.checks["target_length_shortcut"]
    assert check.status == "warn" and check.value > 0.3 and "+" in check.message


# -- odd input ----------------------------------------------------------------------------------------------------

def test_a_record_without_a_task_is_single_label_and_an_unknown_task_is_refused() -> None:
    assert task_of_stats({}) == task_of_stats({"task": None}) == "single_label"
    assert task_of_stats({"task": {"name": "regression"}}) == "regression"
    with pytest.raises(UserError) as info:
        inspect_checks({"task": {"name": "ranking"}}, thresholds())
    assert "stats.task.name" in info.value.where and "'ranking'" in info.value.problem


def test_a_label_issue_search_too_small_to_run_warns_that_it_was_skipped() -> None:
    sets = label_set_texts(6, seed=17).assign(label=lambda f: f["label"].str.split("|").map(encode_label_set))
    _, sets_summary = find_label_set_issues(combine({"train": sets}).assign(row=range(6)),
                                            Task("multi_label", tuple(LABELS)), 5, 1000, 0)
    _, target_summary = find_target_issues(combine({"train": scored_texts(6, seed=17)}).assign(row=range(6)),
                                           5, 1000, 0)
    for check_id, summary in [("label_set_issues", sets_summary), ("target_issues", target_summary)]:
        check = grade_one(CHECKS, check_id, {"stats": {"label_issues": summary}}, thresholds())
        assert check.status == "warn" and check.value is None and "skipped" in check.message


def test_keyword_signal_without_valid_rows_warns() -> None:
    for check_id in ("label_keyword_signal", "score_keyword_signal"):
        check = grade_one(CHECKS, check_id, {"stats": {"keyword_rule": {"valid_rows": 0}}}, thresholds())
        assert check.status == "warn" and "no valid rows" in check.message
