"""Schemas of step 4, the sweep: the search, its budget, the seed re-runs, the final test, and the thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from clearance.config.model import ModelChecks
from clearance.config.tracking import TrackingConfig


@dataclass
class SweepConfig:
    """How the search runs (values: conf/sweep/)."""

    trials: int = MISSING  # trials in the study (finished and failed ones count)
    seed: int = MISSING  # seeds the sampler, the importance evaluator and the bootstrap
    sampler: str = MISSING  # random | tpe
    pruner: str = MISSING  # none | median
    workers: int = MISSING  # local worker processes sharing the study's storage
    storage: str = MISSING  # "": a journal file under reports/sweep/study/; or a database URL (postgresql://...)
    study: str = MISSING  # "": named after the search space, so a changed space starts a new study
    importance: str = MISSING  # fanova | ped_anova
    seeds: int = MISSING  # paired seeds of the re-runs of the best and of step 3's configuration
    bootstrap: int = MISSING  # resamples of the paired bootstrap of the gain
    final: str = MISSING  # reference_if_noise (step 3's model unless the gain beats noise) | best
    registered_model: str = MISSING  # the Model Registry name of the final model ("": not registered)
    trial: dict[str, Any] = MISSING  # settings every trial and re-run gets (the budget of one), nested or dotted keys
    # config key (nested or dotted) -> choice(...) | uniform(a, b) | loguniform(a, b) | int(a, b) | logint(a, b)
    space: dict[str, Any] = MISSING


@dataclass
class SweepChecks:
    """Thresholds of step 4's checks (values: conf/checks/default.yaml#sweep)."""

    min_complete_trials: int = MISSING  # fewer finished trials than this fails
    edge_share: float = MISSING  # a best value in this outer share of its range (or at a choice list's end) warns
    test_gap_warn: float = MISSING  # |test - valid| of the final model on the primary metric above this warns


@dataclass
class SweepStage:
    """The sweep's own settings; each trial's are step 3's (`ModelStage`) with the trial's overrides."""

    sweep: SweepConfig = MISSING
    tracking: TrackingConfig = MISSING


@dataclass
class SweepJudge:
    """What judging step 4 reads: its thresholds, and step 3's learning-rate band."""

    checks: SweepChecks = field(default=MISSING, metadata={"params": "checks.sweep"})
    model_checks: ModelChecks = field(default=MISSING, metadata={"params": "checks.model"})
