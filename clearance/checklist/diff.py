"""`clearance diff`: what changed between two git revisions, step by step.

For each step (a question file in checklists/) it compares the evidence
fingerprint, the checks whose status moved, the answers, the waivers, the
sign-offs and the gate's stamp, so a reviewer reads one short text in a pull
request instead of diffing YAML and JSON. It reads files with ``git show
REV:path`` (or from the working tree) and runs no stage.

A file that one revision does not hold (reports/ and gates/ are often
git-ignored) is named and left out of the comparison rather than shown as
every check "added".
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from clearance.checklist.manifest import MANIFEST_NAME
from clearance.checklist.questions import (
    Checklist,
    is_real_answer,
    load_checklist,
    parse_yaml,
)
from clearance.core.errors import UserError
from clearance.core.paths import CHECKLIST_DIR, GATE_DIR
from clearance.core.user_files import decode_utf8

T = TypeVar("T")

WORKING_TREE = "working tree"
REV_FIX = "use a commit, branch or tag: git log --oneline"
SHORT = 48  # characters of an answer or value shown before "…"


@dataclass
class CheckMove:
    """A check whose status moved, or that one side does not have (status None)."""

    id: str
    status_a: str | None
    status_b: str | None
    value_a: Any = None
    value_b: Any = None


@dataclass
class AnswerChange:
    """An answer given, changed or taken back (text None where there is no real answer)."""

    id: str
    before: str | None
    after: str | None


@dataclass
class WaiverChange:
    """A waiver added, removed or with another reason (reason None on the side without it)."""

    check: str
    reason_a: str | None
    reason_b: str | None


@dataclass
class StepDiff:
    """Everything that moved in one step between revision a and revision b."""

    step: str
    order: int
    file_a: bool = True  # whether the question file exists at each side
    file_b: bool = True
    missing_a: list[str] = field(default_factory=list)  # files only side b holds
    missing_b: list[str] = field(default_factory=list)
    fingerprint_a: str | None = None
    fingerprint_b: str | None = None
    reviewed_a: str | None = None
    reviewed_b: str | None = None
    checks_moved: list[CheckMove] = field(default_factory=list)
    checks_added: list[CheckMove] = field(default_factory=list)
    checks_removed: list[CheckMove] = field(default_factory=list)
    answers_added: list[AnswerChange] = field(default_factory=list)
    answers_changed: list[AnswerChange] = field(default_factory=list)
    answers_removed: list[AnswerChange] = field(default_factory=list)
    waivers_added: list[WaiverChange] = field(default_factory=list)
    waivers_changed: list[WaiverChange] = field(default_factory=list)
    waivers_removed: list[WaiverChange] = field(default_factory=list)
    signoffs_added: list[str] = field(default_factory=list)
    signoffs_removed: list[str] = field(default_factory=list)
    cleared_a: bool | None = None
    cleared_b: bool | None = None
    cleared_by_a: str | None = None
    cleared_by_b: str | None = None
    cleared_at_a: str | None = None
    cleared_at_b: str | None = None

    @property
    def fingerprint_changed(self) -> bool:
        """Only when both sides record a fingerprint: a missing file is not a change of evidence."""
        return None not in (self.fingerprint_a, self.fingerprint_b) and self.fingerprint_a != self.fingerprint_b

    @property
    def reviewed_changed(self) -> bool:
        return self.file_a and self.file_b and self.reviewed_a != self.reviewed_b

    @property
    def gate_changed(self) -> bool:
        both = None not in (self.cleared_a, self.cleared_b)
        return both and (self.cleared_a, self.cleared_by_a, self.cleared_at_a) != (
            self.cleared_b, self.cleared_by_b, self.cleared_at_b)

    @property
    def changed(self) -> bool:
        """Whether anything comparable moved (files held by one side only are noted, not counted)."""
        lists = (self.checks_moved, self.checks_added, self.checks_removed, self.answers_added,
                 self.answers_changed, self.answers_removed, self.waivers_added, self.waivers_changed,
                 self.waivers_removed, self.signoffs_added, self.signoffs_removed)
        return (self.file_a != self.file_b or self.fingerprint_changed or self.reviewed_changed
                or self.gate_changed or any(lists))


# --- reading files at a revision -------------------------------------------------------------------


def _git(args: list[str], root: Path) -> subprocess.CompletedProcess:
    """Run git in ``root``; a machine without git is a user error, not a traceback."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8",
                              check=False)
    except FileNotFoundError:
        raise UserError("git", "not found on this machine", "install git, then run clearance diff again") from None


def _require_repo(root: Path) -> None:
    if _git(["rev-parse", "--show-toplevel"], root).returncode != 0:
        raise UserError(str(Path(root).resolve()), "not inside a git repository",
                        "run clearance diff inside the project's git repository")


