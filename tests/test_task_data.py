"""data.task: what the labels are, decided in prepare and said; label sets and targets read; bad input named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.params import from_conf
from clearance.core.data.clean import clean
from clearance.core.data.load import read_table
from clearance.core.data.prepare import load_splits, prepare
from clearance.core.data.split import assign_splits
from clearance.core.errors import UserError
from clearance.core.task import Task, decode_label_set, encode_label_set, task_of

TOPICS = ["sport", "politics", "science", "music", "film"]


def data_config(path: Path, **fields: object) -> DataConfig:
    """The custom-data template, pointed at ``path``, with ``fields`` replaced."""
    return from_conf(DataConfig, "data", ("data=custom",), path=str(path), **fields)


def multi_label_rows(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Texts with one to three topics each, written as "a|b"."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        picked = sorted(rng.choice(TOPICS, size=int(rng.integers(1, 4)), replace=False))
        rows.append({"text": f"text {i} about " + " and ".join(picked), "label": "|".join(picked)})
    return pd.DataFrame(rows)


def regression_rows(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Texts with a score in [-3, 3] (many distinct values)."""
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(-3, 3, size=n), 2)
    return pd.DataFrame({"text": [f"sentence {i} scored {'high' if s > 0 else 'low'}" for i, s in enumerate(scores)],
                         "label": scores})


def write(frame: pd.DataFrame, tmp_path: Path, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".jsonl"):
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(path, index=False)
    return path


def cleaned(cfg: DataConfig) -> tuple[pd.DataFrame, object]:
    return clean(read_table(cfg), cfg)


def error_of(cfg: DataConfig) -> str:
    with pytest.raises(UserError) as info:
        cleaned(cfg)
    text = info.value.render()
    assert "Traceback" not in text
    return text


def test_auto_reads_a_separator_in_most_labels_as_label_sets(tmp_path: Path) -> None:
    cfg = data_config(write(multi_label_rows(), tmp_path))
    rows, _ = cleaned(cfg)
    sets = [decode_label_set(kept) for kept in rows["label"]]
    assert all(1 <= len(s) <= 3 and s == sorted(s) for s in sets)
    assert {x for s in sets for x in s} == set(TOPICS)


