"""Where step 4's search writes (reports/sweep/) and the schemas of its files; the best configuration's
package is core.paths.BEST_MODEL_DIR."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from clearance.core.paths import SWEEP_STEP as STEP  # noqa: F401  (reports/sweep/)
from clearance.core.records import MEASUREMENTS_FILE  # noqa: F401  (the trials and what they say: stage sweep)
from clearance.core.records import Bar, Record

SEEDS_FILE = "seeds.json"  # the paired seed re-runs of the best and of step 3's configuration (stage seed_runs)


@dataclass
class Trial(Record):
    """One trial of the study, as plain data (clearance.sweep.search.study.trial_record)."""

    number: int
    state: str  # COMPLETE | FAIL | PRUNED | RUNNING | WAITING
    value: float | None
    params: dict[str, Any]
    error: str
    seconds: float | None
    train_seconds: float | None
    run_id: str
    worker: str
    # PRUNED trials whose loss or logits turned NaN or infinite: step, loss (text), lr, where, message
    diverged: dict[str, Any] | None = None
    seed: int | None = None  # the train.seed it trained with
    reference: bool = False  # step 3's own values, queued as the study's first trial


@dataclass
class Importances(Record):
    """Which settings mattered: shares by dotted key, the evaluator, and what limited them."""

    values: dict[str, float]
    evaluator: str
    note: str


@dataclass
class SweepMeasurements(Record):
    """reports/sweep/measurements.json: every trial, the best, and what the trials say."""

    STAGE: ClassVar[str] = "sweep"
    metric: str
    direction: str
    data_digest: str
    study: str
    storage: str
    sampler: str
    trials_budget: int
    fixed: dict[str, Any]
    space: dict[str, str]
    trials: list[Trial]
    best: Trial | None
    importances: Importances
    spearman: dict[str, float | None]
    scatter: dict[str, list[Any]]
    budget_curve: list[float | None]
    positions: dict[str, float | None]
    overhead: dict[str, float | None]
    bar: Bar
    diverged: dict[str, Any] | None = None  # analysis.diverged: how many trials diverged, and at which settings
    task: str = "single_label"  # data.task as prepare decided it (clearance.core.task): which checks apply


@dataclass
class Rerun(Record):
    """One configuration re-run over the paired seeds."""

    params: dict[str, Any]
    values: list[float | None]  # None for a seed whose training diverged
    run_ids: list[str]
    mean: float | None
    std: float | None
    diverged: list[dict[str, Any]] = field(default_factory=list)  # the seeds that diverged: seed, step, loss, lr
    trials: list[int | None] = field(default_factory=list)  # per seed: the sweep trial whose run it is, or None
    shared: bool = False  # the reference's: the best configuration is step 3's own, so its runs are these


@dataclass
class Bootstrap(Record):
    """The paired bootstrap of the gain (clearance.sweep.search.analysis.paired_bootstrap)."""

    seeds: int
    resamples: int
    direction: str
    mean_gain: float | None
    low: float | None
    high: float | None
    best_mean: float | None
    best_std: float | None
    reference_mean: float | None
    reference_std: float | None
    differences: list[float]
    note: str


@dataclass
class SeedReruns(Record):
    """reports/sweep/seeds.json: the best and step 3's configuration re-run with the same seeds."""

    STAGE: ClassVar[str] = "seed_runs"
    metric: str
    direction: str
    seeds: list[int]
    optimizer: str
    best_trial: int | None
    best: Rerun
    reference: Rerun
    bootstrap: Bootstrap
    fixed: dict[str, Any]
