"""Question files: checklists/<step>.yaml, read (never written) with line numbers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.user_files import read_utf8, yaml_error

# Answers that only hold a place: they do not count as answered.
PLACEHOLDERS = {"", "todo", "tbd", "tba", "?", "??", "???", "...", "…", "-", "--", "xxx", "fixme",
                "answer", "your answer", "<answer>", "<your answer>", "none yet", "later"}
PLACEHOLDER_PREFIX = re.compile(r"^\s*(todo|tbd|fixme|xxx)\b", re.IGNORECASE)
# A word is a run of letters or digits in any script ("n/a" is two words).
WORD = re.compile(r"[^\W_]+")
# The top-level `reviewed:` line, read as text: YAML would turn a fingerprint
# such as 000123456789 or 12e456789012 into a number and lose its digits.
REVIEWED_LINE = re.compile(r"^reviewed:[ \t]*(?P<value>[^\n]*)$", re.MULTILINE)
# The tags plain YAML values carry; any other (`!!python/...`, `!foo`) is refused, never constructed.
PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + name for name in
                       ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "merge"))
YAML_FIX = ("fix the YAML there (check indentation, and quote answers that contain ': ' "
            "or start with a special character, or use a `|` block)")


@dataclass
class Question:
    """One question of a step, with the user's answer."""

    id: str
    question: str
    answer: str
    evidence: list[str] = field(default_factory=list)
    line: int = 0  # the `answer:` line, where the user writes
    id_line: int = 0  # the `- id:` line, where the question starts

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


def _require(mapping: Any, key: str, path: Path, where: str, line: int) -> Any:
    if not hasattr(mapping, "get") or key not in mapping:
        raise UserError(f"{path}, line {line}", f"{where} has no `{key}:` field",
                        f"add `{key}:` there (restore the file from git if it was cut: `git diff {path}`)")
    return mapping[key]


def _one_value(value: Any, path: Path, line: int, what: str) -> str:
    """A field that holds one value (an id, a title, a check's id) as text; a list or mapping names its line."""
    if isinstance(value, (list, dict)):
        kind = "a list" if isinstance(value, list) else "a mapping"
        raise UserError(f"{path}, line {line}", f"{what} is {kind}, not one value",
                        "write it as one line of text (quote it if it holds ': ' or starts with '- ')")
    return _text(value)


def _prose(value: Any, path: Path, line: int, what: str, key: str) -> str:
    """An answer, a question or a waiver's reason as text. A list of lines is read line by line; a mapping
    (YAML read a `key: value` line in it) or a nested list is refused: flattening it would change the text."""
    if any(isinstance(v, (list, dict)) for v in (value if isinstance(value, list) else [value])):
        raise UserError(f"{path}, line {line}", f"{what} is not text: YAML read a `key: value` line or a nested "
                                                "list in it",
                        f"write it as a block of text: `{key}: |` with the lines indented below it "
                        "(a block keeps ': ' and '- ' as written)")
    return _text(value)


def _evidence(item: Any, qid: str, path: Path, line: int) -> list[str]:
    """A question's `evidence:` pointers (one pointer may stand alone)."""
    evidence = item.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or any(isinstance(e, (list, dict)) for e in evidence):
        raise UserError(f"{path}, line {_line(item, 'evidence') or line}",
                        f"the `evidence:` of question {qid!r} is not a list of pointers",
                        "write each pointer on its own line under `evidence:`, as `- reports/<step>/<file>#<key>`")
    return [str(e) for e in evidence]


def _question(item: Any, index: int, path: Path) -> Question:
    line = _line(item) or 0
    if not hasattr(item, "get"):
        raise UserError(f"{path}, line {line}", f"question {index + 1} is not a mapping",
                        "each question needs `id:`, `question:` and `answer:` fields")
    id_line = _line(item, "id") or line
    qid = _one_value(_require(item, "id", path, f"question {index + 1}", line), path, id_line,
                     f"the `id:` of question {index + 1}").strip()
    text = _prose(_require(item, "question", path, f"question {qid!r}", line), path,
                  _line(item, "question") or line, f"the `question:` of {qid!r}", "question")
    _require(item, "answer", path, f"question {qid!r}", line)
    answer_line = _line(item, "answer") or line
    answer = _prose(item.get("answer"), path, answer_line, f"the answer of question {qid!r}", "answer")
    return Question(id=qid, question=" ".join(text.split()), answer=answer,
                    evidence=_evidence(item, qid, path, line), line=answer_line, id_line=id_line)


def _first_repeat(items: list[Any], key: Callable[[Any], str]) -> tuple[Any, Any] | None:
    """The first item whose key an earlier item has, with that earlier item (None: every key once)."""
    first: dict[str, Any] = {}
    for item in items:
        if key(item) in first:
            return first[key(item)], item
        first[key(item)] = item
    return None


