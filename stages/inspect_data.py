"""DVC stage inspect: step 1, look at the data (report, checks, metrics, MLflow run)."""

from dataclasses import asdict

from clearance.config import InspectStage, load_stage_config
from clearance.errors import run_main
from clearance.inspection.run import metrics, run_inspection
from clearance.tracking import log_metrics, stage_run, flatten


def main() -> None:
    cfg = load_stage_config(InspectStage)
    outcome = run_inspection(cfg)
    with stage_run("inspect", cfg.tracking, asdict(cfg)) as run:
        import mlflow

        log_metrics(flatten(metrics(outcome.stats)))
        for path in outcome.files.values():
            mlflow.log_artifact(str(path), artifact_path="plots" if path.suffix == ".png" else None)
    failing = [c.id for c in outcome.checks if c.status == "fail"]
    print(f"report: {outcome.files['report']} (MLflow run {run.info.run_id})")
    print(f"checks: {len(outcome.checks)} run, {len(failing)} failing" + (f": {', '.join(failing)}" if failing else ""))


if __name__ == "__main__":
    run_main(main)
