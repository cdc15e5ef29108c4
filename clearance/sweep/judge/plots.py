"""Step 4's figures, drawn by its judging stage from measurements.json.

The sweep writes numbers only (each trial, the scatter, the best-so-far curve); drawing here
costs no trial time, and a second look at the plots never re-runs the search.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from clearance.core.report.fonts import safe, with_chain
from clearance.core.report.plots import _plt, _save, empty_axis, placeholder

BUDGET_FILE = "budget.png"
SCATTER_PREFIX = "scatter_"  # one file per searched setting: scatter_<key>.png
SCATTER_KEY = "scatter:"  # draw_all's name of a scatter figure: "scatter:<key>"


def scatter_file(key: str) -> str:
    """The file name of one setting's scatter (a dotted key is a safe file name once odd characters go)."""
    return f"{SCATTER_PREFIX}{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}.png"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _positions(values: list[Any]) -> tuple[list[float], list[str] | None]:
    """x positions of the values: the numbers themselves, or each distinct value's index (then its labels)."""
    if values and all(_number(v) for v in values):
        return [float(v) for v in values], None
    labels = list(dict.fromkeys(str(v) for v in values))
    return [float(labels.index(str(v))) for v in values], [safe(label) for label in labels]


def axis_label(metric: str, direction: str) -> str:
    """The score axis: the valid metric, and which way is better when lower is (RMSE, log loss)."""
    return safe(f"valid {metric}") + (" (lower is better)" if direction == "minimize" else "")


@with_chain
def scatter(key: str, points: list[list[Any]], log: bool, metric: str, best: tuple[Any, Any] | None,
            path: Path, direction: str = "maximize") -> Path:
    """The metric of each complete trial against its value of ``key`` (log x for log-scaled ranges).

    ``best`` is the best trial's (value, metric): its point is a red star, so the plot and the
    report's #best table can be read together (other trials may share its value, not both).
    """
    fig, ax = _plt().subplots(figsize=(4.2, 3.0))
    pairs = [(x, float(y)) for x, y in points if _number(y)]
    if not pairs:
        empty_axis(ax, f"no complete trial set {key}")
        return _save(fig, path)
    xs, labels = _positions([x for x, _ in pairs])
    ys = [y for _, y in pairs]
    ax.scatter(xs, ys, s=22, color="tab:blue", alpha=0.8, label="trials")
    marked = [(x, y) for x, y, (raw, _) in zip(xs, ys, pairs) if best is not None and (raw, y) == best]
    if marked:
        ax.scatter([marked[0][0]], [marked[0][1]], s=60, color="tab:red", marker="*", label="best trial", zorder=3)
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    elif log and min(xs) > 0:
        ax.set_xscale("log")  # the range was drawn on a log scale: show it the same way
    ax.set_xlabel(safe(key) + (" (log scale)" if log and labels is None else ""))
    ax.set_ylabel(axis_label(metric, direction))
    ax.set_title(safe(key), fontsize="medium")
    return _save(fig, path)


@with_chain
def budget(trials: list[dict[str, Any]], curve: list[float | None], metric: str, direction: str,
           path: Path) -> Path:
    """The best valid score so far against the trial number, over each complete trial's own score."""
    fig, ax = _plt().subplots(figsize=(6.4, 3.2))
    ordered = sorted(trials, key=lambda t: t.get("number", 0))
    numbers = [t.get("number", i) for i, t in enumerate(ordered)]
    steps = [(n, v) for n, v in zip(numbers, curve) if _number(v)]
    if not steps:
        empty_axis(ax, "no complete trial yet")
        return _save(fig, path)
    done = [(t.get("number"), float(t["value"])) for t in ordered
            if t.get("state") == "COMPLETE" and _number(t.get("value"))]
    ax.scatter([n for n, _ in done], [v for _, v in done], s=18, color="gray", alpha=0.7, label="each trial")
    ax.step([n for n, _ in steps], [v for _, v in steps], where="post", color="tab:blue", linewidth=2,
            label="best so far")
    ax.set_xlabel("trial number")
    ax.set_ylabel(axis_label(metric, direction))
    ax.set_title("Best valid score so far")
    ax.legend(fontsize="small", loc="best")
    return _save(fig, path)


def _clear_scatters(folder: Path) -> None:
    # A changed search space drops settings: their old figures must not linger beside the new ones.
    for old in folder.glob(f"{SCATTER_PREFIX}*.png"):
        old.unlink()


def draw_all(measured: dict[str, Any], logs: dict[str, bool], folder: Path) -> dict[str, Path]:
    """The budget curve and one scatter per searched setting, written under ``folder``.

    ``logs`` says which settings were searched on a log scale. Returns ``{"budget": path,
    "scatter:<key>": path, ...}`` with the scatters in the order of ``measured["space"]``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    _clear_scatters(folder)
    metric = measured.get("metric") or "metric"
    trials = measured.get("trials") or []
    paths = {"budget": budget(trials, measured.get("budget_curve") or [], metric,
                              measured.get("direction") or "maximize", folder / BUDGET_FILE)}
    best = measured.get("best") or {}
    params, score = best.get("params") or {}, best.get("value")
    points = measured.get("scatter") or {}
    for key in measured.get("space") or points:
        path = folder / scatter_file(key)
        if key in points:
            mark = (params[key], score) if key in params and _number(score) else None
            paths[SCATTER_KEY + key] = scatter(key, points[key], logs.get(key, False), metric, mark, path,
                                               measured.get("direction") or "maximize")
        else:
            paths[SCATTER_KEY + key] = placeholder(f"no values recorded for {key}", path)
    return paths
