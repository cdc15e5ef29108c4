"""reports/inspect/shortcuts.json: the shortcuts step 1's checks found, in the form step 3's shortcut_reliance
probe removes them from valid texts (tokens as words, a span, a property to neutralise). Only the findings of
checks that warned or failed are listed; the file is written on every judging, empty when none did.

    {"task": "single_label", "suspects": [{"check": "label_in_text", "kind": "tokens", "name": ..., "tokens": [...]},
     {"check": "templates", "kind": "span", "name": ..., "span": "..."},
     {"check": "property_shortcut", "kind": "property", "name": ..., "property": "words", "median": 14.0}]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.checklist.results import CheckResult
from clearance.core.records import write_json
from clearance.inspection.judge.checks_shortcuts import best_property, leaning, named_labels, too_good

FILE = "shortcuts.json"


def _property(name: str, label: str, stats: dict[str, Any], check: str) -> dict[str, Any]:
    """A property suspect, with the median a length is cut to."""
    suspect = {"check": check, "kind": "property", "name": label, "property": name}
    if name in ("words", "chars"):
        suspect["median"] = float(stats["lengths"][name]["all"]["p50"])
    return suspect


def _keywords(stats: dict[str, Any]) -> list[str]:
    """Every keyword the keyword rule uses, once."""
    keywords = stats.get("keyword_rule", {}).get("keywords", {})
    found = keywords.values() if isinstance(keywords, dict) else [keywords]
    return sorted({str(k) for group in found for k in (group if isinstance(group, list) else [group])})


def suspects(stats: dict[str, Any], thresholds: Any, checks: list[CheckResult]) -> list[dict[str, Any]]:
    """What the shortcut checks that did not pass rest on."""
    sc, t = stats.get("shortcuts"), thresholds
    flagged = {c.id for c in checks if c.status in ("warn", "fail")}
    if not sc:
        return []
    out: list[dict[str, Any]] = []
    if "label_in_text" in flagged:
        out += [{"check": "label_in_text", "kind": "tokens", "name": f"the label name '{name}'", "tokens": v["forms"]}
                for name, v in named_labels(sc, t)]
    if "property_shortcut" in flagged and best_property(sc):
        name, rule = best_property(sc)
        out.append(_property(name, rule["name"], stats, "property_shortcut"))
    if "too_good_rule" in flagged:
        for what, _, found in too_good(sc, t.too_good_score):
            if found["kind"] == "tokens":
                out.append({"check": "too_good_rule", "kind": "tokens", "name": what, "tokens": found["tokens"]})
            elif found["kind"] == "property":
                out.append(_property(found["property"], what, stats, "too_good_rule"))
            elif _keywords(stats):
                out.append({"check": "too_good_rule", "kind": "tokens", "name": what, "tokens": _keywords(stats)})
    if "templates" in flagged:  # it warns only when the leaning templates matter together
        out += [{"check": "templates", "kind": "span", "name": f"the template \"{t_['span']}\"", "span": t_["span"]}
                for t_ in leaning(sc, t)]
    return out


def write_suspects(folder: Path, stats: dict[str, Any], thresholds: Any, checks: list[CheckResult]) -> Path:
    """Write shortcuts.json for step 3's probe."""
    path = folder / FILE
    return write_json({"task": (stats.get("task") or {}).get("name", "single_label"),
                       "suspects": suspects(stats, thresholds, checks)}, path)
