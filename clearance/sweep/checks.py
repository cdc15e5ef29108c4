"""Step 4's checks: grade what the sweep measured against ``checks.sweep`` (and step 3's lr band).

``sweep_checks(measured, t, lr_band)`` grades, in this order: trials_completed, edge_of_grid,
lr_plausible, gain_vs_noise, test_consistent. Each is also its own function
``<id>(measured, t[, lr_band])``. ``measured`` is a plain dict::

    {
      "trials": [trial dict, ...],          # clearance.sweep.analysis's trial dicts, every state
      "best": {"number": int, "value": float, "params": {dotted key: value}} | None,
      "positions": {dotted key: float | None},   # analysis.edges(dims, best["params"])
      "optimizer": "AdamW",                 # the best trial's optimizer class name
      "bootstrap": {...},                   # analysis.paired_bootstrap(...) output
      "final": {"metric": str, "valid": float, "test": float},   # the final model, once
    }

A part may instead be ``{"skipped": why}`` or ``{"error": why}``. A check whose input is absent,
None, skipped or errored gets status "warn" with the message "not measured: <why>": it neither
passes silently nor blocks a gate that a waiver can clear. The exception is trials_completed:
without trials the sweep learned nothing, so it fails.
"""

from __future__ import annotations

from typing import Any

from clearance.checklist.results import CheckResult, graded
from clearance.config.sweep import SweepChecks
from clearance.probes.checks import lr_band_for

LR_KEY = "train.lr"
RESUME = "`dvc repro` resumes the study: finished trials are kept"
EDGE_FIX = ("widen the range (or extend the choice list) past that end in conf/sweep/ and run `dvc repro`; "
            "a changed space starts a new study")
NOISE_FIX = ("keep step 3's configuration (sweep.final: reference_if_noise), or run more seeds (sweep.seeds) "
             "to narrow the interval; do not read a gain within noise as progress")
TEST_FIX = ("do not tune on the test split: report the test score as it is; look for why valid and test "
            "differ (step 1's split checks, too many selections on valid, a small valid split)")


def not_measured(check_id: str, threshold: Any, why: str, fix: str, direction: str = "") -> CheckResult:
    """The warning for a check whose input is missing."""
    return CheckResult(check_id, "warn", None, threshold, f"not measured: {why}", fix, direction)


def absent(part: Any, default: str) -> str | None:
    """Why a part of ``measured`` cannot be graded, or None when it can."""
    if part is None:
        return default
    if isinstance(part, dict) and (part.get("skipped") or part.get("error")):
        return str(part.get("error") or part.get("skipped"))
    return None


def _count(trials: list[dict[str, Any]], state: str) -> int:
    return sum(t.get("state") == state for t in trials)


def _first_error(trials: list[dict[str, Any]]) -> str:
    failed = sorted((t for t in trials if t.get("state") == "FAIL"), key=lambda t: t.get("number", 0))
    if not failed:
        return ""
    first = failed[0]
    return f"; the first failed trial (#{first.get('number')}) said: {first.get('error') or 'no error recorded'}"


def trials_completed(measured: dict[str, Any], t: SweepChecks) -> CheckResult:
    """Enough trials finished to learn from the sweep."""
    fix = f"read the error, fix the search space (conf/sweep/) or the code, then {RESUME}"
    trials = measured.get("trials")
    if trials is None:
        return CheckResult("trials_completed", "fail", None, t.min_complete_trials,
                           "not measured: no trials recorded (the sweep did not run)", f"run the sweep: {RESUME}",
                           "min")
    complete = _count(trials, "COMPLETE")
    counts = (f"{complete} of {len(trials)} trials completed, {_count(trials, 'FAIL')} failed, "
              f"{_count(trials, 'PRUNED')} pruned")
    return graded("trials_completed", complete, None, t.min_complete_trials,
                  f"{counts} (at least {t.min_complete_trials} needed){_first_error(trials)}", fix, direction="min")


def _end(position: float) -> str:
    return "low" if position < 0.5 else "high"


def edge_of_grid(measured: dict[str, Any], t: SweepChecks) -> CheckResult:
    """No best value sits in the outer ``edge_share`` of its range (or at a choice list's end)."""
    best, positions = measured.get("best"), measured.get("positions")
    why = absent(best, "no complete trial, so no best values") or absent(positions, "no positions of the best values")
    if why:
        return not_measured("edge_of_grid", 0, why, EDGE_FIX, "max")
    params = best.get("params") or {}
    on_edge = {k: p for k, p in positions.items() if p is not None and (p < t.edge_share or p > 1 - t.edge_share)}
    if on_edge:
        listed = ", ".join(f"{k}={params.get(k)!r} ({_end(p)} end)" for k, p in on_edge.items())
        message = f"on the edge of the grid: widen it: {listed}"
    else:
        ordered = sum(p is not None for p in positions.values())
        message = (f"every best value of the {ordered} ordered dimension(s) lies inside the inner "
                   f"{1 - 2 * t.edge_share:.0%} of its range" if ordered else
                   "no dimension has an order (only non-numeric choices): nothing can sit on an edge")
    return graded("edge_of_grid", len(on_edge), 0, None, message, EDGE_FIX, direction="max")


