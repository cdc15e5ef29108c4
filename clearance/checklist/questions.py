"""Question files: checklists/<step>.yaml, read (never written) with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError

# Answers that only hold a place: they do not count as answered.
PLACEHOLDERS = {"", "todo", "tbd", "tba", "?", "??", "???", "...", "…", "-", "--", "xxx", "fixme",
                "answer", "your answer", "<answer>", "<your answer>", "none yet", "later"}
PLACEHOLDER_PREFIX = re.compile(r"^\s*(todo|tbd|fixme|xxx)\b", re.IGNORECASE)
# A word is a run of letters or digits in any script ("n/a" is two words).
WORD = re.compile(r"[^\W_]+")
# The top-level `reviewed:` line, read as text: YAML would turn a fingerprint
# such as 000123456789 or 12e456789012 into a number and lose its digits.
REVIEWED_LINE = re.compile(r"^reviewed:[ \t]*(?P<value>[^\n]*)$", re.MULTILINE)


@dataclass
class Question:
    """One question of a step, with the user's answer."""

    id: str
    question: str
    answer: str
    evidence: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def answered(self) -> bool:
        return is_real_answer(self.answer)


@dataclass
class Waiver:
    """The user's written reason to accept a failing check."""

    check: str
    reason: str
    line: int = 0

    @property
    def valid(self) -> bool:
        return is_real_answer(self.reason)


@dataclass
class SignOff:
    """One person's `signed_off_by:` entry: who approved the step's answers, and when."""

    name: str
    date: str  # as written: YYYY-MM-DD or an ISO date-time
    email: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        """The name as compared: case and whitespace do not make a second person."""
        return normalised_name(self.name)


@dataclass
class Checklist:
    """A step's question file."""

    path: Path
    step: str
    title: str
    order: int
    checks: Path
    report: str
    questions: list[Question]
    waivers: list[Waiver]
    reviewed: str = ""
    reviewed_line: int = 0
    sign_offs: list[SignOff] = field(default_factory=list)
    sign_offs_line: int = 0  # the `signed_off_by:` key's line, 0 when the file has none


def is_real_answer(text: str | None) -> bool:
    """True unless empty or a placeholder such as TODO, '?' or 'tbd'."""
    if text is None:
        return False
    cleaned = str(text).strip()
    if PLACEHOLDER_PREFIX.match(cleaned):
        return False
    return cleaned.lower().rstrip(".!:") not in PLACEHOLDERS and cleaned.lower() not in PLACEHOLDERS


def distinct_words(text: str) -> int:
    """How many different words an answer holds (case-insensitive), so "asdf asdf" is one."""
    return len({w.lower() for w in WORD.findall(text or "")})


def normalised_answer(text: str) -> str:
    """An answer reduced for comparison: case, inner whitespace and trailing punctuation ignored."""
    return " ".join((text or "").lower().split()).rstrip(" .!?;:,…")


def normalised_name(text: str) -> str:
    """A signer's name reduced for comparison: "ada  LOVELACE" is "Ada Lovelace"."""
    return " ".join((text or "").casefold().split())


def parses_as_date(text: str) -> bool:
    """True for YYYY-MM-DD or a full ISO 8601 date-time starting with it (e.g. 2024-05-01T09:30:00Z)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]):
        return False
    try:
        (date if len(text) == 10 else datetime).fromisoformat(text)
    except ValueError:
        return False
    return True


def normalised_question(text: str) -> str:
    """A question's wording with whitespace collapsed (line wrapping does not matter)."""
    return " ".join((text or "").split())


def _line(node: Any, key: Any = None) -> int:
    """1-based line of a node (or of one of its keys) in the file."""
    try:
        if key is None:
            return node.lc.line + 1
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def _item_line(items: Any, index: int) -> int:
    """1-based line of a list's item, also when it is a plain value (which carries no line itself)."""
    try:
        return items.lc.item(index)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return _line(items[index])


def _text(value: Any) -> str:
    """Scalar YAML values as text (a user may answer with a number or yes/no)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return str(value)


@lru_cache(maxsize=1)
def _loader() -> Any:
    """A round-trip loader (line numbers) that keeps dates as text: YAML would turn `2024-05-01` into a
    date and fail on `2024-13-01` with no line to name; the file's own checks parse them instead."""
    from ruamel.yaml.constructor import RoundTripConstructor

    class TextDates(RoundTripConstructor):
        pass

    TextDates.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)
    return TextDates


