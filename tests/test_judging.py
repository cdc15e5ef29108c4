"""Measuring and judging are separate: thresholds re-grade stored measurements, and the
evidence fingerprint binds a question file to exactly what was measured and judged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.checklist.fingerprint import fingerprint
from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.inspect import InspectConfig, InspectStage
from clearance.inspection.judge.run import InspectChecks
from clearance.core.config.params import from_conf
from clearance.core.data.digest import splits_digest
from clearance.core.data.prepare import load_splits, prepare
from clearance.core.errors import UserError
from clearance.core.evaluation import gain, pick_best
from clearance.core.records import jsonable
from clearance.core.records import read_bar
from clearance.inspection.judge.run import judge_inspection
from clearance.inspection.measure.files import InspectMeasurements
from clearance.inspection.measure.run import run_inspection
from tests.factory import make_texts
from tests.steps import step_questions


def prepared(frame: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "raw.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(folder / "raw.csv"))
    prepare(from_conf(PrepareStage, hydra_overrides=("data=custom",), data=data), folder / "prepared")
    return folder / "prepared"


def measure(prepared_dir: Path, out: Path, **inspect) -> Path:
    cfg = from_conf(InspectStage, inspect=from_conf(InspectConfig, "inspect", label_issue_folds=2, **inspect))
    run_inspection(cfg, prepared_dir, out)
    return out


def thresholds(**changes) -> InspectChecks:
    return from_conf(InspectChecks, "checks.inspect", **changes)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "evidence.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Step 1 measured once on 150 keyword texts with a few exact duplicates."""
    folder = tmp_path_factory.mktemp("measured")
    data = make_texts(n_per_class=50, seed=1)
    data = pd.concat([data, data.head(4)], ignore_index=True)
    return measure(prepared(data, folder), folder / "reports")


def test_a_threshold_regrades_without_measuring_again(measured: Path):
    before = (measured / "measurements.json").stat().st_mtime_ns
    strict = {c.id: c for c in judge_inspection(thresholds(duplicate_warn=0.0), measured).checks}
    lenient = {c.id: c for c in judge_inspection(thresholds(duplicate_warn=0.5), measured).checks}
    assert strict["duplicates"].status == "warn" and lenient["duplicates"].status == "pass"
    assert (measured / "measurements.json").stat().st_mtime_ns == before
    written = json.loads((measured / "checks.json").read_text(encoding="utf-8"))
    assert next(c for c in written if c["id"] == "duplicates")["status"] == "pass"


def test_the_fingerprint_is_deterministic(measured: Path, tmp_path: Path):
    judge_inspection(thresholds(), measured)
    first = manifest(measured)["fingerprint"]
    judge_inspection(thresholds(), measured)
    assert manifest(measured)["fingerprint"] == first
    # Measuring the same data with the same settings again keeps it too.
    again = measure(measured.parent / "prepared", tmp_path / "again")
    judge_inspection(thresholds(), again)
    assert manifest(again)["fingerprint"] == first
    assert len(first) == 12 and int(first, 16) >= 0


