"""Checks and questions apply by task: one that does not apply is left out, not shown as passing."""

from __future__ import annotations

from dataclasses import make_dataclass
from pathlib import Path

import yaml

from clearance.checklist import declared as declared_module
from clearance.checklist.declared import Limit, check, grade_all
from clearance.checklist.required import required_questions
from clearance.check_catalogue import JUDGING_MODULES, declared_checks
from clearance.core import task as task_module


@check("for_sets", reads="x", section="s", limits=[Limit("x_max", 1.0)], tasks=("multi_label",), fix="f")
def _for_sets(value, c):
    return c.graded(value, "x")


@check("for_all", reads="x", section="s", limits=[Limit("x_max", 1.0)], fix="f")
def _for_all(value, c):
    return c.graded(value, "x")


def test_the_declarations_name_the_tasks_the_data_layer_knows() -> None:
    assert declared_module.TASKS == task_module.TASKS
    for step in JUDGING_MODULES:
        for d in declared_checks(step):
            assert d.tasks and set(d.tasks) <= set(task_module.TASKS), (step, d.id, d.tasks)


def test_a_check_that_does_not_apply_to_the_task_is_left_out() -> None:
    thresholds = make_dataclass("T", [("x_max", float, 1.0)])()
    checks = (_for_sets.declared, _for_all.declared)
    assert [r.id for r in grade_all(checks, {"x": 0.5}, thresholds, "single_label")] == ["for_all"]
    assert [r.id for r in grade_all(checks, {"x": 0.5}, thresholds, "multi_label")] == ["for_sets", "for_all"]
    failing = grade_all(checks, {"x": 2.0}, thresholds, "multi_label")
    assert [r.status for r in failing] == ["fail", "fail"]


def test_a_question_asked_for_one_task_is_required_only_for_it(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(yaml.safe_dump({"step": "x", "questions": [
        {"id": "everyone", "question": "Asked of every task?"},
        {"id": "sets_only", "question": "Which labels co-occur?", "tasks": ["multi_label"]},
        {"id": "numbers_only", "question": "What error is acceptable?", "tasks": ["regression"]}]}))
    assert [q["id"] for q in required_questions(path, "single_label")] == ["everyone"]
    assert [q["id"] for q in required_questions(path, "multi_label")] == ["everyone", "sets_only"]
    assert [q["id"] for q in required_questions(path, "regression")] == ["everyone", "numbers_only"]
    assert len(required_questions(path)) == 3
