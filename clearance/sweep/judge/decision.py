"""The final choice from the sweep's files: the same checks the judge grades, then the rule.

Kept apart from ``choice`` (the rule) and ``checks`` (the grading) so that both the final test
stage and the judge call this one function on the same evidence. No torch, no MLflow.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from clearance.checklist.declared import Grading
from clearance.sweep.final.choice import BEST_MODEL, Choice, choose, gain_verdict, without_diverged_best
from clearance.sweep.judge.checks import lr_plausible


def best_trial(measured: dict[str, Any]) -> dict[str, Any]:
    """The best trial's number, value and values (only the fields the checks read)."""
    best = measured.get("best") or {}
    return {k: best.get(k) for k in ("number", "value", "params")}


def decide(rule: str, measured: dict[str, Any], seeds: dict[str, Any] | None,
           lr_band: dict[str, list[float]]) -> Choice:
    """Which model meets the test split under ``rule`` (sweep.final), from measurements.json and seeds.json."""
    seeds = seeds or {}
    best = best_trial(measured)
    # Only lr_plausible's own reading: it grades step 3's band, not a threshold of checks.sweep.
    lr = lr_plausible({"best": best, "optimizer": seeds.get("optimizer") or measured.get("optimizer"),
                       "lr_band": lr_band}, Grading(lr_plausible.declared, None))
    # No band numbers in the sentence: widening the band must not change a choice it does not change.
    note = f"its learning rate {lr.value:g} lies outside the plausible band (lr_plausible)" \
        if lr.status != "pass" and isinstance(lr.value, (int, float)) else ""
    choice = choose(rule, best, gain_verdict(seeds.get("bootstrap")), lr.status == "pass", note)
    packaged_seed = (seeds.get("seeds") or [None])[0]
    if choice.chosen == BEST_MODEL and packaged_seed in diverged_seeds(seeds.get(BEST_MODEL) or {}):
        choice = without_diverged_best(rule, choice.verdict, packaged_seed)
    chosen = (seeds.get(choice.chosen) or {}) if choice.chosen else {}
    return replace(choice, metric=seeds.get("metric") or measured.get("metric") or "",
                   direction=seeds.get("direction") or measured.get("direction") or "maximize",
                   params=dict(chosen.get("params") or {}), seed=packaged_seed)


def diverged_seeds(configuration: dict[str, Any]) -> set[int]:
    """The seeds whose re-run of a configuration diverged (seeds.json's ``diverged`` entries)."""
    return {d.get("seed") for d in configuration.get("diverged") or [] if isinstance(d, dict)}
