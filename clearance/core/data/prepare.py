"""Step 0: read the configured data, clean it, split it (or keep its own split), write the splits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clearance.core.config.data import PrepareStage
from clearance.core.data.clean import GIVEN_SPLIT, clean
from clearance.core.data.corrections import apply_corrections, read_corrections, resolve
from clearance.core.data.digest import splits_digest
from clearance.core.data.load import read_table
from clearance.core.data.split import SplitSummary, assign_splits, given_splits, target_bins
from clearance.core.data.task_detect import decide_task
from clearance.core.errors import UserError
from clearance.core.paths import PREPARED_DIR, SPLITS, split_file
from clearance.core.progress import step
from clearance.core.records import Record, read_dict, write_record
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, decode_label_set
from clearance.core.text.units import WordUnit, decide

SUMMARY_FILE = "summary.json"


@dataclass
class PreparedSummary(Record):
    """data/prepared/summary.json: where the data came from, what cleaning dropped, how it was split."""

    STAGE: ClassVar[str] = "prepare"
    source: str
    digest: str  # the splits' content (texts, labels, split): the evidence fingerprints and MLflow datasets use it
    text_column: str
    label_column: str
    task: dict[str, Any]  # name, setting, reason, read_as (clearance.core.data.task_detect.TaskDecision)
    clean: dict[str, Any]
    split: dict[str, Any]
    sizes: dict[str, int]
    classes: list[str]  # single-label: the classes; multi-label: every label; regression: none
    sampled: dict[str, int] | None  # {"rows", "from"} when data.sample kept fewer rows than cleaning left
    words: dict[str, Any]  # the word unit steps 1 and 2 measure in: unit, setting, reason, script shares
    # The labels data.corrections changed or dropped (clearance.core.data.corrections.apply_corrections):
    # files, counts and the first rows; absent when there are none.
    corrections: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data; no corrections key when there are none, so that a project without
        corrections writes the same bytes as before they existed (and as after a corrections file is removed)."""
        out = super().to_dict()
        if out["corrections"] is None:
            del out["corrections"]
        return out


def prepare(cfg: PrepareStage, out_dir: Path = PREPARED_DIR) -> dict:
    """Write the three splits and a summary of every row dropped or kept; return the summary."""
    with step(f"Reading {cfg.data.path}"):
        raw = read_table(cfg.data)
        found = read_corrections(Path(cfg.data.corrections))
    with step(f"Cleaning {len(raw)} rows, sampling and splitting"):
        task = decide_task(raw, cfg.data)
        rows, cleaned = clean(raw, cfg.data, task)
        del raw  # the cleaned rows are a copy: the raw frame's memory goes back before splitting
        fixes = resolve(found, rows, cleaned.rows_read, task.name, label_vocabulary(rows["label"], task.name),
                        cfg.data)
        before = len(rows)
        rows = sample_rows(rows, cfg.data.sample, cfg.seed, task.name)
        sampled = {"rows": len(rows), "from": before} if len(rows) < before else None
        words = decide(rows["text"], cfg.word_unit)
        rows, split, how = split_rows(rows, cfg, task.name, words.unit)
        # After the split, so that a corrected label changes that label only, not which rows are in which split.
        rows, split, corrected = apply_corrections(rows, split, fixes)
    with step("Writing the splits"):
        out_dir.mkdir(parents=True, exist_ok=True)
        parts = {name: rows.loc[split == name].reset_index(drop=True) for name in SPLITS}
        for name, part in parts.items():
            part.to_parquet(split_file(name, out_dir), index=False)
    summary = {
        "source": cfg.data.path,
        # What the data is, by content: the evidence fingerprint and MLflow's datasets use it.
        "digest": splits_digest(parts),
        "text_column": cfg.data.text_column,
        "label_column": cfg.data.label_column or "",
        "task": task.as_dict(),
        "clean": cleaned.as_dict(),
        "split": asdict(how),
        "sizes": {name: int((split == name).sum()) for name in SPLITS},
        "classes": label_vocabulary(rows["label"], task.name),
        "sampled": sampled,
        "words": words.as_dict(),
    }
    if corrected:
        summary["corrections"] = corrected
    write_record(PreparedSummary, summary, out_dir / SUMMARY_FILE)
    return summary


def split_rows(rows: pd.DataFrame, cfg: PrepareStage, task: str, unit: str
               ) -> tuple[pd.DataFrame, pd.Series, SplitSummary]:
    """The rows (the file's own split column gone), each row's split, and how the split was made."""
    if cfg.data.split_column:
        split, how = given_splits(rows, cfg.data)
        return rows.drop(columns=[GIVEN_SPLIT]), split, how
    split, how = assign_splits(rows, cfg.split, cfg.seed, WordUnit(unit).spaced, source=cfg.data.path, task=task)
    return rows, split, how


def label_vocabulary(labels: pd.Series, task: str) -> list[str]:
    """The classes, or every label of the label sets, sorted; none for a regression target."""
    if task == REGRESSION:
        return []
    if task == MULTI_LABEL:
        return sorted({label for kept in labels.unique() for label in decode_label_set(kept)})
    return sorted(labels.unique().tolist())


def sample_rows(rows: pd.DataFrame, size: int | None, seed: int, task: str = SINGLE_LABEL) -> pd.DataFrame:
    """``size`` rows drawn per label in proportion (seeded), in their original order; all rows when
    ``size`` is None or not smaller. A given split column is kept as it is, so each split shrinks alike.
    Label sets are drawn at random (most sets are rare), targets per quantile bin."""
    if size is None or size >= len(rows):
        return rows
    if size < 1:
        raise UserError(f"data.sample={size}", "must be a positive number of rows", "set data.sample to null or, "
                        "for a fast first try, a few hundred (conf/data/, or `clearance params debug=tiny`)")
    share = size / len(rows)
    stratum = {MULTI_LABEL: np.zeros(len(rows), dtype=int),
               REGRESSION: target_bins(rows["label"].to_numpy(dtype=float)) if task == REGRESSION else None
               }.get(task, rows["label"].to_numpy())
    by = [GIVEN_SPLIT, "stratum"] if GIVEN_SPLIT in rows.columns else ["stratum"]
    picked = (rows.assign(stratum=stratum).groupby(by, group_keys=False, sort=True)
              .sample(frac=share, random_state=seed))
    return rows.loc[sorted(picked.index)].reset_index(drop=True)


def load_splits(folder: Path = PREPARED_DIR) -> dict[str, pd.DataFrame]:
    """Read the prepared splits back."""
    return {name: pd.read_parquet(split_file(name, folder)) for name in SPLITS}


def load_summary(folder: Path = PREPARED_DIR) -> dict:
    """Read the prepare summary back (every key its schema requires checked)."""
    return read_dict(PreparedSummary, folder / SUMMARY_FILE)