def resolve(rev: str, root: Path) -> str:
    """The commit a revision names; UserError naming it when git does not know it."""
    _require_repo(root)
    # `--end-of-options` keeps a revision such as "--help" from being read as an option.
    found = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root)
    if found.returncode != 0 or not found.stdout.strip():
        raise UserError(f"revision {rev!r}", "not a commit in this git repository", REV_FIX)
    return found.stdout.strip()


def _show(commit: str, path: str, root: Path, label: str | None = None) -> str | None:
    """A file's text at a resolved commit, None when the commit does not hold it; bytes that are not UTF-8
    are a UserError naming ``label:path`` (``label`` defaults to the commit) and the line."""
    # `./` makes the path relative to root, which may be a folder inside the repository.
    try:
        found = subprocess.run(["git", "show", f"{commit}:./{path}"], cwd=root, capture_output=True, check=False)
    except FileNotFoundError:
        raise UserError("git", "not found on this machine", "install git, then run clearance diff again") from None
    if found.returncode != 0:
        return None
    return decode_utf8(found.stdout, f"{label or commit}:{path}",
                       f"save {path} as UTF-8 and commit it; until then compare revisions that hold it as UTF-8")


def read_at(rev: str | None, path: str, root: Path) -> str | None:
    """The text of ``path`` (relative to ``root``) at git revision ``rev``, or in the working tree when
    ``rev`` is None; None when the file does not exist there."""
    if rev is None:
        file = Path(root) / path
        return decode_utf8(file.read_bytes(), path) if file.is_file() else None
    return _show(resolve(rev, root), path, root, rev)


@dataclass
class _Side:
    """One side of the comparison: a resolved commit, or the working tree (commit None)."""

    label: str
    commit: str | None
    root: Path

    def read(self, path: str) -> str | None:
        if self.commit is None:
            return read_at(None, path, self.root)
        return _show(self.commit, path, self.root, self.label)

    def where(self, path: str) -> str:
        """How messages name a file on this side: ``REV:path`` or the working-tree path."""
        return path if self.commit is None else f"{self.label}:{path}"

    def question_files(self) -> list[str]:
        """checklists/*.yaml on this side, as paths relative to root."""
        if self.commit is None:
            folder = Path(self.root) / CHECKLIST_DIR
            return sorted(f"{CHECKLIST_DIR.as_posix()}/{p.name}" for p in folder.glob("*.yaml") if p.is_file())
        listed = _git(["ls-tree", "--name-only", self.commit, "--", f"{CHECKLIST_DIR.as_posix()}/"], self.root)
        return sorted(p for p in listed.stdout.splitlines() if p.endswith(".yaml"))


def _side(rev: str | None, root: Path) -> _Side:
    return _Side(WORKING_TREE, None, root) if rev is None else _Side(rev, resolve(rev, root), root)


# --- parsing one side's files ----------------------------------------------------------------------


@dataclass
class _Step:
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


def _person(entry: Any) -> str:
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
    return [_person(e) for e in (entries if isinstance(entries, list) else [entries])]


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


def _read_step(side: _Side, path: str) -> _Step | None:
    """A step's question file, checks, evidence and stamp on one side; None without a question file."""
    text = side.read(path)
    if text is None:
        return None
    checklist, doc = _parse_checklist(text, PurePosixPath(path).name, side.where(path))
    checks = checklist.checks.as_posix()
    paths = {"checks": checks, "evidence": (PurePosixPath(checks).parent / MANIFEST_NAME).as_posix(),
             "stamp": (GATE_DIR / f"{checklist.step}.json").as_posix()}
    found = {what: _json(side.read(p), side.where(p)) for what, p in paths.items()}
    evidence, stamp = found["evidence"], found["stamp"]
    fingerprint = evidence.get("fingerprint") if isinstance(evidence, dict) else None
    return _Step(checklist=checklist, signoffs=_signoffs(doc), checks=_checks(found["checks"]),
                 fingerprint=None if fingerprint is None else str(fingerprint),
                 stamp=stamp if isinstance(stamp, dict) else None, paths=paths)


# --- comparing -------------------------------------------------------------------------------------


def _collapsed(text: str) -> str:
    return " ".join((text or "").split())


def _answers(a: Checklist | None, b: Checklist | None, out: StepDiff) -> None:
    """Real answers by question id; placeholders (TODO, ?) count as no answer."""
    before = {q.id: _collapsed(q.answer) for q in (a.questions if a else []) if is_real_answer(q.answer)}
    after = {q.id: _collapsed(q.answer) for q in (b.questions if b else []) if is_real_answer(q.answer)}
    out.answers_added, out.answers_changed, out.answers_removed = _keyed_changes(before, after, AnswerChange)


