"""Step 3's checks of what reading the model's errors found (reports/model/errors.json, clearance.reading):
slices of valid where the model is weak. (The model against the best baseline row by row is graded by
beats_best_baseline, which reads its interval.)"""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.small_model.judge.grading import probe_check

# Errors have no fixed scale: a slice's gap on them is a share of the overall error; scores are in [0, 1].
RELATIVE_METRICS = ("rmse", "mae", "log_loss")
WEAK_SLICES_FIX = ("read the slice's mistakes in the report (\"The model's errors\"): more training texts of that "
                   "kind, a preprocessing fix (conf/preprocess/) or labels to correct (data/corrections/); or say at "
                   "the gate why the slice does not matter where the model will be used")


def slice_gap(overall: float, value: float, metric: str) -> float:
    """How much worse a slice scores than all rows (positive: worse), in the metric's units, or as a share of
    the overall error for an error metric."""
    from clearance.core.evaluation import gain

    worse = gain(overall, value, metric)
    return worse / abs(overall) if metric in RELATIVE_METRICS and overall else worse


def beyond_interval(overall: float, s: dict[str, Any], metric: str) -> bool:
    """Whether the overall score lies outside the slice's interval on the slice's better side: chance alone
    would rarely make the slice this much worse."""
    from clearance.core.evaluation import HIGHER_IS_BETTER

    return s["high"] < overall if HIGHER_IS_BETTER.get(metric, True) else s["low"] > overall


def weak(m: dict[str, Any], min_size: int) -> list[dict[str, Any]]:
    """The slices of at least ``min_size`` rows whose interval lies wholly below the overall score, with their
    gap, worst first."""
    overall, metric = m["overall"]["value"], m["metric"]
    found = [{**s, "gap": slice_gap(overall, s["value"], metric)} for s in m.get("slices", [])
             if s["size"] >= min_size and beyond_interval(overall, s, metric)]
    return sorted(found, key=lambda s: -s["gap"])


@probe_check("weak_slices", about="the model's weak slices", reads="errors", section="errors",
             question="errors", fix=WEAK_SLICES_FIX,
             limits=[Limit("weak_slice_gap", 0.10, "warn",
                           "a slice scoring worse than all valid rows by more than this (in the metric's units; for "
                           "rmse, mae and log_loss a share of the overall value), beyond its bootstrap interval, "
                           "warns"),
                     Limit("weak_slice_min_size", 30, "",
                           "slices with fewer valid rows are shown but not graded")])
def weak_slices(m: dict, c: Grading) -> CheckResult:
    """No slice of valid (by length, surface pattern, rare words, duplicates, group, kept column) of a graded
    size is much worse than the whole, beyond what chance on its rows explains."""
    found, metric = weak(m, c.t.weak_slice_min_size), m["metric"]
    graded = sum(s["size"] >= c.t.weak_slice_min_size for s in m.get("slices", []))
    worst = found[0]["gap"] if found else 0.0
    overall = m["overall"]["value"]
    if not found:
        return c.graded(0.0, f"none of the {graded} slices of at least {c.t.weak_slice_min_size} valid rows scores "
                             f"below the overall {metric} {overall:.4f} beyond its interval")
    named = "; ".join(f"{s['name']} ({s['size']} rows): {s['value']:.4f} [{s['low']:.4f}, {s['high']:.4f}]"
                      for s in found[:3])
    unit = " of the overall error" if metric in RELATIVE_METRICS else ""
    return c.graded(round(worst, 6), f"{len(found)} of {graded} slices score below the overall {metric} "
                                     f"{overall:.4f} beyond their interval, the worst by {worst:.4f}{unit}: {named}")
