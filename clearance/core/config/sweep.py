"""Schemas of step 4, the sweep: the search, its budget, the seed re-runs and the final test (its thresholds are
declared with its checks, clearance/sweep/judge/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError

# sweep.final: which model meets the test split (the rules themselves: clearance/sweep/choice.py).
BEST_IF_BETTER, BEST = "best_if_better", "best"
FINAL_RULES = (BEST_IF_BETTER, BEST)
FINAL_ALIASES = {"reference_if_noise": BEST_IF_BETTER}  # the first name of best_if_better; it now means the same
FINAL_FIX = ("set sweep.final to best_if_better (step 3's model unless the sweep's best beats it beyond seed noise) "
             "or best (the sweep's best unless it is worse) in conf/sweep/, or `dvc exp run -S sweep.final=...`")


def final_rule(value: Any) -> str:
    """``sweep.final`` as one of FINAL_RULES (an older name maps to its rule); anything else is a clear error."""
    rule = FINAL_ALIASES.get(str(value), str(value))
    if rule not in FINAL_RULES:
        raise UserError(f"sweep.final={value}", f"unknown choice (the choices are {', '.join(FINAL_RULES)})",
                        FINAL_FIX)
    return rule


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
    final: str = MISSING  # best_if_better (step 3's model unless the best beats it beyond noise) | best
    registered_model: str = MISSING  # the Model Registry name of the final model ("": not registered)
    trial: dict[str, Any] = MISSING  # settings every trial and re-run gets (the budget of one), nested or dotted keys
    # config key (nested or dotted) -> choice(...) | uniform(a, b) | loguniform(a, b) | int(a, b) | logint(a, b)
    space: dict[str, Any] = MISSING


@dataclass
class SweepStage:
    """The sweep's own settings; each trial's are step 3's (`ModelStage`) with the trial's overrides."""

    sweep: SweepConfig = MISSING
    tracking: TrackingConfig = MISSING


@dataclass
class FinalChoiceStage:
    """What the final choice reads: the rule, and step 3's learning-rate band (the choice follows lr_plausible)."""

    final: str = field(default=MISSING, metadata={"params": "sweep.final"})
    lr_band: dict[str, list[float]] = field(default=MISSING, metadata={"params": "checks.model.lr_band"})


@dataclass
class RegisterStage:
    """What registration reads, once gate 4 has cleared: the registry name."""

    registered_model: str = field(default=MISSING, metadata={"params": "sweep.registered_model"})
    tracking: TrackingConfig = MISSING
