"""Step 3's checks, each declared once (``@probe_check``) in its family module, collected here in report order:
what the model reads, what it returns, the batch, evaluation mode, gradients, fitting, the real run and the bar,
the calibration of its probabilities, its errors, the shortcuts it may rest on.

Each grading function gets the measurement its ``reads`` names (a probe's key in probes.json, or the real
run's in training.json) and a ``Grading`` (its limits, its fix). Adding a check is adding a function to a
family module; adding a family is adding its module to ``FAMILIES``. Imports no torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.checklist.declared import Declared, declared_in, grade_all, grade_one, limits_schema, missing_reads
from clearance.checklist.results import CheckResult
from clearance.core.errors import UserError
from clearance.core.records import read_dict
from clearance.core.task import SINGLE_LABEL
from clearance.small_model.judge import (
    checks_calibration,
    checks_errors,
    checks_inputs,
    checks_model,
    checks_run,
    checks_shortcuts,
    checks_targets,
    checks_training,
)
from clearance.small_model.measure.files import Probes

# Report order: the families in this order, each family's checks in its source order. The shortcut probe reads the
# trained model but sits before the real run's checks, so the bar and what reading the model found stay last.
FAMILIES = (checks_inputs, checks_model, checks_targets, checks_training, checks_shortcuts, checks_run,
            checks_calibration, checks_errors)
CHECKS: tuple[Declared, ...] = tuple(d for family in FAMILIES for d in declared_in(family))
if len({d.id for d in CHECKS}) != len(CHECKS):
    raise ValueError(f"a step-3 check id is declared in two families: {sorted(d.id for d in CHECKS)}")
# What the real run measures (training.json), graded after the probes; every other ``reads`` is a probe's key.
# errors: errors.json; shortcuts: shortcuts.json (the shortcut probe on the trained model)
AFTER_TRAINING = ("divergence", "overfitting", "bar", "calibration", "errors", "shortcuts")
PROBE_CHECKS = tuple(d for d in CHECKS if d.reads not in AFTER_TRAINING)  # what decides whether to train
ORDER = tuple(d.id for d in CHECKS)  # the check ids, in report order
PROBES = tuple(dict.fromkeys(d.reads for d in CHECKS))  # the measurement keys the checks read, in order


def reads_for(task: str) -> tuple[str, ...]:
    """The measurement keys the checks of ``task`` read, in order (``PROBES``: every task's)."""
    return tuple(dict.fromkeys(d.reads for d in CHECKS if task in d.tasks))

ModelChecks = limits_schema("ModelChecks", CHECKS,
                            "Thresholds of step 3's checks (checks.model; declared with each check).")


def task_of_probes(probes: dict[str, Any]) -> str:
    """The task probes.json was measured for (single-label when it does not say: written before tasks)."""
    return str(probes.get("task") or SINGLE_LABEL)


def model_checks(measured: dict[str, Any], t: Any, task: str = SINGLE_LABEL) -> list[CheckResult]:
    """Every step-3 check that applies to ``task``, in report order; a missing measurement is a warning."""
    return grade_all(CHECKS, measured, t, task)


def probe_checks(measured: dict[str, Any], t: Any, task: str | None = None) -> list[CheckResult]:
    """The checks of the probes that run before the real training (to decide whether to train at all), for
    ``task`` (by default the one ``measured``, probes.json, names)."""
    return grade_all(PROBE_CHECKS, measured, t, task or task_of_probes(measured))


def grade(check_id: str, measurement: Any, t: Any) -> CheckResult:
    """One check graded on its own measurement (what its ``reads`` names), for notebooks and tests."""
    reads = next((d.reads for d in CHECKS if d.id == check_id), "")
    return grade_one(CHECKS, check_id, {reads: measurement} if reads else {}, t)


def read_probes(path: Path) -> dict[str, Any]:
    """probes.json as plain data; a file without a probe the checks read names it (an older version or a hand
    edit left it out), as a file without any other key its stage always writes does."""
    probes = read_dict(Probes, path)
    task = task_of_probes(probes)
    missing = missing_reads([d for d in PROBE_CHECKS if task in d.tasks], probes)
    if missing:
        raise UserError(f"{path}#{missing[0]}", "missing (its stage always writes it; an older version or a hand "
                        "edit left it out)", f"run `dvc repro -f {Probes.STAGE}` so it is written again")
    return probes
