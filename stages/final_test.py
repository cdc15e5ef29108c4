"""DVC stage final_test: the chosen configuration scored on the test split, once; its model
logged to MLflow (a pyfunc that scores raw texts) and registered in the Model Registry."""

from clearance.config.params import load_stage_config
from clearance.config.sweep import SweepStage
from clearance.errors import run_main
from clearance.measurements import write_json
from clearance.paths import report_dir
from clearance.serving import TextPredictor, plugin_sources
from clearance.stage_files import read_stage_json
from clearance.sweep.final import FINAL_FILE, MODEL_DIRS, choose, score_on_test
from clearance.sweep.run import STEP
from clearance.sweep.seeds import SEEDS_FILE
from clearance.tracking import flatten, log_metrics, log_text_model, stage_run


def main() -> None:
    stage = load_stage_config(SweepStage)
    seeds = read_stage_json(report_dir(STEP) / SEEDS_FILE, "seed re-runs")
    chosen, why = choose(stage.sweep.final, seeds)
    record = score_on_test(chosen, why, seeds)
    with stage_run("final_test", stage.tracking, flatten({"sweep": {"final": stage.sweep.final}, "chosen": chosen,
                                                          "params": record["params"]})) as run:
        log_metrics({**record["valid"], **record["test"]})
        folder = MODEL_DIRS[chosen]
        example, scored = TextPredictor.load(folder, device="cpu").example(["what a lovely day", "the bus is late"])
        uri, version = log_text_model(folder, example, scored, registered_name=stage.sweep.registered_model or None,
                                      code=plugin_sources(folder))
        record.update(model_uri=uri, run_id=run.info.run_id,
                      registered={"name": stage.sweep.registered_model, "version": version})
    write_json(record, report_dir(STEP) / FINAL_FILE)
    metric = record["metric"]
    print(f"final test ({chosen}): test {metric} {record['test'][f'test_{metric}']:.4f}, valid "
          f"{record['valid'][f'valid_{metric}']:.4f}; model {uri}"
          + (f", registered as {stage.sweep.registered_model} v{version}" if version else ""))


if __name__ == "__main__":
    run_main(main)