def test_the_fingerprint_follows_data_settings_and_statuses(measured: Path, tmp_path: Path):
    judge_inspection(thresholds(), measured)
    base = manifest(measured)
    # A threshold that flips a status changes it; so does any threshold (the settings).
    judge_inspection(thresholds(duplicate_warn=0.0), measured)
    assert manifest(measured)["fingerprint"] != base["fingerprint"]
    judge_inspection(thresholds(html_entity_warn=0.5), measured)
    assert manifest(measured)["fingerprint"] != base["fingerprint"]
    # Half the labels changed: the data digest, and so the fingerprint, changes.
    data = make_texts(n_per_class=50, seed=1)
    data = pd.concat([data, data.head(4)], ignore_index=True)
    half = data.index[: len(data) // 2]
    data.loc[half, "label"] = data.loc[half, "label"].map(
        {"negative": "neutral", "neutral": "positive", "positive": "negative"})
    other = measure(prepared(data, tmp_path / "relabelled"), tmp_path / "relabelled/reports")
    judge_inspection(thresholds(), other)
    assert manifest(other)["basis"]["data"] != base["basis"]["data"]
    assert manifest(other)["fingerprint"] != base["fingerprint"]


def test_the_manifest_carries_the_required_questions(measured: Path):
    judge_inspection(thresholds(), measured)
    written = manifest(measured)
    assert written["step"] == "inspect"
    assert written["questions"] == step_questions("inspect")
    assert {"label_balance", "disputed_labels"} <= {q["id"] for q in written["questions"]}


def test_fingerprint_hashes_its_basis():
    a, basis = fingerprint("d1", "s1", {"x": "pass", "y": "warn"})
    assert basis == {"data": "d1", "settings": "s1", "checks": {"x": "pass", "y": "warn"}}
    assert fingerprint("d1", "s1", {"y": "warn", "x": "pass"})[0] == a  # order does not matter
    assert fingerprint("d2", "s1", {"x": "pass", "y": "warn"})[0] != a
    assert fingerprint("d1", "s1", {"x": "fail", "y": "warn"})[0] != a


def test_splits_digest_is_content_based(tmp_path: Path):
    folder = prepared(make_texts(n_per_class=20, seed=2), tmp_path / "a")
    splits = load_splits(folder)
    copy = {k: v.copy() for k, v in splits.items()}
    assert splits_digest(copy) == splits_digest(splits)
    copy["train"].loc[0, "label"] = "positive" if copy["train"].loc[0, "label"] != "positive" else "neutral"
    assert splits_digest(copy) != splits_digest(splits)
    moved = {"train": splits["train"].iloc[1:], "valid": pd.concat([splits["valid"], splits["train"].iloc[:1]]),
             "test": splits["test"]}
    assert splits_digest(moved) != splits_digest(splits)


def test_missing_measurements_say_to_run_the_stage(tmp_path: Path):
    with pytest.raises(UserError) as info:
        InspectMeasurements.read(tmp_path / "measurements.json")
    assert "measurements.json" in info.value.where and "dvc repro" in info.value.fix


def test_jsonable_turns_numpy_and_pandas_into_json():
    value = jsonable({"a": np.float64(0.5), "b": np.arange(2), "c": {1, 2}, "d": float("nan"),
                      "e": pd.DataFrame({"x": [1]}), 3: np.int64(4)})
    assert value == {"a": 0.5, "b": [0, 1], "c": [1, 2], "d": None, "e": [{"x": 1}], "3": 4}
    json.dumps(value)


def test_pick_best_and_gain_serve_every_step():
    scores = {"majority": {"valid_macro_f1": 0.2}, "tfidf": {"valid_macro_f1": 0.7},
              "model": {"valid_macro_f1": 0.75, "valid_log_loss": 0.4}, "guess": {"valid_macro_f1": 0.9}}
    assert pick_best(scores, "macro_f1", exclude=("guess",)) == "model"
    assert pick_best(scores, "log_loss") == "model"
    assert pick_best({}, "macro_f1") == ""
    assert gain(0.75, 0.7, "macro_f1") == pytest.approx(0.05)
    assert gain(0.4, 0.5, "log_loss") == pytest.approx(0.1)


BAR = {"metric": "macro_f1", "best_baseline": "tfidf_logreg", "valid": 0.755, "valid_log_loss": 0.6,
       "prior_expected": 0.33, "uniform_log_loss": 1.0986, "prior_log_loss": 1.09}


def test_read_bar(tmp_path: Path):
    path = tmp_path / "metrics.json"
    with pytest.raises(UserError) as info:
        read_bar(path)
    assert "dvc repro" in info.value.fix
    path.write_text(json.dumps({"primary_metric": "macro_f1"}))
    with pytest.raises(UserError) as info:
        read_bar(path)
    assert info.value.where == f"{path}#bar" and "missing" in info.value.problem and "dvc repro -f baselines" in info.value.fix
    path.write_text(json.dumps({"primary_metric": "macro_f1", "bar": {**BAR, "uniform_log_loss": None}}))
    with pytest.raises(UserError, match="#bar.uniform_log_loss: is null"):
        read_bar(path)
    path.write_text(json.dumps({"primary_metric": "macro_f1", "bar": BAR}))
    assert read_bar(path).valid == 0.755
