"""Build a configured `_target_` with Hydra, turning every way it can go wrong into a UserError.

Every stage resolves a part here: its module is located first (clearance.core.parts.plugins:
plugins/, clearance or an installed package, nothing DVC does not watch), then the part is made
a partial (nothing is called) and its arguments are bound against the target's signature, so a
misspelt key or a missing argument is reported with the key's name before anything runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from clearance.core.errors import UserError
from clearance.core.parts.plugins import check_path_settings, locate

# Built-in parts that moved out of clearance.core (steps 1 and 2 no longer depend on them): an old
# `_target_` in a user's conf/ is named with its new place instead of failing as "cannot import".
MOVED = {f"clearance.core.parts.{name}.": f"clearance.neural.parts.{name}."
         for name in ("device", "hf", "minilm", "parts", "pooling", "pretrained", "tiny", "tokenizer", "trained")}


def check_not_moved(target: str, key: str) -> None:
    """A UserError naming the new place of a built-in part that moved."""
    for old, new in MOVED.items():
        if target.startswith(old):
            raise UserError(f"{key}._target_={target}", "this built-in part moved",
                            f"write `_target_: {new}{target[len(old):]}` in the conf/ file that names it")


def partial_of(spec: dict[str, Any], key: str, what: str, fix: str) -> functools.partial:
    """The target of ``spec`` with the YAML's keys bound, not called yet."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    target = spec.get("_target_") if isinstance(spec, dict) else None
    if not target:
        raise UserError(f"{key}._target_", f"no {what} is named", fix)
    check_not_moved(str(target), key)
    for dotted, nested in targets_with_keys(spec, key):  # the part and any part nested in its settings
        locate(nested, dotted, what, fix)
    check_path_settings(spec, key)
    try:
        made = instantiate(dict(spec), _partial_=True, _convert_="all")
    except (InstantiationException, ImportError, AttributeError) as exc:
        raise UserError(f"{key}._target_={target}", f"cannot import the {what}: {_reason(exc)}", fix) from None
    if not isinstance(made, functools.partial):
        raise UserError(f"{key}._target_={target}", f"is not callable, so it cannot build the {what}", fix)
    return made


def _reason(exc: BaseException) -> str:
    """Why the import failed: Hydra keeps it in the cause, after an 'Error loading' line."""
    cause = exc.__cause__
    lines = str(cause).splitlines()[1:] if cause is not None else []
    return " ".join(lines) if lines else (str(exc).splitlines() or [type(exc).__name__])[0]


def targets_with_keys(spec: Any, key: str) -> list[tuple[str, str]]:
    """(dotted key, `_target_`) of a spec and of every spec nested in its settings."""
    if isinstance(spec, dict):
        own = [(key, spec["_target_"])] if isinstance(spec.get("_target_"), str) else []
        return own + [pair for name, value in spec.items() for pair in targets_with_keys(value, f"{key}.{name}")]
    if isinstance(spec, list):
        return [pair for i, value in enumerate(spec) for pair in targets_with_keys(value, f"{key}.{i}")]
    return []


NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def effective_signature(func: Any) -> inspect.Signature | None:
    """The signature a call really meets: for a class whose ``__init__(*args, **kwargs)`` only forwards to
    its parent (the usual way to subclass), the first ancestor's ``__init__`` that names its arguments."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return None
    if not inspect.isclass(func) or not _forwards(signature):
        return signature
    for base in func.__mro__[1:]:
        if base is object or "__init__" not in vars(base):
            continue
        try:
            own = inspect.signature(base.__init__)
        except (TypeError, ValueError):
            return signature
        own = own.replace(parameters=list(own.parameters.values())[1:])  # without self
        if not _forwards(own):
            return own
    return signature


def _forwards(signature: inspect.Signature) -> bool:
    """``(*args, **kwargs)`` and nothing named: a signature that passes everything on."""
    kinds = [p.kind for p in signature.parameters.values()]
    return inspect.Parameter.VAR_KEYWORD in kinds and not any(k in NAMED for k in kinds)


def accepted_names(function: functools.partial) -> set[str]:
    """The argument names the target's (effective) signature lists by name (``**kwargs`` names none)."""
    signature = effective_signature(function.func)
    if signature is None:
        return set()
    return {p.name for p in signature.parameters.values() if p.kind in NAMED}


def check_binds(function: functools.partial, key: str, args: tuple = (), kwargs: dict | None = None) -> None:
    """Raise a UserError when the target's signature rejects the YAML's keys plus ``args``/``kwargs``."""
    keywords = {**function.keywords, **(kwargs or {})}
    signature = effective_signature(function.func)
    if signature is None:  # nothing to check against: the call itself will tell
        return
    try:
        signature.bind(*function.args, *args, **keywords)
    except TypeError as exc:
        target = _name(function)
        raise UserError(f"{key} (_target_={target})", f"the settings do not fit its signature: {exc}",
                        f"make the keys under `{key}` in conf/{key}/ match the arguments of {target}") from None


def call_part(function: Callable[..., Any], key: str, what: str, fix: str, *args: Any, **kwargs: Any) -> Any:
    """Call a built partial; any error it raises becomes a UserError naming ``key``."""
    try:
        return function(*args, **kwargs)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code can raise anything; report it, not a traceback
        name = _name(function) if isinstance(function, functools.partial) else getattr(function, "__name__", "?")
        raise UserError(f"{key}._target_={name}", f"building the {what} failed: {type(exc).__name__}: {exc}",
                        fix) from exc


def _name(function: functools.partial) -> str:
    """The dotted name of a partial's target."""
    func = function.func
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"
