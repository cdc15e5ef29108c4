"""DVC stage inspect: step 1's measuring (statistics, label issues, sample, plots, MLflow run).

The judging against thresholds is the next stage, judge_inspect."""

from dataclasses import asdict

from clearance.core.config.inspect import InspectStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.tracking import (
    flatten,
    log_artifacts,
    log_metrics,
    log_prepared_splits,
    record_run,
    stage_run,
)
from clearance.core.tracking_store import check_store
from clearance.inspection.measure.run import STEP, metrics, run_inspection


def main() -> None:
    cfg = load_stage_config(InspectStage)
    check_store(cfg.tracking)  # the work comes before the run: a store that cannot be used stops it first
    outcome = run_inspection(cfg)
    with stage_run("inspect", cfg.tracking, asdict(cfg)) as run:
        log_prepared_splits()
        record_run(run, report_dir(STEP), "inspect")
        log_metrics(flatten(metrics(outcome.stats)))
        log_artifacts(list(outcome.files.values()))
    print(f"measurements: {outcome.files['measurements']} (MLflow run {run.info.run_id})")


if __name__ == "__main__":
    run_main(main)
