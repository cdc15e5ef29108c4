"""Step 0: read the configured data, clean it, split it (or keep its own split), write the splits."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from clearance.core.config.data import PrepareStage
from clearance.core.data.clean import GIVEN_SPLIT, clean
from clearance.core.data.digest import splits_digest
from clearance.core.data.load import read_table
from clearance.core.data.split import assign_splits, given_splits
from clearance.core.paths import PREPARED_DIR, SPLITS, split_file

SUMMARY_FILE = "summary.json"


def prepare(cfg: PrepareStage, out_dir: Path = PREPARED_DIR) -> dict:
    """Write the three splits and a summary of every row dropped or kept; return the summary."""
    raw = read_table(cfg.data)
    rows, cleaned = clean(raw, cfg.data)
    if cfg.data.split_column:
        split, how = given_splits(rows, cfg.data)
        rows = rows.drop(columns=[GIVEN_SPLIT])
    else:
        split, how = assign_splits(rows, cfg.split, cfg.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = {name: rows.loc[split == name].reset_index(drop=True) for name in SPLITS}
    for name, part in parts.items():
        part.to_parquet(split_file(name, out_dir), index=False)
    summary = {
        "source": cfg.data.path,
        # What the data is, by content: the evidence fingerprint and MLflow's datasets use it.
        "digest": splits_digest(parts),
        "text_column": cfg.data.text_column,
        "label_column": cfg.data.label_column,
        "clean": cleaned.as_dict(),
        "split": asdict(how),
        "sizes": {name: int((split == name).sum()) for name in SPLITS},
        "classes": sorted(rows["label"].unique().tolist()),
    }
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def load_splits(folder: Path = PREPARED_DIR) -> dict[str, pd.DataFrame]:
    """Read the prepared splits back."""
    return {name: pd.read_parquet(split_file(name, folder)) for name in SPLITS}


def load_summary(folder: Path = PREPARED_DIR) -> dict:
    """Read the prepare summary back."""
    return json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
