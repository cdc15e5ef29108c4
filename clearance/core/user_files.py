"""Reading the text files a user edits (question files, conf/, params.yaml): one message for each way
they can be damaged, naming the file, the line and the fix.

Two kinds of damage are shared by every such file: bytes that are not UTF-8 (named by line and byte
offset), and YAML that does not parse or carries a tag such as ``!!python/object/apply:os.system``
(named by line and column). Tags are refused, never constructed: these files hold plain values.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError

UTF8_FIX = "save the file as UTF-8 (your editor's 'Save with encoding' or 'Encoding' menu)"
TAG_FIX = ("remove the tag (the word starting with `!`) and write the value as plain text; "
           "quote a value that starts with `!`")
# How both YAML libraries word a tag they will not construct.
_TAG_PROBLEM = re.compile(r"constructor for the tag '(?P<tag>[^']*)'")
_CORE_TAG_PREFIX = "tag:yaml.org,2002:"


def decode_utf8(data: bytes, where: str, fix: str = UTF8_FIX) -> str:
    """``data`` as text; bytes that are not UTF-8 are a UserError naming ``where``, the line and the byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(data, exc, where, fix) from None


def read_utf8(path: Path, fix: str = UTF8_FIX) -> str:
    """A user's text file, read as UTF-8 (see decode_utf8)."""
    return decode_utf8(Path(path).read_bytes(), str(path), fix)


def not_utf8(data: bytes, exc: UnicodeDecodeError, where: str, fix: str = UTF8_FIX) -> UserError:
    """The message for the first byte of ``data`` that is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UserError(where, "saved as UTF-16, not UTF-8", fix)
    offset = exc.start
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return UserError(f"{where}, line {line}",
                     f"not UTF-8 text: byte 0x{data[offset]:02x} at byte offset {offset} (column {column})", fix)


def _tag_name(tag: str) -> str:
    """``tag:yaml.org,2002:python/name:os.system`` as it is written in a file: ``!!python/name:os.system``."""
    return "!!" + tag[len(_CORE_TAG_PREFIX):] if tag.startswith(_CORE_TAG_PREFIX) else tag


def yaml_error(exc: Any, where: str, fix: str, text: str | None = None, tag_fix: str = TAG_FIX) -> UserError:
    """One message for a YAML error of PyYAML or ruamel.yaml: ``where``, its line and column, the
    problem, and ``fix`` (a refused tag gets its own problem, and ``tag_fix``). ``text``, the file's
    content, places an error that carries only a position (a control character the reader refuses)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    position = getattr(exc, "position", None)
    if mark is not None:
        where = f"{where}, line {mark.line + 1}, column {mark.column + 1}"
    elif isinstance(position, int) and text is not None and position <= len(text):
        line_start = text.rfind("\n", 0, position) + 1
        where = f"{where}, line {text.count(chr(10), 0, position) + 1}, column {position - line_start + 1}"
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    problem = " ".join(str(p) for p in parts if p) or str(exc).splitlines()[0]
    if found := _TAG_PROBLEM.search(problem):
        return UserError(where, f"the YAML tag `{_tag_name(found['tag'])}` is refused: this file holds plain "
                                "values, and clearance never constructs or runs what a tag names", tag_fix)
    return UserError(where, f"not valid YAML: {problem}", fix)


def first_not_utf8(folder: Path, pattern: str = "*.yaml") -> UserError | None:
    """The message for the first file under ``folder`` that is not UTF-8 (a library that read it named
    no file), or None when all are."""
    for path in sorted(Path(folder).rglob(pattern)):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return not_utf8(data, exc, str(path))
    return None
