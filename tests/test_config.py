"""params.yaml is composed from conf/; each stage reads one typed config."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest
import yaml
from omegaconf import MISSING

import clearance.core.config
from clearance.core.compose import compose, diff, render, write_params
from clearance.baselines.judge.run import BaselinesJudge
from clearance.core.config.baselines import BaselinesStage, TfidfConfig
from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.gate import GateStage
from clearance.core.config.inspect import InspectStage
from clearance.inspection.judge.run import InspectJudge
from clearance.core.config.params import from_conf, load_stage_config, read_params
from clearance.core.config.tracking import TrackingOnly
from clearance.core.errors import UserError
from clearance.small_model.judge.decision import ProbeGate
from clearance.small_model.judge.run import ModelJudge
from tests.conftest import REPO


def test_committed_params_match_conf(composed):
    """Plain `dvc repro` reads params.yaml: it must be what conf/ composes to."""
    committed = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert diff(committed, composed) == [], "run `clearance params` and commit params.yaml"


def test_diff_reports_a_changed_value(composed):
    changed = {**composed, "seed": composed["seed"] + 1}
    assert any("seed" in line for line in diff(composed, changed))


def test_overrides_change_the_composition():
    params = compose(["data.path=elsewhere.csv", "seed=7"], conf_dir=REPO / "conf")
    assert params["data"]["path"] == "elsewhere.csv" and params["seed"] == 7


def test_unknown_override_is_a_clear_error():
    with pytest.raises(UserError) as info:
        compose(["data.no_such_key_at_all=1", "+nope=[", "nosuchgroup=x"], conf_dir=REPO / "conf")
    assert "override `+nope=[`" in info.value.render()  # the one Hydra cannot parse is named first
    with pytest.raises(UserError) as info:
        compose(["data.no_such_key_at_all=1"], conf_dir=REPO / "conf")
    assert "conf/ has no key `data.no_such_key_at_all`" in info.value.problem
    assert "+data.no_such_key_at_all=1" in info.value.fix and "path" in info.value.fix  # data's keys are listed


STAGE_CONFIGS = [PrepareStage, InspectStage, InspectJudge, BaselinesStage, BaselinesJudge, ProbeGate, ModelJudge,
                 GateStage, TrackingOnly]


@pytest.mark.parametrize("cls", STAGE_CONFIGS, ids=lambda c: c.__name__)
def test_every_stage_config_accepts_the_composed_params(composed, cls):
    config = load_stage_config(cls, composed)
    assert dataclasses.is_dataclass(config)


def test_stage_configs_read_their_sections(composed):
    prepare = load_stage_config(PrepareStage, composed)
    judge = load_stage_config(InspectJudge, composed)
    assert prepare.data.text_column == composed["data"]["text_column"]
    assert judge.checks.min_sample_size == composed["checks"]["inspect"]["min_sample_size"]
    assert load_stage_config(BaselinesJudge, composed).checks.min_gain_over_prior == \
        composed["checks"]["baselines"]["min_gain_over_prior"]
    assert load_stage_config(GateStage, composed).gate.min_answer_words == 5


def test_a_wrong_type_in_a_dotted_section_names_the_section(composed):
    composed["checks"]["inspect"]["duplicate_warn"] = "often"
    with pytest.raises(UserError) as info:
        load_stage_config(InspectJudge, composed)
    assert "checks.inspect.duplicate_warn" in info.value.render()


def test_a_missing_setting_names_the_key(composed):
    del composed["baselines"]["tfidf"]["C"]
    with pytest.raises(UserError) as info:
        load_stage_config(BaselinesStage, composed)
    assert "baselines.tfidf.C" in info.value.render()


def _schema_classes():
    for module in pkgutil.iter_modules(clearance.core.config.__path__):
        loaded = importlib.import_module(f"clearance.core.config.{module.name}")
        yield from (obj for obj in vars(loaded).values()
                    if dataclasses.is_dataclass(obj) and obj.__module__ == loaded.__name__)


def test_defaults_live_only_in_conf():
    """The schemas are types: no field carries a value of its own (conf/ is the one source)."""
    literal = [f"{cls.__name__}.{f.name}" for cls in _schema_classes() for f in dataclasses.fields(cls)
               if f.default is not MISSING and f.default is not dataclasses.MISSING]
    factories = [f"{cls.__name__}.{f.name}" for cls in _schema_classes() for f in dataclasses.fields(cls)
                 if f.default_factory is not dataclasses.MISSING]
    assert literal == [] and factories == []


def test_from_conf_builds_configs_from_conf_defaults():
    data = from_conf(DataConfig, "data", ("data=custom",), path="x.csv")
    assert data.path == "x.csv" and data.label_column == "label"
    assert from_conf(TfidfConfig, "baselines.tfidf").C == yaml.safe_load(
        (REPO / "conf/baselines/default.yaml").read_text())["tfidf"]["C"]
    with pytest.raises(TypeError):
        from_conf(DataConfig, "data", nonsense=1)


def test_typo_in_a_key_names_the_key(composed):
    composed["data"]["txt_column"] = "x"
    with pytest.raises(UserError) as info:
        load_stage_config(PrepareStage, composed)
    assert "data.txt_column" in info.value.render()


def test_wrong_type_names_the_key(composed):
    composed["split"]["valid_size"] = "a lot"
    with pytest.raises(UserError) as info:
        load_stage_config(PrepareStage, composed)
    assert "split.valid_size" in info.value.render()


def test_write_params_keeps_a_backup_of_what_it_replaces(tmp_path, composed):
    path = tmp_path / "params.yaml"
    path.write_text("seed: 1  # my hand edit\n", encoding="utf-8")
    backup = write_params(composed, path)
    assert backup is not None and backup.read_text(encoding="utf-8") == "seed: 1  # my hand edit\n"
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == composed
    assert write_params(composed, path) is None  # unchanged: nothing to back up
    assert path.read_text(encoding="utf-8") == render(composed)


def test_broken_params_file_names_the_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("seed: 1\ndata: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        read_params(path)
    assert "line" in info.value.where and "clearance params" in info.value.fix
