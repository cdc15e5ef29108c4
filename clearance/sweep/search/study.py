"""The Optuna study of a sweep: created or resumed in its storage, its trials run by workers.

Every worker (the DVC stage itself, the local processes it starts, and `clearance sweep
worker` on other machines) runs the same loop against the shared storage until the study
holds `sweep.trials` trials; failed trials are recorded with their error and count.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from clearance.core.config.sweep import SweepConfig
from clearance.core.errors import UserError
from clearance.sweep.search.reference import REFERENCE_ATTR, SEED_ATTR
from clearance.sweep.search.space import Dimension, space_digest

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
INTERRUPTED = "interrupted"  # user attr of a trial whose worker was stopped; it is retried, not counted
DIVERGED_ATTR = "diverged"  # user attr of a trial whose loss turned NaN or infinite (Divergence.to_dict); PRUNED
SPACE_ATTR = "space_digest"
PARENT_ATTR = "mlflow_parent_run"


@dataclass(frozen=True)
class StudyKey:
    """Which study a sweep is: its name and what must match for its trials to be reused."""

    name: str
    digest: str  # the search space, the fixed budget, the metric and step 3's settings


def study_key(cfg: SweepConfig, dims: list[Dimension], fixed: dict[str, Any], metric: str,
              settings_digest: str) -> StudyKey:
    """The study's name: `sweep.study`, or one derived from everything its trials depend on."""
    from clearance.core.records import settings_digest as digest_of

    digest = digest_of({"space": space_digest(dims), "fixed": fixed, "metric": metric, "model": settings_digest})
    return StudyKey(cfg.study or f"clearance-{digest}", digest)


def sampler_of(cfg: SweepConfig, offset: int = 0) -> optuna.samplers.BaseSampler:
    """Random search by default (the article's advice); TPE one setting away.

    ``offset`` (the trials a resumed study already holds) moves the seed on, so a resumed
    study draws new values instead of repeating its first trials.
    """
    if cfg.sampler == "random":
        return optuna.samplers.RandomSampler(seed=cfg.seed + offset)
    if cfg.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=cfg.seed + offset)
    raise UserError(f"sweep.sampler={cfg.sampler}", "unknown sampler", "set sweep.sampler to random or tpe")


def pruner_of(cfg: SweepConfig) -> optuna.pruners.BasePruner:
    """No pruning by default; `median` stops trials trailing the median at an evaluation."""
    if cfg.pruner == "none":
        return optuna.pruners.NopPruner()
    if cfg.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2)
    raise UserError(f"sweep.pruner={cfg.pruner}", "unknown pruner", "set sweep.pruner to none or median")


def open_study(cfg: SweepConfig, key: StudyKey, storage: optuna.storages.BaseStorage, direction: str,
               where: str, create: bool = True) -> optuna.Study:
    """Create the study, or load it to continue; a named study whose settings changed is refused.

    With ``create`` False (workers, `clearance sweep status`) a study that does not exist yet is an error.
    """
    if not create and key.name not in optuna.get_all_study_names(storage):
        raise UserError(f"sweep.study={key.name} ({where})", "does not exist yet",
                        "start the sweep stage first (`dvc repro`); workers join the study it opens")
    study = optuna.create_study(study_name=key.name, storage=storage, direction=direction,
                                sampler=sampler_of(cfg), pruner=pruner_of(cfg), load_if_exists=True)
    held = len(study.get_trials(deepcopy=False))
    if held:
        study.sampler = sampler_of(cfg, offset=held)
    stored = study.user_attrs.get(SPACE_ATTR)
    if stored is None:
        study.set_user_attr(SPACE_ATTR, key.digest)
    elif stored != key.digest:
        raise UserError(f"sweep.study={key.name} ({where})",
                        "its trials ran with another search space, budget, metric or step-3 settings, "
                        "so they cannot be compared with new ones",
                        "set sweep.study to a new name (or to \"\": one named after the settings), "
                        "or restore the settings the study ran with")
    return study


def counted(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials that count toward the budget: all but interrupted ones and failed ones retried."""
    trials = study.get_trials(deepcopy=False)
    with warnings.catch_warnings():  # the retry bookkeeping is marked experimental; it has been since 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retried = {optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t) for t in trials}
    retried -= {None}
    return [t for t in trials if not t.user_attrs.get(INTERRUPTED) and t.number not in retried]


def retry_interrupted(study: optuna.Study) -> int:
    """Trials left running by a stopped worker (journal storage: no other worker can be alive):
    mark them failed and interrupted, and queue their values again. Returns how many."""
    stale = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    storage = study._storage  # Optuna has no public API to fail a trial that is not ours
    for trial in stale:
        storage.set_trial_user_attr(trial._trial_id, INTERRUPTED, True)
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        kept = {REFERENCE_ATTR: True} if trial.user_attrs.get(REFERENCE_ATTR) else None  # still step 3's values
        study.enqueue_trial(trial.params, user_attrs=kept, skip_if_exists=False)
    return len(stale)


def run_trials(study: optuna.Study, objective: Callable[[optuna.Trial], float], budget: int) -> int:
    """Run trials one at a time until the study holds ``budget`` (finished or running) trials.

    Workers check the count before each trial, so N workers may together run up to N-1
    trials more than the budget; queued (retried) trials always run. Returns trials run here.
    """
    ran = 0
    while True:
        trials = counted(study)
        waiting = any(t.state == TrialState.WAITING for t in trials)
        if not waiting and len(trials) >= budget:
            return ran
        study.optimize(objective, n_trials=1, catch=(Exception,), gc_after_trial=True)
        ran += 1


def wait_for_others(study: optuna.Study, report: Callable[[str], None], poll: float = 10.0,
                    patience: float = 6 * 3600) -> None:
    """Wait until no counted trial is still running (workers elsewhere), telling the user why."""
    started = time.monotonic()
    while any(t.state == TrialState.RUNNING for t in counted(study)):
        if time.monotonic() - started > patience:
            raise UserError(f"sweep.study={study.study_name}", "trials have been running elsewhere for hours",
                            "check the workers (`clearance sweep status`); a dead worker's trial is retried once "
                            "its heartbeat goes stale")
        running = [t.number for t in counted(study) if t.state == TrialState.RUNNING]
        report(f"waiting for trials {running} running in other workers")
        time.sleep(poll)


def trial_record(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """A trial as plain data: number, state, value, params, error, seconds, MLflow run id, divergence."""
    return {"number": trial.number, "state": trial.state.name, "value": trial.value,
            "params": dict(trial.params), "error": trial.user_attrs.get("error", ""),
            "seconds": trial.user_attrs.get("seconds"), "train_seconds": trial.user_attrs.get("train_seconds"),
            "run_id": trial.user_attrs.get("run_id", ""), "worker": trial.user_attrs.get("worker", ""),
            "diverged": trial.user_attrs.get(DIVERGED_ATTR), "seed": trial.user_attrs.get(SEED_ATTR),
            "reference": bool(trial.user_attrs.get(REFERENCE_ATTR))}