def test_auto_reads_many_numbers_as_a_target_and_few_as_classes(tmp_path: Path) -> None:
    rows, _ = cleaned(data_config(write(regression_rows(), tmp_path)))
    assert rows["label"].dtype == np.float64
    stars = regression_rows().assign(label=lambda f: (f["label"].abs() // 1 + 1).astype(int))  # 1..4
    rows, _ = cleaned(data_config(write(stars, tmp_path, "stars.csv")))
    assert set(rows["label"]) == {"1", "2", "3", "4"}


def test_the_task_and_its_reason_are_recorded_in_the_summary(tmp_path: Path) -> None:
    for frame, name, said in [(multi_label_rows(), "multi_label", "separator"),
                              (regression_rows(), "regression", "distinct values"),
                              (multi_label_rows().assign(label=lambda f: f["label"].str.split("|").str[0]),
                               "single_label", "one label")]:
        cfg = from_conf(PrepareStage, None, (), data=data_config(write(frame, tmp_path, f"{name}.csv")))
        summary = prepare(cfg, tmp_path / name)
        assert summary["task"]["name"] == name and said in summary["task"]["reason"]
        task = task_of(summary)
        assert task.name == name
        assert task.classes == (tuple(sorted(TOPICS)) if name == "multi_label" else task.classes)


def test_json_lists_and_01_columns_read_as_label_sets(tmp_path: Path) -> None:
    frame = multi_label_rows(60)
    listed = frame.assign(label=frame["label"].str.split("|"))
    rows, _ = cleaned(data_config(write(listed, tmp_path, "lists.jsonl")))
    assert rows["label"].tolist() == [encode_label_set(s.split("|")) for s in frame["label"]]
    columns = frame.assign(**{t: frame["label"].str.split("|").map(lambda s, t=t: int(t in s)) for t in TOPICS})
    cfg = data_config(write(columns.drop(columns=["label"]), tmp_path), label_column=None, label_columns=TOPICS)
    rows, _ = cleaned(cfg)
    assert rows["label"].tolist() == [encode_label_set(s.split("|")) for s in frame["label"]]


def test_empty_label_sets_are_kept_dropped_or_refused_and_counted(tmp_path: Path) -> None:
    frame = multi_label_rows(60)
    frame.loc[[3, 7], "label"] = "[]"
    path = write(frame, tmp_path)
    rows, summary = cleaned(data_config(path))
    assert summary.empty_label_sets == 2 and (rows["label"] == "[]").sum() == 2
    rows, summary = cleaned(data_config(path, empty_label_set="drop"))
    assert summary.empty_label_sets == 2 and summary.dropped == 2 and len(rows) == 58
    message = error_of(data_config(path, empty_label_set="error"))
    assert "2 rows have no label" in message and "data row 4" in message and "empty_label_set" in message


def test_an_empty_multi_label_cell_is_unlabelled_unless_it_means_no_label(tmp_path: Path) -> None:
    frame = multi_label_rows(60)
    frame.loc[[3, 7, 9], "label"] = ""
    path = write(frame, tmp_path)
    rows, summary = cleaned(data_config(path))
    assert summary.missing_label == 3 and summary.dropped == 3 and len(rows) == 57
    rows, summary = cleaned(data_config(path, missing_label="empty_set"))
    assert summary.missing_label == 0 and summary.empty_label_sets == 3 and (rows["label"] == "[]").sum() == 3
    rows, summary = cleaned(data_config(path, missing_label="empty_set", empty_label_set="drop"))
    assert summary.dropped == 3 and len(rows) == 57
    numbers = regression_rows(60).astype({"label": object})
    numbers.loc[4, "label"] = ""
    message = error_of(data_config(write(numbers, tmp_path, "numbers.csv"), missing_label="empty_set"))
    assert "data.missing_label=empty_set" in message and "only in multi-label data" in message


def test_a_separator_in_no_label_is_named_with_the_fix(tmp_path: Path) -> None:
    frame = multi_label_rows(60).assign(label=lambda f: f["label"].str.replace("|", ";"))
    message = error_of(data_config(write(frame, tmp_path), task="multi_label"))
    assert "appears in no label" in message and "data.label_separator" in message


def test_a_01_column_with_another_value_is_named(tmp_path: Path) -> None:
    frame = pd.DataFrame({"text": [f"t{i}" for i in range(20)], "a": [1, 0] * 10, "b": [0, 1] * 9 + [0, "yes please"]})
    message = error_of(data_config(write(frame, tmp_path), label_column=None, label_columns=["a", "b"]))
    assert "column 'b'" in message and "neither 0 nor 1" in message and "data rows 20" in message


@pytest.mark.parametrize("bad, said", [("abc", "not numbers"), ("inf", "infinite")])
def test_a_target_with_text_or_inf_is_refused_with_its_rows(tmp_path: Path, bad: str, said: str) -> None:
    frame = regression_rows(60).astype({"label": object})
    frame.loc[5, "label"] = bad
    message = error_of(data_config(write(frame, tmp_path), task="regression"))
    assert said in message and "data rows 6" in message


def test_a_missing_target_is_dropped_and_counted(tmp_path: Path) -> None:
    frame = regression_rows(60)
    frame.loc[[1, 2], "label"] = np.nan
    rows, summary = cleaned(data_config(write(frame, tmp_path), task="regression"))
    assert summary.missing_label == 2 and len(rows) == 58


def test_labels_mixing_numbers_and_text_are_named_under_auto(tmp_path: Path) -> None:
    frame = regression_rows(60).astype({"label": object})
    frame.loc[9, "label"] = "n/a"
    message = error_of(data_config(write(frame, tmp_path)))
    assert "mix numbers and text" in message and "'n/a'" in message and "data.task" in message


def test_a_target_set_by_hand_with_few_values_is_said_to_look_like_classes(tmp_path: Path) -> None:
    frame = regression_rows(60).assign(label=lambda f: (f["label"] > 0).astype(int))
    cfg = from_conf(PrepareStage, None, (), data=data_config(write(frame, tmp_path), task="regression"))
    summary = prepare(cfg, tmp_path / "out")
    assert "looks like classes" in summary["task"]["reason"]


def test_label_sets_split_by_iterative_stratification_keeps_each_labels_share(tmp_path: Path) -> None:
    rows, _ = cleaned(data_config(write(multi_label_rows(600), tmp_path)))
    cfg = from_conf(PrepareStage, None, ()).split
    split, how = assign_splits(rows, cfg, seed=3, task="multi_label")
    assert "iterative stratification" in how.note
    task = Task("multi_label", tuple(sorted(TOPICS)))
    overall = task.indicators(rows["label"]).mean(axis=0)
    for name in ("train", "valid", "test"):
        share = task.indicators(rows["label"][split == name]).mean(axis=0)
        assert np.abs(share - overall).max() < 0.06, name
    again, _ = assign_splits(rows, cfg, seed=3, task="multi_label")
    assert (again == split).all()


def test_a_regression_split_is_stratified_on_target_quantiles(tmp_path: Path) -> None:
    rows, _ = cleaned(data_config(write(regression_rows(600), tmp_path)))
    split, how = assign_splits(rows, from_conf(PrepareStage, None, ()).split, seed=3, task="regression")
    assert "quantile bins" in how.note
    medians = [rows["label"][split == name].median() for name in ("train", "valid", "test")]
    assert max(medians) - min(medians) < 0.5


def test_a_sample_of_label_sets_and_targets_keeps_that_many_rows(tmp_path: Path) -> None:
    for frame, name in [(multi_label_rows(600), "multi"), (regression_rows(600), "reg")]:
        cfg = from_conf(PrepareStage, None, (), data=data_config(write(frame, tmp_path, f"{name}.csv"), sample=200))
        summary = prepare(cfg, tmp_path / name)
        assert summary["sampled"]["rows"] in range(195, 206), summary["sampled"]
        parts = load_splits(tmp_path / name)
        assert sum(len(p) for p in parts.values()) == summary["sampled"]["rows"]


def test_label_sets_are_json_and_their_indicators_round_trip() -> None:
    task = Task("multi_label", ("a", "b", "c"))
    kept = [encode_label_set(["c", "a", "a"]), encode_label_set([])]
    assert kept == ['["a", "c"]', "[]"] and json.loads(kept[0]) == ["a", "c"]
    matrix = task.indicators(kept)
    assert matrix.tolist() == [[1, 0, 1], [0, 0, 0]] and task.from_indicators(matrix) == kept
