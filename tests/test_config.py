"""params.yaml is composed from conf/; each stage reads one typed config."""

from __future__ import annotations

import pytest
import yaml

from clearance.compose import compose, diff, render, write_params
from clearance.config import InspectStage, PrepareStage, load_stage_config, read_params
from clearance.errors import UserError
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
    assert "conf" in info.value.render()


def test_every_stage_config_accepts_the_composed_params(composed):
    prepare = load_stage_config(PrepareStage, composed)
    inspect = load_stage_config(InspectStage, composed)
    assert prepare.data.text_column == composed["data"]["text_column"]
    assert inspect.checks.inspect.min_sample_size == composed["checks"]["inspect"]["min_sample_size"]


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
