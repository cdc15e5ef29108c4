"""A step's required questions, read from the question file its judging package ships.

The step's judging stage copies them into its evidence manifest; the gate reads only
the manifest, so the engine stays free of any one step's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FILE = "questions.yaml"  # beside each step's judging code: clearance/<step>/judge/questions.yaml


def _normalised(text: Any) -> str:
    # Folded YAML and hand-wrapped lines differ only in whitespace.
    return " ".join(str(text).split())


def required_questions(path: Path, task: str | None = None) -> list[dict]:
    """The questions the file at ``path`` requires: ``[{"id", "question", "evidence"}]``, in order.

    A question may name the tasks it is asked for (``tasks: [multi_label]``); given ``task``, the others are
    left out (a question without ``tasks`` is asked for every task)."""
    if not path.is_file():
        raise KeyError(f"no required questions at {path}")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [{"id": str(item["id"]), "question": _normalised(item["question"]),
             "evidence": [str(e) for e in item.get("evidence") or []]}
            for item in doc["questions"] if task is None or task in item.get("tasks", [task])]
