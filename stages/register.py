"""DVC stage register: once gate 4 has cleared, the model that met the test split is logged and
registered as sweep.registered_model, tagged with the gate's reviewed fingerprint and the evidence it
was chosen on. Runs after the gate, so nothing reaches the registry before a person signed step 4 off."""

from clearance.config.params import load_stage_config
from clearance.config.sweep import RegisterStage
from clearance.errors import run_main
from clearance.measurements import write_json
from clearance.paths import report_dir
from clearance.registry import REGISTERED_FILE, STEP, cleared_fingerprint, register_final
from clearance.stage_files import read_stage_json
from clearance.sweep.final import FINAL_FILE


def main() -> None:
    stage = load_stage_config(RegisterStage)
    fingerprint = cleared_fingerprint()
    final = read_stage_json(report_dir(STEP) / FINAL_FILE, "final test")
    record = register_final(final, fingerprint, stage.registered_model, stage.tracking)
    new = record.pop("new")  # not written: the file is the same whether this run or an earlier one registered
    write_json(record, report_dir(STEP) / REGISTERED_FILE)
    if record["version"] is None:
        print(f"nothing registered: {record['why']}")
    else:
        print(f"{'registered' if new else 'already registered'}: {record['name']} version "
              f"{record['version']} ({final['chosen']}), gate 4 fingerprint {fingerprint}")


if __name__ == "__main__":
    run_main(main)
