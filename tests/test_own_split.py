"""A file's own train/valid/test split (data.split_column): kept exactly, and checked for leakage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clearance.checklist.results import CheckResult, describe
from clearance.core.config.data import DataConfig, PrepareStage, SplitValues
from clearance.core.config.inspect import InspectConfig
from clearance.inspection.judge.run import InspectChecks
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import load_splits, prepare
from clearance.core.errors import UserError
from clearance.inspection.judge.run import inspect_checks
from tests.factory import (
    copy_train_into_test,
    inspection_stats,
    make_texts,
    with_own_split,
    write_table,
)

VALID, TEST = 45, 45


def prepare_config(source: Path, seed: int = 42, **data_fields: object) -> PrepareStage:
    """The prepare stage on ``source``, from conf/'s custom-data template with ``data_fields`` replaced."""
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(source), **data_fields)
    return from_conf(PrepareStage, None, ("data=custom",), seed=seed, data=data)


def own_split_file(folder: Path, frame: pd.DataFrame, name: str = "own.csv") -> Path:
    """Write ``frame`` as a CSV in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    write_table(frame, path, "csv")
    return path


def user_error(cfg: PrepareStage, out: Path) -> UserError:
    """The UserError that preparing ``cfg`` raises."""
    with pytest.raises(UserError) as info:
        prepare(cfg, out)
    return info.value


def checks_of(out: Path, summary: dict) -> dict[str, CheckResult]:
    """Step 1's checks on the prepared splits in ``out``, by id, with conf/'s thresholds."""
    stats = inspection_stats(load_splits(out), summary, from_conf(InspectConfig, "inspect"))
    return {c.id: c for c in inspect_checks(stats, from_conf(InspectChecks, "checks.inspect"))}


@pytest.fixture(scope="module")
def own() -> pd.DataFrame:
    """300 distinct keyword texts with a split column: 210 train, 45 valid, 45 test."""
    return with_own_split(make_texts(n_per_class=100, seed=31), VALID, TEST)


def rows_by_split(frame: pd.DataFrame, column: str = "split") -> dict[str, set[int]]:
    """Source row numbers of each split as the file gives them."""
    return {name: set(frame.index[frame[column] == name]) for name in ("train", "valid", "test")}


def test_own_split_is_kept_exactly(tmp_path: Path, own: pd.DataFrame) -> None:
    """Every row lands in the split its column names, whatever the seed; the summary says so."""
    source = own_split_file(tmp_path, own)
    expected = rows_by_split(own)
    for seed in (1, 2):
        out = tmp_path / f"prepared{seed}"
        summary = prepare(prepare_config(source, seed=seed, split_column="split"), out)
        splits = load_splits(out)
        assert {name: set(df["row"]) for name, df in splits.items()} == expected
        assert summary["sizes"] == {"train": 210, "valid": VALID, "test": TEST}
        for df in splits.values():
            assert list(df.columns) == ["row", "text", "label"]
    assert summary["split"]["given_by"] == "split"
    assert summary["split"]["grouped_by"] == "given by column split"
    assert "kept as the file gives it in column 'split'" in summary["split"]["note"]
    assert "split.group_duplicates do not apply" in summary["split"]["note"]


def test_clean_own_split_passes_every_check(tmp_path: Path, own: pd.DataFrame) -> None:
    """A clean file with its own split passes split_overlap (0 repeated rows) and the other checks."""
    out = tmp_path / "prepared"
    summary = prepare(prepare_config(own_split_file(tmp_path, own), split_column="split"), out)
    checks = checks_of(out, summary)
    overlap = checks["split_overlap"]
    assert overlap.status == "pass" and overlap.value == 0.0
    assert "0 of 90 valid/test rows" in overlap.message
    assert [c.id for c in checks.values() if c.status != "pass"] == []


def test_test_rows_copied_from_train_fail_split_overlap(tmp_path: Path, own: pd.DataFrame) -> None:
    """Seven test rows copied from train stay in test and fail split_overlap, which names the count."""
    leaked = copy_train_into_test(own, 7)
    out = tmp_path / "prepared"
    summary = prepare(prepare_config(own_split_file(tmp_path, leaked), split_column="split"), out)
    assert summary["sizes"]["test"] == TEST  # not regrouped into train

    checks = checks_of(out, summary)
    overlap = checks["split_overlap"]
    assert overlap.status == "fail"
    assert overlap.value == pytest.approx(7 / 90, abs=1e-6)
    assert "7 of 90 valid/test rows" in overlap.message
    assert "valid 0 of 45, test 7 of 45" in overlap.message
    assert "data.split_column=split" in overlap.fix
    assert describe(overlap).startswith("value 0.077778 is above the maximum 0.0")


def test_leak_counts_are_in_the_stats(tmp_path: Path, own: pd.DataFrame) -> None:
    """The overlap statistics carry row counts as well as shares."""
    out = tmp_path / "prepared"
    summary = prepare(prepare_config(own_split_file(tmp_path, copy_train_into_test(own, 5)),
                                     split_column="split"), out)
    stats = inspection_stats(load_splits(out), summary, from_conf(InspectConfig, "inspect"))
    assert {k: stats["overlap"][k] for k in ("valid_repeats", "test_repeats", "held_out_repeats",
                                             "valid_rows", "test_rows", "held_out_rows")} == {
        "valid_repeats": 0, "test_repeats": 5, "held_out_repeats": 5,
        "valid_rows": VALID, "test_rows": TEST, "held_out_rows": VALID + TEST}


def test_same_file_without_split_column_is_regrouped(tmp_path: Path, own: pd.DataFrame) -> None:
    """Without data.split_column, clearance makes its own split and keeps the copies together."""
    out = tmp_path / "prepared"
    summary = prepare(prepare_config(own_split_file(tmp_path, copy_train_into_test(own, 7))), out)
    assert summary["split"]["given_by"] == ""
    assert checks_of(out, summary)["split_overlap"].status == "pass"


def test_split_values_name_the_files_values(tmp_path: Path) -> None:
    """data.split_values maps the file's own names (here 0, 1, 2) to train, valid and test."""
    frame = with_own_split(make_texts(n_per_class=20, seed=32), 9, 9, names=("0", "1", "2"))
    out = tmp_path / "prepared"
    summary = prepare(prepare_config(own_split_file(tmp_path, frame), split_column="split",
                                     split_values=SplitValues(train="0", valid="1", test="2")), out)
    assert summary["sizes"] == {"train": 42, "valid": 9, "test": 9}
    assert set(load_splits(out)["valid"]["row"]) == set(frame.index[frame["split"] == "1"])


