"""DVC stage seed_runs: the sweep's best configuration and step 3's, re-run with the same seeds,
so the gain can be told from seed noise; packages each one's first-seed model."""

from contextlib import contextmanager
from dataclasses import asdict

from clearance.core.config.params import load_stage_config, read_params
from clearance.core.config.sweep import SweepStage
from clearance.core.errors import run_main
from clearance.core.paths import report_dir
from clearance.core.records import read_dict, write_record
from clearance.core.tracking import (
    child_run,
    flatten,
    log_epoch,
    log_metrics,
    set_tags,
    stage_run,
)
from clearance.neural.training.divergence import Diverged, diverged_tags
from clearance.neural.training.loop import curve_point
from clearance.sweep.search.files import SEEDS_FILE, SeedReruns, SweepMeasurements
from clearance.sweep.search.run import MEASUREMENTS_FILE, STEP
from clearance.sweep.search.seeds import gain_line, rerun_seeds
from clearance.sweep.search.space import flatten_keys
from clearance.sweep.search.trial import Setup


def main() -> None:
    params = read_params()
    stage = load_stage_config(SweepStage, params)
    measured = read_dict(SweepMeasurements, report_dir(STEP) / MEASUREMENTS_FILE)
    setup = Setup(params, flatten_keys(stage.sweep.trial, section="sweep.trial"), measured["metric"])

    @contextmanager
    def tracked(name, values):
        with child_run(name, values, tags={"clearance.kind": "seed_rerun"}) as run:
            try:
                yield run
            except Diverged as diverged:  # the run ends FAILED, tagged with where it diverged
                set_tags(diverged_tags(diverged.divergence))
                raise

    with stage_run("seed_runs", stage.tracking, flatten({"sweep": asdict(stage.sweep)})) as run:
        record = rerun_seeds(stage, setup, measured["best"], tracked,
                             on_eval=lambda point: log_epoch(curve_point(point), point["step"]), measured=measured)
        boot = record["bootstrap"]
        log_metrics({"mean_gain": boot.get("mean_gain"), "gain_low": boot.get("low"), "gain_high": boot.get("high")})
    write_record(SeedReruns, record, report_dir(STEP) / SEEDS_FILE)
    print(f"{gain_line(boot, record['seeds'])} (MLflow run {run.info.run_id})")
    if record["reference"].get("shared"):
        print("the best configuration is step 3's own: its seed runs are the reference's (no gain to find)")
    for name in ("best", "reference"):
        if record[name]["trials"] and record[name]["trials"][0] is not None:
            print(f"{name}, seed {record['seeds'][0]}: trial {record[name]['trials'][0]}'s run, reused (the same "
                  f"settings, seed and budget)")
        for seed in record[name]["diverged"]:
            print(f"{name}, seed {seed['seed']}: {seed['message']}")


if __name__ == "__main__":
    run_main(main)
