"""Build a configured `_target_` with Hydra, turning every way it can go wrong into a UserError.

A part is first made a partial (nothing is called), then its arguments are
bound against the target's signature, so a misspelt key or a missing argument
is reported with the key's name before anything runs.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clearance.errors import UserError


def ensure_root_importable(root: Path | None = None) -> None:
    """Put the project root (the working directory) on sys.path.

    Stages run as `python stages/x.py`, so sys.path[0] is stages/, not the root:
    without this a user's `my_models.MyNet` in the repository root would not import.
    """
    path = str((root or Path.cwd()).resolve())
    if path not in sys.path:
        sys.path.insert(0, path)


def partial_of(spec: dict[str, Any], key: str, what: str, fix: str) -> functools.partial:
    """The target of ``spec`` with the YAML's keys bound, not called yet."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    target = spec.get("_target_") if isinstance(spec, dict) else None
    if not target:
        raise UserError(f"{key}._target_", f"no {what} is named", fix)
    ensure_root_importable()
    try:
        made = instantiate(dict(spec), _partial_=True, _convert_="all")
    except (InstantiationException, ImportError, AttributeError) as exc:
        raise UserError(f"{key}._target_={target}", f"cannot import the {what}: {_reason(exc)}",
                        f"{fix} (a module in the project root imports by its file name: my_models.MyNet)") from None
    if not isinstance(made, functools.partial):
        raise UserError(f"{key}._target_={target}", f"is not callable, so it cannot build the {what}", fix)
    return made


def _reason(exc: BaseException) -> str:
    """Why the import failed: Hydra keeps it in the cause, after an 'Error loading' line."""
    cause = exc.__cause__
    lines = str(cause).splitlines()[1:] if cause is not None else []
    return " ".join(lines) if lines else (str(exc).splitlines() or [type(exc).__name__])[0]


def accepted_names(function: functools.partial) -> set[str]:
    """The argument names the target's signature lists by name (``**kwargs`` names none)."""
    try:
        parameters = inspect.signature(function.func).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return set()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in parameters if p.kind in named}


def check_binds(function: functools.partial, key: str, args: tuple = (), kwargs: dict | None = None) -> None:
    """Raise a UserError when the target's signature rejects the YAML's keys plus ``args``/``kwargs``."""
    keywords = {**function.keywords, **(kwargs or {})}
    try:
        signature = inspect.signature(function.func)
    except (TypeError, ValueError):  # nothing to check against: the call itself will tell
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
