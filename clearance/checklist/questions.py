"""Question files: checklists/<step>.yaml, read (never written) with line numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# What a question file holds and when an answer counts live beside this reader; importers of the
# question files' API find them here too.
from clearance.checklist.entries import FILE_KEYS, QUESTION_KEYS, Checklist, Question
from clearance.checklist.question_yaml import (
    as_text,
    first_repeat,
    line_of,
    one_value,
    parse_yaml,
    prose,
    refuse_unknown_keys,
    require_field,
)
from clearance.checklist.sign_offs import read_sign_offs
from clearance.checklist.waivers import read_waivers
from clearance.core.errors import UserError
from clearance.core.user_files import read_utf8

# The top-level `reviewed:` line, read as text: YAML would turn a fingerprint
# such as 000123456789 or 12e456789012 into a number and lose its digits.
REVIEWED_LINE = re.compile(r"^reviewed:[ \t]*(?P<value>[^\n]*)$", re.MULTILINE)


def _evidence(item: Any, qid: str, path: Path, line: int) -> list[str]:
    """A question's `evidence:` pointers (one pointer may stand alone)."""
    evidence = item.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or any(isinstance(e, (list, dict)) for e in evidence):
        raise UserError(f"{path}, line {line_of(item, 'evidence') or line}",
                        f"the `evidence:` of question {qid!r} is not a list of pointers",
                        "write each pointer on its own line under `evidence:`, as `- reports/<step>/<file>#<key>`")
    return [str(e) for e in evidence]


def _question(item: Any, index: int, path: Path) -> Question:
    line = line_of(item) or 0
    if not hasattr(item, "get"):
        raise UserError(f"{path}, line {line}", f"question {index + 1} is not a mapping",
                        "each question needs `id:`, `question:` and `answer:` fields")
    named = item.get("id")
    refuse_unknown_keys(item, QUESTION_KEYS, path,
                        f"question {named!r}" if isinstance(named, str) else f"question {index + 1}", line)
    id_line = line_of(item, "id") or line
    qid = one_value(require_field(item, "id", path, f"question {index + 1}", line), path, id_line,
                    f"the `id:` of question {index + 1}").strip()
    text = prose(require_field(item, "question", path, f"question {qid!r}", line), path,
                 line_of(item, "question") or line, f"the `question:` of {qid!r}", "question")
    require_field(item, "answer", path, f"question {qid!r}", line)
    answer_line = line_of(item, "answer") or line
    answer = prose(item.get("answer"), path, answer_line, f"the answer of question {qid!r}", "answer")
    return Question(id=qid, question=" ".join(text.split()), answer=answer,
                    evidence=_evidence(item, qid, path, line), line=answer_line, id_line=id_line)


def _once_each(questions: list[Question], path: Path) -> None:
    """A question id used twice is named on the second one's `- id:` line, with the first's line."""
    if (pair := first_repeat(questions, lambda q: q.id)) is not None:
        one, two = pair
        raise UserError(f"{path}, line {two.id_line}",
                        f"question id {two.id!r} appears twice (lines {one.id_line} and {two.id_line})",
                        "give each question its own id")


def _reviewed(doc: Any, path: Path) -> str:
    """The fingerprint on the `reviewed:` line, exactly as written (empty when absent or blank)."""
    if "reviewed" not in doc:
        return ""
    if isinstance(doc["reviewed"], (list, dict)):
        raise UserError(f"{path}, line {line_of(doc, 'reviewed')}", "`reviewed:` must be a single fingerprint",
                        "write `reviewed: <fingerprint>` on one line, as `clearance gate` shows it")
    match = REVIEWED_LINE.search(read_utf8(path))
    raw = match.group("value") if match else as_text(doc["reviewed"])
    raw = re.split(r"(?:^|\s)#", raw.strip(), maxsplit=1)[0].strip()  # drop a trailing comment
    return raw[1:-1].strip() if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw


def _not_a_mapping(doc: Any) -> str:
    """What a question file that is not a mapping holds instead."""
    if doc is None:
        return "the file is empty (or holds only comments)"
    kind = "a YAML list" if isinstance(doc, list) else "a single value"
    return f"the file is {kind}, not a mapping with `step:` and `questions:`"


def _field(doc: Any, key: str, path: Path, default: str = "") -> str:
    """A top-level field that holds one value (step, title, checks, report), as text."""
    return one_value(doc.get(key), path, line_of(doc, key), f"`{key}:`") if doc.get(key) is not None else default


def _order(doc: Any, path: Path) -> int:
    """The step's number (`order:`), 0 when absent."""
    value = doc.get("order") or 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"{path}, line {line_of(doc, 'order')}", f"`order:` must be a whole number, not {value!r}",
                        "write the step's number, e.g. `order: 1`") from None


def load_checklist(path: Path) -> Checklist:
    """Read and validate a question file; never writes it."""
    from clearance.checklist.recover import damaged_fix

    doc = parse_yaml(path)
    if not hasattr(doc, "get"):
        raise UserError(str(path), _not_a_mapping(doc), damaged_fix(path))
    refuse_unknown_keys(doc, FILE_KEYS, path, "the file's top level", 1)
    require_field(doc, "step", path, "the file", 1)
    step = _field(doc, "step", path).strip()
    if not step:
        raise UserError(f"{path}, line {line_of(doc, 'step')}", "`step:` is empty",
                        f"write the step's name there, e.g. `step: {path.stem}`")
    items = require_field(doc, "questions", path, "the file", 1)
    if not isinstance(items, list) or not items:
        raise UserError(f"{path}, line {line_of(doc, 'questions')}", "`questions:` must be a non-empty list",
                        "restore the questions from git (`git diff " + str(path) + "`)")
    questions = [_question(item, i, path) for i, item in enumerate(items)]
    _once_each(questions, path)
    return Checklist(
        path=path, step=step, title=_field(doc, "title", path) or step, order=_order(doc, path),
        checks=Path(_field(doc, "checks", path) or f"reports/{step}/checks.json"),
        report=_field(doc, "report", path), questions=questions, waivers=read_waivers(doc, path),
        reviewed=_reviewed(doc, path), reviewed_line=line_of(doc, "reviewed") if "reviewed" in doc else 0,
        sign_offs=read_sign_offs(doc, path),
        sign_offs_line=line_of(doc, "signed_off_by") if "signed_off_by" in doc else 0,
    )


def require_folder(folder: Path) -> None:
    """A UserError when the question files' folder is not there: clearance runs outside a project."""
    if not Path(folder).is_dir():
        raise UserError(str(folder), "no such folder: this is not a clearance project's root",
                        "run clearance in the project's root folder (where checklists/, conf/ and dvc.yaml are), "
                        "or name the question files' folder with `--checklists DIR`")


def find_checklists(folder: Path) -> list[Checklist]:
    """Every question file in ``folder``, in step order; no such folder is a UserError (not a project)."""
    require_folder(folder)
    return sorted((load_checklist(p) for p in sorted(folder.glob("*.yaml"))), key=lambda c: (c.order, c.step))
