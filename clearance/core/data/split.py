"""Deterministic, stratified train/valid/test split that keeps groups together,
or the file's own split (``data.split_column``), checked and kept as given."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from clearance.core.config.data import DataConfig, SplitConfig
from clearance.core.data.clean import GIVEN_SPLIT
from clearance.core.errors import UserError
from clearance.core.paths import SPLITS
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task, decode_label_set
from clearance.core.text.normalize import duplicate_key

TARGET_BINS = 10  # a regression split is stratified on this many quantiles of the target


@dataclass
class SplitSummary:
    """How the split was made."""

    stratified: bool
    grouped_by: str
    groups: int
    note: str = ""
    given_by: str = ""  # the file's split column when the split was given, not made


def split_groups(rows: pd.DataFrame, cfg: SplitConfig, spaced: bool = True) -> tuple[np.ndarray, str]:
    """Group id per row: the user's group column, else normalised text, else the row.

    ``spaced`` False: the corpus's words are not space-separated, so spaces do not tell texts apart."""
    if "group" in rows.columns:
        return pd.factorize(rows["group"])[0], "group column"
    if cfg.group_duplicates:
        return pd.factorize(duplicate_key(rows["text"], spaced))[0], "normalised text"
    return np.arange(len(rows)), "row"


def target_bins(targets: np.ndarray, bins: int = TARGET_BINS) -> np.ndarray:
    """Each target's quantile bin (fewer bins where many targets tie), the strata of a regression split."""
    return pd.qcut(pd.Series(targets, dtype="float64").rank(method="first"), q=min(bins, len(targets)),
                   labels=False, duplicates="drop").to_numpy()


def strata(labels: np.ndarray, task: str) -> np.ndarray:
    """What a split stratifies on: the class; the 0/1 label matrix of label sets; the target's quantile bin."""
    if task == MULTI_LABEL:
        sets = [decode_label_set(kept) for kept in labels]
        return Task(MULTI_LABEL, tuple(sorted({x for s in sets for x in s}))).indicators(labels)
    if task == REGRESSION:
        return target_bins(labels.astype(float))
    return labels


