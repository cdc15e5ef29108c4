"""How the journey report reads and prints values: sections that may be missing, numbers, key figures."""

from __future__ import annotations

from typing import Any


def mapping(value: Any) -> dict:
    """``value`` if it is a dict, else an empty one: files written by older stages may lack a section."""
    return value if isinstance(value, dict) else {}


def number(value: Any) -> float | None:
    """A number, or None for anything else (booleans and text included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def show(value: Any, kind: str = "num") -> str:
    """A value as the report prints it: ``pct`` (share), ``score`` (4 decimals), ``gain`` (signed),
    ``num`` or ``text``."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "text" or number(value) is None:
        if isinstance(value, dict):
            return ", ".join(f"{k}={show(v)}" for k, v in value.items())
        return str(value)
    if kind == "pct":
        return f"{100 * value:.2f}%"
    if kind == "score":
        return f"{value:.4f}"
    if kind == "gain":
        return f"{value:+.4f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def figure(label: str, value: Any, kind: str = "num") -> dict:
    """One key figure: raw value (for tests and readers of the data) and its printed text."""
    return {"label": label, "value": value, "text": show(value, kind)}


def metric_value(scores: dict, metric: str, split: str) -> float | None:
    """A split's score under its bare name (``macro_f1``) or prefixed (``valid_macro_f1``)."""
    scores = mapping(scores)
    found = scores.get(metric, scores.get(f"{split}_{metric}"))
    return number(found)
