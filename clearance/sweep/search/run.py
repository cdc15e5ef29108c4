"""Step 4's search: validate the space, open (or resume) the study, run its trials with local
or remote workers, and measure what the trials say (no thresholds here: judge_sweep grades)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from clearance.core.config.sweep import SweepStage, final_rule
from clearance.core.data.prepare import load_summary
from clearance.core.errors import UserError
from clearance.core.evaluation import pick_best
from clearance.core.records import write_json
from clearance.core.paths import KEPT_TRIAL_DIR, PREPARED_DIR, report_dir
from clearance.core.records import write_record
from clearance.core.records import read_bar
from clearance.neural.training.inputs import model_settings_digest
from clearance.sweep.search import analysis
from clearance.sweep.search.files import MEASUREMENTS_FILE, STEP, SweepMeasurements
from clearance.sweep.search.kept import mark_empty
from clearance.sweep.search.objective import Objective
from clearance.sweep.search.reference import queue_reference
from clearance.sweep.search.space import (
    Dimension,
    check_keys,
    flatten_keys,
    parse_space,
)
from clearance.sweep.search.storage import JOURNAL, mask, open_storage
from clearance.sweep.search.study import (
    PARENT_ATTR,
    StudyKey,
    counted,
    open_study,
    retry_interrupted,
    run_trials,
    study_key,
    trial_record,
    wait_for_others,
)
from clearance.sweep.search.trial import Setup, configuration

STUDY_FILE = "study.json"  # beside the journal: which study the folder holds (the folder is never empty)


@dataclass
class Sweep:
    """A validated sweep: its settings, the trials' shared setup, its dimensions and its study."""

    stage: SweepStage
    setup: Setup
    dims: list[Dimension]
    key: StudyKey
    study: optuna.Study
    data_digest: str
    bar: dict[str, Any]  # step 2's bar the sweep is measured against (reports/baselines/metrics.json#bar)


def prepare(stage: SweepStage, params: dict[str, Any], prepared: Path = PREPARED_DIR,
            journal: Path = JOURNAL, create: bool = True) -> Sweep:
    """Check the space and the budget against the composed settings, then open the study.

    Every bad key or range stops here, before any trial runs.
    """
    cfg = stage.sweep
    dims = parse_space(cfg.space)
    if not dims:
        raise UserError("sweep.space", "is empty: there is nothing to search",
                        "name at least one setting with its values in conf/sweep/, e.g. train.lr: loguniform(1e-5, 1e-3)")
    check_keys(dims, params)
    fixed = flatten_keys(cfg.trial, section="sweep.trial")
    check_keys(list(fixed), params, section="sweep.trial")
    both = sorted(set(fixed) & {d.key for d in dims})
    if both:
        raise UserError(f"sweep.trial.{both[0]}", "is also in sweep.space: a trial cannot both fix and search it",
                        f"remove {both[0]} from sweep.trial or from sweep.space")
    if cfg.trials < 1:
        raise UserError(f"sweep.trials={cfg.trials}", "must be at least 1", "set sweep.trials, e.g. 8")
    if cfg.workers < 1:
        raise UserError(f"sweep.workers={cfg.workers}", "must be at least 1", "set sweep.workers to 1 (or more)")
    final_rule(cfg.final)  # a typo here would otherwise surface only after every trial has run
    bar = read_bar()
    setup = Setup(params, fixed, bar.metric, prepared)
    reference = configuration(setup, {})  # step 3's settings with the budget: they must compose
    data = load_summary(prepared).get("digest", "")
    key = study_key(cfg, dims, fixed, setup.metric, f"{data}:{model_settings_digest(reference)}")
    storage = open_storage(cfg.storage, journal)
    study = open_study(cfg, key, storage, setup.direction, where=mask(cfg.storage) or str(journal), create=create)
    return Sweep(stage, setup, dims, key, study, data, bar.to_dict())


def restart_if_all_failed(sweep: Sweep) -> bool:
    """A study whose every finished trial failed holds nothing to keep: start it afresh."""
    trials = counted(sweep.study)
    if trials and all(t.state == TrialState.FAIL for t in trials):
        optuna.delete_study(study_name=sweep.key.name, storage=sweep.study._storage)
        sweep.study = open_study(sweep.stage.sweep, sweep.key, sweep.study._storage, sweep.setup.direction, "")
        return True
    return False