def test_unknown_split_values_are_a_user_error(tmp_path: Path, own: pd.DataFrame) -> None:
    """A file that calls valid 'dev' (and leaves two cells empty) names the file, column, values and fix."""
    frame = own.replace({"split": {"valid": "dev"}})
    frame.loc[[0, 1], "split"] = ""
    source = own_split_file(tmp_path, frame)
    error = user_error(prepare_config(source, split_column="split"), tmp_path / "prepared")
    assert error.where == f"{source}: data.split_column=split"
    assert f"{VALID + 2} rows have a split value other than 'train' (train), 'valid' (valid), 'test' (test)" \
        in error.problem
    assert f"'dev' ×{VALID}" in error.problem and "'(empty)' ×2" in error.problem
    assert "first: data row 1" in error.problem
    assert "data.split_values" in error.fix and "correct those rows" in error.fix
    assert not (tmp_path / "prepared").exists()


def test_missing_split_column_lists_the_columns(tmp_path: Path, own: pd.DataFrame) -> None:
    """A split column the file does not have is named, with the columns it does have."""
    source = own_split_file(tmp_path, own)
    error = user_error(prepare_config(source, split_column="fold"), tmp_path / "prepared")
    assert error.where == f"{source}: data.split_column=fold"
    assert "no column named 'fold'; the file has: text, label, split" in error.problem
    assert "data.split_column" in error.fix and "null" in error.fix


def test_a_split_without_rows_is_a_user_error(tmp_path: Path, own: pd.DataFrame) -> None:
    """A file with train and test only (no valid rows) stops with the missing split and its value."""
    source = own_split_file(tmp_path, own.replace({"split": {"valid": "train"}}))
    error = user_error(prepare_config(source, split_column="split"), tmp_path / "prepared")
    assert "data.split_column=split" in error.where
    assert "no rows for valid (value 'valid')" in error.problem
    assert "data.split_column=null" in error.fix


def test_two_splits_cannot_share_a_value(tmp_path: Path, own: pd.DataFrame) -> None:
    """split_values giving valid and test the same value is refused, naming the setting."""
    source = own_split_file(tmp_path, own)
    cfg = prepare_config(source, split_column="split", split_values=SplitValues(train="train", valid="test",
                                                                                 test="test"))
    error = user_error(cfg, tmp_path / "prepared")
    assert error.where == "data.split_values.test=test"
    assert "valid and test" in error.problem


def test_split_column_wins_over_group_column(tmp_path: Path, own: pd.DataFrame) -> None:
    """With both set, the file's split is kept as given; the note says the groups were not used and cross it."""
    frame = own.assign(user=[f"user{i % 10}" for i in range(len(own))])
    out = tmp_path / "prepared"
    summary = prepare(prepare_config(own_split_file(tmp_path, frame), split_column="split",
                                     group_column="user"), out)
    assert {name: set(df["row"]) for name, df in load_splits(out).items()} == rows_by_split(frame)
    assert summary["split"]["grouped_by"] == "given by column split"
    note = summary["split"]["note"]
    assert "data.group_column=user is not used to split because data.split_column wins" in note
    assert "10 of its groups span more than one split" in note
