"""Checks declared once: each grading function carries its id, what it reads, its thresholds and its fix.

A step's checks module decorates each grading function with ``@check(...)``; from those declarations
come the thresholds' schema (``limits_schema``), conf/checks/declared.yaml (``clearance.checklist.
declared_conf``), the report's order (source order), the direction tests, the pairing of questions
and checks in `clearance show`, and the fields a step's record must hold when it is written
(``missing_reads``). Imports no torch and nothing heavy: the CLI reads the declarations.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from clearance.checklist.results import CheckResult, graded, one_of

LEVELS = ("warn", "fail", "")  # "": a setting the grading reads that is not itself a grade level
# The task types a check can apply to (data.task; clearance.core.task.TASKS, spelled here so the gate's
# import stays light). A check declares those it applies to; by default all.
TASKS = ("single_label", "multi_label", "regression")


@dataclass(frozen=True)
class Limit:
    """One threshold: its key under ``checks.<step>``, its default, the status beyond it, its comment."""

    key: str
    default: Any
    level: str = "fail"
    note: str = ""

    def __post_init__(self) -> None:
        one_of(f"threshold {self.key}", level=(self.level, LEVELS))


@dataclass(frozen=True)
class Declared:
    """A check's declaration: everything about it but the arithmetic of its grading function."""

    id: str
    reads: str  # the dotted path, in the step's record, of what the grading function gets
    section: str  # the report section (and question file evidence anchor) it belongs to
    direction: str  # "max": larger is worse; "min": smaller is worse; "": not a number against a limit
    limits: tuple[Limit, ...]
    fix: str
    question: str  # the id of the question in checklists/<step>.yaml this check informs
    tasks: tuple[str, ...]
    grade: Callable[[Any, "Grading"], CheckResult] = field(compare=False, repr=False)
    line: int = 0  # where it is declared: the report order is the source order

    def limit(self, level: str) -> Limit | None:
        """This check's threshold for ``level`` ("warn" or "fail"), if it has one."""
        return next((lim for lim in self.limits if lim.level == level), None)


def check(check_id: str, *, reads: str, section: str, fix: str = "", direction: str = "max",
          limits: Iterable[Limit] = (), question: str = "", tasks: Iterable[str] = TASKS) -> Callable:
    """Declare a grading function ``grade(value, c: Grading) -> CheckResult`` as the check ``check_id``."""
    def wrap(grade: Callable[[Any, Grading], CheckResult]) -> Callable[[Any, Grading], CheckResult]:
        grade.declared = Declared(  # type: ignore[attr-defined]
            id=check_id, reads=reads, section=section, direction=direction, limits=tuple(limits), fix=fix,
            question=question, tasks=tuple(tasks), grade=grade, line=grade.__code__.co_firstlineno)
        return grade
    return wrap


def declared_in(module: types.ModuleType) -> tuple[Declared, ...]:
    """The checks a module declares, in source order (the report's order)."""
    found = [getattr(value, "declared") for value in vars(module).values()
             if callable(value) and isinstance(getattr(value, "declared", None), Declared)
             and getattr(value, "__module__", "") == module.__name__]
    ids = [d.id for d in found]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{module.__name__}: a check id is declared twice: {sorted(i for i in ids if ids.count(i) > 1)}")
    return tuple(sorted(found, key=lambda d: d.line))


def limits_of(checks: Iterable[Declared]) -> dict[str, Limit]:
    """Every threshold the checks declare, by key, in declaration order (a key two checks share once)."""
    found: dict[str, Limit] = {}
    for declared in checks:
        for lim in declared.limits:
            if lim.key in found and found[lim.key].default != lim.default:
                raise ValueError(f"threshold {lim.key} is declared twice with different defaults")
            found.setdefault(lim.key, lim)
    return found


def _type_of(default: Any) -> Any:
    """The schema type of a threshold, from its default (3.0 is a float, 3 an int)."""
    if isinstance(default, bool):
        return bool
    if isinstance(default, dict):
        return dict[str, list[float]]
    return type(default)


def limits_schema(name: str, checks: Iterable[Declared], doc: str) -> type:
    """The dataclass of a step's thresholds (``checks.<step>``), each field defaulting to its declared value."""
    fields = [(key, _type_of(lim.default),
               field(default_factory=(lambda d=lim.default: dict(d))) if isinstance(lim.default, dict)
               else field(default=lim.default))
              for key, lim in limits_of(checks).items()]
    schema = dataclasses.make_dataclass(name, fields)
    schema.__doc__ = doc
    return schema


def path_value(record: Any, dotted: str) -> tuple[bool, Any]:
    """(found, value) of a dotted path in nested dicts."""
    node = record
    for part in dotted.split(".") if dotted else []:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def missing_reads(checks: Iterable[Declared], record: dict[str, Any]) -> list[str]:
    """The dotted paths declared checks read that ``record`` lacks (a writer forgot a field)."""
    return sorted({d.reads for d in checks if d.reads and not path_value(record, d.reads)[0]})


@dataclass
class Grading:
    """What a grading function gets beside its value: its declaration and the step's thresholds."""

    declared: Declared
    t: Any  # the step's thresholds (a ``limits_schema`` instance): every key of checks.<step>

    @property
    def id(self) -> str:
        return self.declared.id

    @property
    def warn(self) -> Any:
        lim = self.declared.limit("warn")
        return None if lim is None else getattr(self.t, lim.key)

    @property
    def fail(self) -> Any:
        lim = self.declared.limit("fail")
        return None if lim is None else getattr(self.t, lim.key)

    @property
    def threshold(self) -> Any:
        """The threshold a pass is measured against: the fail limit, else the warn limit."""
        return self.fail if self.fail is not None else self.warn

    def graded(self, value: float, message: str, fix: str | None = None, warn: Any = ...,
               fail: Any = ..., direction: str | None = None) -> CheckResult:
        """The value against this check's warn and fail limits (or those given)."""
        return graded(self.id, value, self.warn if warn is ... else warn, self.fail if fail is ... else fail,
                      message, self.declared.fix if fix is None else fix, direction or self.declared.direction)

    def result(self, status: str, value: Any, threshold: Any, message: str, fix: str | None = None,
               direction: str | None = None) -> CheckResult:
        """A result this grading decides itself (a set, a text, a missing measurement)."""
        return CheckResult(self.id, status, value, threshold, message, self.declared.fix if fix is None else fix,
                           self.declared.direction if direction is None else direction)


def grade_all(checks: Iterable[Declared], record: dict[str, Any], thresholds: Any,
              task: str = "single_label") -> list[CheckResult]:
    """Every declared check that applies to ``task``, in order, each given the value at its ``reads`` path
    (None when the record lacks it: the grading function says what that means)."""
    results = []
    for declared in checks:
        if task in declared.tasks:
            results.append(declared.grade(path_value(record, declared.reads)[1], Grading(declared, thresholds)))
    return results


def grade_one(checks: Iterable[Declared], check_id: str, record: dict[str, Any], thresholds: Any) -> CheckResult:
    """One declared check graded on ``record`` (a notebook's or a test's way to try a single check)."""
    declared = next((d for d in checks if d.id == check_id), None)
    if declared is None:
        raise KeyError(f"no check {check_id!r} is declared")
    return declared.grade(path_value(record, declared.reads)[1], Grading(declared, thresholds))
