"""Step 3's checks, each declared once (``@probe_check``) in its family module, collected here in report order:
what the model reads, what it returns, the batch, evaluation mode, gradients, fitting, the real run and the bar.

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
from clearance.small_model.judge import checks_inputs, checks_model, checks_run, checks_training
from clearance.small_model.measure.files import Probes

# Report order: the families in this order, each family's checks in its source order.
FAMILIES = (checks_inputs, checks_model, checks_training, checks_run)
CHECKS: tuple[Declared, ...] = tuple(d for family in FAMILIES for d in declared_in(family))
if len({d.id for d in CHECKS}) != len(CHECKS):
    raise ValueError(f"a step-3 check id is declared in two families: {sorted(d.id for d in CHECKS)}")
# What the real run measures (training.json), graded after the probes; every other ``reads`` is a probe's key.
AFTER_TRAINING = ("divergence", "overfitting", "bar")
PROBE_CHECKS = tuple(d for d in CHECKS if d.reads not in AFTER_TRAINING)  # what decides whether to train
ORDER = tuple(d.id for d in CHECKS)  # the check ids, in report order
PROBES = tuple(dict.fromkeys(d.reads for d in CHECKS))  # the measurement keys the checks read, in order

ModelChecks = limits_schema("ModelChecks", CHECKS,
                            "Thresholds of step 3's checks (checks.model; declared with each check).")


def model_checks(measured: dict[str, Any], t: Any) -> list[CheckResult]:
    """Every step-3 check, in report order; a missing measurement is a warning that says so."""
    return grade_all(CHECKS, measured, t)


def probe_checks(measured: dict[str, Any], t: Any) -> list[CheckResult]:
    """The checks of the probes that run before the real training (to decide whether to train at all)."""
    return grade_all(PROBE_CHECKS, measured, t)


def grade(check_id: str, measurement: Any, t: Any) -> CheckResult:
    """One check graded on its own measurement (what its ``reads`` names), for notebooks and tests."""
    reads = next((d.reads for d in CHECKS if d.id == check_id), "")
    return grade_one(CHECKS, check_id, {reads: measurement} if reads else {}, t)


def read_probes(path: Path) -> dict[str, Any]:
    """probes.json as plain data; a file without a probe the checks read names it (an older version or a hand
    edit left it out), as a file without any other key its stage always writes does."""
    probes = read_dict(Probes, path)
    missing = missing_reads(PROBE_CHECKS, probes)
    if missing:
        raise UserError(f"{path}#{missing[0]}", "missing (its stage always writes it; an older version or a hand "
                        "edit left it out)", f"run `dvc repro -f {Probes.STAGE}` so it is written again")
    return probes
