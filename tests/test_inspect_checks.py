"""Step 1's automated checks on realistic data: each one trips on the problem it is for."""

from __future__ import annotations

import html
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from clearance.checklist.results import STATUSES, CheckResult, read_checks
from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.inspect import InspectConfig, InspectStage
from clearance.inspection.judge.run import InspectChecks
from clearance.core.config.params import from_conf
from clearance.core.text.visible import visible
from clearance.core.data.prepare import load_splits, prepare
from clearance.checklist.declared import grade_one
from clearance.inspection.judge.run import CHECKS, inspect_checks
from clearance.inspection.judge.run import judge_inspection
from clearance.inspection.measure.label_issues import CHAR_FEATURES, NO_FEATURES_FIX, find_label_issues
from clearance.inspection.measure.run import compute, run_inspection
from clearance.inspection.measure.stats import combine
from tests.factory import KEYWORDS, make_texts, write_table

CHECK_IDS = [
    "class_imbalance", "min_class_count", "classes_in_every_split", "dropped_rows", "label_variants", "empty_texts",
    "very_short_texts", "duplicates", "conflicting_duplicates", "split_overlap", "mojibake",
    "replacement_chars", "html_entities", "label_issues", "keyword_signal", "sample_written",
    "label_in_text", "property_shortcut", "too_good_rule", "templates",
]
WARN_ONLY = {"very_short_texts", "duplicates", "replacement_chars", "html_entities", "keyword_signal"}
LABELS = sorted(KEYWORDS)


@dataclass
class Inspected:
    """Statistics and checks of one prepared dataset, by check id."""

    stats: dict[str, Any]
    issues: pd.DataFrame
    sample: pd.DataFrame
    checks: dict[str, CheckResult]

    def status(self, check_id: str) -> str:
        return self.checks[check_id].status


def prepared(frame: pd.DataFrame, folder: Path, data: dict | None = None,
             split: dict | None = None, raw: bytes | None = None) -> tuple[Path, dict]:
    """Write ``frame`` (or ``raw`` bytes) as a CSV and run prepare on it; returns the folder and summary."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "raw.csv"
    if raw is None:
        write_table(frame, source, "csv")
    else:
        source.write_bytes(raw)
    cfg = from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                    data=from_conf(DataConfig, "data", ("data=custom",), path=str(source), **(data or {})),
                    split=from_conf(SplitConfig, "split", **(split or {})))
    out = folder / "prepared"
    return out, prepare(cfg, out)


def stage(inspect: dict | None = None) -> InspectStage:
    """An inspect stage config (conf/ defaults) with small overrides."""
    return from_conf(InspectStage, seed=42, inspect=from_conf(InspectConfig, "inspect", **(inspect or {})))


def thresholds(checks: dict | None = None) -> InspectChecks:
    """Step 1's thresholds from conf/, with small overrides."""
    return from_conf(InspectChecks, "checks.inspect", **(checks or {}))


@dataclass
class Measured:
    """Step 1 measured and judged: the statistics, the checks and every file written."""

    stats: dict[str, Any]
    checks: list[CheckResult]
    files: dict[str, Path]


def measure_and_judge(cfg: InspectStage, prepared_dir: Path, out: Path, checks: dict | None = None) -> Measured:
    """The inspect stage then the judge_inspect stage, as DVC runs them."""
    measured = run_inspection(cfg, prepared_dir, out)
    judged = judge_inspection(thresholds(checks), out)
    return Measured(measured.stats, judged.checks, {**measured.files, **judged.files})


def inspect(frame: pd.DataFrame, folder: Path, data: dict | None = None, split: dict | None = None,
            inspect_cfg: dict | None = None, raw: bytes | None = None) -> Inspected:
    """Prepare ``frame`` and compute step 1's statistics and checks."""
    out, summary = prepared(frame, folder, data, split, raw)
    cfg = stage(inspect_cfg)
    stats, issues, sample = compute(load_splits(out), summary, cfg)
    checks = {c.id: c for c in inspect_checks(stats, thresholds())}
    return Inspected(stats, issues, sample, checks)


def clean_texts(seed: int = 0) -> pd.DataFrame:
    """300 distinct keyword texts, 100 per class."""
    return make_texts(n_per_class=100, seed=seed)


