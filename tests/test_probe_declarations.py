"""Step 3's probes and checks are each declared once: a ``@probe`` function in a family module puts its key in
probes.json, a ``@check`` function reading that key grades it, and probes.json cannot be written without a
measurement a check reads."""

from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path
from typing import Any

import pytest

from clearance.checklist.declared import Grading, Limit, check, declared_in, limits_schema
from clearance.checklist.judging import judge_step
from clearance.core.errors import UserError
from clearance.core.records import write_record
from clearance.small_model.judge import checks as C
from clearance.small_model.judge import run as R
from clearance.small_model.judge.decision import ProbeGate, decide
from clearance.small_model.measure.files import PROBES_FILE, TRAINING_FILE, Probes, TrainingRecord
from clearance.small_model.measure.probes import suite
from clearance.small_model.measure.probes.declared import ModelRun, probe
from clearance.small_model.measure.probing import write_measured
from tests.test_probes import CPU, FP32, make_parts, probes_config, train_config

DIGESTS = {"data_digest": "d" * 64, "settings_digest": "s" * 64}


def module_with(name: str, *functions) -> types.ModuleType:
    """A module holding ``functions``, as a family module declares them."""
    module = types.ModuleType(name)
    for function in functions:
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    return module


def measured_probes(**kw: Any) -> dict[str, Any]:
    """probes.json's payload, as the probe stage hands it to the writer, for the clean toy model."""
    parts, raw, train, valid = make_parts()
    measured = suite.run_probes(parts, train_config(), probes_config(overfit_max_steps=5, **kw), raw, train, valid,
                                CPU, FP32, seed=0)
    return {**measured, **DIGESTS, "classes": parts.classes, "parts": {"model": "BagOfWords"}}


@pytest.fixture(scope="module")
def clean() -> dict[str, Any]:
    return measured_probes()


def test_every_probe_a_check_reads_is_declared_by_a_family():
    """So the writer, which requires every declared probe, requires every probe a check reads."""
    declared = [p.key for p in suite.declared_probes()]
    assert len(declared) == len(set(declared))
    assert {d.reads for d in C.PROBE_CHECKS} <= set(declared)
    assert declared[:3] == ["truncation", "tokenizer", "decoded_samples"] and declared[3] == "outputs"


def test_probes_json_keeps_the_probe_keys_at_the_top_and_reads_back_the_same(clean, tmp_path: Path):
    path = write_measured(clean, tmp_path / PROBES_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {p.key for p in suite.declared_probes("single_label")} <= set(data) and "measured" not in data
    record = Probes.read(path)
    assert record.padding == data["padding"] and record.overfit["steps"] == data["overfit"]["steps"]
    assert record.to_dict() == data
    again = write_measured(record.to_dict(), tmp_path / "again.json")
    assert again.read_bytes() == path.read_bytes()


def test_writing_probes_json_without_a_measurement_a_check_reads_fails_naming_it(clean, tmp_path: Path):
    forgot = {k: v for k, v in clean.items() if k != "padding"}
    with pytest.raises(UserError) as caught:
        write_measured(forgot, tmp_path / PROBES_FILE)
    assert caught.value.where.endswith("probes.json#padding") and "'padding'" in caught.value.problem
    assert not (tmp_path / PROBES_FILE).exists()
    with pytest.raises(UserError, match="probes.json#measured: missing"):  # the plain writer cannot drop them
        write_record(Probes, clean, tmp_path / PROBES_FILE)


def test_a_probes_file_without_a_probe_a_check_reads_is_named_when_judged(clean, tmp_path: Path):
    path = write_measured(clean, tmp_path / PROBES_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["reading"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError, match=r"probes.json#reading: missing") as caught:
        C.read_probes(path)
    assert "dvc repro -f probe_model" in caught.value.fix


# -- a new probe and its check, each declared once ------------------------------------------------------------------

@probe("made_up", needs_logits=True)
def made_up_probe(run: ModelRun) -> dict:
    """A probe of the test's own: how many rows the probe batch has."""
    return {"rows": len(run.batch), "classes": run.classes}


@check("made_up_rows", reads="made_up", section="batch", question="overfit_16", direction="min",
       limits=[Limit("made_up_rows_min", 4, "fail", "rows of the probe batch")], fix="raise probes.batch_size")
def made_up_rows(m: dict, c: Grading):
    return c.graded(m["rows"], f"{m['rows']} rows in the probe batch, {m['classes']} classes")


def test_a_probe_and_a_check_added_once_reach_probes_json_and_the_graded_checks(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(suite, "FAMILIES", (*suite.FAMILIES, module_with("made_up_family", made_up_probe)))
    measured = measured_probes()
    assert measured["made_up"] == {"rows": 8, "classes": 3} and "made_up" in measured["seconds"]
    data = json.loads(write_measured(measured, tmp_path / PROBES_FILE).read_text(encoding="utf-8"))
    assert data["made_up"] == {"rows": 8, "classes": 3}
    untrained = TrainingRecord.not_trained("probes failed: none", {"failing": [], "forced": False}, "s" * 64,
                                           "macro_f1", {})
    write_record(TrainingRecord, {**untrained.to_dict(), **DIGESTS}, tmp_path / TRAINING_FILE)

    checks = R.CHECKS + declared_in(module_with("made_up_checks", made_up_rows))
    thresholds = limits_schema("WithMadeUp", checks, "step 3's thresholds and the made-up one")()
    judged = judge_step(dataclasses.replace(R.JUDGING, checks=checks), thresholds, tmp_path)
    graded = {c.id: c for c in judged.checks}
    single = [d for d in C.CHECKS if "single_label" in d.tasks]  # the probes ran on one class per text
    assert [c.id for c in judged.checks][-1] == "made_up_rows" and len(graded) == len(single) + 1
    assert (graded["made_up_rows"].status, graded["made_up_rows"].value, graded["made_up_rows"].threshold) == (
        "pass", 8, 4)
    written = json.loads((tmp_path / "checks.json").read_text(encoding="utf-8"))
    assert written[-1]["id"] == "made_up_rows" and written[-1]["direction"] == "min"


def test_a_probe_that_needs_logits_is_skipped_when_the_output_is_not_logits(monkeypatch):
    from tests.test_probes import WrongShape

    monkeypatch.setattr(suite, "FAMILIES", (*suite.FAMILIES, module_with("made_up_family", made_up_probe)))
    parts, raw, train, valid = make_parts(WrongShape)
    measured = suite.run_probes(parts, train_config(), probes_config(overfit_max_steps=5), raw, train, valid, CPU,
                                FP32, seed=0)
    assert measured["made_up"] == {"skipped": "the model's output is not logits [batch, classes]: see output_logits"}


def test_the_gate_grades_the_probe_checks_only():
    gate = ProbeGate(checks=limits_schema("Defaults", C.CHECKS, "defaults")(), run_despite_probes=False)
    assert decide({}, gate) == {"train": True, "failing": [], "forced": False}
    assert [d.id for d in C.PROBE_CHECKS] == [i for i in C.ORDER if i not in R.AFTER_TRAINING_CHECKS]
