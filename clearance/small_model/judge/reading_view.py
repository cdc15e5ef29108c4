"""What step 3's report shows of the model's errors read on valid (errors.json): slices worst first with their
intervals and mistakes, the model against the best baseline row by row, the labels the model doubts."""

from __future__ import annotations

from typing import Any

from clearance.small_model.judge.checks_errors import weak

SLICES_SHOWN = 12
ROWS_SHOWN = 10


def reading_view(errors: dict[str, Any], min_size: int) -> dict[str, Any]:
    """The report's section, or ``{"skipped": why}``; slices of at least ``min_size`` rows are the graded ones."""
    if not errors:
        return {"skipped": "not read yet: run `dvc repro` (stage read_model)"}
    if "skipped" in errors:
        return {"skipped": errors["skipped"]}
    weak_names = {s["name"] for s in weak(errors, min_size)}
    slices = [{**s, "weak": s["name"] in weak_names, "graded": s["size"] >= min_size}
              for s in errors.get("slices", [])]
    versus = errors.get("versus_baseline") or {}
    listed = versus.get("listed") or []
    sides = sorted({r["who"] for r in listed})
    return {
        "skipped": "", "metric": errors["metric"], "rows": errors["rows"], "overall": errors["overall"], "level": errors["level"],
        "bootstrap": errors["bootstrap"], "min_size": min_size, "slices": slices[:SLICES_SHOWN],
        "more_slices": max(len(slices) - SLICES_SHOWN, 0),
        "versus": {"skipped": "", "mcnemar": None, **{k: v for k, v in versus.items() if k != "listed"}},
        "sides": [{"who": who, "rows": [r for r in listed if r["who"] == who][:ROWS_SHOWN]} for who in sides],
        "doubted": {"skipped": "", **(errors.get("doubted") or {}),
                    "top": (errors.get("doubted") or {}).get("top", [])[:ROWS_SHOWN]},
    }
