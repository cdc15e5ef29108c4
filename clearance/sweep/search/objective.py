"""One sweep trial: its values drawn, its configuration trained by step 3's training function,
its curves and score tracked as an MLflow run nested under the sweep's run."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any

from pathlib import Path

import optuna
from optuna.trial import TrialState

from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError
from clearance.core.tracking import attached_run, log_epoch, log_metrics, set_tags
from clearance.neural.training.divergence import Diverged, diverged_tags
from clearance.neural.training.loop import curve_point
from clearance.sweep.search.kept import keep, leads
from clearance.sweep.search.reference import SEED_ATTR
from clearance.sweep.search.space import Dimension, suggest
from clearance.sweep.search.study import DIVERGED_ATTR
from clearance.sweep.search.trial import Scored, Setup, configuration, train_and_score


def error_text(exc: BaseException) -> str:
    """A failed trial's error in one line, as the report and the checks show it."""
    if isinstance(exc, UserError):
        return f"{exc.where}: {exc.problem} (fix: {exc.fix})"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}"


class Objective:
    """Optuna's objective: train a trial's configuration; its valid score on the primary metric."""

    def __init__(self, setup: Setup, dims: list[Dimension], tracking: TrackingConfig, parent_id: str,
                 prune: bool = False, keep_in: Path | None = None) -> None:
        self.setup, self.dims, self.tracking, self.parent_id, self.prune = setup, dims, tracking, parent_id, prune
        self.keep_in = keep_in  # where the leading trial's package goes (the stage's own process only)

    def __call__(self, trial: optuna.Trial) -> float:
        started = time.perf_counter()
        values = suggest(trial, self.dims)
        tags = {"clearance.kind": "trial", "optuna.study": trial.study.study_name, "optuna.trial": str(trial.number)}
        with attached_run(f"trial_{trial.number}", self.tracking, self.parent_id, values, tags) as run:
            trial.set_user_attr("run_id", run.info.run_id)
            trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
            cfg = configuration(self.setup, values)
            trial.set_user_attr(SEED_ATTR, cfg.train.seed)
            try:
                scored = train_and_score(self.setup, cfg, self.on_eval(trial))
            except Diverged as diverged:
                # PRUNED, not FAIL: Optuna's FAIL means the objective broke, and its samplers leave failed trials
                # out, so they would draw these settings again; a pruned trial is one stopped early for its
                # settings, and TPE ranks one without scores among its worst. The MLflow run ends FAILED (it
                # left no score or model), tagged diverged with the message.
                trial.set_user_attr(DIVERGED_ATTR, diverged.divergence.to_dict())
                set_tags(diverged_tags(diverged.divergence))
                raise optuna.TrialPruned(str(diverged)) from None
            except optuna.TrialPruned:
                set_tags({"clearance.outcome": "pruned"})
                raise
            except Exception as exc:  # noqa: BLE001 - any error fails this trial, and the sweep goes on
                trial.set_user_attr("error", error_text(exc))
                set_tags({"clearance.outcome": "failed", "clearance.error": error_text(exc)[:500]})
                raise
            log_metrics({f"valid_{self.setup.metric}": scored.value, "train_seconds": scored.seconds})
            self.keep_if_leading(trial, scored)
        trial.set_user_attr("train_seconds", scored.seconds)
        trial.set_user_attr("seconds", time.perf_counter() - started)
        return scored.value

    def keep_if_leading(self, trial: optuna.Trial, scored: Scored) -> None:
        """Keep the package of a trial that beats every finished one: the seed re-runs reuse the best's."""
        if self.keep_in is None:
            return
        others = [t.value for t in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
        if leads(scored.value, [v for v in others if v is not None], self.setup.direction):
            keep(self.keep_in, trial.study.study_name, trial.number, scored.cfg.train.seed, scored)

    def on_eval(self, trial: optuna.Trial) -> Callable[[dict[str, Any]], None]:
        """Log each evaluation as curves; with a pruner, report it and stop a trailing trial."""
        key = f"valid_{self.setup.metric}"

        def record(point: dict[str, Any]) -> None:
            log_epoch(curve_point(point), point["step"])
            if self.prune and point.get(key) is not None:
                trial.report(float(point[key]), point["step"])
                if trial.should_prune():
                    raise optuna.TrialPruned(f"trailing the median at step {point['step']}")

        return record
