"""Step 4's final test, read as step 3 reads valid: the chosen model's errors on test by slice, against the best
baseline on the same test rows, and the test labels it doubts; shown once, in the journey report. Reads the
answers final_test saved, so a changed reading setting never scores the test split again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clearance.core.config.errors import ErrorsStage
from clearance.core.paths import report_dir
from clearance.core.records import write_json
from clearance.core.row_outputs import BEST_TEST, TEST_ANSWERS, RowOutputs
from clearance.reading.run import write_tables
from clearance.reading.step import TABLES, split_inputs, write_read

FINAL_ERRORS = "final_errors.json"
PREFIX = "final_"  # the tables beside it: final_versus_baseline.csv, final_doubted_labels.csv


def read_test_errors(cfg: ErrorsStage, out: Path | None = None, baselines: Path | None = None) -> dict[str, Path]:
    """final_errors.json and its tables; when no model met the test split, a record saying so (DVC expects every
    output)."""
    out = out or report_dir("sweep")
    answers = RowOutputs.load(out / TEST_ANSWERS)
    if not len(answers.rows):
        files = write_tables({name: pd.DataFrame() for name in TABLES}, out, PREFIX)
        return {**files, "errors": write_json({"skipped": "no model met the test split"}, out / FINAL_ERRORS)}
    baselines = baselines or report_dir("baselines")
    inputs = split_inputs("test", cfg, answers, baselines / BEST_TEST, str(out / TEST_ANSWERS),
                          metrics=baselines / "metrics.json")
    return write_read(inputs, cfg, out, FINAL_ERRORS, PREFIX)
