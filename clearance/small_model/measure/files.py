"""Step 3's files (reports/model/) and their schemas; the packaged model is core.paths.MODEL_DIR."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from clearance.core.paths import MODEL_DIR  # noqa: F401  (the trained model packaged to score texts)
from clearance.core.records import Record

STEP = "model"
PROBES_FILE = "probes.json"  # the probes' measurements
GO_FILE = "go.json"  # whether training may run
TRAINING_FILE = "training.json"  # the training run's measurements


@dataclass
class Probes(Record):
    """reports/model/probes.json: each probe's measurement (or why it was skipped or failed), by family."""

    STAGE: ClassVar[str] = "probe_model"
    classes: list[str]
    data_digest: str
    settings_digest: str
    parts: dict[str, str]
    seconds: dict[str, Any]
    tokenizer: dict[str, Any]
    truncation: dict[str, Any]
    decoded_samples: list[dict[str, Any]]
    outputs: dict[str, Any]
    symmetry: dict[str, Any]
    init_loss: dict[str, Any]
    batch: dict[str, Any]
    batch_size: dict[str, Any]
    padding: dict[str, Any]
    reading: dict[str, Any]
    eval_repeat: dict[str, Any]
    dead_parameters: dict[str, Any]
    zero_grad: dict[str, Any]
    param_change: dict[str, Any]
    loop_eval: dict[str, Any]
    overfit: dict[str, Any]
    # train rows the input probes (truncation, tokenizer) measured, a sample when probes.input_max_rows is smaller
    input_rows: dict[str, int] | None = None
    # the decoded samples' texts longer than inspect.max_report_chars, cut (core.report.long_texts: Cutter.note)
    cut: dict[str, Any] | None = None


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

    @classmethod
    def not_trained(cls, reason: str, decision: dict[str, Any], settings_digest: str, metric: str,
                    bar: dict[str, Any]) -> "TrainingRecord":
        """The record of a run the failing probes stopped: every key written, empty where nothing ran."""
        return cls(trained=False, reason=reason, history=[], steps=0, settings_digest=settings_digest,
                   data_digest="", forced=bool(decision.get("forced")), failing_probes=list(decision["failing"]),
                   step_losses=[], tracked=[], seconds=None, train_seconds=None, samples_per_second=None,
                   resumed_from=0, valid={}, primary_metric=metric, bar=bar, bar_measure=None, overfitting=None,
                   confusion={}, per_class=[], mistakes=[], predictions={"actual": [], "predicted": []})
