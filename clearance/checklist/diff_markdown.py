"""`clearance diff --format markdown`: the diff as a pull-request comment.

A summary table with one row per step, then a collapsed ``<details>`` block per step that changed,
holding a table of its changes. It is made from the same ``StepDiff`` records as the text and the
JSON forms, and from the text form's own headline, value and gate-stamp wording, so the three say the
same thing. Past ``COMMENT_LIMIT`` characters the details are cut, and a closing line names what was
left out and the command that prints all of it.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass

from clearance.checklist.diff_changes import StepDiff
from clearance.checklist.diff_compare import collapsed
from clearance.checklist.diff_revisions import WORKING_TREE
from clearance.checklist.diff_text import gate_state, headline, short

# GitHub refuses a comment over 65,536 characters; the margin leaves room for the `dvc metrics diff`
# table posted beside this one in docs/ci.md's workflow.
COMMENT_LIMIT = 60_000
CELL = 300  # characters of an answer, reason or value in a cell (the text form shows 48; --json all)
NAMED = 8  # sections the cut line names before "and N more"
NONE = "(none)"

# Characters that start markdown inside a table cell: backslash-escaped, or written as entities where a
# backslash is not enough (a `|` splits the row even escaped in some renderers; `<`, `&` start HTML).
_BACKSLASHED = re.compile(r"([\\`*_\[\]~$])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;"}


def cell(value: object, width: int = CELL) -> str:
    """``value`` as the text of one table cell: on one line, cut to ``width``, nothing in it read as markdown
    or HTML (answers and reasons are user text; a `|` or a newline would break the table)."""
    text = _BACKSLASHED.sub(r"\\\1", short(value, width))
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


@dataclass
class Section:
    """A part of the comment that can be cut row by row: lines before the rows, the rows, lines after."""

    name: str  # how the cut line names it when it is left out
    head: list[str]
    rows: list[str]
    tail: list[str]


def _yes(cleared: bool | None) -> str:
    return "—" if cleared is None else ("yes" if cleared else "no")


def _fingerprint_cell(d: StepDiff) -> str:
    a, b = d.fingerprint_a, d.fingerprint_b
    if d.fingerprint_changed:
        return f"changed: {a} → {b}"
    if a is None and b is None:
        return "—"
    return "unchanged" if a == b else f"{a or NONE} → {b or NONE}"


def _others(d: StepDiff) -> str:
    """The summary's last column: what moved besides checks and answers."""
    counts = {"waiver": len(d.waivers_added) + len(d.waivers_changed) + len(d.waivers_removed),
              "sign-off": len(d.signoffs_added) + len(d.signoffs_removed)}
    found = [f"{n} {what}{'s' if n > 1 else ''}" for what, n in counts.items() if n]
    found += [what for what, moved in (("reviewed", d.reviewed_changed), ("gate stamp", d.gate_changed)) if moved]
    return ", ".join(found) or "—"


def _summary_row(d: StepDiff) -> str:
    step = f"{d.order} {d.step}" + ("" if d.file_a else " (question file added)") + (
        "" if d.file_b else " (question file removed)")
    checks = len(d.checks_moved) + len(d.checks_added) + len(d.checks_removed)
    answers = len(d.answers_added) + len(d.answers_changed) + len(d.answers_removed)
    return _row([cell(step), f"{_yes(d.cleared_a)} → {_yes(d.cleared_b)}", cell(_fingerprint_cell(d)),
                 str(checks), str(answers), cell(_others(d))])


def _value(status: str | None, value: object) -> str:
    return NONE if status is None else f"{status} ({short(value, CELL)})"


def _evidence_rows(d: StepDiff) -> list[tuple[str, str, str, str]]:
    """(what, item, before, after) for the question file, the fingerprint, `reviewed:` and the checks."""
    rows = []
    if d.file_a != d.file_b:
        rows.append(("question file", "", "present" if d.file_a else NONE, "present" if d.file_b else "removed"))
    if d.fingerprint_a != d.fingerprint_b:
        rows.append(("evidence fingerprint", "", d.fingerprint_a or NONE, d.fingerprint_b or NONE))
    if d.reviewed_changed:
        rows.append(("reviewed", "", d.reviewed_a or "(empty)", d.reviewed_b or "(empty)"))
    rows += [("check", c.id, _value(c.status_a, c.value_a), _value(c.status_b, c.value_b))
             for c in d.checks_moved + d.checks_added + d.checks_removed]
    return rows


def _review_rows(d: StepDiff) -> list[tuple[str, str, str, str]]:
    """(what, item, before, after) for the answers, waivers, sign-offs and the gate's stamp."""
    rows = [("answer", x.id, x.before or NONE, x.after or NONE)
            for x in d.answers_added + d.answers_changed + d.answers_removed]
    rows += [("waiver", w.check, w.reason_a or NONE, w.reason_b or NONE)
             for w in d.waivers_added + d.waivers_changed + d.waivers_removed]
    rows += [("sign-off", "", NONE, s) for s in d.signoffs_added]
    rows += [("sign-off", "", s, NONE) for s in d.signoffs_removed]
    if d.gate_changed:
        rows.append(("gate", "", gate_state(d.cleared_a, d.cleared_by_a, d.cleared_at_a),
                     gate_state(d.cleared_b, d.cleared_by_b, d.cleared_at_b)))
    return rows


