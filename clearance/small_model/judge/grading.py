"""What step 3's check families share: the fixes for a probe that could not run, and the declaration of a
probe's check, which grades a measurement that is an error, a skip or missing before the check's own grading
sees it.

A probe's measurement may be ``{"error": why}`` (the probe could not run on this model: a failing check)
or ``{"skipped": why}`` (it was not run, e.g. because an earlier probe failed or the real training did not
run: a warning); a measurement absent from the record is a warning that says so.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from clearance.checklist.declared import Grading, check
from clearance.checklist.results import CheckResult

Grade = Callable[[Any, Grading], CheckResult]
MODEL_FIX = ("in the model named by model._target_ (conf/model/), make forward(input_ids, attention_mask) return "
             "raw logits [batch, num_labels]: one score per class, before any softmax (accept `num_labels` in its "
             "signature to get K)")
PARTS_FIX = ("the error comes from a plugged-in part this probe runs (model, tokenizer, optimizer or loss: their "
             "_target_ in conf/model, conf/tokenizer, conf/optimizer, conf/loss): fix it there; the README "
             "describes what each part must accept and return")
SHOWN = 8  # names listed in a message; the full list is the check's value


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def names(listed: list[str]) -> str:
    """The first few names, and how many more."""
    more = f" and {len(listed) - SHOWN} more" if len(listed) > SHOWN else ""
    return ", ".join(listed[:SHOWN]) + more


def not_finite(check_id: str, threshold: Any, what: str, fix: str) -> CheckResult:
    """A measurement that came out NaN or infinite: it cannot pass."""
    return CheckResult(check_id, "fail", None, threshold, f"{what} is not a finite number (NaN or infinity)", fix,
                       "" if not isinstance(threshold, (int, float)) else "max")


def unmeasured(check_id: str, measured: dict | None, about: str, fix: str = PARTS_FIX) -> CheckResult | None:
    """The result for a probe that did not produce numbers, or None when it did (``fix``: for an error)."""
    if measured is None:
        return CheckResult(check_id, "warn", None, "measured", f"{about}: not measured",
                           "run the model stage again (`dvc repro`)")
    if "error" in measured:
        return CheckResult(check_id, "fail", None, "the probe runs", f"{about}: the probe could not run on this "
                           f"model: {measured['error']}", fix)
    if "skipped" in measured:
        return CheckResult(check_id, "warn", None, "the probe runs", f"{about}: not run ({measured['skipped']})",
                           "fix the failing checks above and run the model stage again")
    return None


def guarded(about: str, fix: str = PARTS_FIX) -> Callable[[Grade], Grade]:
    """Above ``@check``: let a grading function see only real measurements (errors and skips are graded here,
    ``about`` naming what the probe looks at, ``fix`` what to do when it raised)."""
    def wrap(grade: Grade) -> Grade:
        if not hasattr(grade, "declared"):
            raise TypeError(f"{grade.__name__}: put @guarded above @check, which declares the check it guards")

        @functools.wraps(grade)
        def guarded_grade(measured: dict | None, c: Grading) -> CheckResult:
            return unmeasured(c.id, measured, about, fix) or grade(measured, c)
        # the declaration keeps its place in the source (the report order); its grading is the guarded one
        guarded_grade.declared = dataclasses.replace(grade.declared, grade=guarded_grade)  # type: ignore[attr-defined]
        return guarded_grade
    return wrap


def probe_check(check_id: str, *, about: str, error_fix: str = PARTS_FIX, **declared: Any) -> Callable:
    """Declare a step-3 check, ``@check(check_id, **declared)``, and guard it: its grading function sees only
    real measurements (``about`` names what the probe or the real run looks at, ``error_fix`` what to do
    when it raised)."""
    def wrap(grade: Grade) -> Grade:
        return guarded(about, error_fix)(check(check_id, **declared)(grade))
    return wrap
