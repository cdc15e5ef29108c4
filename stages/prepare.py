"""DVC stage prepare: read data.path, clean and split it into data/prepared/."""

from clearance.config import PrepareStage, load_stage_config
from clearance.data.prepare import prepare
from clearance.errors import run_main


def main() -> None:
    cfg = load_stage_config(PrepareStage)
    summary = prepare(cfg)
    clean, sizes = summary["clean"], summary["sizes"]
    print(f"read {clean['rows_read']} rows from {summary['source']}; dropped {clean['dropped']} "
          f"(missing text {clean['missing_text']}, missing label {clean['missing_label']})")
    print("split: " + ", ".join(f"{k} {v}" for k, v in sizes.items())
          + f" (grouped by {summary['split']['grouped_by']})")


if __name__ == "__main__":
    run_main(main)