def _once_each(questions: list[Question], path: Path) -> None:
    """A question id used twice is named on the second one's `- id:` line, with the first's line."""
    if (pair := _first_repeat(questions, lambda q: q.id)) is not None:
        one, two = pair
        raise UserError(f"{path}, line {two.id_line}",
                        f"question id {two.id!r} appears twice (lines {one.id_line} and {two.id_line})",
                        "give each question its own id")


def _one_waiver_per_check(waivers: list[Waiver], path: Path) -> None:
    """A check waived twice is refused: the gate would have to keep one reason and drop the other."""
    if (pair := _first_repeat(waivers, lambda w: w.check)) is not None:
        one, two = pair
        raise UserError(f"{path}, line {two.line}",
                        f"check {two.check!r} is waived twice (lines {one.line} and {two.line})",
                        "keep one waiver per check: put both reasons under one `reason:` and delete the "
                        "other entry")


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
        check = _one_value(item["check"], path, line, "a waiver's `check:`").strip()
        if "reason" not in item:
            raise UserError(f"{path}, line {line}", f"the waiver of {check!r} has no `reason:` field",
                            "add `reason: <why this failing check is acceptable>` below its `- check:` line")
        reason = _prose(item["reason"], path, _line(item, "reason") or line,
                        f"the reason of the waiver of {check!r}", "reason")
        out.append(Waiver(check=check, reason=reason, line=line))
    _one_waiver_per_check(out, path)
    return out


SIGN_OFF_FIX = "write each sign-off as `- name: <your name>` with `date: YYYY-MM-DD` below it"


def _sign_off(item: Any, line: int, path: Path) -> SignOff:
    """One `signed_off_by:` entry (on ``line``); without a name or with a date that does not parse it names the line."""
    if not hasattr(item, "get"):
        raise UserError(f"{path}, line {line}", "a `signed_off_by` entry is not a mapping", SIGN_OFF_FIX)
    name = _one_value(item.get("name"), path, line, "a sign-off's `name:`").strip()
    if not name:
        raise UserError(f"{path}, line {line}", "a `signed_off_by` entry has no name",
                        "add `name: <who signed off>` to that entry, with its `date: YYYY-MM-DD`")
    when = _one_value(item.get("date"), path, line, f"the `date:` of {name!r}'s sign-off").strip()
    if not parses_as_date(when):
        where = _line(item, "date") if "date" in item else line
        problem = f"the sign-off of {name!r} has " + (f"a date that does not parse: {when!r}" if when else "no date")
        raise UserError(f"{path}, line {where}", problem,
                        "write the day it was given as `date: YYYY-MM-DD` (or an ISO date-time)")
    email = _one_value(item.get("email"), path, line, "a sign-off's `email:`").strip()
    return SignOff(name=name, date=when, email=email, line=line)


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
    match = REVIEWED_LINE.search(read_utf8(path))
    raw = match.group("value") if match else _text(doc["reviewed"])
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
    return _one_value(doc.get(key), path, _line(doc, key), f"`{key}:`") if doc.get(key) is not None else default


def _order(doc: Any, path: Path) -> int:
    """The step's number (`order:`), 0 when absent."""
    value = doc.get("order") or 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"{path}, line {_line(doc, 'order')}", f"`order:` must be a whole number, not {value!r}",
                        "write the step's number, e.g. `order: 1`") from None


def load_checklist(path: Path) -> Checklist:
    """Read and validate a question file; never writes it."""
    from clearance.checklist.recover import damaged_fix

    doc = parse_yaml(path)
    if not hasattr(doc, "get"):
        raise UserError(str(path), _not_a_mapping(doc), damaged_fix(path))
    _require(doc, "step", path, "the file", 1)
    step = _field(doc, "step", path).strip()
    if not step:
        raise UserError(f"{path}, line {_line(doc, 'step')}", "`step:` is empty",
                        f"write the step's name there, e.g. `step: {path.stem}`")
    items = _require(doc, "questions", path, "the file", 1)
    if not isinstance(items, list) or not items:
        raise UserError(f"{path}, line {_line(doc, 'questions')}", "`questions:` must be a non-empty list",
                        "restore the questions from git (`git diff " + str(path) + "`)")
    questions = [_question(item, i, path) for i, item in enumerate(items)]
    _once_each(questions, path)
    return Checklist(
        path=path, step=step, title=_field(doc, "title", path) or step, order=_order(doc, path),
        checks=Path(_field(doc, "checks", path) or f"reports/{step}/checks.json"),
        report=_field(doc, "report", path), questions=questions, waivers=_waivers(doc, path),
        reviewed=_reviewed(doc, path), reviewed_line=_line(doc, "reviewed") if "reviewed" in doc else 0,
        sign_offs=_sign_offs(doc, path),
        sign_offs_line=_line(doc, "signed_off_by") if "signed_off_by" in doc else 0,
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
