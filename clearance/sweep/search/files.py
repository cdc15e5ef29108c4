"""Where step 4's search writes (reports/sweep/); the best configuration's package is core.paths.BEST_MODEL_DIR."""

STEP = "sweep"
MEASUREMENTS_FILE = "measurements.json"  # the trials and what they say (stage sweep)
SEEDS_FILE = "seeds.json"  # the paired seed re-runs of the best and of step 3's configuration (stage seed_runs)
