"""Whether step 3 may train (go.json), and which checkpoint it may resume."""

from __future__ import annotations

import json

import pytest
import torch

from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.neural.training.checkpoint import Checkpoints
from clearance.neural.training.state import TrainState
from clearance.small_model.judge.checks import PROBE_CHECKS, ModelChecks
from clearance.small_model.judge.decision import ProbeGate, decide, write_decision


def gate(force: bool = False) -> ProbeGate:
    return ProbeGate(checks=from_conf(ModelChecks, "checks.model"), run_despite_probes=force)


def probes_doc(**measured) -> dict:
    """probes.json as the probe stage writes it: every key, each probe skipped unless given."""
    doc = {d.reads: {"skipped": "not measured in this test"} for d in PROBE_CHECKS}
    doc.update(classes=["negative", "positive"], data_digest="d" * 64, settings_digest="s" * 64,
               parts={"model": "m"}, seconds={}, decoded_samples=[], **measured)
    return doc


def test_a_probes_file_without_a_probe_names_the_file_and_the_probe(tmp_path):
    doc = probes_doc()
    del doc["zero_grad"]
    (tmp_path / "probes.json").write_text(json.dumps(doc))
    with pytest.raises(UserError, match=r"probes.json#zero_grad: missing"):
        write_decision(gate(), tmp_path)


def test_a_failing_probe_stops_training_unless_forced(tmp_path):
    broken = {"outputs": {"error": "RuntimeError: shapes do not match"}}
    stopped = decide(broken, gate())
    assert stopped["train"] is False and stopped["forced"] is False and "output_logits" in stopped["failing"]
    forced = decide(broken, gate(force=True))
    assert forced == {"train": True, "failing": stopped["failing"], "forced": True}
    # probes that could not be measured warn; they do not stop training on their own
    assert decide({}, gate())["train"] is True
    (tmp_path / "probes.json").write_text(json.dumps(probes_doc(outputs=broken["outputs"])))
    assert write_decision(gate(), tmp_path)["train"] is False
    first = (tmp_path / "go.json").read_bytes()
    write_decision(gate(), tmp_path)
    assert (tmp_path / "go.json").read_bytes() == first  # deterministic: an unchanged decision re-runs nothing


def test_a_checkpoint_resumes_only_its_own_configuration(tmp_path):
    store = Checkpoints(tmp_path / "model.pt")
    state = TrainState(step=3, epoch=0, batch_in_epoch=3, model_state={"w": torch.ones(2)}, optimizer_state={},
                       history=[], step_losses=[1.0, 0.9, 0.8], train_seconds=1.0)
    assert store.load("data:settings") is None
    store.save("data:settings", state)
    assert store.load("data:settings").step == 3
    assert store.load("other-data:settings") is None
    store.path.write_bytes(b"not a checkpoint")
    assert store.load("data:settings") is None  # damaged: start over rather than fail
    store.clear()
    assert not store.path.exists()
