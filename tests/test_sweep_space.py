"""The sweep's search space: expressions, keys, Optuna suggestions, applying values, positions."""

from __future__ import annotations

import copy
import math

import optuna
import pytest
import yaml

from clearance.core.config.params import read_params
from clearance.core.errors import UserError
from clearance.sweep.search.space import (
    Dimension,
    apply,
    check_keys,
    distributions,
    flatten_keys,
    parse_expression,
    parse_space,
    position,
    space_digest,
    suggest,
)
from tests.conftest import REPO

PARAMS = {"train": {"lr": 3e-4, "batch_size": 32, "optimizer": "adamw", "max_steps": None},
          "model": {"num_layers": 2, "head": {"dropout": 0.1}},
          "sweep": {"trials": 8}, "checks": {"sweep": {"edge_share": 0.1}}, "seed": 42}


def error_of(call, *args, **kwargs) -> UserError:
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    return info.value


# --- keys ---------------------------------------------------------------------------------------

def test_flatten_keys_reads_nested_and_dotted_keys_alike():
    tree = {"train": {"lr": "a", "optim": {"name": "b"}}, "model.num_layers": "c", "seed": 1}
    assert flatten_keys(tree) == {"train.lr": "a", "train.optim.name": "b", "model.num_layers": "c", "seed": 1}


def test_a_key_given_nested_and_dotted_is_an_error_naming_it():
    error = error_of(flatten_keys, {"train": {"lr": "a"}, "train.lr": "b"})
    assert error.where == "sweep.space.train.lr" and "twice" in error.problem


def test_a_value_beside_settings_inside_it_is_an_error():
    error = error_of(flatten_keys, {"train": 1, "train.lr": 2}, section="sweep.trial")
    assert error.where == "sweep.trial.train" and "train.lr" in error.problem


def test_a_key_with_an_empty_part_is_an_error():
    assert error_of(flatten_keys, {"train..lr": "x"}).where == "sweep.space.train..lr"


def test_unknown_key_names_it_and_suggests_close_matches():
    error = error_of(check_keys, parse_space({"train.lrr": "uniform(0.1, 0.2)"}), PARAMS)
    assert error.where == "sweep.space.train.lrr"
    assert "no such setting" in error.problem and "`train.lr`" in error.fix


def test_unknown_key_in_an_unknown_section_suggests_the_closest_key():
    error = error_of(check_keys, ["trian.lr"], PARAMS)
    assert error.where == "sweep.space.trian.lr" and "`train.lr`" in error.fix


def test_unknown_key_without_a_close_match_lists_its_section():
    error = error_of(check_keys, ["train.learning_rate"], PARAMS)
    assert "`train.batch_size`" in error.fix and "`train.lr`" in error.fix


def test_check_keys_names_the_section_it_checks():
    error = error_of(check_keys, flatten_keys({"train": {"max_stepz": 5}}), PARAMS, section="sweep.trial")
    assert error.where == "sweep.trial.train.max_stepz" and "`train.max_steps`" in error.fix


@pytest.mark.parametrize("key", ["sweep.trials", "checks.sweep.edge_share"])
def test_the_sweeps_own_settings_and_the_thresholds_cannot_be_tuned(key):
    error = error_of(check_keys, [key], PARAMS)
    assert error.where == f"sweep.space.{key}" and "cannot tune" in error.problem


def test_a_section_is_not_a_setting():
    error = error_of(check_keys, ["model.head"], PARAMS)
    assert "section" in error.problem and "`model.head.dropout`" in error.fix


def test_known_keys_pass_including_a_setting_whose_value_is_null():
    check_keys(parse_space({"train": {"lr": "loguniform(1e-5, 1e-3)"}, "model.head.dropout": "choice(0.0, 0.1)"}),
               PARAMS)
    check_keys(["train.max_steps", "seed"], PARAMS, section="sweep.trial")


# --- expressions --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, choices", [
    ("choice(0.0, 0.01)", (0.0, 0.01)),
    ("choice(16, 32)", (16, 32)),
    ("choice(adamw, sgd)", ("adamw", "sgd")),
    ("choice(true, false)", (True, False)),
    ("choice(null, 0.1)", (None, 0.1)),
    ("choice(1e-5, 3e-4)", (1e-5, 3e-4)),  # PyYAML alone would read 1e-5 as text
    ("choice('1e-5', \"a, b\")", ("1e-5", "a, b")),  # quoted values stay text
    ("  choice( 1 ,2,  3 )  ", (1, 2, 3)),
])
def test_choice_values_are_yaml_scalars(text, choices):
    dim = parse_expression("train.x", text)
    assert dim.kind == "choice" and dim.choices == choices
    assert [type(v) for v in dim.choices] == [type(v) for v in choices]


