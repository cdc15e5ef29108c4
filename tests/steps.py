"""The four steps as the tests address them: each step's package and its required questions."""

from __future__ import annotations

from pathlib import Path

from clearance.checklist.required import FILE, required_questions

REPO = Path(__file__).resolve().parents[1]
# step id (reports/<step>/, checklists/<step>.yaml) -> its package under clearance/
PACKAGES = {"inspect": "inspection", "baselines": "baselines", "model": "small_model", "sweep": "sweep"}


def questions_file(step: str) -> Path:
    """clearance/<package>/judge/questions.yaml of a step."""
    if step not in PACKAGES:
        raise KeyError(f"no required questions for step {step!r}; known steps: {', '.join(PACKAGES)}")
    return REPO / "clearance" / PACKAGES[step] / "judge" / FILE


def step_questions(step: str, task: str = "single_label") -> list[dict]:
    """The questions a step requires for ``task`` (the shipped question files are for one class per text), as
    its judging stage copies them into evidence.json."""
    return required_questions(questions_file(step), task)
