"""CSV files under reports/ are safe to open in a spreadsheet: no text cell runs as a formula, and numbers
stay numbers (dvc plots reads them)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from clearance.baselines.measure.run import run_baselines
from clearance.core.config.baselines import BaselinesConfig, BaselinesStage
from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.inspect import InspectConfig, InspectStage
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import prepare
from clearance.core.report import plot_data
from clearance.core.report.csv_safe import defuse, write_csv
from clearance.inspection.measure.run import run_inspection
from tests.conftest import REPO
from tests.factory import make_texts, write_table
from tests.report_csvs import FORMULA_TEXTS, cells, formula_cells

FAST = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg"]


def formula_frame() -> pd.DataFrame:
    """Formula texts beside numbers, negative ones among them, and texts that are only numbers."""
    return pd.DataFrame({"text": FORMULA_TEXTS, "score": [-0.5, 0.25, -1e-3, 2.0, -7.0, 0.0],
                         "count": [-3, 4, 5, 6, 7, 8], "label": ["-1", "+2", "3.5", "ok", "-x", "=y"]})


def test_formula_cells_are_written_as_text(tmp_path: Path):
    path = write_csv(formula_frame(), tmp_path / "reports" / "t.csv")
    assert formula_cells(tmp_path) == []
    rows = cells(path)
    assert [r[0] for r in rows[1:]] == ["'" + t for t in FORMULA_TEXTS]
    assert [r[3] for r in rows[1:]] == ["-1", "+2", "3.5", "ok", "'-x", "'=y"]  # a number is no formula


def test_the_check_finds_formula_cells_written_plainly(tmp_path: Path):
    """The walker itself: a CSV written without the prefix is caught, cell by cell."""
    (tmp_path / "reports").mkdir()
    formula_frame().to_csv(tmp_path / "reports" / "plain.csv", index=False)
    assert len(formula_cells(tmp_path)) == len(FORMULA_TEXTS) + 2  # the texts, "-x" and "=y"


def test_numbers_stay_numbers(tmp_path: Path):
    path = write_csv(formula_frame(), tmp_path / "t.csv")
    back = pd.read_csv(path)
    assert back["score"].tolist() == [-0.5, 0.25, -1e-3, 2.0, -7.0, 0.0]
    assert back["count"].tolist() == [-3, 4, 5, 6, 7, 8]
    with path.open(newline="", encoding="utf-8") as handle:  # unquoted cells are numbers, quoted ones text
        rows = list(csv.reader(handle, quoting=csv.QUOTE_NONNUMERIC))
    assert rows[1][1:3] == [-0.5, -3.0] and rows[1][0] == "'" + FORMULA_TEXTS[0]


def test_clean_cells_are_kept_as_they_are(tmp_path: Path):
    frame = pd.DataFrame({"text": ["a fine text", "it costs $5 - no more"], "label": ["pos", "neg"]})
    assert [row[:2] for row in cells(write_csv(frame, tmp_path / "t.csv"))[1:]] == frame.to_numpy().tolist()
    assert defuse("a fine text") == "a fine text" and defuse(-0.5) == -0.5


def test_plot_data_keeps_negative_numbers_numeric(tmp_path: Path):
    path = plot_data.scores(["=a", "b"], [-0.5, None], tmp_path / "scores.csv")
    back = pd.read_csv(path)
    assert back["score"].iloc[0] == -0.5 and pd.isna(back["score"].iloc[1])
    assert back["model"].tolist() == ["'=a", "b"]


def test_every_csv_the_code_writes_goes_through_csv_safe():
    """One place escapes cells: a writer that bypasses it would write formulas unchanged."""
    writers = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "clearance").rglob("*.py"))
             if path.name != "csv_safe.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if writers.search(line)]
    assert found == []


@pytest.fixture(scope="module")
def formula_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Steps 1 and 2 on texts, a label and a kept column that begin with formula characters."""
    folder = tmp_path_factory.mktemp("formulas")
    data = make_texts(50)
    data["label"] = data["label"].replace({"negative": "-negative"})
    data["note"] = [FORMULA_TEXTS[i % len(FORMULA_TEXTS)] for i in range(len(data))]
    for i, formula in enumerate(FORMULA_TEXTS * 3):
        data.loc[i, "text"] = f"{formula} {data.loc[i, 'text']}"
    write_table(data, folder / "raw.csv")
    prepared = folder / "prepared"
    prepare(from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                      data=from_conf(DataConfig, "data", ("data=custom",), path=str(folder / "raw.csv"),
                                     keep_columns=["note"]),
                      split=from_conf(SplitConfig, "split")), prepared)
    run_inspection(from_conf(InspectStage, seed=42, inspect=from_conf(InspectConfig, "inspect", label_issue_folds=2)),
                   prepared, folder / "reports" / "inspect")
    baselines = from_conf(BaselinesStage, seed=42, baselines=from_conf(BaselinesConfig, "baselines", run=FAST))
    run_baselines(baselines, prepared, folder / "reports" / "baselines")
    return folder


def test_no_csv_the_stages_write_holds_a_formula(formula_project: Path):
    assert formula_cells(formula_project) == []
    sample = pd.read_csv(formula_project / "reports" / "inspect" / "sample.csv")
    assert sample["text"].str.startswith("'=HYPERLINK").any()  # the texts are there, as text
    notes = sample["note"].dropna()  # a kept column too ("\r=1" comes out of prepare stripped)
    assert len(notes) and notes.str.startswith("'").all()
    predictions = pd.read_csv(formula_project / "reports" / "baselines" / "plots" / "predictions.csv")
    assert "'-negative" in set(predictions["actual"])


def test_the_stages_numbers_stay_numbers(formula_project: Path):
    balance = pd.read_csv(formula_project / "reports" / "inspect" / "plots" / "class_balance.csv")
    results = pd.read_csv(formula_project / "reports" / "baselines" / "results.csv")
    assert pd.api.types.is_integer_dtype(balance["count"])
    assert pd.api.types.is_float_dtype(results["valid_macro_f1"])
