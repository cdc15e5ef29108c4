"""The Model Registry, after gate 4: the model that met the test split, registered once.

Nothing reaches the registry before a person has cleared gate 4 against the current evidence:
``cleared_fingerprint`` refuses otherwise. A version carries the gate's reviewed fingerprint and
the evidence the model was chosen on as tags, and the choice's sentence as its description.
Registering is idempotent: a version with the same model digest and fingerprint is reused, so
re-running the stage without a change registers nothing new.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError
from clearance.core.paths import GATE_DIR, stamp_file
from clearance.core.records import GateStamp
from clearance.sweep.final.files import STEP

TAG = "clearance."
EXAMPLE_TEXTS = ["what a lovely day", "the bus is late"]


def cleared_fingerprint(gates: Path = GATE_DIR) -> str:
    """The fingerprint gate 4 was cleared against; a clear error while it is not cleared.

    The gate writes its stamp only when it clears, against the evidence of that run, and DVC runs this
    stage only after the gate on the current evidence; so the stamp's fingerprint is the current one.
    """
    path = stamp_file(STEP, gates)
    stamp = GateStamp.read(path)
    if not stamp.cleared:
        raise UserError(str(path), "gate 4 is not cleared: nothing is registered before it is",
                        "answer checklists/sweep.yaml and run `dvc repro`")
    return stamp.reviewed


def version_tags(final: dict[str, Any], fingerprint: str) -> dict[str, str]:
    """The evidence a version was chosen on, as registry tags (strings, as the registry stores them)."""
    metric, choice = final["metric"], final.get("choice") or {}
    values = {"gate_fingerprint": fingerprint, "model_digest": final["model_digest"], "chosen": final["chosen"],
              "rule": choice.get("rule", ""), "gain_verdict": choice.get("verdict", ""), "reason": final["why"],
              "metric": metric, f"valid_{metric}": final["valid"].get(f"valid_{metric}"),
              f"test_{metric}": final["test"].get(f"test_{metric}"), "test_digest": final["ledger"]["digest"],
              "test_seen": final["ledger"]["seen"], "final_test_run": final.get("run_id", "")}
    return {TAG + key: str(value) for key, value in values.items()}


def not_registered(why: str, fingerprint: str) -> dict[str, Any]:
    """registered.json when nothing is registered, and why."""
    return {"name": "", "version": None, "new": False, "model_uri": "", "run_id": "", "fingerprint": fingerprint,
            "why": why}


def register_final(final: dict[str, Any], fingerprint: str, name: str, tracking: TrackingConfig) -> dict[str, Any]:
    """Log and register the model that met the test split (or reuse its version); registered.json's record."""
    if final.get("chosen") is None:
        return not_registered(f"no model met the test split: {final.get('why', '')}", fingerprint)
    if not name:
        return not_registered("sweep.registered_model is empty: registering is turned off", fingerprint)
    from clearance.sweep.final.scoring import folder_digest

    folder = Path(final["model_dir"])
    if folder_digest(folder) != final.get("model_digest"):
        raise UserError(str(folder), "is not the model that met the test split (its files changed since)",
                        "run `dvc repro`: the final test scores the current model before it can be registered")
    from clearance.neural.serving import TextPredictor, plugin_sources
    from clearance.core.tracking import (
        log_metrics,
        set_tags,
        stage_run,
        use_tracking,
    )
    from clearance.neural.logged_model import find_model_version, log_text_model, register_logged_model

    use_tracking(tracking)
    found = find_model_version(name, {TAG + "model_digest": final["model_digest"], TAG + "gate_fingerprint": fingerprint})
    if found is not None:
        return {"name": name, "version": int(found.version), "new": False, "model_uri": found.source,
                "run_id": found.run_id or "", "fingerprint": fingerprint, "why": final["why"]}
    tags = version_tags(final, fingerprint)
    with stage_run("register", tracking, {"registered_model": name, "chosen": final["chosen"]}) as run:
        set_tags(tags)
        log_metrics({**final["valid"], **final["test"]})
        example, scored = TextPredictor.load(folder, device="cpu").example(EXAMPLE_TEXTS)
        uri, _ = log_text_model(folder, example, scored, code=plugin_sources(folder))
        version = register_logged_model(uri, name, tags, final["why"])
    return {"name": name, "version": version, "new": True, "model_uri": uri,
            "run_id": run.info.run_id, "fingerprint": fingerprint, "why": final["why"]}
