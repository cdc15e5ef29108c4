"""What step 3's report shows of the model's errors read on valid (errors.json): slices worst first with their
intervals and mistakes, the model against the best baseline row by row, the labels the model doubts; and what the
shortcut probe found (shortcuts.json): whether the model's answers hang on a shortcut step 1 suspected."""

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


def shortcut_row(s: dict[str, Any], flip_warn: float, min_texts: int) -> dict[str, Any]:
    """One suspect's row: what it is, how it was taken out, the texts it touched and probed, the flips."""
    graded = s.get("flip_share") is not None and s.get("probed", 0) >= min_texts
    return {"name": s.get("name") or s.get("check") or "", "check": s.get("check") or "",
            "how": s.get("neutralised") or s.get("not_probed") or "", "probed_at_all": "not_probed" not in s,
            "touched": s.get("touched"), "probed": s.get("probed", 0), "flipped": s.get("flipped", 0),
            "flip_share": s.get("flip_share"), "graded": graded,
            "warn": graded and s["flip_share"] > flip_warn, "examples": s.get("examples") or []}


def shortcuts_view(record: dict[str, Any] | None, t: Any) -> dict[str, Any]:
    """The report's table of the shortcut probe (shortcuts.json): one row per suspect step 1 found, or why none
    was probed (with the suspects' names when there were some)."""
    if not record:
        return {"skipped": "not probed yet: run `dvc repro` (stage probe_shortcuts)", "named": [], "rows": []}
    suspects = record.get("suspects") or []
    if record.get("skipped"):
        return {"skipped": record["skipped"], "named": [s.get("name") or s.get("check") for s in suspects], "rows": []}
    return {"skipped": "", "named": [], "flip_warn": t.shortcut_flip_warn, "min_texts": t.shortcut_min_texts,
            "task": record.get("task") or "", "tolerance": record.get("tolerance"),
            "max_texts": record.get("max_texts"),
            "rows": [shortcut_row(s, t.shortcut_flip_warn, t.shortcut_min_texts) for s in suspects]}
