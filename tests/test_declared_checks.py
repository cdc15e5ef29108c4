"""A check is declared once (clearance/checklist/declared.py): what its declaration promises holds."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from clearance.check_catalogue import declared_checks, declared_conf_text, questions_of
from clearance.checklist.declared import Grading, Limit, check, declared_in, grade_all, limits_schema, missing_reads
from clearance.checklist.judging import StepJudging, judge_step, Measured
from clearance.checklist.required import required_questions
from clearance.core.errors import UserError
from clearance.core.paths import STEPS
from tests.conftest import REPO


def module_with(*functions) -> types.ModuleType:
    module = types.ModuleType("declared_here")
    for function in functions:
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    return module


@check("too_long", reads="stats.length", section="rows", limits=[Limit("long_warn", 10.0, "warn"),
                                                                  Limit("long_fail", 100.0)], fix="cut them")
def too_long(length: float, c: Grading):
    return c.graded(length, f"texts are {length} long")


@check("too_few", reads="stats.rows", section="rows", direction="min", limits=[Limit("few_rows", 5)],
       fix="add rows")
def too_few(rows: int, c: Grading):
    return c.graded(rows, f"{rows} rows")


SCHEMA = limits_schema("Limits", declared_in(module_with(too_long, too_few)), "test limits")


@pytest.mark.parametrize("value, status, threshold", [(5.0, "pass", 100.0), (50.0, "warn", 10.0),
                                                      (500.0, "fail", 100.0)])
def test_a_declared_check_grades_against_its_declared_limits(value, status, threshold):
    [result] = grade_all(declared_in(module_with(too_long)), {"stats": {"length": value}}, SCHEMA())
    assert (result.id, result.status, result.threshold, result.direction, result.fix) == (
        "too_long", status, threshold, "max", "cut them")


def test_the_thresholds_schema_comes_from_the_declarations_with_their_types():
    limits = SCHEMA()
    assert (limits.long_warn, limits.long_fail, limits.few_rows) == (10.0, 100.0, 5)
    assert isinstance(limits.few_rows, int) and isinstance(limits.long_warn, float)


def test_the_report_order_is_the_source_order_and_an_id_is_declared_once():
    assert [d.id for d in declared_in(module_with(too_few, too_long))] == ["too_long", "too_few"]
    twin = check("too_long", reads="stats.rows", section="rows")(lambda rows, c: None)
    with pytest.raises(ValueError, match="declared twice"):
        declared_in(module_with(too_long, twin))


def test_a_limit_level_must_be_warn_fail_or_a_setting():
    with pytest.raises(ValueError, match="level"):
        Limit("x", 1.0, "block")


def test_a_record_without_a_field_a_check_reads_is_named():
    assert missing_reads(declared_in(module_with(too_long, too_few)), {"stats": {"rows": 3}}) == ["stats.length"]


def test_the_judge_names_the_missing_field_and_the_stage_that_writes_it(tmp_path: Path):
    spec = StepJudging(step="inspect", checks=declared_in(module_with(too_long)), template=Path("unused"),
                       questions=Path("unused"), read=lambda folder, t: Measured({"stats": {}}, "d", "s"),
                       context=lambda *a: {}, source=("measurements.json", "inspect"))
    with pytest.raises(UserError) as caught:
        judge_step(spec, SCHEMA(), tmp_path)
    assert "stats.length" in caught.value.problem and "dvc repro -f inspect" in caught.value.fix


@pytest.mark.parametrize("step", STEPS)
def test_every_declared_check_informs_a_question_of_its_step(step: str):
    questions = {q["id"] for q in required_questions(REPO / JUDGE_FOLDERS[step] / "questions.yaml")}
    assert set(questions_of(step)) <= questions, set(questions_of(step)) - questions


@pytest.mark.parametrize("step", STEPS)
def test_every_declared_check_has_a_fix_and_a_direction_for_its_limits(step: str):
    for declared in declared_checks(step):
        assert declared.fix or declared.id in SAYS_ITS_OWN_FIX, declared.id
        if any(lim.level in ("warn", "fail") for lim in declared.limits):
            assert declared.direction in ("max", "min"), declared.id


def test_conf_checks_declared_yaml_is_written_from_the_declarations():
    """`clearance params` rewrites it; a declaration changed without that shows here."""
    assert (REPO / "conf/checks/declared.yaml").read_text(encoding="utf-8") == declared_conf_text()


JUDGE_FOLDERS = {"inspect": "clearance/inspection/judge", "baselines": "clearance/baselines/judge",
                 "model": "clearance/small_model/judge", "sweep": "clearance/sweep/judge"}
# Checks whose fix depends on what went wrong, so each grading branch writes its own.
SAYS_ITS_OWN_FIX = {"split_overlap"}


def test_a_threshold_set_in_conf_checks_default_yaml_overrides_the_declared_one(tmp_path: Path):
    import shutil

    from clearance.core.compose import compose

    conf = shutil.copytree(REPO / "conf", tmp_path / "conf")
    mine = conf / "checks/default.yaml"
    mine.write_text(mine.read_text(encoding="utf-8") + "inspect:\n  imbalance_warn: 5.0\n", encoding="utf-8")
    composed = compose([], conf_dir=conf)["checks"]
    assert composed["inspect"]["imbalance_warn"] == 5.0
    assert composed["inspect"]["imbalance_fail"] == 100.0 and composed["model"]["lr_band"]["AdamW"] == [1e-6, 1e-2]


def test_clearance_params_rewrites_a_stale_declared_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import shutil

    from clearance.check_catalogue import write_declared_conf

    conf = shutil.copytree(REPO / "conf", tmp_path / "conf")
    (conf / "checks/declared.yaml").write_text("inspect: {}\n", encoding="utf-8")
    assert write_declared_conf(conf) == conf / "checks/declared.yaml"
    assert (conf / "checks/declared.yaml").read_text(encoding="utf-8") == declared_conf_text()
    assert write_declared_conf(conf) is None  # unchanged: not written again
