"""Step 4's end: which model meets the test split, its one scoring, the ledger, and the registry."""
