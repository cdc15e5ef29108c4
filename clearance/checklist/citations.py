"""Whether an answer cites its evidence (``gate.cite_evidence``): a figure its evidence shows, written as
shown or rounded as a person writes it (0.1817: "18%", "18.2%", "0.18"), a check paired with the question,
or a row of the sample it points at ("row 26202", or a quote of the row's text).

Numbers too small or round to prove anything (1 to 10, 100, and 0) never count, nor do the question's own id
and the numbers its wording holds. A question with nothing to cite (no evidence, or none written yet) is
exempt. Read on every `dvc repro`: plain text and JSON only, nothing heavy.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearance.checklist.evidence import raw_value
from clearance.checklist.manifest import manifest_path
from clearance.checklist.results import CheckResult
from clearance.core.paths import CHECKS_FILE

# A written number: 18, 18.2, .18, 23,703, 3e-4, 24k, each maybe a percentage (18%, 18 percent).
NUMBER = re.compile(r"(?<![\w.,])(?P<mantissa>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
                    r"(?:[eE](?P<exp>[-+\u2212]?\d{1,2}))?(?P<k>[kK](?![^\W\d_]))?(?!\d)"
                    r"(?P<pct>\s?%|\s(?:percent|per cent|pct)\b)?", re.IGNORECASE)
ROWS = re.compile(r"\brows?\b[\s:#]*(?P<ids>\d+(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*&\s*|\s*/\s*)#?\d+)*)",
                  re.IGNORECASE)
QUOTE = re.compile(r"[\"“”«»„](?P<text>[^\"“”«»„]{3,}?)[\"“”«»„]")
MIN_QUOTED_WORDS = 3  # a quote shorter than this names no row: "ok" or "the flight" is in many texts
MAX_FIGURES = 200  # per source: a pointer at a large document stays cheap to compare
SHOWN = 3  # how many figures "could cite" lists


@dataclass(frozen=True)
class Written:
    """A number as an answer (or the evidence's text) writes it."""

    value: float  # in its own unit: 18.2 for "18.2%"
    half_unit: float  # half a unit of its last significant digit: how far rounding may have moved it
    digits: int  # significant digits: one alone is too coarse to round to ("40%" is not 39.33%)
    percent: bool
    text: str

    @property
    def trivial(self) -> bool:
        """Too small or round to prove anything: 0 to 10 and 100, with or without a % sign."""
        return self.value.is_integer() and (self.value <= 10 or self.value == 100)

    def matches(self, value: float) -> bool:
        """Whether this is ``value`` as shown or rounded; a percentage also reads a share (18.2% is 0.182)."""
        targets = (abs(value) * 100, abs(value)) if self.percent else (abs(value),)
        slack = self.half_unit if self.digits >= 2 else 0.0
        return any(abs(t - self.value) <= slack * (1 + 1e-9) + 1e-9 * max(1.0, t) for t in targets)


def written_numbers(text: str) -> list[Written]:
    """Every number ``text`` writes, signs dropped (a drop of 0.04 cites -0.04)."""
    found = []
    for match in NUMBER.finditer(text or ""):
        mantissa = match["mantissa"].replace(",", "")
        whole, _, decimals = mantissa.partition(".")
        digits = (whole + decimals).lstrip("0")
        if decimals:
            significant, unit = len(digits), 10.0 ** -len(decimals)
        else:  # 24,000: the zeros only hold places
            kept = digits.rstrip("0")
            significant, unit = len(kept), 10.0 ** (len(digits) - len(kept))
        scale = (10.0 ** int(match["exp"].replace("\u2212", "-")) if match["exp"] else 1.0) * (
            1000.0 if match["k"] else 1.0)
        found.append(Written(float(mantissa) * scale, unit / 2 * scale, significant, bool(match["pct"]),
                             match.group(0).strip()))
    return found


@dataclass(frozen=True)
class Figure:
    """A number the evidence shows, where it shows it, and one way to write it that cites it."""

    value: float  # a share when the evidence wrote a percentage
    shown: str
    where: str
    source: int = 0  # which pointer or check it came from: "could cite" takes one from each first


@dataclass(frozen=True)
class Row:
    """A row of a sample the question points at: its id and its text (lower case, spacing collapsed)."""

    file: str
    id: str
    text: str


@dataclass(frozen=True)
class Citable:
    """What an answer may cite: figures, check ids and sample rows; and what does not count."""

    figures: tuple[Figure, ...] = ()
    checks: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    own_id: str = ""  # the question's id: printed above the answer, so writing it cites nothing
    asked: frozenset[str] = field(default_factory=frozenset)  # numbers the question's wording holds

    @property
    def empty(self) -> bool:
        """Nothing to cite: the question is exempt from the rule."""
        return not (self.figures or self.checks or self.rows)


def _trivial_value(value: float) -> bool:
    return value.is_integer() and (abs(value) <= 10 or abs(value) == 100)


def _shown(value: float, where: str) -> str:
    """A way to write ``value`` that a person would and that cites it: a share as a percentage."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if "share" in where.lower() and 0 < abs(value) < 1:
        percent = f"{value * 100:.3g}%"
        if not any(w.trivial for w in written_numbers(percent)):
            return percent
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _figures(data: Any, where: str) -> Iterator[Figure]:
    """Every number in a JSON value (numbers in its texts too, as they are written), with its dotted place."""
    if isinstance(data, bool) or data is None:
        return
    if isinstance(data, (int, float)):
        if math.isfinite(data) and not _trivial_value(float(data)):
            yield Figure(float(data), _shown(float(data), where), where)
    elif isinstance(data, str):
        for written in written_numbers(data[:2000]):
            if not written.trivial:
                yield Figure(written.value / 100 if written.percent else written.value, written.text, where)
    elif isinstance(data, dict):
        for key, item in data.items():
            yield from _figures(item, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _figures(item, f"{where}[{index}]")


def _normalised(text: str) -> str:
    return " ".join(str(text).casefold().split())


@dataclass
class _Found:
    """What ``citable`` collects, source by source."""

    figures: list[Figure] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def add_figures(self, figures: Iterable[Figure]) -> None:
        source = len({f.source for f in self.figures})
        for number, figure in enumerate(figures):
            if number == MAX_FIGURES:
                break
            self.figures.append(Figure(figure.value, figure.shown, figure.where, source))

    def add_check(self, item: dict) -> None:
        """A graded check: its id, the numbers its message writes, its value."""
        check_id = str(item.get("id"))
        if check_id not in self.checks:
            self.checks.append(check_id)
            self.add_figures([*_figures(item.get("message", ""), check_id), *_figures(item.get("value"), check_id)])

    def add_csv(self, name: str, rows: list[dict]) -> None:
        """A sample's rows by their id (its `row` column); a table without one: its numbers."""
        if rows and "row" in rows[0]:
            self.rows += [Row(name, str(r.get("row") or "").strip(), _normalised(r.get("text") or "")) for r in rows]
        else:
            self.add_figures(f for i, r in enumerate(rows) for col, cell in r.items()
                             for f in _figures(_number(cell), f"{name}[{i}].{col}"))


def _number(cell: Any) -> float | None:
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


def citable(question: Any, checks: Iterable[CheckResult], root: Path = Path("."), pointers: Iterable[str] = (),
            declared: Iterable[str] = ()) -> Citable:
    """What an answer to ``question`` (an entries.Question) may cite: the figures and rows its evidence
    pointers (and ``pointers``: the step's own for a required question) name, the checks among them and the
    ``declared`` checks informing it that were graded (``checks``). Pointers are read under ``root``."""
    found, graded = _Found(), {c.id: c for c in checks}
    for pointer in dict.fromkeys([*question.evidence, *pointers]):
        file, _, fragment = pointer.partition("#")
        data = raw_value(pointer, root)
        if data is None:
            continue
        if Path(file).name == CHECKS_FILE and fragment and isinstance(data, dict):
            found.add_check(data)
        elif file.endswith(".csv") and isinstance(data, list):
            found.add_csv(Path(file).name, data)
        else:
            found.add_figures(_figures(data, fragment or Path(file).name))
    for check_id in declared:
        if check_id in graded:
            found.add_check(vars(graded[check_id]))
    own, asked = str(question.id), frozenset(w.text for w in written_numbers(question.question))
    return Citable(tuple(f for f in found.figures if f.shown not in asked), tuple(c for c in found.checks if c != own),
                   tuple(found.rows), own, asked)


def _names_check(text: str, check_id: str) -> bool:
    """A check id as written (class_imbalance); an id that is an everyday word beside "check" or in backticks
    ("the mojibake check"), so that an answer about duplicates does not cite the check by chance."""
    word = re.escape(check_id)
    if "_" in check_id:
        return re.search(rf"(?<![\w-]){word}(?![\w-])", text, re.IGNORECASE) is not None
    return re.search(rf"`{word}`|\bchecks?\s+`?{word}\b|\b{word}`?\s+checks?\b", text, re.IGNORECASE) is not None


def _cites_row(text: str, rows: tuple[Row, ...]) -> bool:
    """"row 26202" (or "rows 12, 40 and 77") of the sample, or a quote of at least three words of a row's text."""
    if not rows:
        return False
    ids = {row.id for row in rows}
    named = {n for m in ROWS.finditer(text) for n in re.findall(r"\d+", m["ids"])}
    if named & ids:
        return True
    quotes = [_normalised(m["text"]) for m in QUOTE.finditer(text)]
    quotes = [q for q in quotes if len(q.split()) >= MIN_QUOTED_WORDS]
    return any(q in row.text for q in quotes for row in rows)


def cites(answer: str, found: Citable) -> bool:
    """Whether ``answer`` cites at least one thing of ``found``."""
    text = answer or ""
    if found.own_id:  # the id as a word: "metric" goes, "metric_fits_balance" stays
        text = re.sub(rf"(?<![\w-]){re.escape(found.own_id)}(?![\w-])", " ", text, flags=re.IGNORECASE)
    numbers = [w for w in written_numbers(text) if not w.trivial and w.text not in found.asked]
    if any(w.matches(f.value) for w in numbers for f in found.figures):
        return True
    return any(_names_check(text, c) for c in found.checks) or _cites_row(text, found.rows)


def _quotable(figure: Figure) -> bool:
    """Whether the figure as shown cites it when quoted ("60%" for 0.6034 is too round to: it is not offered)."""
    return any(not w.trivial and w.matches(figure.value) for w in written_numbers(figure.shown))


def could_cite(found: Citable, figures: int = SHOWN) -> list[str]:
    """A few of the most quotable things ``found`` holds: a figure from each source first (in the evidence's
    order), then a check id and a sample row; each written so that quoting it cites it."""
    by_source: dict[int, list[Figure]] = {}
    for figure in found.figures:
        if _quotable(figure):
            by_source.setdefault(figure.source, []).append(figure)
    chosen: list[str] = []
    for rank in range(max((len(group) for group in by_source.values()), default=0)):
        for group in by_source.values():
            said = f"{group[rank].shown} ({group[rank].where})" if rank < len(group) else ""
            if said and len(chosen) < figures and not any(c.startswith(group[rank].shown + " ") for c in chosen):
                chosen.append(said)
    chosen += [f"check {c}" for c in found.checks[:1]]
    return chosen + [f"row {r.id} ({r.file})" for r in found.rows[:1] if r.id]


def declared_by_question(checks: Path) -> dict[str, list[str]]:
    """The checks declared to inform each question, as the step's judging wrote them beside its checks.json
    (evidence.json's ``checks_by_question``); empty when it holds none."""
    try:
        doc = json.loads(manifest_path(checks).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    paired = doc.get("checks_by_question") if isinstance(doc, dict) else None
    if not isinstance(paired, dict):
        return {}
    return {str(q): [str(c) for c in ids] for q, ids in paired.items() if isinstance(ids, list)}


def suggestions(question_file: Path) -> dict[str, str]:
    """For each question of a question file (by id), the first thing ``could_cite`` offers, read from the
    project holding it (the folder above checklists/) as the gate reads it; none for a question with nothing to
    cite. For scripts that answer question files: the tests and the benchmarks."""
    from clearance.checklist.manifest import read_manifest
    from clearance.checklist.questions import load_checklist
    from clearance.checklist.results import read_checks

    root = question_file.resolve().parent.parent
    checklist = load_checklist(question_file)
    checks_file = root / checklist.checks
    checks = read_checks(checks_file) if checks_file.exists() else []
    manifest = manifest_path(checks_file)
    required = {q.id: q.evidence for q in read_manifest(manifest).questions} if manifest.exists() else {}
    declared = declared_by_question(checks_file)
    found = {q.id: citable(q, checks, root, required.get(q.id, ()), declared.get(q.id, ()))
             for q in checklist.questions}
    return {qid: could_cite(cited)[0] for qid, cited in found.items() if could_cite(cited)}
