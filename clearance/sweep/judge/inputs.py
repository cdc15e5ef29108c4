"""Step 4's record: what its checks grade, built from the files the sweep's stages wrote.

measurements.json is required; seeds.json and final.json may be missing (their stage has not run yet,
or failed), and the parts built from them then say why (``{"skipped": why}``): the checks that need
them warn "not measured". Besides the files: the test split's ledger, the MLflow store's record of its
scorings (when given) and step 3's learning-rate band. Imports neither optuna nor torch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.records import METRICS_FILE, ModelMetrics, read_dict, read_dict_optional
from clearance.sweep.final.files import FINAL_FILE, LEDGER, FinalRecord
from clearance.sweep.final.ledger import StoreRuns, read_ledger, store_scorings, times_seen
from clearance.sweep.judge.decision import decide
from clearance.sweep.search.files import MEASUREMENTS_FILE, SEEDS_FILE, STEP, SeedReruns, SweepMeasurements

# The settings each file records (hashed into the evidence fingerprint when it carries no settings_digest).
SETTINGS = {"measurements": ("metric", "direction", "study", "sampler", "trials_budget", "fixed", "space"),
            "seeds": ("metric", "direction", "seeds", "optimizer", "fixed"),
            "final": ("choice", "params", "metric", "seed", "model_digest", "ledger")}


def read_inputs(folder: Path) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    """measurements.json (required), seeds.json and final.json (each None when missing)."""
    return (read_dict(SweepMeasurements, folder / MEASUREMENTS_FILE),
            read_dict_optional(SeedReruns, folder / SEEDS_FILE), read_dict_optional(FinalRecord, folder / FINAL_FILE))


def read_earlier(model_folder: Path, measured: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Step 3's ``metrics.json`` and step 2's ``bar`` as the sweep recorded it (empty when missing: "–")."""
    found = ModelMetrics.read_optional(model_folder / METRICS_FILE)
    model = found.to_dict() if found is not None else {}
    return model, measured.get("bar") or {}


def split_score(scores: Any, split: str, metric: str) -> float | None:
    """``<split>_<metric>`` of a scores dict, when it is a finite number."""
    value = scores.get(f"{split}_{metric}") if isinstance(scores, dict) else None
    return value if is_number(value) else None


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def missing(what: str, file: str) -> dict[str, str]:
    """The part built from a file that is not there yet, saying why."""
    return {"skipped": f"reports/{STEP}/{file} is missing: {what} did not run yet (run `dvc repro`)"}


def final_measure(final: dict[str, Any] | None, metric: str) -> dict[str, Any]:
    """The final model's valid and test scores on the sweep's metric (or why there are none)."""
    if final is None:
        return missing("the final test", FINAL_FILE)
    if "skipped" in final or "error" in final:
        return final
    if final.get("chosen") is None and "choice" in final:
        return {"skipped": "no model met the test split, so the test split was not scored (final_choice says why)"}
    return {"metric": metric, "valid": split_score(final.get("valid"), "valid", metric),
            "test": split_score(final.get("test"), "test", metric)}


def choice_input(measured: dict[str, Any], seeds: dict[str, Any] | None, final: dict[str, Any] | None,
                 lr_band: dict[str, list[float]]) -> dict[str, Any] | None:
    """The choice final.json records, beside the one ``decide`` makes on the same evidence now."""
    if final is None:
        return None
    recorded = final.get("choice")
    rule = recorded.get("rule") if isinstance(recorded, dict) else None
    if rule is None or seeds is None:
        return {"recorded": recorded, "expected": None}
    try:
        expected = decide(rule, measured, seeds, lr_band).as_dict()
    except UserError as error:
        expected = {"rule": rule, "chosen": None, "reason": error.render()}
    return {"recorded": recorded, "expected": expected}


def ledger_measure(final: dict[str, Any] | None, ledger: Path = LEDGER,
                   store_runs: StoreRuns | None = None) -> dict[str, Any]:
    """final.json's count of test scorings, beside what the ledger file (``in_ledger``) and the MLflow
    store (``in_store``) hold for its digest now; a file or store that cannot be read is said
    (``ledger_error``, ``store_error``), never raised: the check reports it."""
    if final is None:
        return missing("the final test", FINAL_FILE)
    counted = dict(final.get("ledger") or {})
    digest = counted.get("digest")
    if not digest:
        return counted
    try:
        counted["in_ledger"] = times_seen(read_ledger(ledger), digest)
    except UserError as error:
        counted["ledger_error"] = f"{error.where}: {error.problem}"
    if store_runs is not None:
        try:
            counted["in_store"] = store_scorings(store_runs(digest))
        except UserError as error:
            counted["store_error"] = f"{error.where}: {error.problem}"
    return counted


def checks_input(measured: dict[str, Any], seeds: dict[str, Any] | None, final: dict[str, Any] | None,
                 lr_band: dict[str, list[float]], ledger: Path = LEDGER,
                 store_runs: StoreRuns | None = None) -> dict[str, Any]:
    """The record step 4's checks grade, built from the three files, the ledger, the store and step 3's
    learning-rate band (its fields: clearance/sweep/judge/checks.py)."""
    bootstrap = missing("the seed re-runs", SEEDS_FILE) if seeds is None else seeds.get("bootstrap")
    best = measured.get("best")
    # Only the fields the checks read: a trial dict's own "error" key ("" when it ran) would read as a failure.
    best = {k: best.get(k) for k in ("number", "value", "params")} if best else None
    return {"trials": measured.get("trials"), "best": best,
            "positions": measured.get("positions") if best else None,
            "importances": measured.get("importances"), "spearman": measured.get("spearman"),
            "direction": measured.get("direction"),
            "optimizer": (seeds or {}).get("optimizer") or measured.get("optimizer"), "lr_band": lr_band,
            "bootstrap": bootstrap, "choice": choice_input(measured, seeds, final, lr_band),
            "final": final_measure(final, measured.get("metric") or ""),
            "ledger": ledger_measure(final, ledger, store_runs)}


def settings_of(doc: dict[str, Any] | None, name: str) -> Any:
    """A file's own settings digest, or the settings it records (None for a missing file)."""
    if doc is None:
        return None
    return doc.get("settings_digest") or {key: doc.get(key) for key in SETTINGS[name]}
