"""DVC stage baselines: step 2's measuring (every baseline on one metric, the bar to beat, MLflow runs).

The judging against thresholds is the next stage, judge_baselines."""

from dataclasses import asdict

from clearance.baselines.measure.run import STEP, run_baselines
from clearance.core.config.baselines import BaselinesStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.tracking import (
    child_run,
    flatten,
    log_artifacts,
    log_metrics,
    log_prepared_splits,
    record_run,
    set_tags,
    stage_run,
)
from clearance.core.tracking_store import check_store


def main() -> None:
    cfg = load_stage_config(BaselinesStage)
    check_store(cfg.tracking)  # the work comes before the run: a store that cannot be used stops it first
    outcome = run_baselines(cfg)
    with stage_run(STEP, cfg.tracking, asdict(cfg)) as run:
        log_prepared_splits()
        record_run(run, report_dir(STEP), STEP)
        for result in outcome.results:
            tags = {"clearance.stage": STEP, "clearance.kind": "baseline"}
            with child_run(result.name, result.params, metrics={**result.metrics, "fit_seconds": result.fit_seconds},
                           tags=tags):
                if result.error:
                    set_tags({"error": result.error})
        log_metrics(flatten({"bar": {k: v for k, v in outcome.facts.items() if k.endswith("_log_loss")}}))
        log_artifacts(list(outcome.files.values()))
    print(f"best baseline: {outcome.best} · measurements: {outcome.files['measurements']} "
          f"(MLflow run {run.info.run_id})")


if __name__ == "__main__":
    run_main(main)
