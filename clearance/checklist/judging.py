"""The one judge runner of every step: read what the step measured, grade its declared checks, write
checks.json, the report and the evidence manifest.

A step describes itself in a ``StepJudging`` (its checks, how to read its measurements, what its report
shows); ``judge_step`` does the rest the same way for all four. Cheap by design: no statistic is
recomputed, so a threshold change costs seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, make_dataclass
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from clearance.checklist.declared import Declared, grade_all, missing_reads
from clearance.checklist.fingerprint import write_manifest
from clearance.checklist.required import required_questions
from clearance.checklist.results import CheckResult, Judgement, write_checks
from clearance.core.errors import UserError
from clearance.core.paths import CHECKS_FILE, REPORT_FILE, report_dir
from clearance.core.records import settings_digest


@dataclass
class Measured:
    """What a step's judging read: what its checks grade, and what the report and the manifest need."""

    graded: dict[str, Any]  # the values the declared checks read (by their ``reads`` paths)
    data_digest: str
    settings: Any  # the measuring stages' settings digest(s)
    kept: dict[str, Any] = field(default_factory=dict)  # the files read, for the report and the Judgement
    # What the labels are (data.task, decided in prepare): checks and questions that do not apply to it are
    # left out of checks.json, the report and the evidence manifest, not shown as passing.
    task: str = "single_label"


@dataclass(frozen=True)
class StepJudging:
    """A step's part in judging: its declared checks, how its measurements are read, what its report shows."""

    step: str
    checks: tuple[Declared, ...]
    template: Path  # the report's template (extends clearance/core/report/templates/base.html.j2)
    questions: Path  # the step's required questions
    read: Callable[[Path, Any], Measured]  # (folder, thresholds) -> Measured
    context: Callable[[Measured, list[CheckResult], Any, Path], dict[str, Any]]  # -> the report's context
    # What the evidence fingerprint's settings digest covers: by default the measuring stages' settings and
    # the thresholds (a step whose grading reads another setting adds it, so changing it re-asks the gate).
    fingerprint: Callable[[Measured, Any], Any] = lambda measured, t: {"measured": measured.settings,
                                                                      "checks": asdict(t)}
    # The file and stage that write what the checks read: a field a declared check reads and the file lacks
    # is an error naming both (None: the step's checks say "not measured" for a missing part themselves).
    source: tuple[str, str] | None = None


def thresholds_only(name: str, thresholds: type, section: str) -> type:
    """The config of a judging stage that reads only its thresholds: ``checks``, read as ``thresholds`` (a
    ``limits_schema``) from ``checks.<section>`` of params.yaml."""
    setting = field(default=MISSING, metadata={"params": f"checks.{section}"})
    doc = f"What the judging stage reads: only its thresholds (checks.{section})."
    return make_dataclass(name, [("checks", thresholds, setting)], namespace={"__doc__": doc})


def judge_step(spec: StepJudging, thresholds: Any, folder: Path | None = None) -> Judgement:
    """Grade a step's measurements against ``checks.<step>``; write checks, report and manifest."""
    from clearance.core.report.html import write_report

    folder = folder or report_dir(spec.step)
    measured = spec.read(folder, thresholds)
    if spec.source is not None:
        require_reads(spec, measured.graded, folder)
    checks = grade_all(spec.checks, measured.graded, thresholds, measured.task)
    files = {"checks": folder / CHECKS_FILE, "report": folder / REPORT_FILE}
    write_checks(checks, files["checks"])
    write_report(spec.template, spec.context(measured, checks, thresholds, folder), files["report"])
    settings = settings_digest(spec.fingerprint(measured, thresholds))
    files["manifest"] = write_manifest(spec.step, measured.data_digest, settings, checks,
                                       required_questions(spec.questions, measured.task), folder,
                                       pair_questions(spec.checks, checks))
    return Judgement(checks=checks, files=files, measurements=measured.kept)


def pair_questions(declared: tuple[Declared, ...], graded: list[CheckResult]) -> dict[str, list[str]]:
    """Which graded checks inform each question (evidence.json's ``checks_by_question``): the gate, which
    reads no step's code, lets an answer cite them (clearance.checklist.citations)."""
    ran = {c.id for c in graded}
    paired: dict[str, list[str]] = {}
    for check in declared:
        if check.id in ran and check.question:
            paired.setdefault(check.question, []).append(check.id)
    return paired


def require_reads(spec: StepJudging, graded: dict[str, Any], folder: Path) -> None:
    """Every field a declared check reads is in the step's record, or an error names the field and the stage."""
    missing = missing_reads(spec.checks, graded)
    if missing:
        name, stage = spec.source  # type: ignore[misc]
        raise UserError(str(folder / name), f"lacks {', '.join(missing)}, which a declared check reads",
                        f"run `dvc repro -f {stage}` so it writes the field; if it still lacks it, the stage's "
                        "writer and the check's `reads` disagree (docs/extending.md)")
