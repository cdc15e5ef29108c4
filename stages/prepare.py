"""DVC stage prepare: read data.path, clean and split it, apply data.corrections, write data/prepared/."""

from clearance.core.config.data import PrepareStage
from clearance.core.config.params import load_stage_config
from clearance.core.data.corrections import describe
from clearance.core.data.prepare import prepare
from clearance.core.errors import run_main


def main() -> None:
    cfg = load_stage_config(PrepareStage)
    summary = prepare(cfg)
    clean, sizes = summary["clean"], summary["sizes"]
    print(f"read {clean['rows_read']} rows from {summary['source']}; dropped {clean['dropped']} "
          f"(missing text {clean['missing_text']}, missing label {clean['missing_label']})")
    how = summary["split"]
    origin = f"given by column {how['given_by']}" if how.get("given_by") else f"grouped by {how['grouped_by']}"
    print("split: " + ", ".join(f"{k} {v}" for k, v in sizes.items()) + f" ({origin})")
    task = summary["task"]
    print(f"task: {task['name']} ({task['reason']})")
    words = summary["words"]
    print(f"words: {words['unit']} ({words['reason']})")
    if summary.get("corrections"):
        print(describe(summary["corrections"]))


if __name__ == "__main__":
    run_main(main)
