"""The evidence manifest: reports/<step>/evidence.json, written by the step's stage.

It tells the gate which questions the step requires and a short fingerprint of
the evidence those questions are about::

    {"step": "inspect", "fingerprint": "1a2b3c4d5e6f", "basis": {...},
     "questions": [{"id": "...", "question": "...", "evidence": ["..."]}]}

The gate compares the fingerprint with the question file's ``reviewed:`` line,
so answers written against other data or settings do not clear it. The stage
writes it (clearance/fingerprint.py); the engine only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.paths import EVIDENCE_FILE
from clearance.core.records import RERUN, read_stage_json

MANIFEST_NAME = EVIDENCE_FILE


@dataclass(frozen=True)
class RequiredQuestion:
    """A question the step requires, as its stage declared it."""

    id: str
    question: str
    evidence: tuple[str, ...] = ()


@dataclass
class Manifest:
    """What a step's stage says its gate must judge."""

    step: str
    fingerprint: str
    questions: list[RequiredQuestion]
    basis: dict[str, Any] = field(default_factory=dict)


def manifest_path(checks: Path) -> Path:
    """The manifest lives beside the step's checks.json."""
    return Path(checks).parent / MANIFEST_NAME


def _malformed(where: Path | str, problem: str) -> UserError:
    return UserError(str(where), problem, RERUN)


def _text(item: dict, key: str, path: Path, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _malformed(path, f"{where} has no `{key}` text")
    return value.strip()


def _question(item: Any, index: int, path: Path) -> RequiredQuestion:
    if not isinstance(item, dict):
        raise _malformed(path, f"questions[{index}] is not an object")
    evidence = item.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise _malformed(path, f"questions[{index}].evidence is not a list of pointers")
    return RequiredQuestion(id=_text(item, "id", path, f"questions[{index}]"),
                            question=" ".join(_text(item, "question", path, f"questions[{index}]").split()),
                            evidence=tuple(evidence))


def read_manifest(path: Path) -> Manifest:
    """Read and check a manifest; a missing or malformed one is a UserError naming the file."""
    doc = read_stage_json(path, "evidence manifest")
    if not isinstance(doc, dict):
        raise _malformed(path, "expected an object with step, fingerprint and questions")
    items = doc.get("questions")
    if not isinstance(items, list):
        raise _malformed(path, "`questions` is missing or not a list")
    basis = doc.get("basis", {})
    return Manifest(step=_text(doc, "step", path, "the manifest"),
                    fingerprint=_text(doc, "fingerprint", path, "the manifest"),
                    questions=[_question(item, i, path) for i, item in enumerate(items)],
                    basis=basis if isinstance(basis, dict) else {"value": basis})


def read_step_manifest(checks: Path, step: str) -> Manifest:
    """The manifest beside a step's checks.json, which must be that step's."""
    path = manifest_path(checks)
    manifest = read_manifest(path)
    if manifest.step != step:
        raise UserError(str(path), f"written for step {manifest.step!r}, but the question file is for {step!r}",
                        "point the question file's `checks:` at its own step's reports folder")
    return manifest