def lr_plausible(measured: dict[str, Any], t: SweepChecks, lr_band: dict[str, list[float]]) -> CheckResult:
    """The best learning rate lies in step 3's plausible band for its optimizer."""
    best = measured.get("best")
    optimizer = measured.get("optimizer") or "default"
    key, (low, high) = lr_band_for(optimizer, lr_band)
    where = f"checks.model.lr_band.{key}"
    fix = (f"an odd best learning rate points at a deeper problem: look at the data, the loss, the model and "
           f"step 3's probes before trusting the sweep; if the value is deliberate, widen {where} in "
           f"conf/checks/default.yaml")
    why = absent(best, "no complete trial, so no best learning rate")
    if why:
        return not_measured("lr_plausible", [low, high], why, fix)
    params = best.get("params") or {}
    if LR_KEY not in params:
        return CheckResult("lr_plausible", "pass", None, [low, high],
                           f"{LR_KEY} is not in the search space: step 3's lr_band check graded the fixed rate", fix)
    lr = params[LR_KEY]
    inside = isinstance(lr, (int, float)) and low <= lr <= high
    message = (f"best learning rate {lr:g} for {optimizer}; plausible band [{low:g}, {high:g}] ({where})"
               if isinstance(lr, (int, float)) else f"best learning rate {lr!r} is not a number")
    if not inside:
        message += (": outside the band. A best learning rate this odd means something more fundamental is "
                    "going on (a bug, the data, the loss), not that the sweep found a good value")
    return CheckResult("lr_plausible", "pass" if inside else "warn", lr, [low, high], message, fix)


def gain_vs_noise(measured: dict[str, Any], t: SweepChecks) -> CheckResult:
    """The paired re-runs' gain of the best config over step 3's is larger than seed noise.

    Passes only when the whole 95% interval is above 0 and at least 2 seeds were compared:
    an interval below 0 (the sweep's best is worse) and a single seed warn as well.
    """
    threshold = "95% interval of the mean gain above 0"
    b = measured.get("bootstrap")
    why = absent(b, "the seed re-runs did not run") or (None if b.get("low") is not None else
                                                         b.get("note") or "no paired scores")
    if why:
        return not_measured("gain_vs_noise", threshold, why, NOISE_FIX)
    spread = (f"best {b['best_mean']:g} ± {b['best_std'] if b['best_std'] is not None else '–'}, "
              f"step 3 {b['reference_mean']:g} ± {b['reference_std'] if b['reference_std'] is not None else '–'}")
    interval = f"mean gain {b['mean_gain']:g}, 95% interval [{b['low']:g}, {b['high']:g}] over {b['seeds']} seed(s)"
    if b["seeds"] < 2:
        status, verdict = "warn", "one seed cannot measure seed noise"
    elif b["low"] <= 0 <= b["high"]:
        status, verdict = "warn", "the sweep's gain is within seed noise"
    elif b["high"] < 0:
        status, verdict = "warn", "the sweep's best configuration is worse than step 3's on the paired re-runs"
    else:
        status, verdict = "pass", "the sweep's gain is larger than seed noise"
    return CheckResult("gain_vs_noise", status, b["mean_gain"], threshold, f"{verdict}: {interval} ({spread})",
                       NOISE_FIX)


def test_consistent(measured: dict[str, Any], t: SweepChecks) -> CheckResult:
    """The final model's test score is close to its valid score."""
    final = measured.get("final")
    why = absent(final, "the final model was not tested yet")
    if not why and not all(isinstance(final.get(k), (int, float)) for k in ("valid", "test")):
        why = "the final model has no valid and test scores"
    if why:
        return not_measured("test_consistent", t.test_gap_warn, why, TEST_FIX, "max")
    gap = abs(final["test"] - final["valid"])
    metric = final.get("metric") or "the primary metric"
    return graded("test_consistent", gap, t.test_gap_warn, None,
                  f"final model, {metric}: valid {final['valid']:g}, test {final['test']:g}, gap {gap:.4g}",
                  TEST_FIX, direction="max")


def sweep_checks(measured: dict[str, Any], t: SweepChecks, lr_band: dict[str, list[float]]) -> list[CheckResult]:
    """Every step-4 check, in report order."""
    return [trials_completed(measured, t), edge_of_grid(measured, t), lr_plausible(measured, t, lr_band),
            gain_vs_noise(measured, t), test_consistent(measured, t)]
