"""DVC stage inspect: step 1, look at the data (report, checks, metrics, MLflow run)."""

from dataclasses import asdict

from clearance.checklist.results import summary_line
from clearance.config import InspectStage, load_stage_config
from clearance.errors import run_main
from clearance.inspection.run import metrics, run_inspection
from clearance.tracking import flatten, log_files, log_metrics, stage_run


def main() -> None:
    cfg = load_stage_config(InspectStage)
    outcome = run_inspection(cfg)
    with stage_run("inspect", cfg.tracking, asdict(cfg)) as run:
        log_metrics(flatten(metrics(outcome.stats)))
        log_files(list(outcome.files.values()))
    print(f"report: {outcome.files['report']} (MLflow run {run.info.run_id})")
    print(summary_line(outcome.checks))


if __name__ == "__main__":
    run_main(main)