@pytest.mark.parametrize("text, kind, low, high", [
    ("uniform(0, 0.3)", "uniform", 0.0, 0.3),
    ("loguniform(1e-5,1e-3)", "loguniform", 1e-5, 1e-3),
    (" int( 1 , 6 ) ", "int", 1, 6),
    ("logint(8, 256)", "logint", 8, 256),
])
def test_ranges(text, kind, low, high):
    dim = parse_expression("train.x", text)
    assert (dim.kind, dim.low, dim.high) == (kind, low, high)
    assert type(dim.low) is type(low) and dim.log == kind.startswith("log")


@pytest.mark.parametrize("text, problem", [
    ("choice()", "empty"),
    ("uniform(0.3, 0.1)", "not below"),
    ("int(4, 4)", "not below"),
    ("loguniform(0, 1e-3)", "above 0"),
    ("loguniform(-1e-3, 1e-3)", "above 0"),
    ("logint(0, 8)", "above 0"),
    ("normal(0, 1)", "unknown function `normal`"),
    ("loguniform(1e-5, 1e-3", "cannot read"),
    ("adamw", "cannot read"),
    ("choice(1], [2)", "cannot read the arguments"),
    ("int(1.5, 6)", "whole numbers"),
    ("logint(8, 2.5e2)", "whole numbers"),
    ("uniform(low, 1)", "finite numbers"),
    ("uniform(0, .inf)", "finite numbers"),
    ("uniform(0.1)", "two bounds"),
    ("choice([1, 2])", "not a plain value"),
    ("choice(16, 16)", "twice"),
])
def test_bad_expressions_fail_naming_the_key(text, problem):
    error = error_of(parse_space, {"train": {"lr": text}})
    assert error.where == "sweep.space.train.lr"
    assert problem in error.problem and error.fix
    assert "sweep.space.train.lr" in error.render()


def test_an_unknown_function_suggests_the_closest_one():
    assert "`loguniform`" in error_of(parse_expression, "train.lr", "log_uniform(1e-5, 1e-3)").fix


def test_a_bare_list_says_how_to_write_it_as_a_choice():
    error = error_of(parse_space, {"train": {"batch_size": [16, 32]}})
    assert error.where == "sweep.space.train.batch_size" and "`choice(16, 32)`" in error.fix


def test_a_bare_number_says_how_to_write_it():
    error = error_of(parse_space, {"train.lr": 0.001})
    assert error.where == "sweep.space.train.lr" and "choice(16, 32)" in error.fix and "sweep.trial" in error.fix


def test_one_value_and_true_are_two_choices():
    assert parse_expression("x", "choice(1, true)").choices == (1, True)


def test_the_shipped_space_parses_and_names_settings_of_params_yaml():
    shipped = yaml.safe_load((REPO / "conf" / "sweep" / "default.yaml").read_text(encoding="utf-8"))
    params = read_params(REPO / "params.yaml")
    dims = parse_space(shipped["space"])
    assert {d.key for d in dims} >= {"train.lr", "model.num_layers"}
    check_keys(dims, params)
    check_keys(flatten_keys(shipped["trial"], section="sweep.trial"), params, section="sweep.trial")
    assert parse_space(params["sweep"]["space"]) == dims


# --- Optuna -------------------------------------------------------------------------------------

SPACE = {"train": {"lr": "loguniform(1e-5, 1e-3)", "dropout": "uniform(0.0, 0.3)",
                   "optimizer": "choice(adamw, sgd)", "batch_size": "choice(16, 32)"},
         "model.num_layers": "int(1, 4)", "model.head.width": "logint(8, 256)",
         "model.head.bias": "choice(true, false, null)"}


def sampled(seed: int, trials: int = 12) -> list[dict]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dims = parse_space(SPACE)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed))
    out = []
    for _ in range(trials):
        trial = study.ask()
        values = suggest(trial, dims)
        assert trial.distributions == distributions(dims)
        study.tell(trial, 0.0)
        out.append(values)
    return out


