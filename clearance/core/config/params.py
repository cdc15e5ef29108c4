"""Read params.yaml into a stage's typed config; compose conf/ for code that runs outside DVC."""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from clearance.core.errors import UserError
from clearance.core.paths import CONF_DIR, PARAMS_FILE
from clearance.core.user_files import read_utf8, yaml_error

T = TypeVar("T")
# params.yaml is composed, not written by hand: the fix for any damage is to compose it again.
RECOMPOSE = ("run `clearance params` (with your overrides) to compose it again from conf/ "
             "(it keeps the damaged file as params.yaml.bak)")


def read_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Read params.yaml as a plain dict, with a clear error when it is unusable."""
    if not path.exists():
        raise UserError(str(path), "file not found", "run `clearance params` to compose it from conf/")
    text = read_utf8(path, RECOMPOSE)
    try:
        # safe_load: a tag such as !!python/object is refused, never constructed.
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, str(path), RECOMPOSE, text, tag_fix=RECOMPOSE) from None
    if not isinstance(loaded, dict):
        raise UserError(str(path), "expected a mapping of settings", RECOMPOSE)
    return loaded


def section_of(field_: Any) -> str:
    """The dotted params section a stage field reads: its name, or ``metadata['params']``."""
    return field_.metadata.get("params", field_.name)


def lookup(params: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    """(found, value) of a dotted key in nested settings."""
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def load_stage_config(cls: type[T], params: dict[str, Any] | None = None,
                      source: str = str(PARAMS_FILE)) -> T:
    """Build a stage's typed config from the params sections it declares.

    A field reads the section of its own name, or the dotted section named in
    its ``metadata={"params": "checks.inspect"}``, so a stage depends on exactly
    the settings it uses. Unknown keys, missing keys and wrongly typed values
    raise a ``UserError`` naming the key.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    params = read_params() if params is None else params
    wanted: dict[str, Any] = {}
    names: dict[str, str] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        found, value = lookup(params, section_of(f))
        names[f.name] = section_of(f)
        if found:
            wanted[f.name] = value
    try:
        merged = OmegaConf.merge(OmegaConf.structured(cls), OmegaConf.create(wanted))
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", None) or "?")
        head, _, rest = key.partition(".")
        key = ".".join(p for p in (names.get(head, head), rest) if p)
        reason = str(exc).splitlines()[0]
        raise UserError(f"{source}: {key}", reason,
                        f"correct `{key}` in conf/ (or in your `-S` override); "
                        "see conf/config.yaml for the known settings") from None


@lru_cache(maxsize=8)
def _composed(conf_dir: str, hydra_overrides: tuple[str, ...]) -> dict[str, Any]:
    from clearance.core.compose import compose

    return compose(list(hydra_overrides), conf_dir=Path(conf_dir))


def from_conf(cls: type[T], section: str | None = None, hydra_overrides: tuple[str, ...] = (),
              conf_dir: Path = CONF_DIR, **overrides: Any) -> T:
    """A config built from conf/'s defaults (for tests, benchmarks and notebooks).

    ``section`` names the dotted params section ``cls`` describes (e.g. ``"data"``);
    without it ``cls`` is a stage config read like params.yaml. ``hydra_overrides``
    go to the composition (e.g. ``("data=custom",)``); ``overrides`` replace
    top-level fields of the result.
    """
    import copy

    params = copy.deepcopy(_composed(str(Path(conf_dir).resolve()), tuple(hydra_overrides)))
    if section is not None:
        found, value = lookup(params, section)
        if not found:
            raise KeyError(section)
        params = {"_": value}
        holder = _single_field(cls)
        config = load_stage_config(holder, params, source=str(conf_dir)).value  # type: ignore[attr-defined]
    else:
        config = load_stage_config(cls, params, source=str(conf_dir))
    for key, value in overrides.items():
        if not hasattr(config, key):
            raise TypeError(f"{cls.__name__} has no field {key!r}")
        setattr(config, key, value)
    return config


def _single_field(cls: type) -> type:
    """A one-field stage config whose field reads section '_' as ``cls``."""
    from dataclasses import field, make_dataclass

    return make_dataclass(f"{cls.__name__}Holder", [("value", cls, field(metadata={"params": "_"}))])
