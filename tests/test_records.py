"""Typed files between stages: a schema writes a file and reads it back, and a file that lacks a key its
schema requires fails naming the file and the dotted key, never a placeholder further down."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from clearance.core.errors import UserError
from clearance.core.records import Record, from_data, read_dict, write_record


@dataclass
class Inner(Record):
    score: float
    note: str | None = None


@dataclass
class Outer(Record):
    STAGE: ClassVar[str] = "make_outer"
    name: str
    inner: Inner
    items: list[Inner]
    by_key: dict[str, Inner]
    maybe: Inner | None


GOOD = {"name": "a", "inner": {"score": 1.0}, "items": [{"score": 2.0, "note": "x"}],
        "by_key": {"k": {"score": 3.0}}, "maybe": None}


def test_a_record_round_trips_and_keeps_nested_types(tmp_path: Path):
    path = write_record(Outer, {**GOOD, "extra": "a newer version's key"}, tmp_path / "outer.json")
    read = Outer.read(path)
    assert read.inner == Inner(1.0) and read.items[0].note == "x" and read.by_key["k"].score == 3.0
    assert read.maybe is None and "extra" not in json.loads(path.read_text())
    assert read_dict(Outer, path) == {**GOOD, "inner": {"score": 1.0, "note": None},
                                      "items": [{"score": 2.0, "note": "x"}], "by_key": {"k": {"score": 3.0, "note": None}}}


@pytest.mark.parametrize("doc, where, problem", [
    ({k: v for k, v in GOOD.items() if k != "name"}, "outer.json#name", "missing"),
    ({**GOOD, "inner": {}}, "outer.json#inner.score", "missing"),
    ({**GOOD, "items": [{"score": 1.0}, {"note": "no score"}]}, "outer.json#items[1].score", "missing"),
    ({**GOOD, "by_key": {"k": {}}}, "outer.json#by_key.k.score", "missing"),
    ({**GOOD, "inner": None}, "outer.json#inner", "is null"),
    ({**GOOD, "items": {"not": "a list"}}, "outer.json#items", "is not a list"),
])
def test_a_missing_or_renamed_key_names_the_file_and_the_key(tmp_path: Path, doc, where, problem):
    path = tmp_path / "outer.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UserError) as caught:
        Outer.read(path)
    assert caught.value.where == str(tmp_path / where) and problem in caught.value.problem
    assert "dvc repro -f make_outer" in caught.value.fix


def test_a_writer_that_leaves_out_a_key_fails_before_writing(tmp_path: Path):
    with pytest.raises(UserError, match=r"outer.json#by_key: missing"):
        write_record(Outer, {k: v for k, v in GOOD.items() if k != "by_key"}, tmp_path / "outer.json")
    assert not (tmp_path / "outer.json").exists()


def test_a_missing_file_and_broken_json_say_which_stage_to_run(tmp_path: Path):
    with pytest.raises(UserError, match="not written yet") as caught:
        Outer.read(tmp_path / "outer.json")
    assert "make_outer" in caught.value.fix
    assert Outer.read_optional(tmp_path / "outer.json") is None
    (tmp_path / "outer.json").write_text('{"name": ')
    with pytest.raises(UserError, match=r"outer.json, line 1"):
        Outer.read(tmp_path / "outer.json")
    with pytest.raises(UserError, match=r"where#: is not a JSON object|where: is not a JSON object"):
        from_data(Outer, ["a list"], "where")
