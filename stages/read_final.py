"""DVC stage read_final: read the chosen model's errors on test (slices, the best baseline row by row, the labels
it doubts) from the answers final_test saved; the journey report shows them once gate 4 clears."""

from clearance.core.config.errors import ErrorsStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.records import read_stage_json
from clearance.reading.final import read_test_errors


def main() -> None:
    cfg = load_stage_config(ErrorsStage)
    files = read_test_errors(cfg)
    record = read_stage_json(files["errors"], "final errors record")
    if "skipped" in record:
        print(f"no test errors to read: {record['skipped']}")
        return
    gain = (record["versus_baseline"] or {}).get("gain")
    beside = f"; against the best baseline {gain['value']:+.4f} [{gain['low']:+.4f}, {gain['high']:+.4f}]" if gain else ""
    print(f"read {record['rows']} test rows: {record['metric']} {record['overall']['value']:.4f} "
          f"[{record['overall']['low']:.4f}, {record['overall']['high']:.4f}]{beside} ({files['errors']})")


if __name__ == "__main__":
    run_main(main)
