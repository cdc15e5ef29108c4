"""Where step 4's stages write: reports/sweep/, the best configuration's package, and the ledger."""

from pathlib import Path

STEP = "sweep"
MEASUREMENTS_FILE = "measurements.json"  # the trials and what they say (stage sweep)
SEEDS_FILE = "seeds.json"  # the paired seed re-runs of the best and of step 3's configuration (stage seed_runs)
CHOICE_FILE = "choice.json"  # which model meets the test split, and why (stage choose_final)
FINAL_FILE = "final.json"  # the choice carried out: the chosen model's valid and test scores (stage final_test)
REGISTERED_FILE = "registered.json"  # the registry version of the final model, after gate 4 (stage register)
MODELS_DIR = Path("models/sweep")  # models/sweep/best: the best configuration's first-seed model, packaged
LEDGER = Path("ledger/test_split.jsonl")  # every scoring of the test split, kept across runs
