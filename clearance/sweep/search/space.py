"""The search space: hand-written expressions such as ``loguniform(3e-5, 3e-3)`` as typed dimensions.

Keys are dotted config keys of the composed params (``train.lr``); the space
and a sweep's per-trial overrides may be written nested or with dotted keys.
Optuna is imported only by the functions that need it, so reading and checking
a space stays cheap for the CLI.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from clearance.core.config.params import lookup
from clearance.core.errors import UserError

if TYPE_CHECKING:
    import optuna

KINDS = ("choice", "uniform", "loguniform", "int", "logint")
LOG_KINDS = ("loguniform", "logint")
INT_KINDS = ("int", "logint")
# Settings a sweep may not tune: its own (it would change the study under it)
# and the checks' thresholds (they grade results, they never produce them).
FORBIDDEN = ("sweep", "checks")
SPACE = "sweep.space"
EXAMPLES = "choice(16, 32), uniform(0.0, 0.3), loguniform(1e-5, 1e-3), int(1, 6) or logint(8, 256)"

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.DOTALL)
# YAML 1.1 (PyYAML) reads ``1e-5`` as a string: a number needs a dot there.
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_PLAIN = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class Dimension:
    """One searched setting: a list of choices or a (log-scaled) range."""

    key: str  # dotted config key
    kind: str  # "choice" | "uniform" | "loguniform" | "int" | "logint"
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple = ()

    @property
    def log(self) -> bool:
        """Whether values are drawn on a log scale."""
        return self.kind in LOG_KINDS


# --- keys -------------------------------------------------------------------------------------

def flatten_keys(tree: Mapping[str, Any], section: str = SPACE) -> dict[str, Any]:
    """Nested and/or dotted keys as one level of dotted keys: ``{"train.lr": leaf}``.

    A leaf is any value that is not a mapping. A key given twice (once nested,
    once dotted), or a setting given together with one inside it, is a
    ``UserError`` naming it under ``section``.
    """
    flat: dict[str, Any] = {}
    _flatten_into(flat, tree, "", section)
    _reject_nested_leaves(flat, section)
    return flat


def _flatten_into(flat: dict[str, Any], tree: Mapping[str, Any], prefix: str, section: str) -> None:
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if any(part.strip() == "" for part in str(key).split(".")):
            raise UserError(f"{section}.{key}", "the key has an empty part",
                            f"write a dotted config key such as `train.lr` {_where_to_edit(section)}")
        if isinstance(value, Mapping) and value:
            _flatten_into(flat, value, f"{key}.", section)
        elif key in flat:
            raise UserError(f"{section}.{key}", "given twice (once nested, once as a dotted key)",
                            f"keep one of the two entries {_where_to_edit(section)}")
        else:
            flat[key] = value


def _reject_nested_leaves(flat: dict[str, Any], section: str) -> None:
    """``train: 1`` beside ``train.lr: ...`` would set a setting and one inside it."""
    for key in flat:
        inner = [other for other in flat if other.startswith(f"{key}.")]
        if inner:
            raise UserError(f"{section}.{key}", f"given both as a value and as a section (`{inner[0]}`)",
                            f"keep only the settings inside it {_where_to_edit(section)}")


def _keys_of(dims_or_keys: Iterable[Dimension | str]) -> list[str]:
    return [item.key if isinstance(item, Dimension) else str(item) for item in dims_or_keys]


def leaf_keys(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every dotted key of a setting (not a section) in nested params."""
    keys: list[str] = []
    for name, value in params.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and value:
            keys.extend(leaf_keys(value, f"{key}."))
        else:
            keys.append(key)
    return keys


def check_keys(dims_or_keys: Iterable[Dimension | str], params: Mapping[str, Any],
               section: str = SPACE) -> None:
    """Every key names one setting of the composed params, and not the sweep's or the checks'.

    Runs before any trial, so a typo is reported at once, with close matches.
    """
    for key in _keys_of(dims_or_keys):
        where = f"{section}.{key}"
        if key.split(".")[0] in FORBIDDEN:
            raise UserError(where, "a sweep cannot tune its own settings (`sweep.`) or the checks' "
                                   "thresholds (`checks.`)",
                            f"remove `{key}` from `{section}`; search model and training settings "
                            "such as `train.lr`")
        found, value = lookup(dict(params), key)
        if not found:
            raise UserError(where, "no such setting in the composed config (params.yaml)",
                            _suggestion(key, params, section))
        if isinstance(value, Mapping) and value:
            inner = ", ".join(f"`{key}.{name}`" for name in list(value)[:6])
            raise UserError(where, "names a section of settings, not one setting",
                            f"name one setting inside it, e.g. {inner}")