def parse_yaml(path: Path) -> Any:
    """Load YAML keeping line numbers; malformed YAML names the file and line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if not path.exists():
        raise UserError(str(path), "question file not found",
                        "restore it from git (`git checkout -- " + str(path) + "`)")
    try:
        yaml = YAML(typ="rt")
        yaml.Constructor = _loader()
        return yaml.load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise UserError(f"{path}{line}", f"not valid YAML: {problem}",
                        "fix the YAML there (check indentation, and quote answers that contain ': ' "
                        "or start with a special character, or use a `|` block)") from None
    except YAMLError as exc:
        raise UserError(str(path), f"not valid YAML: {exc}", "fix the YAML syntax") from None
    except UnicodeDecodeError:
        raise UserError(str(path), "not valid UTF-8 text", "save the file as UTF-8") from None


def _require(mapping: Any, key: str, path: Path, where: str, line: int) -> Any:
    if not hasattr(mapping, "get") or key not in mapping:
        raise UserError(f"{path}, line {line}", f"{where} has no `{key}:` field",
                        f"add `{key}:` there (restore the file from git if it was cut: `git diff {path}`)")
    return mapping[key]


def _question(item: Any, index: int, path: Path) -> Question:
    line = _line(item) or 0
    if not hasattr(item, "get"):
        raise UserError(f"{path}, line {line}", f"question {index + 1} is not a mapping",
                        "each question needs `id:`, `question:` and `answer:` fields")
    qid = _text(_require(item, "id", path, f"question {index + 1}", line)).strip()
    text = _text(_require(item, "question", path, f"question {qid!r}", line))
    _require(item, "answer", path, f"question {qid!r}", line)
    evidence = item.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    return Question(id=qid, question=" ".join(text.split()), answer=_text(item.get("answer")),
                    evidence=[str(e) for e in evidence], line=_line(item, "answer") or line)


def _waivers(doc: Any, path: Path) -> list[Waiver]:
    items = doc.get("waivers") or []
    if not isinstance(items, list):
        raise UserError(f"{path}, line {_line(doc, 'waivers')}", "`waivers:` must be a list",
                        "write each waiver as `- check: <id>` with `reason: <why>` below it")
    out = []
    for index, item in enumerate(items):
        line = _item_line(items, index)
        if not hasattr(item, "get") or "check" not in item:
            raise UserError(f"{path}, line {line}", "a waiver has no `check:` field",
                            "write `- check: <check id>` and `reason: <why it is acceptable>`")
        out.append(Waiver(check=_text(item["check"]).strip(), reason=_text(item.get("reason")), line=line))
    return out


SIGN_OFF_FIX = "write each sign-off as `- name: <your name>` with `date: YYYY-MM-DD` below it"


def _sign_off(item: Any, line: int, path: Path) -> SignOff:
    """One `signed_off_by:` entry (on ``line``); without a name or with a date that does not parse it names the line."""
    if not hasattr(item, "get"):
        raise UserError(f"{path}, line {line}", "a `signed_off_by` entry is not a mapping", SIGN_OFF_FIX)
    name = _text(item.get("name")).strip()
    if not name:
        raise UserError(f"{path}, line {line}", "a `signed_off_by` entry has no name",
                        "add `name: <who signed off>` to that entry, with its `date: YYYY-MM-DD`")
    when = _text(item.get("date")).strip()
    if not parses_as_date(when):
        where = _line(item, "date") if "date" in item else line
        problem = f"the sign-off of {name!r} has " + (f"a date that does not parse: {when!r}" if when else "no date")
        raise UserError(f"{path}, line {where}", problem,
                        "write the day it was given as `date: YYYY-MM-DD` (or an ISO date-time)")
    return SignOff(name=name, date=when, email=_text(item.get("email")).strip(), line=line)


def _sign_offs(doc: Any, path: Path) -> list[SignOff]:
    """The `signed_off_by:` list (empty when absent)."""
    items = doc.get("signed_off_by") or []
    if not isinstance(items, list):
        raise UserError(f"{path}, line {_line(doc, 'signed_off_by')}", "`signed_off_by:` must be a list",
                        SIGN_OFF_FIX)
    return [_sign_off(item, _item_line(items, i), path) for i, item in enumerate(items)]


def _reviewed(doc: Any, path: Path) -> str:
    """The fingerprint on the `reviewed:` line, exactly as written (empty when absent or blank)."""
    if "reviewed" not in doc:
        return ""
    if isinstance(doc["reviewed"], (list, dict)):
        raise UserError(f"{path}, line {_line(doc, 'reviewed')}", "`reviewed:` must be a single fingerprint",
                        "write `reviewed: <fingerprint>` on one line, as `clearance gate` shows it")
    match = REVIEWED_LINE.search(path.read_text(encoding="utf-8"))
    raw = match.group("value") if match else _text(doc["reviewed"])
    raw = re.split(r"(?:^|\s)#", raw.strip(), maxsplit=1)[0].strip()  # drop a trailing comment
    return raw[1:-1].strip() if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw


def load_checklist(path: Path) -> Checklist:
    """Read and validate a question file; never writes it."""
    doc = parse_yaml(path)
    if not hasattr(doc, "get"):
        raise UserError(str(path), "expected a mapping with `step:` and `questions:`",
                        "restore the file from git (`git checkout -- " + str(path) + "`)")
    step = _text(_require(doc, "step", path, "the file", 1)).strip()
    items = _require(doc, "questions", path, "the file", 1)
    if not isinstance(items, list) or not items:
        raise UserError(f"{path}, line {_line(doc, 'questions')}", "`questions:` must be a non-empty list",
                        "restore the questions from git (`git diff " + str(path) + "`)")
    questions = [_question(item, i, path) for i, item in enumerate(items)]
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise UserError(f"{path}, line {q.line}", f"question id {q.id!r} appears twice",
                            "give each question its own id")
        seen.add(q.id)
    return Checklist(
        path=path, step=step, title=_text(doc.get("title") or step), order=int(doc.get("order") or 0),
        checks=Path(_text(doc.get("checks") or f"reports/{step}/checks.json")),
        report=_text(doc.get("report") or ""), questions=questions, waivers=_waivers(doc, path),
        reviewed=_reviewed(doc, path), reviewed_line=_line(doc, "reviewed") if "reviewed" in doc else 0,
        sign_offs=_sign_offs(doc, path),
        sign_offs_line=_line(doc, "signed_off_by") if "signed_off_by" in doc else 0,
    )


def find_checklists(folder: Path) -> list[Checklist]:
    """Every question file in ``folder``, in step order."""
    return sorted((load_checklist(p) for p in sorted(folder.glob("*.yaml"))), key=lambda c: (c.order, c.step))
