"""DVC stage sweep: step 4's random search (resumable; local or remote workers), every trial a
nested MLflow run. Its measurements are graded by judge_sweep."""

from dataclasses import asdict

from clearance.core.config.params import load_stage_config, read_params
from clearance.core.config.sweep import SweepStage
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.tracking import (
    flatten,
    log_metrics,
    log_prepared_splits,
    record_run,
    stage_run,
)
from clearance.sweep.search.run import STEP, run_sweep


def main() -> None:
    params = read_params()
    stage = load_stage_config(SweepStage, params)
    with stage_run(STEP, stage.tracking, flatten({"sweep": asdict(stage.sweep)})) as run:
        log_prepared_splits()
        record_run(run, report_dir(STEP), STEP)
        measured = run_sweep(stage, params, run.info.run_id)
        best = measured["best"]
        log_metrics({f"best_valid_{measured['metric']}": best["value"], "trials": len(measured["trials"])})
    print(f"best trial {best['number']}: valid {measured['metric']} {best['value']:.4f} with {best['params']} "
          f"(MLflow run {run.info.run_id})")


if __name__ == "__main__":
    run_main(main)
