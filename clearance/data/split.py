"""Deterministic, stratified train/valid/test split that keeps groups together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from clearance.config import SplitConfig
from clearance.errors import UserError
from clearance.text.normalize import duplicate_key


@dataclass
class SplitSummary:
    """How the split was made."""

    stratified: bool
    grouped_by: str
    groups: int
    note: str = ""


def split_groups(rows: pd.DataFrame, cfg: SplitConfig) -> tuple[np.ndarray, str]:
    """Group id per row: the user's group column, else normalised text, else the row."""
    if "group" in rows.columns:
        return pd.factorize(rows["group"])[0], "group column"
    if cfg.group_duplicates:
        return pd.factorize(duplicate_key(rows["text"]))[0], "normalised text"
    return np.arange(len(rows)), "row"


def _two_way(items: np.ndarray, labels: np.ndarray, size: float, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Split ``items`` stratified by ``labels`` when every class allows it."""
    try:
        a, b = train_test_split(items, test_size=size, random_state=seed, stratify=labels)
        return a, b, True
    except ValueError:
        # Some class has too few groups to appear on both sides; split at random
        # and let step 1's check report which classes a split is missing.
        a, b = train_test_split(items, test_size=size, random_state=seed)
        return a, b, False


def assign_splits(rows: pd.DataFrame, cfg: SplitConfig, seed: int) -> tuple[pd.Series, SplitSummary]:
    """Return the split name of every row and a summary of how it was made."""
    held_out = cfg.valid_size + cfg.test_size
    if not (0 < cfg.valid_size < 1 and 0 < cfg.test_size < 1 and held_out < 1):
        raise UserError("split.valid_size / split.test_size",
                        f"sizes {cfg.valid_size} and {cfg.test_size} must be in (0, 1) and sum below 1",
                        "use e.g. split.valid_size=0.1 split.test_size=0.1")
    group, grouped_by = split_groups(rows, cfg)
    n_groups = int(group.max()) + 1
    if n_groups < 3:
        raise UserError("data", f"only {n_groups} distinct texts/groups: too few to split three ways",
                        "provide more data (at least a few dozen rows per class)")
    # A group's label for stratification: the label of its first row.
    first = pd.Series(np.arange(len(rows))).groupby(group).first().to_numpy()
    group_label = rows["label"].to_numpy()[first]
    ids = np.arange(n_groups)
    train, rest, ok1 = _two_way(ids, group_label, held_out, seed)
    valid, test, ok2 = _two_way(rest, group_label[rest], cfg.test_size / held_out, seed)
    name = np.empty(n_groups, dtype=object)
    name[train], name[valid], name[test] = "train", "valid", "test"
    stratified = ok1 and ok2
    note = "" if stratified else "some class has too few examples to stratify; split at random"
    summary = SplitSummary(stratified=stratified, grouped_by=grouped_by, groups=n_groups, note=note)
    return pd.Series(name[group], index=rows.index, name="split"), summary
