"""Step 1's judging: its checks, report, questions and evidence manifest (re-runs no measurement)."""
