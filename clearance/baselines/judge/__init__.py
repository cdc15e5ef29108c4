"""Step 2's judging: its checks, report, questions and evidence manifest (re-runs no baseline)."""
