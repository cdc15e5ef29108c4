"""Registration after gate 4: only against a cleared gate on the current evidence, tagged with what
the model was chosen on, and once (MLflow on a real SQLite store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError
from clearance.neural.parts.parts import build_parts
from clearance.neural.serving import save_predictor
from clearance.sweep.final.registry import cleared_fingerprint, register_final
from clearance.sweep.final.scoring import folder_digest
from tests.conftest import REPO

CLASSES = ["negative", "neutral", "positive"]
FINGERPRINT = "0123456789ab"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A project folder with step 3's packaged model and the default tracking (SQLite at its root)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    cfg = from_conf(ModelStage, hydra_overrides=("model=tiny", "train.max_length=64"), conf_dir=REPO / "conf")
    parts = build_parts(cfg, CLASSES)
    save_predictor(tmp_path / "models/model", cfg, parts, parts.build_model().eval())
    return tmp_path


@pytest.fixture
def tracking(project: Path) -> TrackingConfig:
    return from_conf(TrackingConfig, "tracking", conf_dir=REPO / "conf")


def final_record(chosen: str | None = "reference") -> dict:
    record = {"chosen": chosen, "why": "Step 3's model met the test split, not the sweep's best configuration: ...",
              "choice": {"rule": "best_if_better", "chosen": chosen, "verdict": "worse", "reason": "..."},
              "metric": "macro_f1", "ledger": {"digest": "ab" * 32, "seen": 1, "path": "ledger/test_split.jsonl"},
              "run_id": "abc"}
    if chosen:
        record.update(model_dir="models/model", model_digest=folder_digest(Path("models/model")),
                      valid={"valid_macro_f1": 0.61}, test={"test_macro_f1": 0.6})
    return record


def gate(project: Path, cleared: bool = True, reviewed: str = FINGERPRINT, without: tuple[str, ...] = ()) -> None:
    (project / "gates").mkdir(exist_ok=True)
    stamp = {"step": "sweep", "cleared": cleared, "reviewed": reviewed, "checks": {"final_choice": "pass"},
             "waived": []}
    (project / "gates/sweep.json").write_text(json.dumps({k: v for k, v in stamp.items() if k not in without}))


def test_nothing_is_registered_through_a_closed_gate_or_a_stamp_without_its_fingerprint(project: Path):
    with pytest.raises(UserError, match=r"gates/sweep.json: not written yet"):
        cleared_fingerprint()
    gate(project, cleared=False)
    with pytest.raises(UserError, match="gate 4 is not cleared: nothing is registered"):
        cleared_fingerprint()
    gate(project, without=("reviewed",))
    with pytest.raises(UserError, match=r"gates/sweep.json#reviewed: missing"):
        cleared_fingerprint()
    gate(project)
    assert cleared_fingerprint() == FINGERPRINT


def test_the_final_model_is_registered_once_with_its_evidence(project: Path, tracking: TrackingConfig):
    from mlflow import MlflowClient

    from clearance.core.tracking import tracking_uri

    first = register_final(final_record(), FINGERPRINT, "text-classifier", tracking)
    again = register_final(final_record(), FINGERPRINT, "text-classifier", tracking)
    assert (first["version"], first["new"]) == (1, True) and (again["version"], again["new"]) == (1, False)
    client = MlflowClient(tracking_uri(tracking))
    versions = client.search_model_versions("name = 'text-classifier'")
    assert len(versions) == 1
    tags = versions[0].tags
    assert tags["clearance.gate_fingerprint"] == FINGERPRINT and tags["clearance.chosen"] == "reference"
    assert tags["clearance.test_macro_f1"] == "0.6" and tags["clearance.valid_macro_f1"] == "0.61"
    assert tags["clearance.rule"] == "best_if_better" and tags["clearance.test_seen"] == "1"
    assert versions[0].description.startswith("Step 3's model met the test split")
    # a new sign-off of the same model is a new version: the registry says who reviewed what
    renewed = register_final(final_record(), "ba9876543210", "text-classifier", tracking)
    assert renewed["version"] == 2


def test_no_model_met_the_test_split_so_nothing_is_registered(project: Path, tracking: TrackingConfig):
    record = register_final(final_record(None), FINGERPRINT, "text-classifier", tracking)
    assert record["version"] is None and record["why"].startswith("no model met the test split")
    off = register_final(final_record(), FINGERPRINT, "", tracking)
    assert off["version"] is None and "registering is turned off" in off["why"]


def test_a_model_changed_since_the_final_test_is_not_registered(project: Path, tracking: TrackingConfig):
    record = final_record()
    (project / "models/model/settings.json").write_text("{}")
    with pytest.raises(UserError, match="is not the model that met the test split"):
        register_final(record, FINGERPRINT, "text-classifier", tracking)
