"""Reading the configured file and cleaning it into (text, label) rows."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from clearance.core.config.data import DataConfig
from clearance.core.config.params import from_conf
from clearance.core.data.clean import CleanSummary, clean
from clearance.core.data.load import detect_format, read_table
from clearance.core.errors import UserError
from tests.factory import make_texts, write_table


def data_config(**fields: object) -> DataConfig:
    """The custom-data template from conf/, with ``fields`` replaced."""
    return from_conf(DataConfig, "data", ("data=custom",), **fields)


def load(cfg: DataConfig) -> tuple[pd.DataFrame, CleanSummary]:
    """Read and clean the configured file."""
    return clean(read_table(cfg), cfg)


def user_error(cfg: DataConfig) -> UserError:
    """The UserError raised while reading and cleaning ``cfg``'s file."""
    with pytest.raises(UserError) as info:
        load(cfg)
    return info.value


def assert_has_fix(error: UserError) -> str:
    """The rendered message, after checking it has a location, a problem and a fix."""
    rendered = error.render()
    assert rendered.startswith("clearance: ")
    assert "\n  fix: " in rendered
    assert error.where and error.problem and error.fix.strip()
    return rendered


@pytest.fixture
def frame() -> pd.DataFrame:
    """A small clean three-class frame with an extra column."""
    data = make_texts(n_per_class=10, seed=3)
    data["user"] = [f"u{i % 7}" for i in range(len(data))]
    return data


@pytest.mark.parametrize("fmt,suffix", [("csv", ".csv"), ("tsv", ".tsv"), ("jsonl", ".jsonl"),
                                        ("parquet", ".parquet")])
