"""A sweep worker: joins a running study and runs its trials until the budget is spent.

The DVC stage starts local ones (`sweep.workers`); on other machines sharing a database
storage (`sweep.storage: postgresql://...`), `clearance sweep worker` runs this from a
checkout of the same repository (same params.yaml and data), and the stage waits for them.

    python -m clearance.sweep.search.worker [--study NAME] [--seed N]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from clearance.core.config.params import load_stage_config, read_params
from clearance.core.config.sweep import SweepStage
from clearance.core.errors import UserError, run_main
from clearance.core.paths import PREPARED_DIR
from clearance.sweep.search.objective import Objective
from clearance.sweep.search.study import DIVERGED_ATTR, PARENT_ATTR, run_trials


def work(study_name: str | None = None, seed: int | None = None, prepared: Path = PREPARED_DIR) -> int:
    """Join the study the settings name (or ``study_name``) and run trials; returns how many ran here."""
    from dataclasses import replace

    from clearance.sweep.search.run import prepare

    params = read_params()
    stage = load_stage_config(SweepStage, params)
    # Each worker draws from its own seeded stream: the same seed everywhere would repeat trials.
    stage.sweep = replace(stage.sweep, seed=seed if seed is not None else stage.sweep.seed + os.getpid())
    sweep = prepare(stage, params, prepared, create=False)
    if study_name and study_name != sweep.key.name:
        raise UserError(f"--study {study_name}", f"this checkout's settings make the study {sweep.key.name}",
                        "run the worker from a checkout with the same params.yaml and data as the DVC stage")
    parent = sweep.study.user_attrs.get(PARENT_ATTR)
    if not parent:
        raise UserError(f"study {sweep.key.name}", "has not been started by the sweep stage yet",
                        "start `dvc repro` (the sweep stage) first; workers join the study it opens")
    objective = Objective(sweep.setup, sweep.dims, stage.tracking, parent, prune=stage.sweep.pruner != "none")
    return run_trials(sweep.study, objective, stage.sweep.trials)


def study_status(prepared: Path = PREPARED_DIR) -> str:
    """The study the settings name: trials by state, the best so far, where it is stored."""
    from collections import Counter

    from clearance.sweep.search.run import prepare
    from clearance.sweep.search.storage import mask
    from clearance.sweep.search.study import counted

    params = read_params()
    stage = load_stage_config(SweepStage, params)
    sweep = prepare(stage, params, prepared, create=False)
    trials = counted(sweep.study)
    states = Counter("diverged" if t.user_attrs.get(DIVERGED_ATTR) else t.state.name.lower() for t in trials)
    lines = [f"study {sweep.key.name} ({mask(stage.sweep.storage) or 'journal file'}): {len(trials)} of "
             f"{stage.sweep.trials} trials: " + (", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "none")]
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if complete:
        best = sweep.study.best_trial
        lines.append(f"best: trial {best.number}, valid {sweep.setup.metric} {best.value:.4f}, {best.params}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default=None, help="the study to join (default: the one the settings name)")
    parser.add_argument("--seed", type=int, default=None, help="this worker's sampler seed")
    args = parser.parse_args()
    ran = work(args.study, args.seed)
    print(f"this worker ran {ran} trial(s)")


if __name__ == "__main__":
    run_main(main)
