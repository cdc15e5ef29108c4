"""The files one step hands to a later one, each with its schema (the step's own files keep theirs).

Step 2's bar is read by steps 3 and 4, step 3's metrics by step 4 and the journey, and every
measuring stage's run.json by the journey: their schemas live here, in the core, so that no step
imports another to read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from clearance.core.paths import report_dir
from clearance.core.records import Record

RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
BASELINES_METRICS = report_dir("baselines") / METRICS_FILE
MODEL_METRICS = report_dir("model") / METRICS_FILE


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