def _two_way_sets(items: np.ndarray, matrix: np.ndarray, size: float, seed: int
                  ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Split ``items`` by iterative stratification on their label sets (iterative-stratification): each
    label's share is kept on both sides as far as the sets allow."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=size, random_state=seed)
    a, b = next(splitter.split(items.reshape(-1, 1), matrix))
    return items[np.sort(a)], items[np.sort(b)], True


def _two_way(items: np.ndarray, labels: np.ndarray, size: float, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Split ``items`` stratified by ``labels`` when every class allows it (label sets: a 0/1 matrix)."""
    if labels.ndim == 2:
        return _two_way_sets(items, labels, size, seed)
    try:
        a, b = train_test_split(items, test_size=size, random_state=seed, stratify=labels)
        return a, b, True
    except ValueError:
        # Some class has too few groups to appear on both sides; split at random
        # and let step 1's check report which classes a split is missing.
        a, b = train_test_split(items, test_size=size, random_state=seed)
        return a, b, False


def _held_out(n: int, size: float) -> tuple[int, int]:
    """(kept, held out) of ``n`` items at test size ``size``, counted as scikit-learn's train_test_split does."""
    held = math.ceil(size * n)
    return n - held, held


def fewest_groups(valid_size: float, test_size: float, limit: int = 100_000) -> int:
    """The fewest groups (distinct texts) that give train, valid and test at least one each at these sizes."""
    held_out = valid_size + test_size
    for n in range(3, limit):
        train, rest = _held_out(n, held_out)
        valid, test = _held_out(rest, test_size / held_out)
        if min(train, valid, test) >= 1:
            return n
    return limit


def _require_enough_groups(n_groups: int, grouped_by: str, cfg: SplitConfig, source: str) -> None:
    """Stop, with what the split needs, before scikit-learn would make an empty split."""
    needed = fewest_groups(cfg.valid_size, cfg.test_size)
    if n_groups >= needed:
        return
    unit = {"group column": "groups (data.group_column)", "normalised text": "distinct texts"}.get(grouped_by, "rows")
    raise UserError(f"{source}: split.valid_size={cfg.valid_size}, split.test_size={cfg.test_size}",
                    f"only {n_groups} {unit}: too few to split three ways; at these sizes train, valid and test "
                    f"each get at least one with {needed} or more (and a stratified split needs at least 3 rows "
                    "per class: one for each split)",
                    "add rows (a few dozen per class at the least); or raise split.valid_size and "
                    "split.test_size; or give the file its own split column and name it in data.split_column")


def assign_splits(rows: pd.DataFrame, cfg: SplitConfig, seed: int, spaced: bool = True, source: str = "data",
                  task: str = SINGLE_LABEL) -> tuple[pd.Series, SplitSummary]:
    """Return the split name of every row and a summary of how it was made (``source``: the data file,
    for messages; ``task``: what the labels are, which says what the split stratifies on)."""
    held_out = cfg.valid_size + cfg.test_size
    if not (0 < cfg.valid_size < 1 and 0 < cfg.test_size < 1 and held_out < 1):
        raise UserError("split.valid_size / split.test_size",
                        f"sizes {cfg.valid_size} and {cfg.test_size} must be in (0, 1) and sum below 1",
                        "use e.g. split.valid_size=0.1 split.test_size=0.1")
    group, grouped_by = split_groups(rows, cfg, spaced)
    n_groups = int(group.max()) + 1
    _require_enough_groups(n_groups, grouped_by, cfg, source)
    # A group's label for stratification: the label of its first row.
    first = pd.Series(np.arange(len(rows))).groupby(group).first().to_numpy()
    group_label = strata(rows["label"].to_numpy()[first], task)
    ids = np.arange(n_groups)
    train, rest, ok1 = _two_way(ids, group_label, held_out, seed)
    valid, test, ok2 = _two_way(rest, group_label[rest], cfg.test_size / held_out, seed)
    name = np.empty(n_groups, dtype=object)
    name[train], name[valid], name[test] = "train", "valid", "test"
    stratified = ok1 and ok2
    note = "" if stratified else "some class has too few examples to stratify; split at random"
    if task == MULTI_LABEL:
        note = "stratified on label sets by iterative stratification: each label's share kept as far as the sets allow"
    elif task == REGRESSION and stratified:
        note = f"stratified on {int(group_label.max()) + 1} quantile bins of the target"
    summary = SplitSummary(stratified=stratified, grouped_by=grouped_by, groups=n_groups, note=note)
    return pd.Series(name[group], index=rows.index, name="split"), summary


def given_splits(rows: pd.DataFrame, data: DataConfig) -> tuple[pd.Series, SplitSummary]:
    """Each row's split as the file gives it in ``data.split_column``: checked, never regrouped.

    Copies of train rows in valid/test stay where the file puts them, so that
    step 1's ``split_overlap`` check can report the leak instead of hiding it.
    """
    names = _value_names(data)
    split = rows[GIVEN_SPLIT].map(names)
    _require_known_values(rows, split, data)
    _require_every_split(split, data)
    summary = SplitSummary(stratified=False, grouped_by=f"given by column {data.split_column}",
                           groups=len(rows), note=_given_note(rows, split, data),
                           given_by=str(data.split_column))
    return pd.Series(split.to_numpy(dtype=object), index=rows.index, name="split"), summary


def _value_names(data: DataConfig) -> dict[str, str]:
    """File value -> split name, refusing two splits that share one value."""
    values = {name: str(getattr(data.split_values, name)).strip() for name in SPLITS}
    names: dict[str, str] = {}
    for name, value in values.items():
        if value in names:
            raise UserError(f"data.split_values.{name}={value}",
                            f"{names[value]} and {name} would both be the rows marked {value!r}",
                            "give each of train, valid and test its own value of data.split_column")
        names[value] = name
    return names


def _where(data: DataConfig) -> str:
    return f"{data.path}: data.split_column={data.split_column}"


def _expected(data: DataConfig) -> str:
    return ", ".join(f"{getattr(data.split_values, name)!r} ({name})" for name in SPLITS)


def _require_known_values(rows: pd.DataFrame, split: pd.Series, data: DataConfig) -> None:
    """Every row's value names one of the three splits."""
    unknown = split.isna()
    if not unknown.any():
        return
    counts = rows.loc[unknown, GIVEN_SPLIT].replace("", "(empty)").value_counts()
    shown = ", ".join(f"{value!r} ×{n}" for value, n in counts.head(5).items())
    if len(counts) > 5:
        shown += f" and {len(counts) - 5} other values"
    first = int(rows.loc[unknown, "row"].iloc[0])
    raise UserError(_where(data),
                    f"{int(unknown.sum())} rows have a split value other than {_expected(data)}: "
                    f"{shown} (first: data row {first + 1})",
                    "name the values your file uses in data.split_values "
                    "(e.g. `-S data.split_values.valid=dev`), or correct those rows in the file")


def _require_every_split(split: pd.Series, data: DataConfig) -> None:
    """Train, valid and test each hold rows: later steps fit, choose and report on them."""
    empty = [name for name in SPLITS if not (split == name).any()]
    if empty:
        raise UserError(_where(data),
                        "no rows for " + ", ".join(f"{name} (value {getattr(data.split_values, name)!r})"
                                                   for name in empty),
                        "add those rows to the file (e.g. move a slice of train to valid), set "
                        "data.split_values to the values your file uses, or set data.split_column=null "
                        "to let clearance make the split")


def _given_note(rows: pd.DataFrame, split: pd.Series, data: DataConfig) -> str:
    """What the given split overrides, and whether user groups cross it."""
    note = (f"kept as the file gives it in column {data.split_column!r}; split.valid_size, "
            "split.test_size and split.group_duplicates do not apply")
    if data.group_column and "group" in rows.columns:
        named = rows["group"] != ""
        spans = pd.Series(split[named].to_numpy()).groupby(rows.loc[named, "group"].to_numpy()).nunique()
        crossing = int((spans > 1).sum())
        note += (f"; data.group_column={data.group_column} is not used to split because "
                 f"data.split_column wins ({crossing} of its groups span more than one split)")
    return note
