"""The fingerprint of a step's evidence, and the manifest the gate reads.

A question file is answered against one body of evidence. The fingerprint binds
the two: the data's digest, the step's settings and its check statuses, hashed.
It is deterministic, so the same data and config keep it; anything else that
changes what the user looked at changes it, and the gate asks for a re-read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from clearance.checklist.manifest import MANIFEST_NAME
from clearance.checklist.results import CheckResult

LENGTH = 12  # hex digits: short enough to type, long enough never to collide by chance here


def fingerprint(data_digest: str, settings_digest: str, statuses: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The short fingerprint and the basis it was computed from."""
    basis = {"data": data_digest, "settings": settings_digest, "checks": dict(sorted(statuses.items()))}
    text = json.dumps(basis, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:LENGTH], basis


def write_manifest(step: str, data_digest: str, settings_digest: str, checks: list[CheckResult],
                   questions: list[dict[str, Any]], folder: Path,
                   checks_by_question: dict[str, list[str]] | None = None) -> Path:
    """Write reports/<step>/evidence.json: the fingerprint, the step's required questions and which graded
    checks inform each question (the gate, which reads no step's code, lets an answer cite them)."""
    value, basis = fingerprint(data_digest, settings_digest, {c.id: c.status for c in checks})
    manifest = {"step": step, "fingerprint": value, "basis": basis, "questions": questions,
                "checks_by_question": checks_by_question or {}}
    path = folder / MANIFEST_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