def share_cores(workers: int) -> int:
    """Threads per local worker: the cores split between them, never fewer than one.

    Two workers each on torch's default of every core run several times slower than one
    thread each (measured on 2 cores), so this process and its workers share them out.
    """
    import torch

    threads = max(1, (os.cpu_count() or 1) // workers)
    if workers > 1:
        torch.set_num_threads(threads)
    return threads


def start_workers(count: int, study: str, seed: int, threads: int) -> list[subprocess.Popen]:
    """``count`` more local workers on the same study (each draws with its own seed and uses ``threads``)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    return [subprocess.Popen([sys.executable, "-m", "clearance.sweep.search.worker", "--study", study,
                              "--seed", str(seed + index)], env=env)
            for index in range(1, count + 1)]


def run_sweep(stage: SweepStage, params: dict[str, Any], parent_id: str, prepared: Path = PREPARED_DIR,
              out: Path | None = None, journal: Path = JOURNAL, report: Callable[[str], None] = print,
              kept: Path = KEPT_TRIAL_DIR) -> dict:
    """Run (or finish) the study and write its measurements; returns them. The study's first trial is step 3's
    configuration (when the space holds it), and the leading trial's package is kept in ``kept``."""
    out = out or report_dir(STEP)
    sweep = prepare(stage, params, prepared, journal)
    cfg = stage.sweep
    if not cfg.storage:  # a journal under the repository: no worker of a stopped run can still be alive
        retried = retry_interrupted(sweep.study)
        if retried:
            report(f"retrying {retried} trial(s) left unfinished by an interrupted run")
    if restart_if_all_failed(sweep):
        report("every earlier trial failed: starting the study afresh")
    queued = queue_reference(sweep.study, sweep.dims, params)
    if queued:
        report(queued)
    sweep.study.set_user_attr(PARENT_ATTR, parent_id)
    write_json({"study": sweep.key.name, "storage": mask(cfg.storage) or "journal", "digest": sweep.key.digest},
               journal.parent / STUDY_FILE)
    done = len([t for t in counted(sweep.study) if t.state in (TrialState.COMPLETE, TrialState.PRUNED,
                                                               TrialState.FAIL)])
    report(f"study {sweep.key.name}: {done} of {cfg.trials} trials done, {cfg.workers} worker(s)")
    import torch

    own_threads = torch.get_num_threads()
    workers = start_workers(cfg.workers - 1, sweep.key.name, cfg.seed, share_cores(cfg.workers))
    try:
        objective = Objective(sweep.setup, sweep.dims, stage.tracking, parent_id, prune=cfg.pruner != "none",
                              keep_in=kept)
        run_trials(sweep.study, objective, cfg.trials)
    finally:
        for worker in workers:
            worker.wait()
        torch.set_num_threads(own_threads)
        mark_empty(kept)
    wait_for_others(sweep.study, report)
    measured = measure(sweep)
    if not any(t["state"] == "COMPLETE" for t in measured["trials"]):
        raise nothing_completed(sweep.key.name, measured["trials"])
    write_record(SweepMeasurements, measured, out / MEASUREMENTS_FILE)
    return measured


def nothing_completed(study: str, trials: list[dict[str, Any]]) -> UserError:
    """The error for a study without one complete trial: the first failure's error, or the first divergence."""
    where = f"sweep.study={study}"
    failed = [t for t in trials if t["state"] != "PRUNED" or not t.get("diverged")]
    if not failed:
        return UserError(where, f"all {len(trials)} trials diverged (a loss turned NaN or infinite); the first: "
                         f"{trials[0]['diverged']['message']}",
                         "lower the train.lr range of sweep.space (conf/sweep/) and run `dvc repro`: a changed space "
                         "starts a new study")
    first = next((t["error"] for t in failed if t["error"]), "no error recorded")
    return UserError(where, f"all {len(trials)} trials failed; the first error: {first}",
                     "fix that cause, then run `dvc repro` again: a study whose every trial failed starts afresh")


def measure(sweep: Sweep) -> dict[str, Any]:
    """What the trials say: each trial, the best, importances, correlations, the budget curve, positions."""
    cfg = sweep.stage.sweep
    trials = [trial_record(t) for t in counted(sweep.study)]
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    best = best_trial(complete, sweep.setup.metric)
    return {
        "metric": sweep.setup.metric, "direction": sweep.setup.direction, "task": sweep.setup.task.name,
        "data_digest": sweep.data_digest,
        "study": sweep.key.name, "storage": mask(cfg.storage) or "journal", "sampler": cfg.sampler,
        "trials_budget": cfg.trials, "fixed": sweep.setup.fixed,
        "space": {d.key: cfg_text(d) for d in sweep.dims},
        "trials": trials,
        "diverged": analysis.diverged(trials),
        "best": best,
        "importances": analysis.importances(trials, sweep.dims, cfg.importance, cfg.seed, sweep.setup.direction),
        "spearman": analysis.spearman(trials, sweep.dims),
        "scatter": analysis.scatter(trials, sweep.dims),
        "budget_curve": analysis.budget_curve(trials, sweep.setup.direction),
        "positions": analysis.edges(sweep.dims, best["params"]) if best else {},
        "overhead": overhead(complete),
        "bar": sweep.bar,
    }


def best_trial(complete: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
    """The complete trial with the best valid score in the metric's own direction (lower RMSE is better);
    on a tie, the earliest trial (the one Optuna names best)."""
    if not complete:
        return None
    chosen = pick_best({str(i): {f"valid_{metric}": t["value"]} for i, t in enumerate(complete)}, metric)
    return complete[int(chosen)]


def cfg_text(dim: Dimension) -> str:
    """A dimension as the user wrote it (for the report)."""
    if dim.kind == "choice":
        return f"choice({', '.join(str(c) for c in dim.choices)})"
    return f"{dim.kind}({dim.low}, {dim.high})"


def overhead(complete: list[dict[str, Any]]) -> dict[str, float | None]:
    """Seconds a trial spent outside the training function (composition, tracking, storage)."""
    pairs = [(t["seconds"], t["train_seconds"]) for t in complete if t.get("seconds") and t.get("train_seconds")]
    if not pairs:
        return {"share": None, "seconds": None}
    extra = sum(s - t for s, t in pairs)
    return {"share": extra / sum(t for _, t in pairs), "seconds": extra / len(pairs)}
