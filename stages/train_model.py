"""DVC stage train_model: step 3's real training run (resumable), logged to MLflow as it goes."""

from dataclasses import asdict

from clearance.core.config.model import ModelStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.neural.serving import plugin_sources
from clearance.neural.logged_model import log_text_model
from clearance.core.tracking import (
    child_run,
    log_artifacts,
    log_epoch,
    log_prepared_splits,
    record_run,
    set_tags,
    stage_run,
)
from clearance.neural.training.divergence import diverged_tags
from clearance.neural.training.loop import curve_point
from clearance.small_model.measure.files import PROBES_FILE, STEP, Probes
from clearance.small_model.measure.training import train


def main() -> None:
    cfg = load_stage_config(ModelStage)
    probes = Probes.read(report_dir(STEP) / PROBES_FILE)
    with stage_run(STEP, cfg.tracking, asdict(cfg)) as run:
        log_prepared_splits()
        record_run(run, report_dir(STEP), "train_model")
        with child_run("overfit_16", {"samples": cfg.probes.overfit_samples, "dropout": 0.0, "weight_decay": 0.0},
                       tags={"clearance.kind": "probe"}):
            for step, loss in enumerate(probes.overfit.get("losses", []), start=1):
                log_epoch({"train_loss": loss}, step)
        with child_run("training", {}, tags={"clearance.kind": "training"}):
            # log_epoch keeps only the record's numbers: the tracked predictions stay in training.json.
            outcome = train(cfg, on_eval=lambda record: log_epoch(curve_point(record), record["step"]))
            diverged = outcome.result.diverged if outcome.result is not None else None
            if diverged is not None:
                set_tags(diverged_tags(diverged))
            elif outcome.result is not None:
                package = outcome.files["model"]
                log_text_model(package, *outcome.model_example(), code=plugin_sources(package))
        log_artifacts([p for p in outcome.files.values() if p.is_file()])
    record = outcome.record
    if diverged is not None:
        print(f"{diverged.message()}: no model packaged; step 3's check training_diverged fails until a lower "
              f"train.lr trains (MLflow run {run.info.run_id})")
    elif record["trained"]:
        valid = record["valid"]
        metric = record["primary_metric"]
        print(f"trained {record['steps']} steps at {record['samples_per_second']:.0f} samples/s: "
              f"valid {metric} {valid.get(f'valid_{metric}', float('nan')):.4f} (MLflow run {run.info.run_id})")
    else:
        print(f"not trained: {record['reason']}")


if __name__ == "__main__":
    run_main(main)