def test_reads_every_format_by_extension(tmp_path: Path, frame: pd.DataFrame, fmt: str, suffix: str) -> None:
    """Each supported format is recognised by its extension and read back unchanged."""
    path = tmp_path / f"data{suffix}"
    write_table(frame, path, fmt)
    assert detect_format(path, "auto") == fmt
    read = read_table(data_config(path=str(path)))
    assert list(read["text"]) == list(frame["text"])
    assert list(read["label"]) == list(frame["label"])
    assert list(read["user"]) == list(frame["user"])


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_explicit_format_overrides_extension(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    """data.format reads a file whose extension says nothing."""
    path = tmp_path / "export.txt"
    write_table(frame, path, fmt)
    rows, summary = load(data_config(path=str(path), format=fmt))
    assert len(rows) == len(frame) == summary.rows_read
    assert set(rows["label"]) == {"negative", "neutral", "positive"}


def test_tsv_text_with_commas_stays_whole(tmp_path: Path) -> None:
    """A TSV is split on tabs only, so commas inside texts survive."""
    path = tmp_path / "data.tsv"
    path.write_text("text\tlabel\nwell, that was great\tpos\nno, just no\tneg\n", encoding="utf-8")
    rows, _ = load(data_config(path=str(path)))
    assert list(rows["text"]) == ["well, that was great", "no, just no"]


def test_wrong_explicit_format_is_a_user_error(tmp_path: Path, frame: pd.DataFrame) -> None:
    """Reading a CSV as parquet names the file and points at data.format."""
    path = tmp_path / "data.csv"
    write_table(frame, path, "csv")
    error = user_error(data_config(path=str(path), format="parquet"))
    rendered = assert_has_fix(error)
    assert str(path) in rendered
    assert "data.format" in error.fix


def test_unknown_extension(tmp_path: Path, frame: pd.DataFrame) -> None:
    """An extension that names no format asks for data.format."""
    path = tmp_path / "data.xlsx"
    write_table(frame, path, "csv")
    error = user_error(data_config(path=str(path)))
    rendered = assert_has_fix(error)
    assert str(path) in rendered
    assert "'.xlsx'" in error.problem
    assert "data.format" in error.fix
    for fmt in ("csv", "tsv", "jsonl", "parquet"):
        assert fmt in error.fix


def test_unknown_declared_format(tmp_path: Path, frame: pd.DataFrame) -> None:
    """A declared format that does not exist is named with the allowed ones."""
    path = tmp_path / "data.csv"
    write_table(frame, path, "csv")
    error = user_error(data_config(path=str(path), format="excel"))
    assert_has_fix(error)
    assert error.where == "data.format"
    assert "'excel'" in error.problem
    assert "auto" in error.fix and "parquet" in error.fix


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist names data.path."""
    path = tmp_path / "nowhere" / "data.csv"
    error = user_error(data_config(path=str(path)))
    rendered = assert_has_fix(error)
    assert f"data.path={path}" in rendered
    assert "not found" in error.problem
    assert "data.path" in error.fix


@pytest.mark.parametrize("key", ["text_column", "label_column", "group_column", "split_column"])
def test_missing_column_lists_the_file_columns(tmp_path: Path, frame: pd.DataFrame, key: str) -> None:
    """A configured column that is absent is named, with the columns the file has."""
    path = tmp_path / "data.csv"
    write_table(frame, path, "csv")
    cfg = data_config(path=str(path), **{key: "tweet"})
    error = user_error(cfg)
    rendered = assert_has_fix(error)
    assert str(path) in error.where
    assert f"data.{key}=tweet" in error.where
    assert "'tweet'" in error.problem
    assert "text, label, user" in error.problem
    assert f"data.{key}" in error.fix
    assert str(path) in rendered


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_zero_byte_file(tmp_path: Path, fmt: str) -> None:
    """A 0-byte file is reported as empty."""
    path = tmp_path / f"data.{fmt}"
    path.write_bytes(b"")
    error = user_error(data_config(path=str(path)))
    assert_has_fix(error)
    assert error.where == str(path)
    assert "empty" in error.problem


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_header_only_file(tmp_path: Path, fmt: str) -> None:
    """A header without data rows is reported as having no data rows."""
    path = tmp_path / f"data.{fmt}"
    write_table(pd.DataFrame({"text": pd.Series([], dtype=str), "label": pd.Series([], dtype=str)}), path, fmt)
    assert path.stat().st_size > 0
    error = user_error(data_config(path=str(path)))
    assert_has_fix(error)
    assert error.where == str(path)
    assert "no data rows" in error.problem


def write_bad_utf8(path: Path) -> None:
    """A CSV whose fourth line holds a latin-1 byte that is not valid UTF-8."""
    lines = ["text,label", "love this great day,positive", "worst service ever,negative",
             "caf\xe9 opening today,neutral", "happy new week,positive", "broken app again,negative",
             "meeting update today,neutral"]
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")


def test_invalid_utf8_names_the_line_and_the_settings(tmp_path: Path) -> None:
    """Undecodable bytes give the line number and suggest data.encoding or replace."""
    path = tmp_path / "data.csv"
    write_bad_utf8(path)
    error = user_error(data_config(path=str(path)))
    assert_has_fix(error)
    assert error.where == f"{path}, line 4"
    assert "0xe9" in error.problem and "is not valid utf-8 (data.encoding=utf-8:" in error.problem
    assert "data.encoding" in error.fix
    assert "data.encoding_errors=replace" in error.fix


def test_invalid_utf8_with_replace_keeps_going(tmp_path: Path) -> None:
    """With encoding_errors=replace the bad byte becomes U+FFFD and the rows load."""
    path = tmp_path / "data.csv"
    write_bad_utf8(path)
    rows, summary = load(data_config(path=str(path), encoding_errors="replace"))
    assert summary.rows_read == len(rows) == 6
    assert rows.loc[2, "text"] == "caf\ufffd opening today"
    assert rows["text"].str.contains("\ufffd").sum() == 1


def test_declared_encoding_decodes_latin1(tmp_path: Path) -> None:
    """The right data.encoding reads the same file without replacement characters."""
    path = tmp_path / "data.csv"
    write_bad_utf8(path)
    rows, _ = load(data_config(path=str(path), encoding="latin-1"))
    assert rows.loc[2, "text"] == "café opening today"


def test_unknown_encoding(tmp_path: Path, frame: pd.DataFrame) -> None:
    """A codec name Python does not know is named under data.encoding."""
    path = tmp_path / "data.csv"
    write_table(frame, path, "csv")
    error = user_error(data_config(path=str(path), encoding="utf-9"))
    assert_has_fix(error)
    assert error.where == "data.encoding"
    assert "'utf-9'" in error.problem


def test_single_class_is_a_user_error(tmp_path: Path) -> None:
    """A file holding one class cannot train a classifier."""
    data = make_texts(classes={"positive": 20}, seed=1)
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    error = user_error(data_config(path=str(path)))
    assert_has_fix(error)
    assert str(path) in error.where and "data.label_column=label" in error.where
    assert "only one class ('positive')" in error.problem


def test_single_class_after_dropping_missing_labels(tmp_path: Path) -> None:
    """Rows of the second class that all lack text leave one class: still an error."""
    data = make_texts(classes={"positive": 10, "negative": 3}, seed=1)
    data.loc[data["label"] == "negative", "text"] = ""
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    error = user_error(data_config(path=str(path)))
    assert "only one class" in error.problem


def with_holes(frame: pd.DataFrame, column: str, rows: list[int]) -> pd.DataFrame:
    """A copy with ``column`` blanked on ``rows``."""
    out = frame.copy()
    out.loc[rows, column] = None
    return out


def test_missing_labels_are_dropped_and_counted(tmp_path: Path, frame: pd.DataFrame) -> None:
    """missing_label=drop drops rows without a label (blank or whitespace) and counts them."""
    data = with_holes(frame, "label", [1, 4])
    data.loc[7, "label"] = "   "
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, summary = load(data_config(path=str(path), missing_label="drop"))
    assert summary.rows_read == 30
    assert summary.missing_label == 3
    assert summary.dropped == 3
    assert len(rows) == 27
    assert not set(rows["row"]) & {1, 4, 7}
    assert rows["label"].notna().all()


def test_missing_labels_error_names_the_first_row(tmp_path: Path, frame: pd.DataFrame) -> None:
    """missing_label=error stops with the count and the first data row."""
    path = tmp_path / "data.csv"
    write_table(with_holes(frame, "label", [5, 9]), path, "csv")
    error = user_error(data_config(path=str(path), missing_label="error"))
    assert_has_fix(error)
    assert "data.label_column=label" in error.where
    assert "2 rows have no label" in error.problem
    assert "data row 6" in error.problem
    assert "missing_label=drop" in error.fix


def test_empty_texts_dropped(tmp_path: Path, frame: pd.DataFrame) -> None:
    """missing_text=drop drops empty and whitespace-only texts and counts them."""
    data = with_holes(frame, "text", [0, 3])
    data.loc[8, "text"] = "  \t "
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, summary = load(data_config(path=str(path), missing_text="drop"))
    assert summary.missing_text == 3
    assert summary.dropped == 3
    assert summary.kept_empty_text == 0
    assert len(rows) == 27
    assert (rows["text"].str.strip() != "").all()


def test_empty_texts_kept(tmp_path: Path, frame: pd.DataFrame) -> None:
    """missing_text=keep keeps empty texts as strings and counts them."""
    path = tmp_path / "data.csv"
    write_table(with_holes(frame, "text", [0, 3]), path, "csv")
    rows, summary = load(data_config(path=str(path), missing_text="keep"))
    assert summary.missing_text == 2
    assert summary.kept_empty_text == 2
    assert summary.dropped == 0
    assert len(rows) == 30
    assert rows["text"].notna().all()
    assert (rows["text"] == "").sum() == 2


def test_empty_texts_kept_but_missing_labels_dropped(tmp_path: Path, frame: pd.DataFrame) -> None:
    """A row with neither text nor label is dropped, not kept as an empty text."""
    data = with_holes(frame, "text", [0, 3])
    data.loc[3, "label"] = None
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, summary = load(data_config(path=str(path), missing_text="keep"))
    assert summary.kept_empty_text == 1
    assert summary.dropped == 1
    assert len(rows) == 29


def test_empty_texts_error(tmp_path: Path, frame: pd.DataFrame) -> None:
    """missing_text=error stops with the count and the first data row."""
    path = tmp_path / "data.csv"
    write_table(with_holes(frame, "text", [2]), path, "csv")
    error = user_error(data_config(path=str(path), missing_text="error"))
    assert_has_fix(error)
    assert "data.text_column=text" in error.where
    assert "1 rows have empty text" in error.problem
    assert "data row 3" in error.problem
    assert "missing_text" in error.fix


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_numeric_labels_become_strings(tmp_path: Path, fmt: str) -> None:
    """Integer labels are read as their text, e.g. 0 and 1 become "0" and "1"."""
    data = make_texts(classes={"a": 6, "b": 6}, seed=2)
    data["label"] = (data["label"] == "b").astype(int)
    path = tmp_path / f"data.{fmt}"
    write_table(data, path, fmt)
    rows, _ = load(data_config(path=str(path)))
    assert sorted(rows["label"].unique()) == ["0", "1"]
    assert all(isinstance(v, str) for v in rows["label"])


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_numeric_labels_with_a_missing_one_stay_integers(tmp_path: Path, fmt: str) -> None:
    """A missing label among integer labels does not turn the others into "0.0" and "1.0"."""
    data = make_texts(classes={"a": 6, "b": 6}, seed=2)
    data["label"] = (data["label"] == "b").astype(int).astype(object)
    data.loc[0, "label"] = None
    path = tmp_path / f"data.{fmt}"
    write_table(data, path, fmt)
    rows, summary = load(data_config(path=str(path)))
    assert summary.missing_label == 1
    assert sorted(rows["label"].unique()) == ["0", "1"]


def test_every_label_missing_names_the_label_column(tmp_path: Path, frame: pd.DataFrame) -> None:
    """A file whose label column is empty throughout: the message names that column and how many rows."""
    path = tmp_path / "data.csv"
    write_table(frame.assign(label=""), path, "csv")
    error = user_error(data_config(path=str(path)))
    assert_has_fix(error)
    assert error.where == f"{path}: data.label_column=label"
    assert error.problem == f"every one of the {len(frame)} rows has an empty label"
    assert "data.label_column" in error.fix


def test_labels_are_stripped(tmp_path: Path, frame: pd.DataFrame) -> None:
    """Surrounding spaces do not make a second version of a class, and the merge is counted."""
    data = frame.copy()
    label = data.loc[0, "label"]
    data.loc[0, "label"] = f" {label} "
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, summary = load(data_config(path=str(path)))
    assert set(rows["label"]) == {"negative", "neutral", "positive"}
    assert summary.label_changes == [{"from": f" {label} ", "to": label, "rows": 1, "why": "surrounding whitespace"}]


@pytest.mark.parametrize("written,why", [
    ("positive\x00", "control characters (e.g. NUL)"),
    ("posi\x00tive", "control characters (e.g. NUL)"),
    ("positive\r", "surrounding whitespace"),
    (unicodedata.normalize("NFD", "positivé"), "Unicode normalisation (NFC)"),
])
def test_respelled_labels_are_merged_and_counted(tmp_path: Path, written: str, why: str) -> None:
    """A NUL, a stray CR or a decomposed accent makes no second class; each respelling is counted by rows."""
    data = make_texts(classes={"negative": 10, "positive": 10}, seed=5)
    kept = unicodedata.normalize("NFC", written).replace("\x00", "").strip()
    data["label"] = data["label"].replace({"positive": kept})
    data.loc[data.index[data["label"] == kept][:3], "label"] = written
    path = tmp_path / "data.jsonl"
    write_table(data, path, "jsonl")
    rows, summary = load(data_config(path=str(path)))
    assert set(rows["label"]) == {"negative", kept}
    assert summary.label_changes == [{"from": written, "to": kept, "rows": 3, "why": why}]
    assert summary.label_variants == []


def test_clean_labels_record_no_change(tmp_path: Path, frame: pd.DataFrame) -> None:
    """Labels written one way each: nothing respelled, no variants."""
    path = tmp_path / "data.csv"
    write_table(frame, path, "csv")
    _, summary = load(data_config(path=str(path)))
    assert summary.label_changes == [] and summary.label_variants == []


def test_case_variants_are_kept_apart_and_recorded(tmp_path: Path) -> None:
    """"Pos" beside "pos" (and "very_good" beside "very good") may be a mistake or two classes: not merged,
    but recorded with their rows."""
    data = make_texts(classes={"pos": 8, "Pos": 2, "very good": 5, "very_good": 1, "neg": 8}, seed=6)
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, summary = load(data_config(path=str(path)))
    assert set(rows["label"]) == {"pos", "Pos", "very good", "very_good", "neg"}
    assert summary.label_changes == []
    assert summary.label_variants == [{"labels": {"Pos": 2, "pos": 8}, "rows": 10},
                                      {"labels": {"very good": 5, "very_good": 1}, "rows": 6}]


def test_mixed_numeric_and_text_labels_are_strings(tmp_path: Path) -> None:
    """JSON's 1 and "1" are one label "1"; 1.0 is merged into it and counted; "one" stays its own class."""
    path = tmp_path / "data.jsonl"
    labels = [1, "1", 1.0, 1, "one", "one"] * 4
    path.write_text("\n".join(json.dumps({"text": f"text {i}", "label": v}) for i, v in enumerate(labels)) + "\n",
                    encoding="utf-8")
    rows, summary = load(data_config(path=str(path)))
    assert rows["label"].tolist() == ["1", "1", "1", "1", "one", "one"] * 4
    assert all(isinstance(v, str) for v in rows["label"])
    assert summary.label_changes == [{"from": "1.0", "to": "1", "rows": 4,
                                      "why": "a whole number written as a decimal"}]


def test_keep_columns_present_and_absent(tmp_path: Path, frame: pd.DataFrame) -> None:
    """Present keep_columns are carried along; absent ones are listed, not an error."""
    data = frame.assign(likes=range(len(frame)))
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, summary = load(data_config(path=str(path), keep_columns=["user", "likes", "country"]))
    assert summary.kept_columns == ["user", "likes"]
    assert summary.missing_keep_columns == ["country"]
    assert list(rows["user"]) == list(data["user"])
    assert pd.api.types.is_numeric_dtype(rows["likes"])
    assert list(rows["likes"]) == list(range(len(frame)))
    assert "country" not in rows.columns
    assert summary.as_dict()["missing_keep_columns"] == ["country"]


def test_group_column_is_carried(tmp_path: Path, frame: pd.DataFrame) -> None:
    """data.group_column becomes the standard group column, blanks as empty strings."""
    data = with_holes(frame, "user", [0])
    path = tmp_path / "data.csv"
    write_table(data, path, "csv")
    rows, _ = load(data_config(path=str(path), group_column="user"))
    assert rows.loc[0, "group"] == ""
    assert list(rows["group"][1:]) == list(data["user"][1:])


def test_standard_columns_and_row_numbers(tmp_path: Path, frame: pd.DataFrame) -> None:
    """Cleaned rows have text, label and the source row number, renamed from the configured columns."""
    data = frame.rename(columns={"text": "tweet", "label": "sentiment"})
    data.loc[2, "sentiment"] = None
    path = tmp_path / "data.tsv"
    write_table(data, path, "tsv")
    rows, _ = load(data_config(path=str(path), text_column="tweet", label_column="sentiment"))
    assert list(rows.columns[:3]) == ["row", "text", "label"]
    assert list(rows["row"][:3]) == [0, 1, 3]
    assert rows.loc[2, "text"] == data.loc[3, "tweet"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_source_file_is_never_modified(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    """Reading and cleaning (with drops and kept empties) leaves the source bytes alone."""
    data = with_holes(frame, "text", [1])
    data = with_holes(data, "label", [2])
    path = tmp_path / f"data.{fmt}"
    write_table(data, path, fmt)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    load(data_config(path=str(path), missing_text="keep", keep_columns=["user"]))
    load(data_config(path=str(path), missing_text="drop"))
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime
