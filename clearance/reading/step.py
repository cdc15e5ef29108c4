"""Step 3's reading of its model's errors on valid: the files it reads, the record and tables it writes.

Reads what earlier stages wrote (the prepared splits, step 1's label issues, the best baseline's valid answers,
the model's valid outputs) and writes reports/model/errors.json with versus_baseline.csv and doubted_labels.csv.
A model that did not train leaves a record saying why, so the checks warn with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from clearance.core.config.errors import ErrorsStage
from clearance.core.data.prepare import load_splits, load_summary
from clearance.core.paths import PREPARED_DIR, report_dir
from clearance.core.records import BASELINES_METRICS, read_bar, read_stage_json, write_json
from clearance.core.task import task_of
from clearance.core.text.units import WHITESPACE, WordUnit
from clearance.core.row_outputs import BEST_VALID, VALID_OUTPUTS, RowOutputs, aligned, model_outputs
from clearance.reading.run import ReadInputs, read_errors, write_tables

ERRORS_FILE = "errors.json"
TABLES = ("versus_baseline", "doubted_labels")  # the CSVs beside it (clearance.reading.run.read_errors)
STEP1_ISSUES = report_dir("inspect") / "label_issues.csv"


def step1_issues(path: Path = STEP1_ISSUES) -> pd.DataFrame:
    """Step 1's label-issue list (empty when its search was skipped)."""
    try:
        return pd.read_csv(path) if path.exists() and path.stat().st_size else pd.DataFrame()
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def best_baseline(rows: Any, path: Path) -> RowOutputs | None:
    """The best baseline's answers aligned to ``rows`` (None when step 2 ran none)."""
    answers = RowOutputs.load(path) if path.exists() else None
    return aligned(answers, rows, str(path)) if answers is not None and len(answers.rows) else None


def split_inputs(split: str, cfg: ErrorsStage, model: RowOutputs, baseline: Path, where: str,
                 prepared: Path = PREPARED_DIR, metrics: Path = BASELINES_METRICS) -> ReadInputs:
    """Everything reading ``split``'s errors needs, aligned on its rows: ``model``'s answers (read from
    ``where``), the best baseline's (``baseline``, an .npz the baselines stage wrote), step 2's metric."""
    splits, summary = load_splits(prepared), load_summary(prepared)
    task = task_of(summary)
    frame = splits[split].reset_index(drop=True)
    rows = frame["row"].to_numpy()
    unit = WordUnit((summary.get("words") or {}).get("unit") or WHITESPACE)
    return ReadInputs(split=split, frame=frame, train_texts=splits["train"]["text"], task=task, unit=unit,
                      metric=read_bar(metrics).metric, model=aligned(model, rows, where),
                      baseline=best_baseline(rows, baseline), step1_issues=step1_issues(),
                      group_column=cfg.group_column, keep_columns=tuple(cfg.keep_columns or ()))


def write_read(inputs: ReadInputs, cfg: ErrorsStage, out: Path, name: str, prefix: str = "") -> dict[str, Path]:
    """Read ``inputs``' errors and write the record (``name``) and its tables (``prefix``ed) in ``out``."""
    record, tables = read_errors(inputs, cfg.errors, cfg.seed)
    files = write_tables(tables, out, prefix)
    files["errors"] = write_json(record, out / name)
    return files


def read_valid_errors(cfg: ErrorsStage, prepared: Path = PREPARED_DIR, out: Path | None = None,
                      baselines: Path | None = None) -> dict[str, Path]:
    """errors.json and its tables for step 3's model on valid; the files written."""
    out = out or report_dir("model")
    baselines = baselines or report_dir("baselines")
    training = read_stage_json(out / "training.json", "training record")
    if not training.get("trained") or (training.get("divergence") or {}).get("diverged"):
        reason = training.get("reason") or "the run diverged: no model to read"
        files = write_tables({name: pd.DataFrame() for name in TABLES}, out)  # DVC expects every output
        return {**files, "errors": write_json({"skipped": f"the model did not train: {reason}"}, out / ERRORS_FILE)}
    where = out / VALID_OUTPUTS
    task = task_of(load_summary(prepared))
    inputs = split_inputs("valid", cfg, model_outputs(where, task), baselines / BEST_VALID, str(where), prepared,
                          baselines / "metrics.json")
    return write_read(inputs, cfg, out, ERRORS_FILE)