def _not_compared_rows(d: StepDiff) -> list[tuple[str, str, str, str]]:
    """Files one side lacks (reports/ git-ignored, say): named, as the text form does, not compared."""
    return ([("not compared", path, "missing", "present") for path in d.missing_a]
            + [("not compared", path, "present", "missing") for path in d.missing_b])


def _details(d: StepDiff, label_a: str, label_b: str) -> Section:
    """A step's collapsed block: its headline as the summary, a table of its changes inside."""
    rows = _evidence_rows(d) + _review_rows(d) + _not_compared_rows(d) if d.changed else _not_compared_rows(d)
    # The HTML block ends at the blank line, so the table after it is read as markdown (as GitHub does).
    head = [f"<details><summary>{html.escape(collapsed(headline(d)))}</summary>", "",
            _row(["what", "item", cell(label_a), cell(label_b)]), "|---|---|---|---|"]
    return Section(f"the details of step {d.order} {d.step}", head,
                   [_row([cell(what), cell(item), cell(before), cell(after)]) for what, item, before, after in rows],
                   ["", "</details>", ""])


def _summary(diffs: list[StepDiff], label_a: str, label_b: str) -> Section:
    title = f"### clearance diff: {cell(label_a)} → {cell(label_b)}"
    if not diffs:
        return Section("the summary", [title, "", "No question files in checklists/ at either revision."], [], [])
    head = [title, "", _row(["step", "cleared", "evidence fingerprint", "checks moved", "answers changed",
                             "also changed"]), "|---|---|---|---|---|---|"]
    tail = [""] + (["No step changed.", ""] if not any(d.changed for d in diffs) else [])
    return Section("the summary", head, [_summary_row(d) for d in diffs], tail)


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _fitting_rows(section: Section, room: int) -> list[str] | None:
    """The rows of ``section`` that fit in ``room`` characters with its head and tail; None when not even
    its first row does (a table without rows would say nothing)."""
    room -= _size(section.head) + _size(section.tail)
    taken: list[str] = []
    for row in section.rows:
        if len(row) + 1 > room:
            break
        taken.append(row)
        room -= len(row) + 1
    return None if room < 0 or (section.rows and not taken) else taken


def pack(sections: list[Section], budget: int) -> tuple[list[str], list[str]]:
    """The lines of the sections that fit in ``budget`` characters, in order, and the names of what was
    left out. Once something is cut, everything after it is too, so the comment never skips a step."""
    lines: list[str] = []
    left_out: list[str] = []
    for section in sections:
        rows = None if left_out else _fitting_rows(section, budget - _size(lines))
        if rows is None:
            left_out.append(section.name)
            continue
        lines += section.head + rows + section.tail
        if len(rows) < len(section.rows):
            left_out.append(f"{section.name} (rows {len(rows) + 1} to {len(section.rows)})")
    return lines, left_out


def full_command(label_a: str, label_b: str) -> str:
    """The command that prints the whole diff as text (the working tree is the default second side)."""
    revs = [label_a] + ([] if label_b == WORKING_TREE else [label_b])
    return " ".join(["clearance diff", *map(shlex.quote, revs), "--format text"])


def code(text: str) -> str:
    """``text`` as an inline code span, its fence longer than any run of backticks inside it."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"`{text}`"


def _cut_line(left_out: list[str], limit: int, label_a: str, label_b: str) -> str:
    named = [short(name, 120) for name in left_out[:NAMED]]
    named += [f"and {len(left_out) - NAMED} more"] if len(left_out) > NAMED else []
    return (f"**Cut to fit a comment** (over {limit:,} characters): left out {cell(', '.join(named), 2_000)}. "
            f"{code(full_command(label_a, label_b))} prints all of it.")


def render_markdown(diffs: list[StepDiff], label_a: str = "HEAD", label_b: str = WORKING_TREE,
                    limit: int = COMMENT_LIMIT) -> str:
    """The diff as GitHub-flavoured markdown of at most ``limit`` characters (see the module's docstring)."""
    shown = [d for d in diffs if d.changed or d.missing_a or d.missing_b]
    sections = [_summary(diffs, label_a, label_b)] + [_details(d, label_a, label_b) for d in shown]
    whole = [line for s in sections for line in s.head + s.rows + s.tail]
    if _size(whole) <= limit:
        return "\n".join(whole).rstrip("\n")
    reserve = 1_000  # for the cut line; grown until the line it names fits (it names at most NAMED parts)
    for _ in range(4):
        lines, left_out = pack(sections, limit - reserve)
        cut = _cut_line(left_out, limit, label_a, label_b)
        if len(cut) <= reserve:
            break
        reserve = len(cut) + 200
    return "\n".join(lines + [cut])
