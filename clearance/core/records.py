"""The JSON files stages write and read: typed records, their helpers, and the records steps hand on.

A reader gets attributes, not ``.get()`` with a default: a file that lacks a key its schema
requires (an older version wrote it, or a hand edit renamed it) fails with the file, the
dotted key and the stage to re-run, instead of a report quietly printing "–" in its place.
Extra keys are kept out of the record (a newer version may add some) and never fail.

Nested dataclasses, ``list[Record]`` and ``dict[str, Record]`` are read field by field;
anything else (numbers, text, free-form dicts of statistics) is taken as JSON gives it. A
field with a default may be absent; one typed ``X | None`` may be null.

The records one step hands to a later one live here too (step 2's bar read by steps 3 and 4, step 3's
metrics by step 4 and the journey, every measuring stage's run.json), so that no step imports another
to read them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from clearance.core.errors import UserError
from clearance.core.paths import BASELINES_STEP, MODEL_STEP, report_dir

# -- plain JSON: what a stage measured, and reading any stage's file ------------------------------

def jsonable(value: Any) -> Any:
    """Plain JSON types from numpy, pandas, sets and dataclasses (NaN becomes null)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, pd.DataFrame):
        return jsonable(value.to_dict("records"))
    if isinstance(value, pd.Series):
        return jsonable(value.tolist())
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def settings_digest(settings: Any) -> str:
    """A stable digest of a step's settings (key order does not matter)."""
    text = json.dumps(jsonable(settings), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_json(payload: Any, path: Path) -> Path:
    """Write measured values as JSON (stable key order, no timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(payload), indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


RERUN = "run the step's stage again (`dvc repro -f <stage>`) so it rewrites this file"


def read_stage_json(path: Path, what: str) -> Any:
    """The parsed file; a missing one says to run `dvc repro`, a broken one names its line."""
    if not path.exists():
        raise UserError(str(path), f"no {what} yet", "run `dvc repro` so the step's stage writes them")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}, line {exc.lineno}", f"not valid JSON ({exc.msg})", RERUN) from None
    except UnicodeDecodeError:
        raise UserError(str(path), "not UTF-8 text", RERUN) from None


# -- typed records ------------------------------------------------------------------------------------------

R = TypeVar("R", bound="Record")


class Record:
    """Base of every stage file's schema (subclasses are dataclasses); ``STAGE`` names who writes it."""

    STAGE: ClassVar[str] = ""

    @classmethod
    def read(cls: type[R], path: Path) -> R:
        """The record in ``path``; a missing file, broken JSON or a missing key is a UserError naming it."""
        if not path.exists():
            raise UserError(str(path), f"not written yet ({cls.__name__})",
                            f"run `dvc repro` so stage {cls.STAGE or 'that writes it'} writes it")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise UserError(f"{path}, line {error.lineno}", f"not valid JSON ({error.msg})", cls._rerun()) from None
        return from_data(cls, data, str(path))

    @classmethod
    def read_optional(cls: type[R], path: Path) -> R | None:
        """The record, or None while its stage has not run (a present but broken file still fails)."""
        return cls.read(path) if path.exists() else None

    @classmethod
    def _rerun(cls) -> str:
        return f"run `dvc repro -f {cls.STAGE}` so it is written again" if cls.STAGE else "run `dvc repro` again"

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data (what read gave, or what write writes)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def write(self, path: Path) -> Path:
        """Write the record (stable key order, no timestamps unless a field holds one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(jsonable(self.to_dict()), indent=1, sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(hint: Any) -> tuple[bool, Any]:
    """(whether None is allowed, the hint without None)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return True, rest[0] if len(rest) == 1 else Any
    return False, hint


def _convert(hint: Any, value: Any, where: str, owner: type) -> Any:
    nullable, hint = _optional(hint)
    if value is None:
        if nullable or hint is Any:
            return None
        raise UserError(where, "is null, but its stage always writes a value", _rerun_of(owner))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return from_data(hint, value, where, owner)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and args and dataclasses.is_dataclass(args[0]):
        if not isinstance(value, list):
            raise UserError(where, f"is not a list ({type(value).__name__})", _rerun_of(owner))
        return [from_data(args[0], item, f"{where}[{i}]", owner) for i, item in enumerate(value)]
    if origin is dict and len(args) == 2 and dataclasses.is_dataclass(args[1]):
        if not isinstance(value, dict):
            raise UserError(where, f"is not a mapping ({type(value).__name__})", _rerun_of(owner))
        return {k: from_data(args[1], v, f"{where}.{k}", owner) for k, v in value.items()}
    return value


def _rerun_of(owner: type) -> str:
    stage = getattr(owner, "STAGE", "")
    return f"run `dvc repro -f {stage}` so it is written again" if stage else "run `dvc repro` again"


def from_data(cls: type[R], data: Any, where: str, owner: type | None = None) -> R:
    """Build ``cls`` from parsed JSON; ``where`` is the file (and key path) for messages."""
    owner = owner or cls
    if not isinstance(data, dict):
        raise UserError(where, f"is not a JSON object ({type(data).__name__})", _rerun_of(owner))
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        key = f"{where}#{f.name}" if "#" not in where else f"{where}.{f.name}"
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
                raise UserError(key, "missing (its stage always writes it; an older version or a hand edit "
                                "left it out)", _rerun_of(owner))
            continue
        values[f.name] = _convert(hints[f.name], data[f.name], key, owner)
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:  # a schema's own consistency rule (__post_init__)
        raise UserError(where, f"inconsistent: {error}", _rerun_of(owner)) from None


def write_record(cls: type[Record], payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` through ``cls``'s schema: a writer that leaves out a required key fails here, not
    in the stage that reads the file."""
    return from_data(cls, jsonable(payload), str(path)).write(path)


def read_dict(cls: type[Record], path: Path) -> dict[str, Any]:
    """``cls.read(path)`` as plain data, for code that grades or renders dicts (every required key checked)."""
    return cls.read(path).to_dict()


def read_dict_optional(cls: type[Record], path: Path) -> dict[str, Any] | None:
    """``read_dict``, or None while the file's stage has not run."""
    return read_dict(cls, path) if path.exists() else None


# -- the records steps hand on ------------------------------------------------------------------------------

RUN_FILE = "run.json"  # a measuring stage's MLflow run
METRICS_FILE = "metrics.json"  # a step's key figures (DVC metrics, the journey report)
MEASUREMENTS_FILE = "measurements.json"  # what a measuring stage measured, which its judging stage grades
BASELINES_METRICS = report_dir(BASELINES_STEP) / METRICS_FILE
MODEL_METRICS = report_dir(MODEL_STEP) / METRICS_FILE


@dataclass
class StepMeasurements(Record):
    """What every reports/<step>/measurements.json starts with: its step, and the digests of the data and the
    settings it was measured on (the judging's evidence fingerprint)."""

    step: str
    data_digest: str
    settings_digest: str


@dataclass
class RunRecord(Record):
    """reports/<step>/run.json: which MLflow run a measuring stage's outputs came from."""

    run_id: str
    experiment_id: str
    stage: str


@dataclass
class Bar(Record):
    """reports/baselines/metrics.json#bar: the numbers every later model must beat, on valid.

    ``valid`` is the best baseline's score on ``metric``; ``prior_expected`` what guessing in the
    class proportions scores on it in expectation. Both are None only when no baseline ran.
    """

    metric: str
    best_baseline: str | None
    valid: float | None
    valid_log_loss: float | None
    prior_expected: float | None
    uniform_log_loss: float
    prior_log_loss: float


@dataclass
class BaselinesMetrics(Record):
    """reports/baselines/metrics.json: the primary metric, the bar, and each baseline's scores."""

    STAGE: ClassVar[str] = "baselines"
    primary_metric: str
    bar: Bar
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)


def read_bar(path: Path = BASELINES_METRICS) -> Bar:
    """Step 2's bar, as steps 3 and 4 compare against it."""
    return BaselinesMetrics.read(path).bar


@dataclass
class ModelBar(Record):
    """Step 3's model beside the bar, on the primary metric (valid)."""

    metric: str
    model: float | None
    best_baseline: str | None
    baseline: float | None
    prior: float | None


@dataclass
class ModelMetrics(Record):
    """reports/model/metrics.json: whether step 3 trained, how far, its valid scores and its place at the bar."""

    STAGE: ClassVar[str] = "train_model"
    trained: bool
    steps: int
    samples_per_second: float
    valid: dict[str, float]
    bar: ModelBar | None  # None when the probes stopped the run before training
    epochs_seen: float | None = None  # how much of the train split the run went through (train.max_steps may cut it)
    # set when the loss or logits turned NaN or infinite: the step, the loss (as text), the lr and the message
    diverged: dict[str, Any] | None = None

    def score(self, metric: str) -> float | None:
        """The model's valid score on ``metric`` (None when it did not train)."""
        return self.bar.model if self.bar is not None and self.bar.metric == metric else self.valid.get(
            f"valid_{metric}")


@dataclass
class GateStamp(Record):
    """gates/<step>.json, written by the gate when it clears: the reviewed fingerprint, the check statuses
    and the waived checks (the next step depends on it; registration reads it), and who cleared it and
    when (gate.reviewer or the git user; ISO 8601 UTC). Stamps written before sign-off read them as ""."""

    STAGE: ClassVar[str] = "gate_<step>"
    step: str
    cleared: bool
    reviewed: str
    checks: dict[str, str]
    waived: list[str]
    cleared_by: str = ""
    cleared_at: str = ""


def bar_of(bar: Bar) -> dict[str, Any]:
    """A bar as a plain dict (stored inside other stages' files)."""
    return bar.to_dict()