def near_copies(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` retweeted copies of random rows: RT prefix, a link, other case."""
    picked = frame.sample(n=n, random_state=seed)
    return picked.assign(text="RT @fan: " + picked["text"].str.capitalize() + " http://t.co/" + str(seed))


def other_label(labels: pd.Series) -> pd.Series:
    """Each label replaced by the next class in alphabetical order."""
    return labels.map({a: b for a, b in zip(LABELS, LABELS[1:] + LABELS[:1])})


def assert_tripped(result: Inspected, check_id: str) -> None:
    """The check is not 'pass': 'warn' for warn-only checks, else 'fail' or 'warn'."""
    check = result.checks[check_id]
    assert check.status != "pass", check
    if check_id in WARN_ONLY:
        assert check.status == "warn", check


# the clean run: every check passes, every file follows its contract

@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """Step 1 end to end on 300 clean rows."""
    folder = tmp_path_factory.mktemp("clean")
    out, _ = prepared(clean_texts(), folder)
    return measure_and_judge(stage(), out, folder / "reports")


def test_check_ids_and_order(clean_run: Measured) -> None:
    """inspect_checks produces exactly the known checks, once each, in report order."""
    assert [c.id for c in clean_run.checks] == CHECK_IDS


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_clean_data_passes(clean_run: Measured, check_id: str) -> None:
    """On clean, balanced, keyworded, distinct texts every check passes."""
    check = next(c for c in clean_run.checks if c.id == check_id)
    assert check.status == "pass", check


def test_checks_json_contract(clean_run: Measured) -> None:
    """checks.json is a list of objects with id, status, value, threshold and message."""
    path = clean_run.files["checks"]
    items = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(items, list) and len(items) == len(CHECK_IDS)
    for item in items:
        assert {"id", "status", "value", "threshold", "message"} <= set(item)
        assert item["status"] in STATUSES
        assert isinstance(item["message"], str) and item["message"]
    assert [c.id for c in read_checks(path)] == CHECK_IDS


def test_metrics_json(clean_run: Measured) -> None:
    """metrics.json holds the key figures as numbers."""
    metrics = json.loads(clean_run.files["metrics"].read_text(encoding="utf-8"))
    assert metrics["rows"] == 300
    assert metrics["classes"] == 3
    assert metrics["imbalance_ratio"] == 1.0
    assert metrics["class_share"] == {label: pytest.approx(1 / 3, abs=1e-3) for label in LABELS}
    assert metrics["duplicates"]["conflicting_share"] == 0.0
    assert metrics["keyword_rule"]["accuracy"] > metrics["keyword_rule"]["majority_accuracy"]
    assert 0.0 <= metrics["label_issue_share"] < 0.05


def test_sample_csv(clean_run: Measured) -> None:
    """sample.csv has at least 200 rows (the data has 300) with split, row, label and text."""
    sample = pd.read_csv(clean_run.files["sample"])
    assert len(sample) >= 200
    assert list(sample.columns) == ["split", "row", "label", "text"]
    assert set(sample["label"]) == set(LABELS)
    assert set(sample["split"]) == {"train", "valid", "test"}
    assert sample["row"].is_unique


def test_label_issues_csv(clean_run: Measured) -> None:
    """label_issues.csv exists with its columns even when few issues are found."""
    issues = pd.read_csv(clean_run.files["label_issues"])
    assert list(issues.columns) == ["rank", "split", "row", "label", "given_label_prob", "suggested_label",
                                    "suggested_prob", "text"]
    assert len(issues) < 15


def test_report_html(clean_run: Measured) -> None:
    """report.html has the balance, label-issues and sample sections, and every check id."""
    html = clean_run.files["report"].read_text(encoding="utf-8")
    for section in ("balance", "label-issues", "sample"):
        assert f'id="{section}"' in html
    for check_id in CHECK_IDS:
        assert check_id in html
    for name in ("balance", "chars", "words", "tokens", "patterns"):
        assert clean_run.files[f"plot_{name}"].is_file()


# one dataset per problem, built to trip its check

def test_class_imbalance(tmp_path: Path) -> None:
    """One class five times the smallest warns; the rest of the balance checks still pass."""
    data = make_texts(classes={"negative": 200, "neutral": 60, "positive": 40}, seed=1)
    result = inspect(data, tmp_path)
    assert_tripped(result, "class_imbalance")
    assert result.status("class_imbalance") == "warn"
    assert result.checks["class_imbalance"].value == pytest.approx(5.0)
    assert result.status("min_class_count") == "pass"
    assert result.status("classes_in_every_split") == "pass"


def test_class_imbalance_extreme(tmp_path: Path) -> None:
    """A class over a hundred times the smallest fails."""
    data = make_texts(classes={"negative": 505, "neutral": 60, "positive": 5}, seed=1)
    result = inspect(data, tmp_path, inspect_cfg={"label_issue_folds": 2})
    assert result.status("class_imbalance") == "fail"
    assert result.checks["class_imbalance"].value == pytest.approx(101.0)


def test_min_class_count(tmp_path: Path) -> None:
    """A class with only a handful of training examples fails."""
    data = make_texts(classes={"negative": 120, "neutral": 120, "positive": 8}, seed=2)
    result = inspect(data, tmp_path)
    assert_tripped(result, "min_class_count")
    assert result.status("min_class_count") == "fail"
    assert result.checks["min_class_count"].value < 10
    assert result.stats["classes"]["positive"]["count"] == 8


def test_classes_in_every_split(tmp_path: Path) -> None:
    """A class with two rows cannot be in three splits: the check names the split it lacks."""
    data = make_texts(classes={"negative": 120, "neutral": 120, "positive": 2}, seed=3)
    result = inspect(data, tmp_path)
    check = result.checks["classes_in_every_split"]
    assert check.status == "fail"
    assert check.value and all(labels == ["positive"] for labels in check.value.values())
    assert "positive" in check.message


def test_dropped_rows_fail(tmp_path: Path) -> None:
    """Seven percent of rows without a label fail the dropped-rows check."""
    data = clean_texts(seed=4)
    data.loc[data.sample(n=21, random_state=0).index, "label"] = ""
    result = inspect(data, tmp_path)
    assert result.status("dropped_rows") == "fail"
    assert result.checks["dropped_rows"].value == pytest.approx(21 / 300, abs=1e-6)
    assert "21 of 300" in result.checks["dropped_rows"].message


def test_dropped_rows_warn(tmp_path: Path) -> None:
    """A few rows without text warn."""
    data = clean_texts(seed=4)
    data.loc[[5, 50, 150], "text"] = np.nan
    result = inspect(data, tmp_path)
    assert_tripped(result, "dropped_rows")
    assert result.status("dropped_rows") == "warn"
    assert result.stats["clean"]["missing_text"] == 3
    assert result.status("empty_texts") == "pass"


def test_empty_texts(tmp_path: Path) -> None:
    """Empty texts kept with missing_text=keep fail the empty-texts check."""
    data = clean_texts(seed=5)
    data.loc[data.sample(n=20, random_state=1).index, "text"] = ""
    result = inspect(data, tmp_path, data={"missing_text": "keep"})
    assert_tripped(result, "empty_texts")
    assert result.status("empty_texts") == "fail"
    assert result.checks["empty_texts"].value == pytest.approx(20 / 300, abs=1e-6)
    assert result.status("dropped_rows") == "pass"


def test_very_short_texts(tmp_path: Path) -> None:
    """One text in ten cut to two words warns."""
    data = clean_texts(seed=6)
    cut = data.sample(n=30, random_state=2).index
    data.loc[cut, "text"] = [f"{KEYWORDS[label][0]} w{i}" for i, label in enumerate(data.loc[cut, "label"])]
    result = inspect(data, tmp_path)
    assert_tripped(result, "very_short_texts")
    assert result.checks["very_short_texts"].value == pytest.approx(0.1, abs=1e-6)


def test_duplicates(tmp_path: Path) -> None:
    """Retweeted copies with the same label warn, and stay within one split."""
    data = clean_texts(seed=7)
    data = pd.concat([data, near_copies(data, 36, seed=7)], ignore_index=True)
    result = inspect(data, tmp_path)
    assert_tripped(result, "duplicates")
    assert result.checks["duplicates"].value == pytest.approx(36 / 336, abs=1e-6)
    assert result.status("conflicting_duplicates") == "pass"
    assert result.status("split_overlap") == "pass"


def test_conflicting_duplicates(tmp_path: Path) -> None:
    """The same texts with different labels fail the conflicting-duplicates check."""
    data = clean_texts(seed=8)
    copies = near_copies(data, 15, seed=8)
    copies["label"] = other_label(copies["label"])
    result = inspect(pd.concat([data, copies], ignore_index=True), tmp_path)
    check = result.checks["conflicting_duplicates"]
    assert check.status == "fail"
    assert check.value == pytest.approx(30 / 315, abs=1e-6)
    assert "15 groups" in check.message
    assert len(result.stats["conflict_examples"]) == 15


def test_split_overlap(tmp_path: Path) -> None:
    """Without grouping duplicates, copies land in train and in valid/test: fail."""
    data = clean_texts(seed=9)
    data = pd.concat([data, near_copies(data, 60, seed=9)], ignore_index=True)
    result = inspect(data, tmp_path, split={"group_duplicates": False})
    check = result.checks["split_overlap"]
    assert check.status == "fail"
    assert check.value > 0
    assert result.stats["overlap"]["held_out"] == pytest.approx(check.value, abs=1e-6)


def test_mojibake(tmp_path: Path) -> None:
    """Texts whose UTF-8 was decoded as cp1252 ("donâ€™t") fail the mojibake check."""
    data = clean_texts(seed=10)
    hit = data.sample(n=30, random_state=3).index
    data.loc[hit, "text"] = ("I don’t know, " + data.loc[hit, "text"]).map(
        lambda t: t.encode("utf-8").decode("cp1252"))
    assert data["text"].str.contains("donâ€™t").sum() == 30
    result = inspect(data, tmp_path)
    assert_tripped(result, "mojibake")
    assert result.status("mojibake") == "fail"
    assert result.checks["mojibake"].value == pytest.approx(0.1, abs=1e-6)


def test_correct_curly_quotes_are_not_mojibake(tmp_path: Path) -> None:
    """The same texts correctly decoded pass."""
    data = clean_texts(seed=10)
    hit = data.sample(n=30, random_state=3).index
    data.loc[hit, "text"] = "I don’t know, café " + data.loc[hit, "text"]
    result = inspect(data, tmp_path)
    assert result.status("mojibake") == "pass"
    assert result.stats["patterns"]["non_ascii"] == pytest.approx(0.1, abs=1e-6)


def test_replacement_chars(tmp_path: Path) -> None:
    """A UTF-8 file with a few latin-1 bytes, read with encoding_errors=replace, warns."""
    data = clean_texts(seed=11)
    hit = data.sample(n=6, random_state=4).index
    data.loc[hit, "text"] = data.loc[hit, "text"] + " caf\x00"
    raw = data.to_csv(index=False).encode("utf-8").replace(b"caf\x00", b"caf\xe9")
    result = inspect(data, tmp_path, data={"encoding_errors": "replace"}, raw=raw)
    assert_tripped(result, "replacement_chars")
    assert result.checks["replacement_chars"].value == pytest.approx(6 / 300, abs=1e-6)
    assert result.stats["pattern_examples"]["replacement_char"][0].endswith("caf\ufffd")


def test_html_entities(tmp_path: Path) -> None:
    """Scraped texts with &amp; and &gt; warn."""
    data = clean_texts(seed=12)
    hit = data.sample(n=15, random_state=5).index
    data.loc[hit, "text"] = data.loc[hit, "text"].str.replace(" ", " &amp; ", n=1, regex=False)
    data.loc[hit[:5], "text"] = "&gt; " + data.loc[hit[:5], "text"]
    result = inspect(data, tmp_path)
    assert_tripped(result, "html_entities")
    assert result.checks["html_entities"].value == pytest.approx(0.05, abs=1e-6)


def test_label_issues(tmp_path: Path) -> None:
    """A fifth of labels flipped on clearly keyworded texts trips the label-issue check."""
    data = clean_texts(seed=13)
    flipped = data.sample(frac=0.2, random_state=6).index
    data.loc[flipped, "label"] = other_label(data.loc[flipped, "label"])
    result = inspect(data, tmp_path)
    assert_tripped(result, "label_issues")
    assert result.checks["label_issues"].value > thresholds().label_issue_warn
    found = set(result.issues["row"])
    assert len(found & set(flipped)) >= 0.6 * len(flipped)


def test_label_issues_skipped_is_a_warning(tmp_path: Path) -> None:
    """A class with a single example skips the search, which warns rather than crashes."""
    data = make_texts(classes={"negative": 80, "neutral": 80, "positive": 1}, seed=14)
    result = inspect(data, tmp_path)
    check = result.checks["label_issues"]
    assert check.status == "warn"
    assert check.value is None
    assert "skipped" in check.message
    assert result.issues.empty


def test_keyword_signal(tmp_path: Path) -> None:
    """Labels shuffled against the texts leave no keyword signal: warn."""
    data = make_texts(classes={"negative": 180, "neutral": 60, "positive": 60}, seed=15)
    data["label"] = data["label"].sample(frac=1.0, random_state=7).to_numpy()
    result = inspect(data, tmp_path)
    assert_tripped(result, "keyword_signal")
    rule = result.stats["keyword_rule"]
    assert rule["accuracy"] <= rule["majority_accuracy"]


def test_sample_written(tmp_path: Path) -> None:
    """A sample smaller than the minimum to read fails."""
    result = inspect(clean_texts(seed=16), tmp_path, inspect_cfg={"sample_size": 60})
    check = result.checks["sample_written"]
    assert check.status == "fail"
    assert check.value == len(result.sample) < 200
    assert check.threshold == 200


def test_sample_of_small_data_passes(tmp_path: Path) -> None:
    """With fewer rows than the minimum, writing them all is enough."""
    result = inspect(make_texts(n_per_class=40, seed=17), tmp_path)
    check = result.checks["sample_written"]
    assert check.status == "pass"
    assert check.value == check.threshold == 120


# a messy run end to end: the files still follow their contracts

@pytest.fixture(scope="module")
def messy_run(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """Step 1 end to end on data with several problems and an extra column."""
    data = clean_texts(seed=20)
    copies = near_copies(data, 12, seed=20)
    copies["label"] = other_label(copies["label"])
    data = pd.concat([data, copies], ignore_index=True)
    flipped = data.sample(n=30, random_state=8).index
    data.loc[flipped, "label"] = other_label(data.loc[flipped, "label"])
    data.loc[data.sample(n=10, random_state=9).index, "text"] += " &amp; more"
    data["user"] = [f"user{i % 17}" for i in range(len(data))]
    folder = tmp_path_factory.mktemp("messy")
    out, _ = prepared(data, folder, data={"keep_columns": ["user"]})
    return measure_and_judge(stage(), out, folder / "reports")


def test_messy_checks_json(messy_run: Measured) -> None:
    """The problems show in checks.json, which still follows the contract."""
    results = {c.id: c for c in read_checks(messy_run.files["checks"])}
    assert list(results) == CHECK_IDS
    assert results["conflicting_duplicates"].status == "fail"
    assert results["html_entities"].status == "warn"
    assert results["label_issues"].status != "pass"


def test_messy_files_carry_extra_columns(messy_run: Measured) -> None:
    """Kept columns appear in the label issues and the sample, ranked issues first."""
    issues = pd.read_csv(messy_run.files["label_issues"])
    assert "user" in issues.columns
    assert len(issues) > 0
    assert issues["rank"].tolist() == list(range(1, len(issues) + 1))
    assert (issues["suggested_label"] != issues["label"]).mean() > 0.5
    sample = pd.read_csv(messy_run.files["sample"])
    assert list(sample.columns) == ["split", "row", "label", "user", "text"]
    assert len(sample) >= 200


def test_messy_report_shows_problems(messy_run: Measured) -> None:
    """The report renders conflict examples and suspected label errors, with texts escaped."""
    page = messy_run.files["report"].read_text(encoding="utf-8")
    for section in ("balance", "label-issues", "sample"):
        assert f'id="{section}"' in page
    issues = pd.read_csv(messy_run.files["label_issues"])
    assert html.escape(issues.loc[0, "text"], quote=False) in page
    conflicts = messy_run.stats["conflict_examples"]
    assert len(conflicts) > 0
    assert html.escape(conflicts[0]["text"], quote=False) in page
    assert "&amp;amp; more" in page


# find_label_issues directly

def keyword_rows(n_per_class: int, seed: int) -> pd.DataFrame:
    """Keyword texts with the split and row columns the search expects."""
    data = make_texts(n_per_class=n_per_class, seed=seed)
    return data.assign(split="train", row=range(len(data)))


def test_find_label_issues_ranks_flipped_labels_first() -> None:
    """Labels flipped on ~10% of keyworded rows are mostly found, and near the top."""
    rows = keyword_rows(100, seed=21)
    flipped = set(rows.sample(frac=0.1, random_state=10).index)
    rows.loc[list(flipped), "label"] = other_label(rows.loc[list(flipped), "label"])
    issues, summary = find_label_issues(rows, folds=5, max_rows=100_000, seed=0)
    assert summary["skipped"] == ""
    assert summary["searched_rows"] == 300
    assert summary["issues"] == len(issues)
    assert summary["share"] == pytest.approx(len(issues) / 300)
    top = set(issues.head(len(flipped))["row"])
    assert len(top & flipped) >= 0.7 * len(flipped)
    assert len(set(issues["row"]) & flipped) >= 0.8 * len(flipped)
    assert issues["rank"].tolist() == list(range(1, len(issues) + 1))
    assert issues["given_label_prob"].is_monotonic_increasing
    original = make_texts(n_per_class=100, seed=21)["label"]
    found = issues[issues["row"].isin(flipped)]
    assert (found["suggested_label"].to_numpy() == original[found["row"]].to_numpy()).mean() > 0.8


def test_find_label_issues_single_example_class_is_skipped() -> None:
    """A class with one example gives a 'skipped' summary and no issues, not an exception."""
    rows = keyword_rows(30, seed=22)
    rows.loc[0, "label"] = "sarcastic"
    issues, summary = find_label_issues(rows, folds=5, max_rows=100_000, seed=0)
    assert issues.empty
    assert summary["skipped"]
    assert summary["folds"] == 1
    assert summary["searched_rows"] == 90


def test_find_label_issues_single_example_class_in_large_data_is_skipped() -> None:
    """Above max_rows, a class with one example is still skipped, not an exception."""
    rows = keyword_rows(100, seed=22)
    rows.loc[0, "label"] = "postive"
    issues, summary = find_label_issues(rows, folds=5, max_rows=150, seed=0)
    assert issues.empty
    assert summary["skipped"]


def test_find_label_issues_samples_large_data() -> None:
    """Data above max_rows is searched on a stratified sample of max_rows."""
    rows = keyword_rows(100, seed=23)
    issues, summary = find_label_issues(rows, folds=3, max_rows=150, seed=0)
    assert summary["searched_rows"] == 150
    assert summary["folds"] == 3
    assert set(issues["row"]) <= set(rows["row"])


def test_find_label_issues_folds_limited_by_smallest_class() -> None:
    """Folds never exceed the rows of the smallest class."""
    rows = make_texts(classes={"negative": 60, "neutral": 60, "positive": 3}, seed=24)
    rows = rows.assign(split="train", row=range(len(rows)))
    _, summary = find_label_issues(rows, folds=5, max_rows=100_000, seed=0)
    assert summary["folds"] == 3
    assert summary["skipped"] == ""


def number_rows(n: int, seed: int) -> pd.DataFrame:
    """Texts that are numbers, never repeated (no word occurs twice), in two classes."""
    numbers = np.random.default_rng(seed).choice(10**7, size=n, replace=False)
    return pd.DataFrame({"text": [str(v) for v in numbers], "label": ["odd", "even"] * (n // 2),
                         "split": "train", "row": range(n)})


def test_find_label_issues_on_numbers_uses_character_ngrams() -> None:
    """No word occurs in two texts: the search runs on character n-grams and says so, rather than crash."""
    issues, summary = find_label_issues(number_rows(120, seed=25), folds=2, max_rows=100_000, seed=0)
    assert summary["skipped"] == ""
    assert summary["features"] == CHAR_FEATURES
    assert summary["issues"] == len(issues)


def test_find_label_issues_without_any_shared_feature_is_skipped() -> None:
    """Texts of one character each, all different: nothing to learn from, so the search is skipped with
    the reason and a fix, and the label_issues check warns with them."""
    rows = number_rows(60, seed=26).assign(text=[chr(0x4E00 + i) for i in range(60)])
    issues, summary = find_label_issues(rows, folds=2, max_rows=100_000, seed=0)
    assert issues.empty
    assert summary["skipped"].startswith("no word and no character n-gram occurs in two texts")
    assert summary["fix"] == NO_FEATURES_FIX
    stats = {"label_issues": summary, "keyword_rule": {"valid_rows": 0}}
    check = grade_one(CHECKS, "label_issues", {"stats": stats}, thresholds())
    assert check.status == "warn" and summary["skipped"] in check.message and check.fix == NO_FEATURES_FIX


def respelled(data: pd.DataFrame, label: str, written: str, n: int) -> pd.DataFrame:
    """``data`` with the first ``n`` rows of ``label`` written as ``written``."""
    out = data.copy()
    out.loc[out.index[out["label"] == label][:n], "label"] = written
    return out


def test_label_variants_passes_on_labels_written_one_way(tmp_path: Path) -> None:
    result = inspect(clean_texts(seed=30), tmp_path)
    assert result.status("label_variants") == "pass"
    assert result.checks["label_variants"].value == 0


def test_label_variants_warns_on_respelled_labels(tmp_path: Path) -> None:
    """"positive " merged into "positive": counted, named with its rows and reason, and warned about."""
    result = inspect(respelled(clean_texts(seed=31), "positive", "positive ", 6), tmp_path)
    check = result.checks["label_variants"]
    assert check.status == "warn"
    assert check.value == pytest.approx(6 / 300, abs=1e-6)
    assert '"positive " kept as "positive" (6 rows: surrounding whitespace)' in check.message
    assert set(result.stats["classes"]) == set(LABELS)


def test_label_variants_warns_on_case_variants_kept_apart(tmp_path: Path) -> None:
    """"Positive" beside "positive" stays a class of its own, and the check names both with their rows."""
    result = inspect(respelled(clean_texts(seed=32), "positive", "Positive", 4), tmp_path)
    check = result.checks["label_variants"]
    assert check.status == "warn"
    assert check.value == pytest.approx(4 / 300, abs=1e-6)
    assert '"Positive" (4 rows) and "positive" (96 rows) differ only by case' in check.message
    assert {"Positive", "positive"} <= set(result.stats["classes"])


def test_report_names_changed_and_alike_labels(tmp_path: Path) -> None:
    """The report lists each respelled label (made visible: a trailing space, a decomposed accent) with its
    rows and reason, and the labels that differ only by case."""
    data = respelled(clean_texts(seed=33), "positive", "positive ", 3)
    data = respelled(data, "neutral", "Neutral", 2)
    data["label"] = data["label"].replace({"negative": "négative"})
    data = respelled(data, "négative", unicodedata.normalize("NFD", "négative"), 5)
    out, _ = prepared(data, tmp_path / "data")
    page = measure_and_judge(stage(), out, tmp_path / "reports").files["report"].read_text(encoding="utf-8")
    assert 'id="label-changes"' in page and 'id="label-variants"' in page
    decomposed = unicodedata.normalize("NFD", "négative")
    for written, kept, rows in (("positive ", "positive", 3), (decomposed, "négative", 5)):
        row = (f"<tr><td><code>{escape(visible(written))}</code></td><td><code>{escape(visible(kept))}</code></td>"
               f'<td class="n">{rows}</td>')
        assert row in page
    assert f"<code>{escape(visible('Neutral'))}</code> (2)" in page


def test_stats_rows_match_splits(clean_run: Measured) -> None:
    """The statistics count every prepared row once."""
    assert clean_run.stats["n_rows"] == 300
    assert sum(v["count"] for v in clean_run.stats["classes"].values()) == 300
    assert clean_run.stats["missing_classes"] == {"train": [], "valid": [], "test": []}


def test_combine_adds_split_names() -> None:
    """combine stacks the splits in order and names each row's split."""
    rows = combine({"train": pd.DataFrame({"a": [1]}), "valid": pd.DataFrame({"a": [2, 3]})})
    assert rows["split"].tolist() == ["train", "valid", "valid"]
    assert rows["a"].tolist() == [1, 2, 3]
