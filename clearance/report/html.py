"""Render self-contained HTML reports (plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any


def embed_png(path: Path) -> str:
    """A data: URI for a PNG file, so the report is one file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render(template: str, context: dict[str, Any]) -> str:
    """Render a template shipped in clearance/report/templates."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("clearance.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * float(x):.2f}%"
    env.filters["num"] = lambda x: "–" if x is None else (f"{x:,.3g}" if isinstance(x, float) else f"{x:,}")
    return env.get_template(template).render(**context)


def write_report(template: str, context: dict[str, Any], path: Path) -> Path:
    """Render and write a report; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(template, context), encoding="utf-8")
    return path