def _suggestion(key: str, params: Mapping[str, Any], section: str) -> str:
    """Close matches of a mistyped key: among its section's settings when the section exists."""
    edit = _where_to_edit(section)
    parent, _, name = key.rpartition(".")
    found, node = lookup(dict(params), parent) if parent else (False, None)
    if found and isinstance(node, Mapping):
        close = difflib.get_close_matches(name, [str(n) for n in node], n=3, cutoff=0.6)
        if close:
            return _did_you_mean([f"{parent}.{n}" for n in close], edit)
        names = ", ".join(f"`{parent}.{n}`" for n in node)
        return f"the settings under `{parent}` are {names}; correct it {edit}"
    known = [k for k in leaf_keys(params) if k.split(".")[0] not in FORBIDDEN]
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.7)
    if close:
        return _did_you_mean(close, edit)
    tops = ", ".join(f"`{n}`" for n in params if n not in FORBIDDEN)
    return f"use a dotted key of params.yaml (top-level keys: {tops}); correct it {edit}"


def _did_you_mean(keys: list[str], edit: str) -> str:
    return "did you mean " + " or ".join(f"`{k}`" for k in keys) + f"? Correct it {edit}"


def _where_to_edit(section: str) -> str:
    return f"in conf/sweep/ (or in your `-S '{section}...'` override)"


# --- expressions ------------------------------------------------------------------------------

def parse_space(space: Mapping[str, Any]) -> list[Dimension]:
    """The dimensions of a search space written as ``key: expression`` (nested or dotted keys); a key set
    to null is not searched (a config group can drop a dimension another file added, e.g. conf/debug/)."""
    return [parse_expression(key, text) for key, text in flatten_keys(space, SPACE).items() if text is not None]


def parse_expression(key: str, text: Any) -> Dimension:
    """One ``key: expression`` entry as a ``Dimension``; ``UserError`` naming ``sweep.space.<key>``."""
    where = f"{SPACE}.{key}"
    if not isinstance(text, str):
        raise UserError(where, f"expected an expression as text, got {_shown(text)}",
                        _how_to_write(text))
    match = _CALL.match(text)
    if not match:
        raise UserError(where, f"cannot read `{text}` as an expression",
                        f"write one of {EXAMPLES}; a fixed value belongs in `sweep.trial`")
    name, inner = match.group(1), match.group(2)
    if name not in KINDS:
        close = difflib.get_close_matches(name.lower(), KINDS, n=1, cutoff=0.5)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UserError(where, f"unknown function `{name}`",
                        f"{hint}the functions are {', '.join(KINDS)}, e.g. {EXAMPLES}")
    values = _arguments(where, name, inner)
    if name == "choice":
        return _choice(where, key, values)
    return _range(where, key, name, values)


def _shown(value: Any) -> str:
    return f"the list {value!r}" if isinstance(value, list) else f"{type(value).__name__} {value!r}"


