"""Step 3's files (reports/model/) and their schemas; the packaged model is core.paths.MODEL_DIR."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from clearance.core.errors import UserError
from clearance.core.paths import MODEL_DIR  # noqa: F401  (the trained model packaged to score texts)
from clearance.core.paths import MODEL_STEP as STEP  # noqa: F401  (reports/model/)
from clearance.core.records import Record, from_data, jsonable

PROBES_FILE = "probes.json"  # the probes' measurements
GO_FILE = "go.json"  # whether training may run
TRAINING_FILE = "training.json"  # the training run's measurements


@dataclass
class Probes(Record):
    """reports/model/probes.json: each probe's measurement (or why it was skipped or failed), by its key.

    The probes are declared once, with ``@probe`` in their family modules (measure/probes/); their
    measurements sit in ``measured`` and are written as top-level keys of the file, beside the fields below.
    Reading gathers every other key into ``measured``; ``probes.padding`` reads one measurement.
    """

    STAGE: ClassVar[str] = "probe_model"
    classes: list[str]
    data_digest: str
    settings_digest: str
    parts: dict[str, str]
    seconds: dict[str, Any]
    measured: dict[str, Any]  # each probe's measurement by its key (truncation, outputs, padding, ...)
    # train rows the input probes (truncation, tokenizer) measured, a sample when probes.input_max_rows is smaller
    input_rows: dict[str, int] | None = None
    # the decoded samples' texts longer than inspect.max_report_chars, cut (core.report.long_texts: Cutter.note)
    cut: dict[str, Any] | None = None

    @classmethod
    def of(cls, data: Any, where: str) -> "Probes":
        """The record from probes.json's keys: its fields, and every other key as a probe's measurement."""
        if not isinstance(data, dict):
            return from_data(cls, data, where)  # says what the file holds instead of an object
        own = {f.name for f in dataclasses.fields(cls)} - {"measured"}
        return from_data(cls, {**{k: v for k, v in data.items() if k in own},
                               "measured": {k: v for k, v in data.items() if k not in own}}, where)

    @classmethod
    def read(cls, path: Path) -> "Probes":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return super().read(path)  # a missing or broken file: the error every record gives
        return cls.of(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        """The file's keys: the fields, and each probe's measurement under its key."""
        fields = dataclasses.asdict(self)
        return {**fields.pop("measured"), **fields}

    def __getattr__(self, key: str) -> Any:
        """A probe's measurement by its key (``probes.overfit``)."""
        measured = self.__dict__.get("measured") or {}
        if key in measured:
            return measured[key]
        raise AttributeError(f"{type(self).__name__} has no field or probe {key!r}")


def write_probes(payload: dict[str, Any], path: Path, probes: Iterable[str]) -> Path:
    """Write probes.json from the suite's measurements: every declared probe's key (``probes``) must be there,
    so a probe the suite forgot to run fails here, naming it, not later in a check that reads it."""
    data = jsonable(payload)
    missing = [key for key in probes if key not in data]
    if missing:
        more = f" (nor {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise UserError(f"{path}#{missing[0]}", f"missing: the declared probe {missing[0]!r} measured nothing{more}",
                        "the probe suite (clearance/small_model/measure/probes/suite.py) must run every @probe of "
                        "its families and keep each measurement under the probe's key")
    return Probes.of(data, str(path)).write(path)


@dataclass
class GoDecision(Record):
    """reports/model/go.json: whether the real training may run, after the probes were graded."""

    STAGE: ClassVar[str] = "judge_probes"
    failing: list[str]
    forced: bool
    train: bool


@dataclass
class TrainingRecord(Record):
    """reports/model/training.json: the real run (or, when the probes stopped it, why it did not train)."""

    STAGE: ClassVar[str] = "train_model"
    trained: bool
    reason: str
    history: list[dict[str, Any]]
    steps: int
    settings_digest: str
    data_digest: str  # "" when the run was skipped before reading the data
    forced: bool
    failing_probes: list[str]
    step_losses: list[float]
    tracked: list[dict[str, Any]]
    seconds: float | None
    train_seconds: float | None
    samples_per_second: float | None
    resumed_from: int
    valid: dict[str, float]
    primary_metric: str
    bar: dict[str, Any]
    bar_measure: dict[str, Any] | None  # None when it did not train
    overfitting: dict[str, Any] | None  # None when it did not train
    confusion: dict[str, Any]
    per_class: list[dict[str, Any]]
    mistakes: list[dict[str, Any]]
    predictions: dict[str, Any]
    epochs_seen: float | None = None  # steps x batch size / training rows: how much of the data one run saw
    # valid rows the evaluations during training scored (train.eval_max_rows) and the last one scored (all)
    valid_rows: dict[str, int] | None = None
    # the tracked and mistaken texts longer than inspect.max_report_chars, cut (core.report.long_texts: Cutter.note)
    cut: dict[str, Any] | None = None
    # training_diverged's measurement (probes.fitting.loss_peak): its "diverged" is set when a NaN or infinite
    # loss stopped the run (then no model is packaged and ``valid`` is empty); None when it did not train
    divergence: dict[str, Any] | None = None
    # the task (clearance.core.task), what turns its outputs into answers: a multi-label run's decision threshold
    # (chosen on valid) and a regression target's scale ({mean, std}; None when not standardised); None in a file
    # written before tasks, or by a run the probes stopped
    task: str | None = None
    threshold: float | None = None
    target_scale: dict[str, float] | None = None
    # whether the valid probabilities can be trusted: ECE before and after the temperature fitted on valid, the
    # reliability tables (measure/calibration_record.py); {"applies": false, "why": ...} for a number or a diverged
    # run; None in a file written before it was measured, or by a run the probes stopped
    calibration: dict[str, Any] | None = None

    @classmethod
    def not_trained(cls, reason: str, decision: dict[str, Any], settings_digest: str, metric: str,
                    bar: dict[str, Any]) -> "TrainingRecord":
        """The record of a run the failing probes stopped: every key written, empty where nothing ran."""
        return cls(trained=False, reason=reason, history=[], steps=0, settings_digest=settings_digest,
                   data_digest="", forced=bool(decision.get("forced")), failing_probes=list(decision["failing"]),
                   step_losses=[], tracked=[], seconds=None, train_seconds=None, samples_per_second=None,
                   resumed_from=0, valid={}, primary_metric=metric, bar=bar, bar_measure=None, overfitting=None,
                   confusion={}, per_class=[], mistakes=[], predictions={"actual": [], "predicted": []})
