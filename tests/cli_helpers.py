"""Edit a question file the way a user does."""

from __future__ import annotations

import json
import re
from pathlib import Path

ID_LINE = re.compile(r"^\s*-\s+id:\s*(?P<id>\S+)\s*$")
EMPTY_ANSWER = re.compile(r"^(?P<key>\s+answer:)\s*$")
REVIEWED = re.compile(r"^reviewed:.*$", re.MULTILINE)
DEFAULT_ANSWER = "Looked at the evidence for {id}, and it is fine for this task{cite}."


def citations(path: Path) -> dict[str, str]:
    """For each question of the question file at ``path``, one thing its evidence shows, as a person quotes it
    (e.g. "42.5% (class_share.negative)"), read the way the gate reads it; none for a question with nothing
    to cite (no evidence, or the step's stage has not run)."""
    from clearance.checklist.citations import suggestions
    from clearance.core.errors import UserError

    try:
        return suggestions(path)
    except UserError:  # a file damaged on purpose: its test is about that, not about citing
        return {}


def fill_answers(path: Path, answer: str = DEFAULT_ANSWER) -> None:
    """Answer every empty `answer:` in the file's text; ``{id}`` in ``answer`` becomes the
    question's id, so the default gives each question its own answer of enough words, and ``{cite}``
    "; it shows <a figure of its evidence>" (the gate's gate.cite_evidence), or nothing when there is none."""
    quoted = citations(path) if "{cite}" in answer else {}
    current = ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if found := ID_LINE.match(line):
            current = found.group("id")
        if found := EMPTY_ANSWER.match(line.rstrip("\n")):
            cite = f"; it shows {quoted[current]}" if current in quoted else ""
            written = answer.replace("{id}", current).replace("{cite}", cite)
            # A double-quoted scalar is valid YAML whatever the answer holds.
            line = f"{found.group('key')} {json.dumps(written, ensure_ascii=False)}\n"
        lines.append(line)
    path.write_text("".join(lines), encoding="utf-8")


DEFAULT_REASON = "We accept the {id} failure for this data set after reading its evidence."


def add_waivers(path: Path, check_ids: list[str], reason: str = DEFAULT_REASON) -> None:
    """Waive the given checks with a written reason; ``{id}`` in ``reason`` becomes the check's id, so
    the default gives each waiver its own reason of enough words (gate.min_reason_words)."""
    if not check_ids:
        return
    entries = "".join(f"\n  - check: {c}\n    reason: {json.dumps(reason.replace('{id}', c), ensure_ascii=False)}"
                      for c in check_ids)
    text = path.read_text(encoding="utf-8")
    if "waivers: []" in text:
        text = text.replace("waivers: []", "waivers:" + entries)
    else:  # waivers written before: add below the `waivers:` key
        text = re.sub(r"^waivers:[ \t]*$", lambda m: m.group(0) + entries, text, count=1, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


def write_evidence(root: Path, step: str, fingerprint: str, questions: list[dict] | None = None) -> Path:
    """Write reports/<step>/evidence.json as the step's stage does (by default its required questions)."""
    from tests.steps import step_questions

    path = root / "reports" / step / "evidence.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"step": step, "fingerprint": fingerprint, "basis": {"data": fingerprint},
           "questions": step_questions(step) if questions is None else questions}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def evidence_fingerprint(path: Path) -> str:
    """The fingerprint in reports/<step>/evidence.json of the project holding question file ``path``."""
    text = path.read_text(encoding="utf-8")
    step = found.group(1) if (found := re.search(r"^step:\s*(\S+)", text, re.MULTILINE)) else path.stem
    manifest = path.resolve().parent.parent / "reports" / step / "evidence.json"
    return json.loads(manifest.read_text(encoding="utf-8"))["fingerprint"]


def mark_reviewed(path: Path, fingerprint: str | None = None) -> str:
    """Set the `reviewed:` line to ``fingerprint`` (default: the step's current evidence), as a
    user does after re-reading; adds the line when the file has none. Returns the fingerprint."""
    fingerprint = fingerprint if fingerprint is not None else evidence_fingerprint(path)
    text = path.read_text(encoding="utf-8")
    line = f"reviewed: {fingerprint}"
    if REVIEWED.search(text):
        text = REVIEWED.sub(lambda _: line, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n{line}\n"
    path.write_text(text, encoding="utf-8")
    return fingerprint


def run_in_process(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the `clearance` command in this process: (exit code, stdout, stderr)."""
    from clearance.cli import main

    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code
    out = capsys.readouterr()
    return code, out.out, out.err


def add_missing_questions(path: Path) -> list[str]:
    """Paste the step's required questions the file lacks (a task's own questions) as the gate's message
    tells a user to; returns their ids."""
    from clearance.checklist.messages import paste_missing

    text = path.read_text(encoding="utf-8")
    step = found.group(1) if (found := re.search(r"^step:\s*(\S+)", text, re.MULTILINE)) else path.stem
    manifest = json.loads((path.resolve().parent.parent / "reports" / step / "evidence.json").read_text())
    text, added = paste_missing(text, manifest["questions"])
    path.write_text(text, encoding="utf-8")
    return added
