"""DVC stage choose_final: which model meets the test split, decided by sweep.final on step 4's own
checks (gain_vs_noise, lr_plausible). Seconds, no model loaded; its output changes only when the
decision does, so a moved threshold that changes nothing never re-scores the test split."""

from clearance.core.config.params import load_stage_config
from clearance.core.config.sweep import FinalChoiceStage
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.records import read_dict
from clearance.sweep.final.files import CHOICE_FILE
from clearance.sweep.judge.decision import decide
from clearance.sweep.search.files import (
    MEASUREMENTS_FILE,
    SEEDS_FILE,
    STEP,
    SeedReruns,
    SweepMeasurements,
)


def main() -> None:
    stage = load_stage_config(FinalChoiceStage)
    measured = read_dict(SweepMeasurements, report_dir(STEP) / MEASUREMENTS_FILE)
    seeds = read_dict(SeedReruns, report_dir(STEP) / SEEDS_FILE)
    choice = decide(stage.final, measured, seeds, stage.lr_band)
    choice.write(report_dir(STEP) / CHOICE_FILE)
    print(choice.reason)


if __name__ == "__main__":
    run_main(main)
