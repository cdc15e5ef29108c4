"""Step 0: read the configured data, clean it, split it, write the splits."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from clearance.config import PrepareStage
from clearance.data.clean import clean
from clearance.data.load import read_table
from clearance.data.split import assign_splits
from clearance.paths import PREPARED_DIR, SPLITS, split_file

SUMMARY_FILE = "summary.json"


def prepare(cfg: PrepareStage, out_dir: Path = PREPARED_DIR) -> dict:
    """Write the three splits and a summary of every row dropped or kept; return the summary."""
    raw = read_table(cfg.data)
    rows, cleaned = clean(raw, cfg.data)
    split, how = assign_splits(rows, cfg.split, cfg.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        part = rows.loc[split == name].reset_index(drop=True)
        part.to_parquet(split_file(name, out_dir), index=False)
    summary = {
        "source": cfg.data.path,
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
