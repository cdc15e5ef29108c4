"""Each step's required questions, shipped with the package (clearance/questions/<step>.yaml).

The step's stage copies them into its evidence manifest; the gate reads only
the manifest, so the engine stays free of any one step's content.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

PACKAGE = "clearance.questions"


def known_steps() -> list[str]:
    """The steps that ship required questions, by name."""
    return sorted(p.name[:-5] for p in resources.files(PACKAGE).iterdir() if p.name.endswith(".yaml"))


def _normalised(text: Any) -> str:
    # Folded YAML and hand-wrapped lines differ only in whitespace.
    return " ".join(str(text).split())


def required_questions(step: str) -> list[dict]:
    """The questions ``step`` requires: ``[{"id", "question", "evidence"}]``, in order."""
    resource = resources.files(PACKAGE) / f"{step}.yaml"
    if not resource.is_file():
        raise KeyError(f"no required questions for step {step!r}; known steps: {', '.join(known_steps())}")
    doc = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return [{"id": str(item["id"]), "question": _normalised(item["question"]),
             "evidence": [str(e) for e in item.get("evidence") or []]}
            for item in doc["questions"]]
