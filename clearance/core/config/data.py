"""Schemas of the data settings: which file, how to read it, how to split it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from omegaconf import MISSING


@dataclass
class SplitValues:
    """The values of ``data.split_column`` that name each split (e.g. ``valid: dev``)."""

    train: str = MISSING
    valid: str = MISSING  # e.g. dev or validation
    test: str = MISSING


@dataclass
class DataConfig:
    """Which file holds the data and how to read it (values: conf/data/*.yaml)."""

    path: str = MISSING
    format: str = MISSING  # auto (by extension) | csv | tsv | jsonl | parquet
    text_column: str = MISSING
    label_column: Optional[str] = MISSING  # null when data.label_columns names 0/1 columns instead
    # What the labels are: auto (prepare decides from them and says why) | single_label | multi_label |
    # regression (clearance.core.task).
    task: str = MISSING
    label_separator: str = MISSING  # between a multi-label cell's labels ("Humans|Male"); JSON lists need none
    label_columns: list[str] = MISSING  # multi-label as 0/1 columns, one a label (data.label_column unused)
    empty_label_set: str = MISSING  # a multi-label text with no label: keep (a valid answer) | drop | error
    group_column: Optional[str] = MISSING  # rows sharing a group stay in one split
    # The file's own train/valid/test split: kept exactly as given (no regrouping),
    # and step 1 checks it for leakage. It wins over group_column and conf/split/.
    split_column: Optional[str] = MISSING
    split_values: SplitValues = MISSING
    keep_columns: list[str] = MISSING  # carried along if present
    encoding: str = MISSING
    encoding_errors: str = MISSING  # strict | replace (bad bytes become U+FFFD, flagged)
    missing_text: str = MISSING  # drop | keep (as an empty string, flagged) | error
    missing_label: str = MISSING  # drop | error | empty_set (multi-label: an empty cell is a text with no label)
    sample: Optional[int] = MISSING  # keep this many rows, drawn per label (seeded); null keeps every row
    # A folder of CSV files of labels to fix (row, label or drop, reason), applied by prepare; the data file
    # is never edited (clearance.core.data.corrections, data/corrections/README.md).
    corrections: str = MISSING


@dataclass
class SplitConfig:
    """How the data is split into train, valid and test (values: conf/split/)."""

    valid_size: float = MISSING  # a share of the rows, e.g. 0.1
    test_size: float = MISSING
    # Near-identical texts share a group so that they never straddle two splits.
    group_duplicates: bool = MISSING


@dataclass
class PrepareStage:
    """Everything the prepare stage reads."""

    seed: int = MISSING
    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    # How texts are cut into words: decided here, once, since near-duplicate grouping uses it.
    word_unit: str = field(default=MISSING, metadata={"params": "inspect.word_unit"})
