"""Where things live in a clearance project (all relative to the repository root)."""

from __future__ import annotations

from pathlib import Path

PARAMS_FILE = Path("params.yaml")
CONF_DIR = Path("conf")
CHECKLIST_DIR = Path("checklists")
GATE_DIR = Path("gates")
REPORTS_DIR = Path("reports")
PREPARED_DIR = Path("data/prepared")
# The packaged models steps hand on (clearance.neural.serving): step 3's, and the sweep's best configuration's.
MODEL_DIR = Path("models/model")
BEST_MODEL_DIR = Path("models/sweep/best")
SPLITS = ("train", "valid", "test")


def report_dir(step: str) -> Path:
    """Folder holding one step's report, metrics and check results."""
    return REPORTS_DIR / step


def checks_file(step: str) -> Path:
    """The contract file with a step's automated check results."""
    return report_dir(step) / "checks.json"


def split_file(split: str, folder: Path = PREPARED_DIR) -> Path:
    """Parquet file of one prepared split."""
    return folder / f"{split}.parquet"
