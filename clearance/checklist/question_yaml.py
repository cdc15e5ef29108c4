"""A question file's YAML: loaded with line numbers and plain tags only, and its fields read as text
with the line an error names."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from clearance.checklist.entries import FILE_KEYS, Key
from clearance.core.errors import UserError
from clearance.core.user_files import read_utf8, yaml_error

# The tags plain YAML values carry; any other (`!!python/...`, `!foo`) is refused, never constructed.
PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + name for name in
                       ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "merge"))
YAML_FIX = ("fix the YAML there (check indentation, and quote answers that contain ': ' "
            "or start with a special character, or use a `|` block)")


def line_of(node: Any, key: Any = None) -> int:
    """1-based line of a node (or of one of its keys) in the file."""
    try:
        if key is None:
            return node.lc.line + 1
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def item_line(items: Any, index: int) -> int:
    """1-based line of a list's item, also when it is a plain value (which carries no line itself)."""
    try:
        return items.lc.item(index)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return line_of(items[index])


def as_text(value: Any) -> str:
    """Scalar YAML values as text (a user may answer with a number or yes/no)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(as_text(v) for v in value)
    return str(value)


@lru_cache(maxsize=1)
def _loader() -> Any:
    """A round-trip loader (line numbers) that keeps dates as text: YAML would turn `2024-05-01` into a
    date and fail on `2024-13-01` with no line to name; the file's own checks parse them instead.
    It refuses tags other than plain values' (`!!python/...`), at their line, before building anything."""
    from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor

    class TextDates(RoundTripConstructor):
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            tag = getattr(node.tag, "value", node.tag)
            if tag not in PLAIN_TAGS:
                raise ConstructorError(None, None, f"could not determine a constructor for the tag {tag!r}",
                                       node.start_mark)
            return super().construct_object(node, deep)

    TextDates.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)
    return TextDates


def parse_yaml(path: Path) -> Any:
    """Load YAML keeping line numbers; malformed YAML, a tag or a byte that is not UTF-8 names the file
    and line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from clearance.checklist.recover import missing_fix

    if not path.exists():
        raise UserError(str(path), "question file not found", missing_fix(path, path.stem))
    text = read_utf8(path)
    try:
        yaml = YAML(typ="rt")
        yaml.Constructor = _loader()
        return yaml.load(text)
    except YAMLError as exc:
        raise yaml_error(exc, str(path), YAML_FIX, text) from None


def require_field(mapping: Any, key: str, path: Path, where: str, line: int) -> Any:
    """``mapping[key]``; a UserError naming ``where`` and its line when the field is not there."""
    if not hasattr(mapping, "get") or key not in mapping:
        raise UserError(f"{path}, line {line}", f"{where} has no `{key}:` field",
                        f"add `{key}:` there (restore the file from git if it was cut: `git diff {path}`)")
    return mapping[key]


def one_value(value: Any, path: Path, line: int, what: str) -> str:
    """A field that holds one value (an id, a title, a check's id) as text; a list or mapping names its line."""
    if isinstance(value, (list, dict)):
        kind = "a list" if isinstance(value, list) else "a mapping"
        raise UserError(f"{path}, line {line}", f"{what} is {kind}, not one value",
                        "write it as one line of text (quote it if it holds ': ' or starts with '- ')")
    return as_text(value)


def prose(value: Any, path: Path, line: int, what: str, key: str) -> str:
    """An answer, a question or a waiver's reason as text. A list of lines is read line by line; a mapping
    (YAML read a `key: value` line in it) or a nested list is refused: flattening it would change the text."""
    if any(isinstance(v, (list, dict)) for v in (value if isinstance(value, list) else [value])):
        raise UserError(f"{path}, line {line}", f"{what} is not text: YAML read a `key: value` line or a nested "
                                                "list in it",
                        f"write it as a block of text: `{key}: |` with the lines indented below it "
                        "(a block keeps ': ' and '- ' as written)")
    return as_text(value)


def first_repeat(items: list[Any], key: Callable[[Any], str]) -> tuple[Any, Any] | None:
    """The first item whose key an earlier item has, with that earlier item (None: every key once)."""
    first: dict[str, Any] = {}
    for item in items:
        if key(item) in first:
            return first[key(item)], item
        first[key(item)] = item
    return None


def _places(keys: tuple[Key, ...] = FILE_KEYS, place: str = "the file's top level (not indented)") -> dict[str, str]:
    """Each key the tables name -> where in a question file it belongs."""
    found = {k.name: place for k in keys}
    for key in keys:
        for name, where in _places(key.entries, f"each `{key.name}:` entry (indented under its `- `)").items():
            found.setdefault(name, where)
    return found


def _unknown_key_fix(key: str, keys: tuple[Key, ...]) -> str:
    """Where a key that is not allowed here belongs, or the allowed key it most likely misspells."""
    import difflib

    names = [k.name for k in keys]
    allowed = "the keys allowed here are " + ", ".join(f"`{n}:`" for n in names)
    home = _places().get(key)
    if home is not None:
        return f"`{key}:` belongs in {home}: move it there (its indentation decides where it is); {allowed}"
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}:`? Rename it ({allowed})"
    return f"delete it, or keep it as a comment (`# {key}: ...`): {allowed}"


def refuse_unknown_keys(mapping: Any, keys: tuple[Key, ...], path: Path, where: str, line: int) -> None:
    """A key the table ``keys`` (clearance.checklist.entries) does not name is refused at its line, with the key
    it misspells or where it belongs: ignored, a misspelt `waiver:` would waive nothing, silently."""
    names = {k.name for k in keys}
    for key in mapping:
        if isinstance(key, str) and key in names:
            continue
        text = key if isinstance(key, str) else as_text(key) or "null"
        raise UserError(f"{path}, line {line_of(mapping, key) or line}", f"{where} has an unknown key `{text}:`",
                        _unknown_key_fix(text, keys))
