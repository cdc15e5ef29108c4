"""One side's files of a step, parsed for `clearance diff`: the question file by the gate's own reader,
and the checks, evidence and gate stamp it points to."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from clearance.checklist.diff_revisions import Side
from clearance.checklist.entries import Checklist
from clearance.checklist.manifest import MANIFEST_NAME
from clearance.checklist.question_yaml import parse_yaml
from clearance.checklist.questions import load_checklist
from clearance.core.errors import UserError
from clearance.core.paths import stamp_file


@dataclass
class StepFiles:
    """What one side holds for a step; None for each file that side does not have."""

    checklist: Checklist
    signoffs: list[str]
    checks: dict[str, dict] | None
    fingerprint: str | None
    stamp: dict | None
    paths: dict[str, str]  # what -> path, for the files after the question file


def _parse_checklist(text: str, name: str, where: str) -> tuple[Checklist, Any]:
    """The question file parsed by the gate's own reader (same `reviewed:` and answer rules), and its YAML."""
    with tempfile.TemporaryDirectory(prefix="clearance-diff-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            return load_checklist(path), parse_yaml(path)
        except UserError as error:  # name the file as the user knows it, not the temporary copy
            raise UserError(*(part.replace(str(path), where) for part in (error.where, error.problem, error.fix))
                            ) from None


def person(entry: Any) -> str:
    """A sign-off or `cleared_by` as one line: "Ada Lovelace 2026-12-06 <ada@example.org>"."""
    if hasattr(entry, "get"):
        parts = [str(entry.get(k)) for k in ("name", "date") if entry.get(k) not in (None, "")]
        email = entry.get("email")
        return " ".join(parts + ([f"<{email}>"] if email else [])) or json.dumps(dict(entry), default=str)
    return str(entry)


def _signoffs(doc: Any) -> list[str]:
    """The optional top-level `signed_off_by:` list, read with .get() so files without it work."""
    entries = doc.get("signed_off_by") if hasattr(doc, "get") else None
    if not entries:
        return []
    return [person(e) for e in (entries if isinstance(entries, list) else [entries])]


def _json(text: str | None, where: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}, line {exc.lineno}", f"not valid JSON ({exc.msg})",
                        "fix or restore that file at that revision, or compare other revisions") from None


def _checks(doc: Any) -> dict[str, dict] | None:
    """checks.json as id -> item; items without an id are left out (the gate reports those)."""
    if doc is None:
        return None
    items = doc if isinstance(doc, list) else []
    return {str(i["id"]): i for i in items if isinstance(i, dict) and "id" in i}


def read_step(side: Side, path: str) -> StepFiles | None:
    """A step's question file, checks, evidence and stamp on one side; None without a question file."""
    text = side.read(path)
    if text is None:
        return None
    checklist, doc = _parse_checklist(text, PurePosixPath(path).name, side.where(path))
    checks = checklist.checks.as_posix()
    paths = {"checks": checks, "evidence": (PurePosixPath(checks).parent / MANIFEST_NAME).as_posix(),
             "stamp": stamp_file(checklist.step).as_posix()}
    found = {what: _json(side.read(p), side.where(p)) for what, p in paths.items()}
    evidence, stamp = found["evidence"], found["stamp"]
    fingerprint = evidence.get("fingerprint") if isinstance(evidence, dict) else None
    return StepFiles(checklist=checklist, signoffs=_signoffs(doc), checks=_checks(found["checks"]),
                     fingerprint=None if fingerprint is None else str(fingerprint),
                     stamp=stamp if isinstance(stamp, dict) else None, paths=paths)
