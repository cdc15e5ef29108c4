"""Where step 4's end writes: the choice, the final test, the registry record (reports/sweep/) and the ledger."""

from pathlib import Path

STEP = "sweep"
CHOICE_FILE = "choice.json"  # which model meets the test split, and why (stage choose_final)
FINAL_FILE = "final.json"  # the choice carried out: the chosen model's valid and test scores (stage final_test)
REGISTERED_FILE = "registered.json"  # the registry version of the final model, after gate 4 (stage register)
LEDGER = Path("ledger/test_split.jsonl")  # every scoring of the test split, kept across runs
