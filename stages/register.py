"""DVC stage register: once gate 4 has cleared, the model that met the test split is logged and
registered as sweep.registered_model, tagged with the gate's reviewed fingerprint and the evidence it
was chosen on. Runs after the gate, so nothing reaches the registry before a person signed step 4 off."""

from clearance.core.config.params import load_stage_config
from clearance.core.config.sweep import RegisterStage
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.records import read_dict, write_record
from clearance.sweep.final.files import (
    FINAL_FILE,
    REGISTERED_FILE,
    STEP,
    FinalRecord,
    Registered,
)
from clearance.sweep.final.registry import cleared_fingerprint, register_final


def main() -> None:
    stage = load_stage_config(RegisterStage)
    fingerprint = cleared_fingerprint()
    final = read_dict(FinalRecord, report_dir(STEP) / FINAL_FILE)
    record = register_final(final, fingerprint, stage.registered_model, stage.tracking)
    new = record.pop("new")  # not written: the file is the same whether this run or an earlier one registered
    write_record(Registered, record, report_dir(STEP) / REGISTERED_FILE)
    if record["version"] is None:
        print(f"nothing registered: {record['why']}")
    else:
        print(f"{'registered' if new else 'already registered'}: {record['name']} version "
              f"{record['version']} ({final['chosen']}), gate 4 fingerprint {fingerprint}")


if __name__ == "__main__":
    run_main(main)