def _how_to_write(value: Any) -> str:
    """How to write a leaf that is not an expression: a list as a choice, a number as a fixed value."""
    if isinstance(value, (list, tuple)):
        items = ", ".join("null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                          for v in value)
        return f"write the list as `choice({items})`"
    return (f"write the range or choices as text, e.g. {EXAMPLES}; "
            "to give every trial this value, put it under `sweep.trial` instead")


def _arguments(where: str, name: str, inner: str) -> list[Any]:
    """The comma-separated arguments, each read as a YAML scalar (``1e-5`` as a number)."""
    text = f"[{inner}]"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        raise UserError(where, f"cannot read the arguments of `{name}({inner})`",
                        f"separate plain values with commas, e.g. {EXAMPLES}") from None
    if not isinstance(node, yaml.SequenceNode) or not isinstance(loaded, list):
        raise UserError(where, f"cannot read the arguments of `{name}({inner})`",
                        f"separate plain values with commas, e.g. {EXAMPLES}")
    values = []
    for item, value in zip(node.value, loaded):
        if not isinstance(item, yaml.ScalarNode) or not isinstance(value, _PLAIN):
            raise UserError(where, f"{value!r} in `{name}(...)` is not a plain value",
                            "use numbers, true/false, null or words; quote anything else")
        if item.style is None and isinstance(value, str) and _NUMBER.match(value):
            value = float(value)  # a plain ``1e-5`` is a number, a quoted "1e-5" stays text
        values.append(value)
    return values


def _choice(where: str, key: str, values: list[Any]) -> Dimension:
    if not values:
        raise UserError(where, "the choice list is empty", "give at least one value, e.g. `choice(16, 32)`")
    seen: set[tuple[type, Any]] = set()
    for value in values:
        # By type too: ``choice(1, true)`` are two values although 1 == True.
        if (type(value), value) in seen:
            raise UserError(where, f"the choice {value!r} is listed twice", "list each value once")
        seen.add((type(value), value))
    return Dimension(key=key, kind="choice", choices=tuple(values))


def _range(where: str, key: str, kind: str, values: list[Any]) -> Dimension:
    if len(values) != 2:
        raise UserError(where, f"`{kind}` takes two bounds (low, high), got {len(values)}",
                        f"write e.g. `{kind}({'1, 6' if kind in INT_KINDS else '0.0, 0.3'})`")
    low, high = (_bound(where, kind, value) for value in values)
    if low >= high:
        raise UserError(where, f"the low bound {low} is not below the high bound {high}",
                        f"write `{kind}(low, high)` with low < high")
    if kind in LOG_KINDS and low <= 0:
        raise UserError(where, f"a log-scaled range must stay above 0, got low bound {low}",
                        f"start it at a positive value, e.g. `{kind}({1 if kind == 'logint' else 1e-5}, {high})`,"
                        f" or use `{kind.removeprefix('log')}` for a linear range")
    return Dimension(key=key, kind=kind, low=low, high=high)


def _bound(where: str, kind: str, value: Any) -> float | int:
    if kind in INT_KINDS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(where, f"the bounds of `{kind}` must be whole numbers, got {value!r}",
                            f"write e.g. `{kind}(1, 6)`, or use `uniform`/`loguniform` for a real range")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(where, f"the bounds of `{kind}` must be finite numbers, got {value!r}",
                        f"write e.g. `{kind}(1e-5, 1e-3)`")
    return float(value)


# --- Optuna -----------------------------------------------------------------------------------

def distributions(dims: Iterable[Dimension]) -> dict[str, optuna.distributions.BaseDistribution]:
    """Optuna's distribution of each dimension, by dotted key (to rebuild a study from trials)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, optuna.distributions.BaseDistribution] = {}
    for dim in dims:
        if dim.kind == "choice":
            out[dim.key] = CategoricalDistribution(list(dim.choices))
        elif dim.kind in INT_KINDS:
            out[dim.key] = IntDistribution(*_int_bounds(dim), log=dim.log)
        else:
            out[dim.key] = FloatDistribution(*_float_bounds(dim), log=dim.log)
    return out


def suggest(trial: optuna.Trial, dims: Iterable[Dimension]) -> dict[str, Any]:
    """One value per dimension from the trial's sampler, by dotted key (the Optuna param name)."""
    values: dict[str, Any] = {}
    for dim in dims:
        if dim.kind == "choice":
            values[dim.key] = trial.suggest_categorical(dim.key, list(dim.choices))
        elif dim.kind in INT_KINDS:
            values[dim.key] = trial.suggest_int(dim.key, *_int_bounds(dim), log=dim.log)
        else:
            values[dim.key] = trial.suggest_float(dim.key, *_float_bounds(dim), log=dim.log)
    return values


def _int_bounds(dim: Dimension) -> tuple[int, int]:
    return int(dim.low or 0), int(dim.high or 0)


def _float_bounds(dim: Dimension) -> tuple[float, float]:
    return float(dim.low or 0.0), float(dim.high or 0.0)


# --- applying and describing ------------------------------------------------------------------

def apply(params: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``params`` with each dotted key set to its value (the input is left as it was)."""
    out = copy.deepcopy(dict(params))
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node: Any = out
        for part in parents:
            if not isinstance(node, dict) or part not in node:
                raise UserError(key, "no such section in the composed config (params.yaml)",
                                "name an existing setting (see params.yaml)")
            node = node[part]
        if not isinstance(node, dict):
            raise UserError(key, "its parent is a value, not a section", "name an existing setting")
        node[leaf] = copy.deepcopy(value)
    return out


def space_digest(dims: Iterable[Dimension]) -> str:
    """12 hex characters naming the space: the same dimensions in any key order give the same digest."""
    canonical = [{"key": d.key, "kind": d.kind, "low": d.low, "high": d.high, "choices": list(d.choices)}
                 for d in sorted(dims, key=lambda d: d.key)]
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def position(dim: Dimension, value: Any) -> float | None:
    """Where ``value`` sits in its dimension, 0 (low end) to 1 (high end).

    Log kinds are measured on a log scale; numeric choices by the value's index in
    the sorted list over (n - 1). ``None`` for non-numeric choices, a single
    choice, or a value that is not a number of the dimension.
    """
    if not _is_number(value):
        return None
    if dim.kind == "choice":
        return _choice_position(dim.choices, value)
    low, high = _float_bounds(dim)
    if dim.log:
        if value <= 0:
            return None
        low, high, value = math.log(low), math.log(high), math.log(value)
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _choice_position(choices: tuple, value: Any) -> float | None:
    if len(choices) < 2 or not all(_is_number(c) for c in choices):
        return None
    ordered = sorted(choices)
    if value not in ordered:
        return None
    return ordered.index(value) / (len(ordered) - 1)
