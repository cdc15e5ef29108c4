"""Step 4's search: the space, the study and its workers, the trials and the seed re-runs."""
