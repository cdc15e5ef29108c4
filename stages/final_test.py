"""DVC stage final_test: the model choose_final picked scored on the test split and counted in the
ledger; when the evidence rejected the model sweep.final asked for, nothing is scored. No model is
logged or registered here: that waits for gate 4 (stage register)."""

from clearance.core.config.params import load_stage_config
from clearance.core.config.tracking import TrackingOnly
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.records import write_record
from clearance.core.tracking import flatten, log_metrics, set_tags, stage_run, tagged_runs
from clearance.core.tracking_store import check_store
from clearance.sweep.final.choice import Choice
from clearance.sweep.final.files import CHOICE_FILE, FINAL_FILE, STEP, FinalRecord
from clearance.sweep.final.ledger import DIGEST_TAG, SCORING_TAG, SEEN_METRIC
from clearance.sweep.final.scoring import save_test_answers, score_on_test


def main() -> None:
    stage = load_stage_config(TrackingOnly)
    check_store(stage.tracking)  # before the test split is scored (and counted in the ledger)
    choice = Choice.read(report_dir(STEP) / CHOICE_FILE)
    answers: list = []
    record = score_on_test(choice, store_runs=lambda digest: tagged_runs(stage.tracking, DIGEST_TAG, digest),
                           test_answers=answers)
    save_test_answers(answers[0] if answers else None, report_dir(STEP))  # read_final reads the model's errors
    ledger = record["ledger"]
    if ledger["restored"]:
        print(f"{ledger['path']} lacked {ledger['restored']} scoring(s) of this test split that the MLflow store "
              "records: written back from the store, so the count does not go down (commit the ledger)")
    with stage_run("final_test", stage.tracking, flatten({"sweep": {"final": choice.rule}, "chosen": str(choice.chosen),
                                                          "params": record.get("params") or {}})) as run:
        log_metrics({**record.get("valid", {}), **record.get("test", {}), SEEN_METRIC: ledger["seen"]})
        if choice.chosen is not None:  # the scoring, where deleting the ledger cannot erase it
            set_tags({DIGEST_TAG: ledger["digest"], SCORING_TAG: ledger["seen"]})
        record["run_id"] = run.info.run_id
    write_record(FinalRecord, record, report_dir(STEP) / FINAL_FILE)
    print(choice.reason)
    if choice.chosen is not None:
        metric = record["metric"]
        print(f"final test ({choice.chosen}): test {metric} {record['test'][f'test_{metric}']:.4f}, valid "
              f"{record['valid'][f'valid_{metric}']:.4f}; this test split has been scored "
              f"{record['ledger']['seen']} time(s) ({record['ledger']['path']})")


if __name__ == "__main__":
    run_main(main)
