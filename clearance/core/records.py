"""Typed files between stages: one dataclass schema writes a JSON file and reads it back.

A reader gets attributes, not ``.get()`` with a default: a file that lacks a key its schema
requires (an older version wrote it, or a hand edit renamed it) fails with the file, the
dotted key and the stage to re-run, instead of a report quietly printing "–" in its place.
Extra keys are kept out of the record (a newer version may add some) and never fail.

Nested dataclasses, ``list[Record]`` and ``dict[str, Record]`` are read field by field;
anything else (numbers, text, free-form dicts of statistics) is taken as JSON gives it. A
field with a default may be absent; one typed ``X | None`` may be null.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from clearance.core.errors import UserError

R = TypeVar("R", bound="Record")


class Record:
    """Base of every stage file's schema (subclasses are dataclasses); ``STAGE`` names who writes it."""

    STAGE: ClassVar[str] = ""

    @classmethod
    def read(cls: type[R], path: Path) -> R:
        """The record in ``path``; a missing file, broken JSON or a missing key is a UserError naming it."""
        if not path.exists():
            raise UserError(str(path), f"not written yet ({cls.__name__})",
                            f"run `dvc repro` so stage {cls.STAGE or 'that writes it'} writes it")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise UserError(f"{path}, line {error.lineno}", f"not valid JSON ({error.msg})", cls._rerun()) from None
        return from_data(cls, data, str(path))

    @classmethod
    def read_optional(cls: type[R], path: Path) -> R | None:
        """The record, or None while its stage has not run (a present but broken file still fails)."""
        return cls.read(path) if path.exists() else None

    @classmethod
    def _rerun(cls) -> str:
        return f"run `dvc repro -f {cls.STAGE}` so it is written again" if cls.STAGE else "run `dvc repro` again"

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data (what read gave, or what write writes)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def write(self, path: Path) -> Path:
        """Write the record (stable key order, no timestamps unless a field holds one)."""
        from clearance.core.measurements import (
            jsonable,  # numpy and pandas: only where a stage writes
        )

        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(jsonable(self.to_dict()), indent=1, sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(hint: Any) -> tuple[bool, Any]:
    """(whether None is allowed, the hint without None)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return True, rest[0] if len(rest) == 1 else Any
    return False, hint


def _convert(hint: Any, value: Any, where: str, owner: type) -> Any:
    nullable, hint = _optional(hint)
    if value is None:
        if nullable or hint is Any:
            return None
        raise UserError(where, "is null, but its stage always writes a value", _rerun_of(owner))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return from_data(hint, value, where, owner)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and args and dataclasses.is_dataclass(args[0]):
        if not isinstance(value, list):
            raise UserError(where, f"is not a list ({type(value).__name__})", _rerun_of(owner))
        return [from_data(args[0], item, f"{where}[{i}]", owner) for i, item in enumerate(value)]
    if origin is dict and len(args) == 2 and dataclasses.is_dataclass(args[1]):
        if not isinstance(value, dict):
            raise UserError(where, f"is not a mapping ({type(value).__name__})", _rerun_of(owner))
        return {k: from_data(args[1], v, f"{where}.{k}", owner) for k, v in value.items()}
    return value


def _rerun_of(owner: type) -> str:
    stage = getattr(owner, "STAGE", "")
    return f"run `dvc repro -f {stage}` so it is written again" if stage else "run `dvc repro` again"


def from_data(cls: type[R], data: Any, where: str, owner: type | None = None) -> R:
    """Build ``cls`` from parsed JSON; ``where`` is the file (and key path) for messages."""
    owner = owner or cls
    if not isinstance(data, dict):
        raise UserError(where, f"is not a JSON object ({type(data).__name__})", _rerun_of(owner))
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        key = f"{where}#{f.name}" if "#" not in where else f"{where}.{f.name}"
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
                raise UserError(key, "missing (its stage always writes it; an older version or a hand edit "
                                "left it out)", _rerun_of(owner))
            continue
        values[f.name] = _convert(hints[f.name], data[f.name], key, owner)
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:  # a schema's own consistency rule (__post_init__)
        raise UserError(where, f"inconsistent: {error}", _rerun_of(owner)) from None


def write_record(cls: type[Record], payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` through ``cls``'s schema: a writer that leaves out a required key fails here, not
    in the stage that reads the file."""
    from clearance.core.measurements import jsonable

    return from_data(cls, jsonable(payload), str(path)).write(path)


def read_dict(cls: type[Record], path: Path) -> dict[str, Any]:
    """``cls.read(path)`` as plain data, for code that grades or renders dicts (every required key checked)."""
    return cls.read(path).to_dict()


def read_dict_optional(cls: type[Record], path: Path) -> dict[str, Any] | None:
    """``read_dict``, or None while the file's stage has not run."""
    return read_dict(cls, path) if path.exists() else None
