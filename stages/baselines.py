"""DVC stage baselines: step 2, simple baselines on one metric, the bar to beat."""

from dataclasses import asdict

from clearance.baselines.run import STEP, run_baselines
from clearance.checklist.results import summary_line
from clearance.config import BaselinesStage, load_stage_config
from clearance.errors import run_main
from clearance.tracking import child_run, flatten, log_files, log_metrics, stage_run


def main() -> None:
    cfg = load_stage_config(BaselinesStage)
    outcome = run_baselines(cfg)
    with stage_run(STEP, cfg.tracking, asdict(cfg)) as run:
        import mlflow

        for result in outcome.results:
            tags = {"clearance.stage": STEP, "clearance.kind": "baseline"}
            with child_run(result.name, result.params, tags):
                log_metrics({**result.metrics, "fit_seconds": result.fit_seconds})
                if result.error:
                    mlflow.set_tag("error", result.error)
        log_metrics(flatten({"bar": {k: v for k, v in outcome.facts.items() if k.endswith("_log_loss")}}))
        log_files(list(outcome.files.values()))
    print(f"best baseline: {outcome.best} · report: {outcome.files['report']} (MLflow run {run.info.run_id})")
    print(summary_line(outcome.checks))


if __name__ == "__main__":
    run_main(main)
