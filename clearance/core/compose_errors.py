"""Why conf/ did not compose, as one message: the conf file and line, or the override, and the fix.

Hydra raises its own errors for overrides (a key or a group option that does not exist, a value it cannot
parse) and lets YAML's and the file reader's errors through with a traceback; each becomes a UserError here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.paths import CONF_FILE
from clearance.core.user_files import UTF8_FIX, first_not_utf8, yaml_error

CONF_YAML_FIX = "fix the YAML there (indentation, quoting); `git diff -- conf/` shows what changed"
# "Could not override 'data.nosuch'.\nTo append to your config use +data.nosuch=1"
_NOT_THERE = re.compile(r"Could not override '(?P<key>[^']+)'")
_SHOWN_KEYS = 20  # the known keys a message lists at most


def _shown(path: str | Path) -> str:
    """A path as the user knows it: relative to the current folder when inside it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _text_of(name: str | None) -> str | None:
    """The text of the conf file a YAML error names, to place an error that carries only a position."""
    try:
        return Path(name).read_bytes().decode("utf-8", errors="replace") if name else None
    except OSError:
        return None


def _override_naming(overrides: list[str], key: str) -> str | None:
    """The override whose key is ``key`` (after any +, ++ or ~), or None when none is."""
    for override in overrides:
        if override.lstrip("+~").split("=", 1)[0] == key:
            return override
    return None


def _known_keys(bare: Callable[[], dict[str, Any]] | None, dotted: str) -> list[str]:
    """The keys beside ``dotted`` in conf/ as ``bare`` composes it (without overrides); [] when that cannot
    be told."""
    if bare is None:
        return []
    try:
        node: Any = bare()
    except UserError:
        return []
    for part in dotted.split(".")[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    return sorted(node) if isinstance(node, dict) else []


def _missing_option(exc: Any, overrides: list[str], conf_dir: Path) -> UserError:
    """A config group's option that conf/ does not hold (`model=nosuch`), from an override or config.yaml."""
    group, _, name = str(exc.missing_cfg_file or "").rpartition("/")
    override = _override_naming(overrides, group) if group else None
    where = f"override `{override}`" if override else _shown(conf_dir / CONF_FILE)
    options = list(exc.options or [])
    if not group or not options:
        groups = sorted(p.name for p in conf_dir.iterdir() if p.is_dir()) if conf_dir.is_dir() else []
        return UserError(where, f"conf/ has no config group for {exc.missing_cfg_file!r}",
                         f"use one of the groups in conf/: {', '.join(groups) or 'none'}")
    return UserError(where, f"conf/{group}/ has no {name}.yaml",
                     f"use one of: {', '.join(options)} (e.g. `clearance params {group}={options[0]}`)")


def _missing_key(key: str, overrides: list[str], bare: Callable[[], dict[str, Any]] | None) -> UserError:
    """An override of a key conf/ does not have (`data.nosuch=1`)."""
    override = _override_naming(overrides, key) or key
    value = override.split("=", 1)[1] if "=" in override else "VALUE"
    known = _known_keys(bare, key)
    parent = key.rpartition(".")[0]
    listed = ""
    if known:
        more = ", …" if len(known) > _SHOWN_KEYS else ""
        listed = f"the keys {'in `' + parent + '`' if parent else 'at the top'} are: " \
                 f"{', '.join(known[:_SHOWN_KEYS])}{more}; "
    return UserError(f"override `{override}`", f"conf/ has no key `{key}` to override",
                     f"check its spelling ({listed}see conf/config.yaml), or use `+{key}={value}` to add a key")


def composition_error(exc: BaseException, overrides: list[str], conf_dir: Path,
                      bare: Callable[[], dict[str, Any]] | None = None) -> UserError:
    """One message for anything that stopped Hydra from composing conf/ with ``overrides``; ``bare`` composes
    conf/ without them, to list the keys there are (clearance.core.compose passes it: no import back)."""
    from hydra.errors import MissingConfigException, OverrideParseException

    if isinstance(exc, UnicodeDecodeError):
        return first_not_utf8(conf_dir) or UserError(_shown(conf_dir), "a file in it is not UTF-8 text", UTF8_FIX)
    if hasattr(exc, "problem_mark") or type(exc).__module__.startswith("yaml"):
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        name = mark.name if mark is not None else getattr(exc, "name", None)  # a ReaderError has no mark
        return yaml_error(exc, _shown(name or conf_dir), CONF_YAML_FIX, _text_of(name))
    if isinstance(exc, MissingConfigException):
        return _missing_option(exc, overrides, conf_dir)
    if isinstance(exc, OverrideParseException):
        return UserError(f"override `{exc.override}`", f"cannot be read: {str(exc.message).splitlines()[0]}",
                         "write each override as key=value, and quote a value holding brackets, spaces or "
                         "`=` (key='[a b]'); see https://hydra.cc/docs/advanced/override_grammar/basic/")
    text = str(exc)
    if found := _NOT_THERE.search(text):
        return _missing_key(found["key"], overrides, bare)
    full_key = getattr(exc, "full_key", None)
    first = text.split("\nConfig search path")[0].splitlines()[0] if text else type(exc).__name__
    where = f"{_shown(conf_dir)}: {full_key}" if full_key else _shown(conf_dir)
    return UserError(where, f"cannot compose the config: {first}",
                     "check the override keys and the files in conf/ (`git diff -- conf/` shows what changed)")