def test_suggest_draws_values_inside_the_space_with_their_types():
    runs = sampled(seed=0)
    for values in runs:
        assert 1e-5 <= values["train.lr"] <= 1e-3 and isinstance(values["train.lr"], float)
        assert 0.0 <= values["train.dropout"] <= 0.3
        assert values["train.optimizer"] in ("adamw", "sgd")
        assert values["train.batch_size"] in (16, 32) and type(values["train.batch_size"]) is int
        assert 1 <= values["model.num_layers"] <= 4 and type(values["model.num_layers"]) is int
        assert 8 <= values["model.head.width"] <= 256 and type(values["model.head.width"]) is int
        assert values["model.head.bias"] in (True, False, None)
        assert values["model.head.bias"] is None or type(values["model.head.bias"]) is bool
    assert len({v["train.lr"] for v in runs}) > 1  # values vary from trial to trial


def test_suggest_is_reproducible_with_the_same_seed():
    assert sampled(seed=0) == sampled(seed=0)
    assert sampled(seed=0) != sampled(seed=1)


def test_distributions_match_the_dimensions():
    dists = distributions(parse_space(SPACE))
    assert dists["train.lr"] == optuna.distributions.FloatDistribution(1e-5, 1e-3, log=True)
    assert dists["model.num_layers"] == optuna.distributions.IntDistribution(1, 4)
    assert dists["model.head.width"].log
    assert dists["train.optimizer"].choices == ("adamw", "sgd")


# --- applying, digest, position -----------------------------------------------------------------

def test_apply_sets_dotted_keys_on_a_copy():
    before = copy.deepcopy(PARAMS)
    out = apply(PARAMS, {"train.lr": 1e-3, "model.head.dropout": 0.2, "seed": 7})
    assert PARAMS == before
    assert out["train"]["lr"] == 1e-3 and out["model"]["head"]["dropout"] == 0.2 and out["seed"] == 7
    assert out["train"]["batch_size"] == 32
    out["model"]["num_layers"] = 99
    assert PARAMS["model"]["num_layers"] == 2  # a deep copy


def test_apply_refuses_a_missing_section():
    with pytest.raises(UserError):
        apply(PARAMS, {"nosuch.lr": 1})


def test_space_digest_is_stable_and_ignores_key_order():
    dims = parse_space(SPACE)
    digest = space_digest(dims)
    assert len(digest) == 12 and int(digest, 16) >= 0
    assert space_digest(list(reversed(dims))) == digest
    assert space_digest(parse_space(dict(reversed(list(SPACE.items()))))) == digest
    changed = parse_space({**SPACE, "model.num_layers": "int(1, 5)"})
    assert space_digest(changed) != digest


@pytest.mark.parametrize("text, value, expected", [
    ("uniform(0.0, 0.4)", 0.0, 0.0),
    ("uniform(0.0, 0.4)", 0.4, 1.0),
    ("uniform(0.0, 0.4)", 0.1, 0.25),
    ("int(1, 5)", 3, 0.5),
    ("loguniform(1e-5, 1e-3)", 1e-4, 0.5),  # the middle of a log range is the geometric mean
    ("loguniform(1e-5, 1e-3)", 1e-3, 1.0),
    ("logint(4, 64)", 16, 0.5),
    ("choice(3, 1, 2)", 1, 0.0),  # positions follow the sorted values, not the written order
    ("choice(3, 1, 2)", 2, 0.5),
    ("choice(0.0, 0.01, 0.1)", 0.1, 1.0),
])
def test_position(text, value, expected):
    assert math.isclose(position(parse_expression("k", text), value), expected, abs_tol=1e-12)


@pytest.mark.parametrize("text, value", [
    ("choice(adamw, sgd)", "sgd"),
    ("choice(null, 0.1)", 0.1),
    ("choice(true, false)", True),
    ("choice(32)", 32),
])
def test_position_is_none_for_non_numeric_or_single_choices(text, value):
    assert position(parse_expression("k", text), value) is None


def test_dimension_log_flag():
    assert Dimension("k", "logint", 1, 8).log and not Dimension("k", "int", 1, 8).log


def test_a_null_dimension_is_left_out_of_the_search():
    """conf/debug/tiny.yaml drops MiniLM's model.num_layers this way: a config group cannot delete a key."""
    dims = parse_space({"train": {"lr": "loguniform(1e-4, 1e-2)"}, "model": {"num_layers": None,
                                                                          "layers": "choice(1, 2)"}})
    assert [d.key for d in dims] == ["train.lr", "model.layers"]
