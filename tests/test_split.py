"""The deterministic, stratified, group-keeping split and the prepare stage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import load_splits, load_summary, prepare
from clearance.core.data.split import assign_splits, fewest_groups, split_groups
from clearance.core.errors import UserError
from clearance.core.text.normalize import normalize
from tests.factory import make_texts, write_table


def split_config(**fields: object) -> SplitConfig:
    """conf/split/'s defaults with ``fields`` replaced."""
    return from_conf(SplitConfig, "split", **fields)


def prepare_config(source: Path, seed: int = 42, split: SplitConfig | None = None) -> PrepareStage:
    """The prepare stage on ``source`` with the custom-data template from conf/."""
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(source))
    return from_conf(PrepareStage, None, ("data=custom",), seed=seed, data=data, split=split or split_config())


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """300 distinct keyword texts, imbalanced 150/100/50."""
    return make_texts(classes={"negative": 150, "neutral": 100, "positive": 50}, seed=4)


def with_copies(rows: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Rows plus ``n`` near-copies (retweet prefix, link, case) of randomly chosen rows."""
    picked = rows.sample(n=n, random_state=seed)
    copies = picked.assign(text="RT @someone: " + picked["text"].str.upper() + " https://t.co/abc!")
    return pd.concat([rows, copies], ignore_index=True)


def straddling(keys: pd.Series, split: pd.Series) -> int:
    """Number of keys whose rows fall in more than one split."""
    return int((pd.DataFrame({"key": keys.to_numpy(), "split": split.to_numpy()})
                .groupby("key")["split"].nunique() > 1).sum())


def test_same_seed_same_split(rows: pd.DataFrame) -> None:
    """The split depends only on the data, the settings and the seed."""
    first, _ = assign_splits(rows, split_config(), seed=7)
    again, _ = assign_splits(rows.copy(), split_config(), seed=7)
    pd.testing.assert_series_equal(first, again)


def test_other_seed_other_split(rows: pd.DataFrame) -> None:
    """Another seed gives another assignment of the same sizes."""
    first, _ = assign_splits(rows, split_config(), seed=7)
    other, _ = assign_splits(rows, split_config(), seed=8)
    assert (first != other).any()
    assert first.value_counts().to_dict() == other.value_counts().to_dict()


def test_split_sizes_and_names(rows: pd.DataFrame) -> None:
    """Every row gets train, valid or test, in about the configured shares."""
    split, summary = assign_splits(rows, split_config(valid_size=0.2, test_size=0.1), seed=1)
    assert set(split) == {"train", "valid", "test"}
    assert split.index.equals(rows.index)
    shares = split.value_counts(normalize=True)
    assert shares["valid"] == pytest.approx(0.2, abs=0.02)
    assert shares["test"] == pytest.approx(0.1, abs=0.02)
    assert summary.groups == len(rows)
    assert summary.grouped_by == "normalised text"


def test_stratified_class_shares(rows: pd.DataFrame) -> None:
    """Each split holds the classes in about their overall proportions."""
    split, summary = assign_splits(rows, split_config(valid_size=0.2, test_size=0.2), seed=3)
    assert summary.stratified and summary.note == ""
    overall = rows["label"].value_counts(normalize=True)
    for name in ("train", "valid", "test"):
        part = rows.loc[split == name, "label"].value_counts(normalize=True)
        for label, share in overall.items():
            assert part[label] == pytest.approx(share, abs=0.03), (name, label)


def test_group_column_keeps_groups_together(rows: pd.DataFrame) -> None:
    """Rows sharing a user-given group never straddle two splits."""
    grouped = rows.assign(group=[f"user{i % 40}" for i in range(len(rows))])
    split, summary = assign_splits(grouped, split_config(), seed=5)
    assert summary.grouped_by == "group column"
    assert summary.groups == 40
    assert straddling(grouped["group"], split) == 0
    assert split.nunique() == 3


def test_group_column_wins_over_duplicates(rows: pd.DataFrame) -> None:
    """With a group column, groups decide even when group_duplicates is on."""
    grouped = rows.assign(group=[f"g{i % 30}" for i in range(len(rows))])
    groups, how = split_groups(grouped, split_config(group_duplicates=True))
    assert how == "group column"
    assert len(np.unique(groups)) == 30


def test_normalised_duplicates_share_a_split(rows: pd.DataFrame) -> None:
    """With group_duplicates=true, copies that differ in case, links and RT prefix stay together."""
    data = with_copies(rows, 120)
    split, summary = assign_splits(data, split_config(group_duplicates=True), seed=11)
    assert summary.grouped_by == "normalised text"
    assert summary.groups == len(rows)
    assert straddling(normalize(data["text"]), split) == 0


def test_duplicates_can_straddle_without_grouping(rows: pd.DataFrame) -> None:
    """With group_duplicates=false, copies are split like any other rows."""
    data = with_copies(rows, 120)
    split, summary = assign_splits(data, split_config(group_duplicates=False), seed=11)
    assert summary.grouped_by == "row"
    assert summary.groups == len(data)
    assert straddling(normalize(data["text"]), split) > 0


@pytest.mark.parametrize("valid,test", [(0.0, 0.1), (0.1, 0.0), (0.5, 0.5), (0.7, 0.4), (-0.1, 0.2), (1.0, 0.1)])
def test_invalid_sizes(rows: pd.DataFrame, valid: float, test: float) -> None:
    """Sizes outside (0, 1) or summing to 1 or more are a user error naming the settings."""
    with pytest.raises(UserError) as info:
        assign_splits(rows, split_config(valid_size=valid, test_size=test), seed=0)
    assert "split.valid_size" in info.value.where
    assert str(valid) in info.value.problem and str(test) in info.value.problem
    assert "split.valid_size=" in info.value.fix


def test_too_few_groups() -> None:
    """Two distinct texts cannot be split three ways."""
    tiny = pd.DataFrame({"text": ["love it", "LOVE IT!", "hate it", "hate it"],
                         "label": ["positive", "positive", "negative", "negative"]})
    with pytest.raises(UserError) as info:
        assign_splits(tiny, split_config(), seed=0)
    assert "only 2 distinct" in info.value.problem


@pytest.mark.parametrize("n", [3, 4, 5])
def test_too_few_rows_for_the_sizes_is_a_message(n: int) -> None:
    """At 10% valid and 10% test, fewer than 6 distinct texts would leave a split empty: a message naming
    the file, the settings, what the split needs and the fixes, not scikit-learn's error."""
    labels = (["pos", "neg"] * n)[:n]
    tiny = pd.DataFrame({"text": [f"text number {i}" for i in range(n)], "label": labels})
    with pytest.raises(UserError) as info:
        assign_splits(tiny, split_config(valid_size=0.1, test_size=0.1), seed=0, source="data/few.csv")
    error = info.value
    assert error.where == "data/few.csv: split.valid_size=0.1, split.test_size=0.1"
    assert f"only {n} distinct texts" in error.problem and "6 or more" in error.problem
    assert "3 rows per class" in error.problem
    assert "split.valid_size" in error.fix and "data.split_column" in error.fix


def test_just_enough_rows_for_the_sizes_split_three_ways() -> None:
    """Six distinct texts at 10%/10%: every split gets a row."""
    six = pd.DataFrame({"text": [f"text number {i}" for i in range(6)], "label": ["pos", "neg"] * 3})
    split, _ = assign_splits(six, split_config(valid_size=0.1, test_size=0.1), seed=0)
    assert set(split) == {"train", "valid", "test"}


@pytest.mark.parametrize("valid,test,fewest", [(0.1, 0.1, 6), (0.2, 0.1, 4), (0.05, 0.05, 11), (0.3, 0.3, 3)])
def test_fewest_groups_gives_every_split_one(valid: float, test: float, fewest: int) -> None:
    """The smallest data that splits three ways at these sizes, and one less does not."""
    for n, splits in ((fewest, True), (fewest - 1, False)):
        if n < 3:
            continue
        data = pd.DataFrame({"text": [f"text number {i}" for i in range(n)], "label": ["a"] * n})
        if splits:
            split, _ = assign_splits(data, split_config(valid_size=valid, test_size=test), seed=0)
            assert set(split) == {"train", "valid", "test"}
        else:
            with pytest.raises(UserError):
                assign_splits(data, split_config(valid_size=valid, test_size=test), seed=0)
    assert fewest_groups(valid, test) == fewest


def test_rare_class_falls_back_to_random_split() -> None:
    """A class with too few rows to stratify gives an unstratified split and a note."""
    data = make_texts(classes={"negative": 80, "neutral": 80, "positive": 1}, seed=2)
    split, summary = assign_splits(data, split_config(), seed=0)
    assert not summary.stratified
    assert "too few" in summary.note
    assert split.notna().all()
    assert set(split) == {"train", "valid", "test"}


def test_prepare_end_to_end(tmp_path: Path, rows: pd.DataFrame) -> None:
    """prepare() reads the CSV, writes three parquet splits and a summary."""
    data = rows.copy()
    data.loc[[3, 10], "label"] = None
    data.loc[5, "text"] = ""
    source = tmp_path / "raw" / "tweets.csv"
    source.parent.mkdir()
    write_table(data, source, "csv")
    out = tmp_path / "prepared"
    cfg = prepare_config(source, seed=9, split=split_config(valid_size=0.1, test_size=0.2))
    summary = prepare(cfg, out)

    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "test.parquet", "train.parquet",
                                                     "valid.parquet"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary == load_summary(out)
    assert summary["source"] == str(source)
    assert summary["classes"] == ["negative", "neutral", "positive"]
    assert summary["clean"]["rows_read"] == 300
    assert summary["clean"]["dropped"] == 3
    assert summary["split"]["stratified"] is True
    assert summary["split"]["given_by"] == ""

    splits = load_splits(out)
    sizes = {name: len(df) for name, df in splits.items()}
    assert sizes == summary["sizes"]
    assert sum(sizes.values()) == 297
    assert sizes["test"] == pytest.approx(0.2 * 297, abs=2)
    for df in splits.values():
        assert list(df.columns) == ["row", "text", "label"]
    all_rows = pd.concat(splits.values())
    assert sorted(all_rows["row"]) == sorted(set(range(300)) - {3, 5, 10})
    assert set(all_rows["text"]) == set(data["text"].drop([3, 5, 10]))


def test_prepare_is_reproducible(tmp_path: Path, rows: pd.DataFrame) -> None:
    """Running prepare twice with the same seed writes the same splits."""
    source = tmp_path / "tweets.csv"
    write_table(rows, source, "csv")
    cfg = prepare_config(source)
    prepare(cfg, tmp_path / "a")
    prepare(cfg, tmp_path / "b")
    first, second = load_splits(tmp_path / "a"), load_splits(tmp_path / "b")
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_a_sample_keeps_that_many_rows_per_label_in_proportion(tmp_path: Path, rows: pd.DataFrame) -> None:
    """data.sample: a fast first try on a share of the data, the same rows for the same seed."""
    source = tmp_path / "tweets.csv"
    write_table(rows, source, "csv")
    cfg = prepare_config(source)
    cfg.data.sample = 90
    summary = prepare(cfg, tmp_path / "sampled")
    assert summary["sampled"] == {"rows": 90, "from": 300} and sum(summary["sizes"].values()) == 90
    kept = pd.concat(load_splits(tmp_path / "sampled").values())
    assert kept["label"].value_counts().to_dict() == {"negative": 45, "neutral": 30, "positive": 15}  # 150/100/50
    prepare(cfg, tmp_path / "again")
    assert sorted(pd.concat(load_splits(tmp_path / "again").values())["row"]) == sorted(kept["row"])
    cfg.data.sample = 1000  # more than there is: every row, and the summary says nothing was sampled
    assert prepare(cfg, tmp_path / "all")["sampled"] is None
    cfg.data.sample = 0
    with pytest.raises(UserError, match=r"data.sample=0: must be a positive number of rows"):
        prepare(cfg, tmp_path / "none")
