"""DVC stage final_test: the model choose_final picked scored on the test split and counted in the
ledger; when the evidence rejected the model sweep.final asked for, nothing is scored. No model is
logged or registered here: that waits for gate 4 (stage register)."""

from clearance.config.params import load_stage_config
from clearance.config.tracking import TrackingOnly
from clearance.errors import run_main
from clearance.measurements import write_json
from clearance.paths import report_dir
from clearance.stage_files import read_stage_json
from clearance.sweep.choice import Choice
from clearance.sweep.files import CHOICE_FILE, FINAL_FILE, SEEDS_FILE, STEP
from clearance.sweep.final import score_on_test
from clearance.tracking import flatten, log_metrics, stage_run


def main() -> None:
    stage = load_stage_config(TrackingOnly)
    path = report_dir(STEP) / CHOICE_FILE
    choice = Choice.from_dict(read_stage_json(path, "final choice"), str(path))
    seeds = read_stage_json(report_dir(STEP) / SEEDS_FILE, "seed re-runs")
    record = score_on_test(choice, seeds)
    with stage_run("final_test", stage.tracking, flatten({"sweep": {"final": choice.rule}, "chosen": str(choice.chosen),
                                                          "params": record.get("params") or {}})) as run:
        log_metrics({**record.get("valid", {}), **record.get("test", {}), "test_seen": record["ledger"]["seen"]})
        record["run_id"] = run.info.run_id
    write_json(record, report_dir(STEP) / FINAL_FILE)
    print(choice.reason)
    if choice.chosen is not None:
        metric = record["metric"]
        print(f"final test ({choice.chosen}): test {metric} {record['test'][f'test_{metric}']:.4f}, valid "
              f"{record['valid'][f'valid_{metric}']:.4f}; this test split has been scored "
              f"{record['ledger']['seen']} time(s) ({record['ledger']['path']})")


if __name__ == "__main__":
    run_main(main)
