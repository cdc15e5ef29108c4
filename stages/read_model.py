"""DVC stage read_model: read step 3's model errors on valid (slices, the best baseline row by row, the labels
the model doubts), without training again; logged to step 3's MLflow experiment."""

from dataclasses import asdict

from clearance.core.config.errors import ErrorsStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.records import read_stage_json
from clearance.core.tracking import flatten, log_artifacts, log_metrics, stage_run
from clearance.reading.step import read_valid_errors

STAGE = "read_model"  # its MLflow run's name: step 3's training run keeps the name "model"


def main() -> None:
    cfg = load_stage_config(ErrorsStage)
    files = read_valid_errors(cfg)
    record = read_stage_json(files["errors"], "errors record")
    with stage_run(STAGE, cfg.tracking, asdict(cfg)):  # run.json stays the training run's: the report links it
        gain = (record.get("versus_baseline") or {}).get("gain") or {}
        log_metrics(flatten({"errors": {"overall": record.get("overall") or {}, "gain_over_baseline": gain}}))
        log_artifacts(list(files.values()))
    if "skipped" in record:
        print(f"no errors to read: {record['skipped']}")
        return
    versus = record["versus_baseline"]
    beside = (f"; against {versus['baseline']}: {versus['gain']['value']:+.4f} "
              f"[{versus['gain']['low']:+.4f}, {versus['gain']['high']:+.4f}]") if "gain" in versus else ""
    print(f"read {record['rows']} valid rows: {record['metric']} {record['overall']['value']:.4f}, "
          f"{len(record['slices'])} slices{beside}; {record['doubted']['count']} labels doubted "
          f"(reports/model/errors.json)")


if __name__ == "__main__":
    run_main(main)
