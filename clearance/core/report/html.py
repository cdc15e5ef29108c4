"""Render self-contained HTML reports (plots embedded as base64 PNG).

Each step ships its own template beside its judging code; they all extend the shared
``base.html.j2`` here, so a step's report code lives in the step and its look in one place.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from clearance.core.text.visible import visible
from clearance.core.report import fonts

SHARED = Path(__file__).with_name("templates")  # base.html.j2


def embed_png(path: Path) -> str:
    """A data: URI for a PNG file, so the report is one file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render(template: Path, context: dict[str, Any]) -> str:
    """Render ``template`` (a file; it may extend the shared base.html.j2)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader([str(template.parent), str(SHARED)]),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * float(x):.2f}%"
    env.filters["num"] = lambda x: "–" if x is None else (f"{x:,.3g}" if isinstance(x, float) else f"{x:,}")
    env.filters["visible"] = visible
    # The key tables list exactly the labels a plot drew as keys (the same fonts decide both).
    env.globals["drawable"] = fonts.drawable
    return env.get_template(template.name).render(**context)


def write_report(template: Path, context: dict[str, Any], path: Path) -> Path:
    """Render and write a report; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(template, context), encoding="utf-8")
    return path