def _waivers(a: Checklist | None, b: Checklist | None, out: StepDiff) -> None:
    before = {w.check: _collapsed(w.reason) for w in (a.waivers if a else [])}
    after = {w.check: _collapsed(w.reason) for w in (b.waivers if b else [])}
    out.waivers_added, out.waivers_changed, out.waivers_removed = _keyed_changes(before, after, WaiverChange)


def _keyed_changes(before: dict[str, str], after: dict[str, str], change: Callable[[str, str | None, str | None], T]
                   ) -> tuple[list[T], list[T], list[T]]:
    """(added, changed, removed) between two {key: text} maps, each as ``change(key, before, after)``."""
    added = [change(key, None, text) for key, text in after.items() if key not in before]
    changed = [change(key, before[key], text) for key, text in after.items() if key in before and before[key] != text]
    removed = [change(key, text, None) for key, text in before.items() if key not in after]
    return added, changed, removed


def _check_moves(a: dict[str, dict], b: dict[str, dict], out: StepDiff) -> None:
    """Checks whose status moved, and checks one side has not; a value change alone is not a move."""
    for cid, item in b.items():
        old = a.get(cid)
        if old is None:
            out.checks_added.append(CheckMove(cid, None, item.get("status"), None, item.get("value")))
        elif old.get("status") != item.get("status"):
            out.checks_moved.append(CheckMove(cid, old.get("status"), item.get("status"),
                                              old.get("value"), item.get("value")))
    out.checks_removed += [CheckMove(cid, item.get("status"), None, item.get("value"), None)
                           for cid, item in a.items() if cid not in b]


def _stamp_fields(stamp: dict | None) -> tuple[bool | None, str | None, str | None]:
    """cleared, cleared_by and cleared_at, each read with .get(): older stamps have no sign-off keys."""
    if stamp is None:
        return None, None, None
    by, at = stamp.get("cleared_by"), stamp.get("cleared_at")
    return bool(stamp.get("cleared")), None if by is None else _person(by), None if at is None else str(at)


def _compare(a: _Step | None, b: _Step | None) -> StepDiff:
    """One step's differences; files held by one side only are listed, not compared."""
    ref = b or a
    out = StepDiff(step=ref.checklist.step, order=ref.checklist.order, file_a=a is not None, file_b=b is not None)
    ca, cb = (a.checklist if a else None), (b.checklist if b else None)
    out.reviewed_a, out.reviewed_b = (ca.reviewed if ca else None), (cb.reviewed if cb else None)
    _answers(ca, cb, out)
    _waivers(ca, cb, out)
    signs_a, signs_b = (a.signoffs if a else []), (b.signoffs if b else [])
    out.signoffs_added = [s for s in signs_b if s not in signs_a]
    out.signoffs_removed = [s for s in signs_a if s not in signs_b]
    if a is None or b is None:
        return out
    out.fingerprint_a, out.fingerprint_b = a.fingerprint, b.fingerprint
    out.cleared_a, out.cleared_by_a, out.cleared_at_a = _stamp_fields(a.stamp)
    out.cleared_b, out.cleared_by_b, out.cleared_at_b = _stamp_fields(b.stamp)
    if a.checks is not None and b.checks is not None:
        _check_moves(a.checks, b.checks, out)
    held = {"checks": (a.checks, b.checks), "evidence": (a.fingerprint, b.fingerprint),
            "stamp": (a.stamp, b.stamp)}
    for what, (in_a, in_b) in held.items():
        if in_a is None and in_b is not None:
            out.missing_a.append(a.paths[what])
        elif in_b is None and in_a is not None:
            out.missing_b.append(b.paths[what])
    return out


def diff_steps(rev_a: str | None, rev_b: str | None, root: Path) -> list[StepDiff]:
    """Each step's differences from ``rev_a`` to ``rev_b`` (None: the working tree), in step order;
    the steps are the question files either revision holds."""
    sides = _side(rev_a, root), _side(rev_b, root)
    paths = sorted(set(sides[0].question_files()) | set(sides[1].question_files()))
    diffs = [_compare(_read_step(sides[0], p), _read_step(sides[1], p)) for p in paths]
    return sorted(diffs, key=lambda d: (d.order, d.step))


# --- output ----------------------------------------------------------------------------------------


def _short(value: Any) -> str:
    """A value or answer cut to one short line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = _collapsed(text)
    return text if len(text) <= SHORT else text[:SHORT - 1].rstrip() + "…"


def _header(d: StepDiff) -> str:
    head = f"step {d.order} {d.step}:"
    if not d.file_a:
        return f"{head} question file added"
    if not d.file_b:
        return f"{head} question file removed"
    if not d.changed:
        return f"{head} no change"
    if d.fingerprint_changed:
        return f"{head} evidence fingerprint {d.fingerprint_a} -> {d.fingerprint_b} (changed)"
    if d.fingerprint_a is not None and d.fingerprint_b is not None:
        return f"{head} evidence fingerprint {d.fingerprint_a} (unchanged)"
    if d.fingerprint_a is None and d.fingerprint_b is None:
        return f"{head} no evidence at either side"
    return f"{head} evidence fingerprint {d.fingerprint_a or '(none)'} -> {d.fingerprint_b or '(none)'}"


def _check_lines(d: StepDiff) -> list[str]:
    lines = [f"  checks: {c.id} {c.status_a} -> {c.status_b} ({_short(c.value_a)} -> {_short(c.value_b)})"
             for c in d.checks_moved]
    lines += [f"  checks: + {c.id} {c.status_b} ({_short(c.value_b)})" for c in d.checks_added]
    lines += [f"  checks: - {c.id} (was {c.status_a})" for c in d.checks_removed]
    return lines


def _review_lines(d: StepDiff) -> list[str]:
    """The question file's answers, waivers and sign-offs."""
    lines = []
    if d.reviewed_changed:
        lines.append(f"  reviewed: {d.reviewed_a or '(empty)'} -> {d.reviewed_b or '(empty)'}")
    lines += [f"  answers: + {x.id} ({_short(x.after)!r})" for x in d.answers_added]
    lines += [f"  answers: changed {x.id} ({_short(x.before)!r} -> {_short(x.after)!r})" for x in d.answers_changed]
    lines += [f"  answers: - {x.id} (was {_short(x.before)!r})" for x in d.answers_removed]
    lines += [f"  waivers: + {w.check} (reason: {_short(w.reason_b)})" for w in d.waivers_added]
    lines += [f"  waivers: changed {w.check} (reason: {_short(w.reason_a)!r} -> {_short(w.reason_b)!r})"
              for w in d.waivers_changed]
    lines += [f"  waivers: - {w.check} (reason was: {_short(w.reason_a)})" for w in d.waivers_removed]
    lines += [f"  sign-offs: + {s}" for s in d.signoffs_added]
    lines += [f"  sign-offs: - {s}" for s in d.signoffs_removed]
    return lines


def _gate_line(d: StepDiff) -> list[str]:
    if not d.gate_changed:
        return []

    def state(cleared: bool | None, by: str | None, at: str | None) -> str:
        return ("cleared" if cleared else "not cleared") + (f" by {by}" if by else "") + (f" on {at}" if at else "")

    before = state(d.cleared_a, d.cleared_by_a, d.cleared_at_a)
    return [f"  gate: {before} -> {state(d.cleared_b, d.cleared_by_b, d.cleared_at_b)}"]


def _render_step(d: StepDiff, label_a: str, label_b: str) -> list[str]:
    lines = [_header(d)]
    if d.changed:
        lines += _check_lines(d) + _review_lines(d) + _gate_line(d)
    for label, missing in ((label_a, d.missing_a), (label_b, d.missing_b)):
        if missing:  # e.g. reports/ git-ignored: say so instead of calling every check new
            where = "the working tree" if label == WORKING_TREE else label
            lines.append(f"  not compared, missing at {where}: {', '.join(missing)}")
    return lines


def render(diffs: list[StepDiff], label_a: str = "HEAD", label_b: str = WORKING_TREE) -> str:
    """Plain text for a pull request: one block per step, "no change" where nothing moved."""
    lines = [f"clearance diff: {label_a} -> {label_b}"]
    for d in diffs:
        lines += _render_step(d, label_a, label_b)
    if not diffs:
        lines.append("no question files in checklists/ at either revision")
    return "\n".join(lines)


def _json_doc(diffs: list[StepDiff], label_a: str, label_b: str) -> dict:
    steps = [{**asdict(d), "changed": d.changed, "fingerprint_changed": d.fingerprint_changed} for d in diffs]
    return {"a": label_a, "b": label_b, "steps": steps}


def as_json(diffs: list[StepDiff], label_a: str = "HEAD", label_b: str = WORKING_TREE) -> dict:
    """The same comparison as one JSON-ready document (for `clearance diff --json`)."""
    return _json_doc(diffs, label_a, label_b)


def cmd_diff(rev_a: str | None, rev_b: str | None, as_json: bool, root: Path = Path(".")) -> int:
    """`clearance diff [REV_A [REV_B]]`: no revision compares HEAD with the working tree, one compares
    it with the working tree, two compare each other. Prints and returns 0; UserError propagates."""
    rev_a = rev_a or "HEAD"
    diffs = diff_steps(rev_a, rev_b, root)
    label_b = rev_b or WORKING_TREE
    if as_json:  # the flag shadows the function of that name here
        print(json.dumps(_json_doc(diffs, rev_a, label_b), indent=2, ensure_ascii=False, default=str))
    else:
        print(render(diffs, rev_a, label_b))
    return 0
